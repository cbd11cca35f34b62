"""``khm nps ACCOUNT SCORE``: record one NPS response. Thin: parse, call
:mod:`khm.services.nps`, render with :mod:`khm.render.nps`. (``khm import nps`` is in
:mod:`khm.cli.io`, ``khm report nps`` in :mod:`khm.cli.report`.)"""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, parse_date, resolve_today

HELP = (
    "Record an NPS response (0-10) of an account. Promoters answer 9-10, passives 7-8, "
    "detractors 0-6. The account's nps field becomes its latest score; a detractor puts a "
    "follow-up on the owner's weekly list when the method has a detractor trigger."
)


def nps(
    ctx: typer.Context,
    account: Annotated[
        str, typer.Argument(metavar="ACCOUNT", help="The account's key.", show_default=False)
    ],
    score: Annotated[
        str, typer.Argument(metavar="SCORE", help="The answer, 0-10.", show_default=False)
    ],
    on: Annotated[
        str | None,
        typer.Option(
            "--date", help="When it was answered (YYYY-MM-DD, default today).", show_default=False
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option("--contact", metavar="NAME", help="Who answered.", show_default=False),
    ] = None,
    comment: Annotated[
        str | None,
        typer.Option("--comment", metavar="TEXT", help="What they said.", show_default=False),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    from khm.render.nps import response_recorded
    from khm.services.nps import record_response

    day = resolve_today(today)
    res = record_response(
        kctx(ctx).store(),
        account,
        score,
        today=day,
        on=parse_date(on, "--date", day) if on is not None else None,
        contact=contact,
        comment=comment,
    )
    response_recorded(res, fmt)


nps.__doc__ = HELP


def register(app: typer.Typer) -> None:
    """Adds ``khm nps`` to the root app."""
    app.command("nps", help=HELP)(nps)
