"""``khm log`` and ``khm touch``: record a contact with an account, list and delete touches.

Thin: parse options, call one function of :mod:`khm.services.records`, hand the result to
:mod:`khm.render.records`.
Logging a touch prints when that activity (and the kinds it covers) is due next.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from khm.cli.common import LIST_FORMATS, TodayOption, format_option, kctx, parse_date, resolve_today

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
    )
    touch_list(recs, fmt)


@touch_app.command("delete")
def touch_delete(
    ctx: typer.Context,
    touch_id: Annotated[int, typer.Argument(metavar="ID", help="The touch's id (khm touch list).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Delete a logged touch (the activity's due date moves back)."""
    from khm.render.records import touch_deleted
    from khm.services.records import delete_touch, get_touch

    store = kctx(ctx).store()
    if not yes:
        t = get_touch(store, touch_id)
        question = (
            f"Delete {t.kind} #{t.id} on {t.date.isoformat()} with {t.account} ({t.account_name})?"
        )
        if not typer.confirm(question, default=False, err=True):
            typer.echo("Nothing deleted.", err=True)
            raise typer.Exit(1)
    touch_deleted(delete_touch(store, touch_id), fmt)


def log(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's key.")],
    kind: Annotated[str, typer.Argument(help="Activity kind of the method (visit, call, ...).")],
    on: Annotated[
        str | None,
        typer.Option(
            "--date", help="When it happened (YYYY-MM-DD, default today).", show_default=False
        ),
    ] = None,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", help="Who did it (default: the account's owner).", show_default=False
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="What was said or agreed.", show_default=False)
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Record a touch with an account; prints when that activity is due next."""
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
