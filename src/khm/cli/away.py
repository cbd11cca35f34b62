"""``khm rep away``: record or clear a rep's absence.

Thin: parse options, call :mod:`khm.services.absence`, hand the result to
:mod:`khm.render.absence`. Registered on the ``rep`` group by :mod:`khm.cli.reps`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, parse_date, resolve_today
from khm.errors import UsageError


def rep_away(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The rep's handle.", metavar="REP")],
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First day away (YYYY-MM-DD). With --clear: clear only the absence "
            "holding this day.",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last day away (default: --from).", show_default=False),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (holiday, course, ...).", show_default=False)
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Clear the rep's absences (all, or the --from one).")
    ] = False,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Record that a rep is away from a day to a day (both included), or clear it.

    Away weekdays are closed days for the rep's human work: a week's capacity shrinks in
    proportion (capacity x open days / 5) and a week fully away lists no human items;
    they are carried to the week the rep is back. Digital items are still listed.
    Absences of one rep may not overlap (clear the old one first)."""
    from khm.render.absence import away_result
    from khm.services.absence import clear_away, set_away

    day = resolve_today(today)
    if clear:
        if end is not None or reason is not None:
            raise UsageError("--clear: give only --from (or nothing), not --to or --reason")
        on = parse_date(start, "--from", day) if start is not None else None
        res = clear_away(kctx(ctx).store(), handle, on=on, today=day)
    else:
        if start is None:
            raise UsageError("--from: the first day away is required (or use --clear)")
        first = parse_date(start, "--from", day)
        last = parse_date(end, "--to", day) if end is not None else first
        res = set_away(kctx(ctx).store(), handle, start=first, end=last, reason=reason, today=day)
    away_result(res, fmt)


def register(rep_app: typer.Typer) -> None:
    """Adds ``khm rep away`` to the ``rep`` group."""
    rep_app.command("away")(rep_away)
