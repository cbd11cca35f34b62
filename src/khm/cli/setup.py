"""``khm init`` and ``khm method``: create the database and the method file, check a method."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khm.cli.common import default_method_path, format_option, kctx
from khm.errors import ConflictError

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
    store = k.store()
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
    ctx: typer.Context = typer.Option(None, hidden=True),
) -> None:
    """Print the method file in use (or the commented built-in default)."""
    from khm.method import DEFAULT_METHOD_TOML

    p = None if default else kctx(ctx).resolved_method_path()
    if p is None:
        typer.echo(DEFAULT_METHOD_TOML, nl=False)
    else:
        kctx(ctx).method()  # validate first
        typer.echo(p.read_text(encoding="utf-8"), nl=False)


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

    k = kctx(ctx)
    path = file or k.resolved_method_path()
    method = load_method(path)
    summary = summarise(method)
    source = str(path) if path else "built-in default"
    if fmt == "json":
        from khm.render import envelope, json_dumps

        typer.echo(json_dumps(envelope("method_check", source=source, valid=True, **summary)))
        return
    _print_summary(source, summary)


def _print_summary(source: str, s: dict) -> None:  # type: ignore[type-arg]
    from rich.markup import escape

    from khm.render import Column, get_console, rich_table

    c = get_console()
    c.print(f"[green]OK[/green] {escape(source)}: {escape(s['name'])}")
    cat = s["categories"]
    c.print(
        f"categories: rule={cat['rule']} metric={escape(cat['metric'])} "
        f"group_by={','.join(cat['group_by']) or '-'} fallback={cat['fallback']} ({escape(cat['detail'])})"
    )
    c.print(
        f"types: default={s['types']['default']}; rules: {escape('; '.join(s['types']['rules']) or '-')}"
    )
    c.print(
        rich_table(
            s["activities"],
            [
                Column("kind"),
                Column("label"),
                Column("mode"),
                Column("effort", justify="right"),
                Column("covers"),
            ],
            title="Activities",
        )
    )
    kinds = [a["kind"] for a in s["activities"]]
    rows = [
        {"cell": r["cell"], **r["intervals"], "load": r["human_effort_per_week"]}
        for r in s["cadence"]
    ]
    c.print(
        rich_table(
            rows,
            [
                Column("cell", "type/cat"),
                *[Column(k) for k in kinds],
                Column("load", "effort/week/account", justify="right"),
            ],
            title="Cadence",
        )
    )
    c.print(
        f"no-human periods: {escape(', '.join(s['calendar']['no_human_periods']) or 'none')}; holidays: {s['calendar']['holidays']}"
    )
    c.print(f"grace: {s['grace']}; default capacity: {s['capacity_default']:g} effort units/week")
    if s["triggers"]:
        c.print("triggers: " + escape("; ".join(s["triggers"])))


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(method_app, name="method")
