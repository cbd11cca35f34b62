"""``khm import accounts|reps|touches FILE`` (``khm export`` is in :mod:`khm.cli.export`).

Thin: parse the options, call :mod:`khm.services.importing`, render. See docs/import.md for the whole story (mapping, sniffing, the public sample).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from khm.cli.common import format_option, kctx

import_app = typer.Typer(
    name="import",
    help="Load CSV exports from another CRM: accounts, reps, touches (upsert by key).",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path,
    typer.Argument(
        help="The CSV file (UTF-8 with or without BOM, cp1252/Latin-1; , ; or tab).",
        show_default=False,
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        metavar="FIELD=COLUMN",
        help="FIELD=COLUMN: read FIELD from COLUMN (repeatable). Columns named like a field "
        "map by themselves (case-insensitive; spaces and underscores alike).",
        show_default=False,
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="FIELD=VALUE",
        help="FIELD=VALUE: the same value for every row (repeatable), e.g. --set country=SE.",
        show_default=False,
    ),
]
ValueMapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--value-map",
        metavar="FIELD:VALUE=NEW",
        help="FIELD:VALUE=NEW: replace a cell value before reading it (repeatable), e.g. "
        "--value-map kind:Won=visit or --value-map country:Holland=NL.",
        show_default=False,
    ),
]
ScaleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scale",
        metavar="FIELD=FACTOR",
        help="FIELD=FACTOR: multiply a numeric field, e.g. --scale revenue=1000000 when the "
        "file gives revenue in millions.",
        show_default=False,
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Check everything and show what would happen; write nothing."),
]
SkipBadOpt = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Import the good rows and list the bad ones (default: any bad row → nothing is written).",
    ),
]
DateFmtOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="strptime format for every date, e.g. %d/%m/%Y (default: detected per column).",
        show_default=False,
    ),
]
DecimalOpt = Annotated[
    str | None,
    typer.Option(
        "--decimal",
        help="Decimal separator of numbers: . or , (default: detected per column; ';'-separated "
        "files lean to ,).",
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding (default: detected: UTF-8, else cp1252).",
        show_default=False,
    ),
]
DelimiterOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="Column separator: , ; tab or | (default: detected).",
        show_default=False,
    ),
]


def _make_import(entity: str, key_help: str) -> Any:
    def command(
        ctx: typer.Context,
        file: FileArg,
        map_: MapOpt = None,
        set_: SetOpt = None,
        key: str | None = typer.Option(None, "--key", help=key_help, show_default=False),
        value_map: ValueMapOpt = None,
        scale: ScaleOpt = None,
        date_format: DateFmtOpt = None,
        decimal: DecimalOpt = None,
        encoding: EncodingOpt = None,
        delimiter: DelimiterOpt = None,
        dry_run: DryRunOpt = False,
        skip_bad: SkipBadOpt = False,
        fmt: str = format_option(("table", "json")),
    ) -> None:
        from khm.io.cells import parse_spec
        from khm.render.importing import ImportProgress, write_import_report
        from khm.services.importing import import_file

        spec = parse_spec(
            entity,
            maps=map_ or (),
            sets=set_ or (),
            key=key,
            value_maps=value_map or (),
            scales=scale or (),
            date_format=date_format,
            decimal=decimal,
        )
        k = kctx(ctx)
        # Accounts need nothing from the method file (kinds and capacity are for touches
        # and reps): skip reading and validating it.
        method = None if entity == "accounts" else k.method()
        progress = ImportProgress(f"Checking {entity}")
        try:
            report = import_file(
                k.store(create=True),
                method,
                spec,
                file,
                dry_run=dry_run,
                skip_bad=skip_bad,
                encoding=encoding,
                delimiter=delimiter,
                progress=progress,
            )
        finally:
            progress.stop()
        write_import_report(report, fmt)

    return command


_IMPORT_DOCS = {
    "accounts": (
        "Import accounts: upsert by key. Fields: key, name, country, product_lines, revenue, "
        "employees, owner, lifecycle_stage, archived, custom.NAME (a numeric field). "
        'Example: khm import accounts crm.csv --map key=id --map revenue="Revenue (SEK)" '
        "--set country=SE",
        "Field that gives the account key: key (default) or name (key = name when the file "
        "has no id column).",
    ),
    "reps": (
        "Import reps: upsert by handle. Fields: handle, name, email, role (expand|keep|any), "
        "capacity, active. Without a handle column the handle is made from the name "
        '("Anna Snelling" → anna.snelling).',
        "Field that gives the handle: handle (default), name or email (normalised to a handle).",
    ),
    "touches": (
        "Import touches: appended, and a touch already there (same account, kind, date, rep "
        "and note) is skipped, so importing a file twice changes nothing. Fields: account "
        "(key or name), date, kind (an activity kind of the method), rep (handle or name), "
        "note, source.",
        "Not used for touches.",
    ),
}

for _entity, (_doc, _key_help) in _IMPORT_DOCS.items():
    _cmd = _make_import(_entity, _key_help)
    _cmd.__doc__ = _doc
    import_app.command(_entity, help=_doc)(_cmd)


def register(app: typer.Typer) -> None:
    """Adds ``khm import ...`` (and its list / undo, :mod:`khm.cli.batches`) to the root app."""
    from khm.cli import batches

    batches.register(import_app)
    app.add_typer(import_app, name="import")
