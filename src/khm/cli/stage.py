"""``khm stage ACCOUNT STAGE``: record an account's lifecycle stage change with its date.

Thin: parse the arguments, call :func:`khm.services.stage.record_stage`, hand the result
to :mod:`khm.render.stage`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, parse_date, resolve_today

EXIT_CODES_HELP = (
    "Exit codes: 0 recorded (or already in that stage); 2 unknown STAGE, bad or future "
    "--date; 4 invalid method file; 5 no such account; 6 database cannot be opened; "
    "7 --date before the account's latest stage change."
)


def register(app: typer.Typer) -> None:
    app.command(
        "stage",
        help=(
            "Record a lifecycle stage change: the account is in STAGE from --date on. STAGE "
            "is a stage of the method ([lifecycle] stages: reach, acquisition, conversion, "
            "retention, loyalty by default) or a word of its [lifecycle.map], any case. "
            "The history shows in 'khm account show'; 'khm report funnel' counts it."
        ),
        epilog=EXIT_CODES_HELP,
    )(stage)


def stage(
    ctx: typer.Context,
    account: Annotated[
        str, typer.Argument(metavar="ACCOUNT", help="The account's key.", show_default=False)
    ],
    stage_name: Annotated[
        str,
        typer.Argument(
            metavar="STAGE", help="A stage of the method, or a word of its map.", show_default=False
        ),
    ],
    on: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="From when (YYYY-MM-DD, default today): not in the future, not before the "
            "account's latest stage change.",
            show_default=False,
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Why, in a few words.", show_default=False)
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    from khm.render.stage import stage_recorded
    from khm.services.stage import record_stage

    day = resolve_today(today)
    when = parse_date(on, "--date", day) if on is not None else None
    c = kctx(ctx)
    res = record_stage(c.store(), c.method(), account, stage_name, on=when, today=day, note=note)
    stage_recorded(res, fmt)
