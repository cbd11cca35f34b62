"""``khm init`` and ``khm method``: create the database and the method file, check a method."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khm.cli.common import LIST_FORMATS, default_method_path, format_option, kctx
from khm.errors import ConflictError, UsageError

method_app = typer.Typer(help="Check and show the method file.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing method file.")
    ] = False,
) -> None:
    """Create the database and a commented method file with the defaults.

    The method file goes to --method / KHM_METHOD if given, else method.toml in the
    user config dir.
    """
    from khm.method import DEFAULT_METHOD_TOML
    from khm.render import atomic_write_text
    from khm.store.db import display_url

    k = kctx(ctx)
    target = k.method_path or default_method_path()
    import os

    if os.environ.get("KHM_METHOD") and k.method_path is None:
        target = Path(os.environ["KHM_METHOD"])
    if target.exists() and not force:
        raise ConflictError(f"{target}: method file exists (use --force to overwrite it)")
    store = k.store(create=True)
    atomic_write_text(target, DEFAULT_METHOD_TOML)
    typer.echo(f"database:    {display_url(store.url)}")
    typer.echo(f"method file: {target}")
    typer.echo("next: edit the method file, check it with 'khm method check', then import")
    typer.echo("      accounts ('khm import accounts FILE') or try 'khm demo'.")


@method_app.command("path")
def method_path(ctx: typer.Context) -> None:
    """Print which method file is used (or that the built-in default is)."""
    p = kctx(ctx).resolved_method_path()
    typer.echo(str(p) if p else "(built-in default; write a file with 'khm init')")


@method_app.command("show")
def method_show(
    default: Annotated[
        bool, typer.Option("--default", help="Print the built-in default file.")
    ] = False,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="HASH",
            help="Print a recorded version (its hash or a prefix: khm method history).",
            show_default=False,
        ),
    ] = None,
    ctx: typer.Context = typer.Option(None, hidden=True),
) -> None:
    """Print the method file in use (or the commented built-in default, or a version
    recorded in the database)."""
    from khm.method import DEFAULT_METHOD_TOML

    if version is not None:
        from khm.services.history import version_text

        if default:
            raise UsageError("--default and --version: give one")
        typer.echo(version_text(kctx(ctx).store(), version)[1], nl=False)
        return
    p = None if default else kctx(ctx).resolved_method_path()
    if p is None:
        typer.echo(DEFAULT_METHOD_TOML, nl=False)
    else:
        kctx(ctx).method()  # validate first
        typer.echo(p.read_text(encoding="utf-8"), nl=False)


@method_app.command("history")
def method_history(
    ctx: typer.Context,
    fmt: str = format_option(LIST_FORMATS),
) -> None:
    """List the method versions khm ran with: hash, when first seen, path, tag runs.

    khm keeps a method file's text by its content hash the first time a command runs
    with it on this database (reports only read the history). A report for a past
    period uses the version in force at its end (docs/reports.md).
    """
    from khm.errors import MethodError
    from khm.render.method import write_history
    from khm.services.history import list_versions

    k = kctx(ctx)
    k.record_method = False  # list what is recorded, do not add to it
    try:
        current = k.method()
    except MethodError:  # a broken file in use: the history is still worth reading
        current = None
    write_history(list_versions(k.store(), current), fmt)


@method_app.command("check")
def method_check(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="Method file to check (default: the one in use).", dir_okay=False),
    ] = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Validate a method file and print a summary: category rule, activities, cadence."""
    from khm.core.methodsummary import summarise
    from khm.method import load_method
    from khm.render.method import write_check

    path = file or kctx(ctx).resolved_method_path()
    summary = summarise(load_method(path))
    write_check(str(path) if path else "built-in default", summary, fmt)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(method_app, name="method")
