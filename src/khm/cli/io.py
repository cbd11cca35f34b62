"""``khm import accounts|reps|touches|deals|nps FILE`` (``khm export`` is in :mod:`khm.cli.export`).

Thin: parse the options, call :mod:`khm.services.importing`, render. See docs/import.md for the whole story (mapping, sniffing, the public sample).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from khm.cli.common import TodayOption, format_option, kctx
from khm.cli.import_options import (
    AllowFutureOpt,
    DateFmtOpt,
    DecimalOpt,
    DelimiterOpt,
    DryRunOpt,
    EncodingOpt,
    FileArg,
    MapOpt,
    NoNullsOpt,
    NullOpt,
    ScaleOpt,
    SetOpt,
    SkipBadOpt,
    StrictCountriesOpt,
    ValueMapOpt,
)

import_app = typer.Typer(
    name="import",
    help="Load CSV exports from another CRM: accounts, reps, touches, deals, NPS responses.",
    no_args_is_help=True,
)


def run_import(store: Any, method: Any, spec: Any, file: Path, fmt: str, **opts: Any) -> None:
    """Every ``khm import KIND``: read and write with a progress bar, then the report."""
    from khm.render.importing import ImportProgress, write_import_report
    from khm.services.importing import import_file

    progress = ImportProgress(f"Checking {spec.entity}")
    try:
        report = import_file(store, method, spec, file, progress=progress, **opts)
    finally:
        progress.stop()
    write_import_report(report, fmt)


def _latest(entity: str, allow_future: bool, today: Any) -> Any:
    """The last day a date may be: today for touches (unless --allow-future) and NPS
    answers; None for the rest."""
    if entity == "nps" or (entity == "touches" and not allow_future):
        return today
    return None


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
        null: NullOpt = None,
        no_default_nulls: NoNullsOpt = False,
        strict_countries: StrictCountriesOpt = False,
        allow_future: AllowFutureOpt = False,
        today: TodayOption = None,
        fmt: str = format_option(("table", "json")),
    ) -> None:
        from khm.cli.common import resolve_today
        from khm.errors import UsageError
        from khm.io.cells import parse_spec

        spec = parse_spec(
            entity,
            maps=map_ or (),
            sets=set_ or (),
            key=key,
            value_maps=value_map or (),
            scales=scale or (),
            date_format=date_format,
            decimal=decimal,
            nulls=null or (),
            default_nulls=not no_default_nulls,
            strict_countries=strict_countries,
            latest=_latest(entity, allow_future, resolve_today(today)),
        )
        if allow_future and entity != "touches":
            raise UsageError("--allow-future: only touches have dates to allow")
        k = kctx(ctx)
        k.record_method = not dry_run  # a dry run writes nothing, not even that
        # the method, read when the file needs it: activity kinds (touches), capacity
        # (reps), the lifecycle stages and their words (accounts' lifecycle_stage, deals)
        run_import(
            k.store(create=True), k.method, spec, file, fmt,
            dry_run=dry_run, skip_bad=skip_bad, encoding=encoding, delimiter=delimiter,
            today=resolve_today(today),
        )  # fmt: skip

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
    "nps": (
        "Import NPS responses: appended, and a response already there (same account, date, "
        "score, contact and comment) is skipped. Fields: account (key or name), score "
        "(0-10), date (not in the future), contact, comment, source. Each account's nps "
        "field becomes its latest score.",
        "Not used for NPS responses.",
    ),
}

for _entity, (_doc, _key_help) in _IMPORT_DOCS.items():
    _cmd = _make_import(_entity, _key_help)
    _cmd.__doc__ = _doc
    import_app.command(_entity, help=_doc)(_cmd)


def _add_deals() -> None:
    from khm.cli.import_deals import DOC, import_deals  # deals: --won / --lost besides

    import_app.command("deals", help=DOC)(import_deals)


_add_deals()


def register(app: typer.Typer) -> None:
    """Adds ``khm import ...`` (and its list / undo, :mod:`khm.cli.batches`) to the root app."""
    from khm.cli import batches

    batches.register(import_app)
    app.add_typer(import_app, name="import")
