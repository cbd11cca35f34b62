"""``khm log`` and ``khm touch``: record a contact with an account, list and delete touches.

Thin: parse options, call one function of :mod:`khm.services.records`, render the result.
Logging a touch prints when that activity (and the kinds it covers) is due next.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, parse_date, resolve_today

if TYPE_CHECKING:
    from khm.services.records import LoggedTouch

touch_app = typer.Typer(help="Logged touches: list and delete.", no_args_is_help=True)


def _date(value: str | None, what: str, today: date) -> date | None:
    """An ISO date or today / yesterday / tomorrow, relative to ``--today``."""
    return None if value is None else parse_date(value, what, today)


def _touch_columns() -> list[Any]:
    from khm.render import Column

    return [
        Column("id", justify="right"),
        Column("date"),
        Column("account"),
        Column("account_name", "account name"),
        Column("kind"),
        Column("rep"),
        Column("note"),
        Column("source"),
    ]


def _print_logged(res: LoggedTouch, today: date) -> None:
    from rich.markup import escape

    from khm.render import get_console

    t, a = res.touch, res.account
    c = get_console()
    who = f" by {escape(t.rep)}" if t.rep else " (no rep)"
    c.print(
        f"Logged {escape(t.kind)} #{t.id} on {t.date.isoformat()} with "
        f"{escape(a.key)} ({escape(a.name)}){who}"
    )
    if t.note:
        c.print(f"  note: {escape(t.note)}")
    if res.same_day:
        ids = ", ".join(f"#{i}" for i in res.same_day)
        c.print(
            f"Note: {escape(t.kind)} was already logged for this account on that date ({ids}); "
            "remove a double with 'khm touch delete ID'"
        )
    if a.type is None or a.category is None:
        c.print("Next due: not tagged yet (run khm tag)")
        return
    if not res.in_cadence:
        c.print(f"Note: {escape(t.kind)} is not in the cadence of {a.type} {a.category}")
    for d in res.next_due:
        status = "" if d.status == "ok" else f" ({d.status_text} on {today.isoformat()})"
        c.print(f"Next {escape(d.kind)} due {d.due.isoformat()} (cadence {d.interval}){status}")


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
    fmt: str = format_option(),
) -> None:
    """List touches, newest first."""
    from khm.render import emit_rows
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
    rows = [r.as_dict() for r in recs]
    emit_rows(rows, _touch_columns(), fmt, kind="touches", json_rows=rows)


@touch_app.command("delete")
def touch_delete(
    ctx: typer.Context,
    touch_id: Annotated[int, typer.Argument(metavar="ID", help="The touch's id (khm touch list).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Delete a logged touch (the activity's due date moves back)."""
    from rich.markup import escape

    from khm.render import get_console
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
    rec = delete_touch(store, touch_id)
    if fmt == "json":
        from khm.render import envelope, json_dumps

        typer.echo(json_dumps(envelope("touch_deleted", touch=rec.as_dict())))
        return
    get_console().print(
        f"Deleted {escape(rec.kind)} #{rec.id} on {rec.date.isoformat()} with "
        f"{escape(rec.account)} ({escape(rec.account_name)})"
    )


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
    if fmt == "json":
        from khm.render import envelope, json_dumps

        typer.echo(json_dumps(envelope("touch_logged", today=day, **res.as_dict())))
        return
    _print_logged(res, day)


def register(app: typer.Typer) -> None:
    """Adds ``khm log`` and ``khm touch`` to the root app."""
    app.command("log")(log)
    app.add_typer(touch_app, name="touch")
