"""``khm import deals FILE``: the import options of :mod:`khm.cli.io`, plus ``--won`` /
``--lost``. Thin: parse, call :mod:`khm.services.importing`, render."""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today
from khm.cli.import_options import (
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
    ValueMapOpt,
)

DOC = (
    "Import deals (CRM opportunities): upsert by key. Fields: key, account (key or exact "
    "name), stage, value, product, owner (rep handle or name), created, closed. A stage "
    "won / closed won / lost / closed lost (any case; --won and --lost add words) closes "
    "the deal, any other stage is open. Each account's deals_open, open_pipeline, "
    "deals_won, won_value and won_12m fields and its won products are updated."
)


def import_deals(
    ctx: typer.Context,
    file: FileArg,
    map_: MapOpt = None,
    set_: SetOpt = None,
    won: Annotated[
        list[str] | None,
        typer.Option(
            "--won",
            metavar="WORD",
            help="A stage that means won, besides won and closed won (repeatable).",
            show_default=False,
        ),
    ] = None,
    lost: Annotated[
        list[str] | None,
        typer.Option(
            "--lost",
            metavar="WORD",
            help="A stage that means lost, besides lost and closed lost (repeatable).",
            show_default=False,
        ),
    ] = None,
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
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    from khm.cli.io import run_import
    from khm.io.cells import parse_spec

    spec = parse_spec(
        "deals",
        maps=map_ or (),
        sets=set_ or (),
        value_maps=value_map or (),
        scales=scale or (),
        date_format=date_format,
        decimal=decimal,
        nulls=null or (),
        default_nulls=not no_default_nulls,
        won=won or (),
        lost=lost or (),
    )
    k = kctx(ctx)  # the method: the stages the deals move accounts to ([lifecycle.deals])
    k.record_method = not dry_run  # a dry run writes nothing, not even that
    run_import(
        k.store(create=True), k.method(), spec, file, fmt,
        dry_run=dry_run, skip_bad=skip_bad, encoding=encoding, delimiter=delimiter,
        today=resolve_today(today),
    )  # fmt: skip


import_deals.__doc__ = DOC
