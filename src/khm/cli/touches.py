"""``khm log`` and ``khm touch``: record a contact with an account, list and delete touches.

Thin: parse options, call one function of :mod:`khm.services.records`, hand the result to
:mod:`khm.render.records`.
Logging a touch prints when that activity (and the kinds it covers) is due next.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from khm.cli.common import (
    LIST_FORMATS,
    TodayOption,
    confirm,
    format_option,
    kctx,
    parse_date,
    resolve_today,
)
from khm.errors import UsageError

touch_app = typer.Typer(help="Logged touches: list and delete.", no_args_is_help=True)


def _date(value: str | None, what: str, today: date) -> date | None:
    """An ISO date or today / yesterday / tomorrow, relative to ``--today``."""
    return None if value is None else parse_date(value, what, today)


@touch_app.command("list")
def touch_list(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", help="Account key.", show_default=False)
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Rep handle.", show_default=False)
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Activity kind.", show_default=False)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).", show_default=False)
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Up to and including this date.", show_default=False),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most this many.", show_default=False)
    ] = None,
    campaign: Annotated[
        int | None,
        typer.Option(
            "--campaign", help="Only the touches of this campaign (its id).", show_default=False
        ),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(LIST_FORMATS),
) -> None:
    """List touches, newest first."""
    from khm.render.records import touch_list
    from khm.services.records import list_touches

    day = resolve_today(today)
    recs = list_touches(
        kctx(ctx).store(),
        account=account,
        rep=rep,
        kind=kind,
        since=_date(since, "--since", day),
        until=_date(until, "--until", day),
        limit=limit,
        campaign=campaign,
    )
    touch_list(recs, fmt)


@touch_app.command("delete")
def touch_delete(
    ctx: typer.Context,
    touch_id: Annotated[
        int | None,
        typer.Argument(metavar="ID", help="The touch's id (khm touch list).", show_default=False),
    ] = None,
    campaign: Annotated[
        int | None,
        typer.Option(
            "--campaign", help="Delete every touch of this campaign instead.", show_default=False
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Delete a logged touch, or a whole campaign (the activity's due date moves back)."""
    from khm.render.records import touch_deleted
    from khm.services.records import delete_touch, get_touch

    if (touch_id is None) == (campaign is None):
        raise UsageError("touch delete: give a touch ID or --campaign ID (one of them)")
    if campaign is not None:
        from khm.cli.campaign import delete_campaign

        delete_campaign(ctx, campaign, yes=yes, fmt=fmt)
        return
    assert touch_id is not None
    store = kctx(ctx).store()
    if not yes:
        t = get_touch(store, touch_id)
        question = (
            f"Delete {t.kind} #{t.id} on {t.date.isoformat()} with {t.account} ({t.account_name})?"
        )
        if not confirm(question, "touch delete"):
            typer.echo("Nothing deleted.", err=True)
            raise typer.Exit(1)
    touch_deleted(delete_touch(store, touch_id), fmt)


def log(
    ctx: typer.Context,
    account: Annotated[
        str | None,
        typer.Argument(metavar="ACCOUNT", help="The account's key.", show_default=False),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Argument(
            metavar="KIND",
            help="Activity kind of the method (visit, call, ...).",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--date", help="When it happened (YYYY-MM-DD, default today).", show_default=False
        ),
    ] = None,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep",
            help="Who did it (default: the account's owner); with --campaign: only this "
            "rep's accounts.",
            show_default=False,
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="What was said or agreed.", show_default=False)
    ] = None,
    campaign: Annotated[
        str | None,
        typer.Option(
            "--campaign",
            metavar="KIND",
            help="Log this digital activity for many accounts at once (with --due and/or "
            "--segment); prints the campaign id.",
            show_default=False,
        ),
    ] = None,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="With --campaign: every account where KIND is due this week or earlier."
        ),
    ] = False,
    segment: Annotated[
        str | None,
        typer.Option(
            "--segment",
            metavar="TYPE/CAT",
            help="With --campaign: the accounts of a type/category (keep/B; * for any).",
            show_default=False,
        ),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", help="With --campaign: only accounts in this country.", show_default=False
        ),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Record a touch with an account; prints when that activity is due next.

    With --campaign KIND: a digital activity for many accounts at once,
    e.g. khm log --campaign newsletter --due; prints the count and a campaign id.
    """
    from khm.cli import campaign as cmp

    if campaign is not None:
        opts = {"due": due, "segment": segment, "country": country, "rep": rep}
        cmp.log_campaign(
            ctx, campaign, args=(account, kind), **opts, on=on, note=note, today=today, fmt=fmt
        )
        return
    cmp.check_single(due, segment, country)
    if account is None or kind is None:
        raise UsageError("log: give ACCOUNT and KIND (or --campaign KIND for many accounts)")
    from khm.render.records import touch_logged
    from khm.services.records import log_touch

    k = kctx(ctx)
    day = resolve_today(today)
    res = log_touch(
        k.store(),
        account,
        kind,
        method=k.method(),
        today=day,
        on=_date(on, "--date", day),
        rep=rep,
        note=note,
    )
    touch_logged(res, day, fmt)


def register(app: typer.Typer) -> None:
    """Adds ``khm log`` and ``khm touch`` to the root app."""
    app.command("log")(log)
    app.add_typer(touch_app, name="touch")
