"""``khm export accounts|reps|touches``: rows out of the database, streamed.

Thin: parse the options, call :func:`khm.services.exporting.export`, hand the rows to
:func:`khm.render.export.write_export` (stdout, or a file written atomically).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from khm.cli.common import format_option, kctx, parse_date

export_app = typer.Typer(
    name="export",
    help="Write accounts, reps or touches as CSV, JSON or JSONL (formula-safe, re-importable).",
    no_args_is_help=True,
)


OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (atomically: a temporary file renamed into place).",
        show_default=False,
        dir_okay=False,
    ),
]


def _write(result: Any, fmt: str, output: Path | None) -> None:
    """Stream the export to stdout, or atomically to ``output``."""
    from khm.render.export import write_export

    if output is None:
        write_export(result, fmt, sys.stdout)
        return
    from khm.errors import InputError
    from khm.render import atomic_writer

    try:
        with atomic_writer(output) as fh:
            n = write_export(result, fmt, fh)
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror}") from None
    typer.echo(f"Wrote {n} {result.kind} to {output}", err=True)


_EXPORT_FORMATS = ("csv", "json", "jsonl")


@export_app.command("accounts")
def export_accounts(
    ctx: typer.Context,
    fmt: str = format_option(_EXPORT_FORMATS, default="csv"),
    output: OutputOpt = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="Only expand or keep accounts.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only this category (A-D).")
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Only accounts owned by this rep handle.")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Only this ISO country code.")
    ] = None,
    no_archived: Annotated[
        bool, typer.Option("--no-archived", help="Leave archived accounts out.")
    ] = False,
) -> None:
    """Export accounts (every column the import reads, plus type and category)."""
    from khm.services.exporting import export

    result = export(
        kctx(ctx).store(),
        "accounts",
        type_=type_,
        category=category.upper() if category else None,
        rep=rep,
        country=country,
        include_archived=not no_archived,
        custom_fields=fmt == "csv",
    )
    _write(result, fmt, output)


@export_app.command("reps")
def export_reps(
    ctx: typer.Context,
    fmt: str = format_option(_EXPORT_FORMATS, default="csv"),
    output: OutputOpt = None,
    active_only: Annotated[bool, typer.Option("--active-only", help="Only active reps.")] = False,
) -> None:
    """Export reps."""
    from khm.services.exporting import export

    result = export(kctx(ctx).store(), "reps", active_only=active_only)
    _write(result, fmt, output)


@export_app.command("touches")
def export_touches(
    ctx: typer.Context,
    fmt: str = format_option(_EXPORT_FORMATS, default="csv"),
    output: OutputOpt = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Only touches by this rep handle.")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Only touches of this account key.")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this activity kind.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Export touches (the account by its key; re-importable with khm import touches)."""
    from khm.services.exporting import export

    result = export(
        kctx(ctx).store(),
        "touches",
        rep=rep,
        account=account,
        kind=kind,
        since=parse_date(since, "--since") if since else None,
        until=parse_date(until, "--until") if until else None,
    )
    _write(result, fmt, output)


def register(app: typer.Typer) -> None:
    """Adds ``khm export ...`` to the root app."""
    app.add_typer(export_app, name="export")
