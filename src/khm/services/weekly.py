"""``khm weekly``: read what the planner needs from the store and plan the week.

Read-only: one connection, a few set queries (:mod:`khm.store.planning`), then the pure
planner (:func:`khm.core.planner.plan_week`). Returns the typed :class:`WeeklyPlan`;
:mod:`khm.render.weekly` turns it into output. Other commands (the demo, reports) call
:func:`build_weekly` too.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from khm.core.account_week import AccountWeek
from khm.core.period import WEEK, monday_of, week_monday
from khm.core.planner import PlanItem, PlanRep, RepPlan, UnassignedAccount, WeeklyPlan, plan_week
from khm.errors import ConflictError, NotFoundError, UsageError
from khm.method import AnniversaryTrigger, ThresholdTrigger
from khm.services.holidays import HolidayCache

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.engine import Connection

    from khm.method import Method
    from khm.store.db import Store

T = TypeVar("T")

__all__ = [
    "AccountWeek",
    "PlanItem",
    "RepPlan",
    "UnassignedAccount",
    "WeeklyPlan",
    "account_week",
    "active_rep",
    "build_weekly",
    "monday_of",
    "parse_iso_week",
]


def parse_iso_week(value: str) -> date:
    """``2026-W48`` (or ``2026W48``) -> that ISO week's Monday."""
    m = WEEK.match(value or "")
    if not m:
        raise UsageError(f"--week: {value!r} is not an ISO week (use e.g. 2026-W48)")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        return week_monday(year, week)
    except ValueError:
        raise UsageError(f"--week: {value!r}: year {year} has no week {week}") from None


def _find_rep(reps: list[PlanRep], handle: str) -> PlanRep:
    for r in reps:
        if r.handle == handle:
            return r
    folded = [r for r in reps if r.handle.casefold() == handle.casefold()]
    if len(folded) == 1:
        return folded[0]
    known = ", ".join(r.handle for r in reps[:20]) or "none yet: add one with 'khm rep add'"
    raise NotFoundError(f"--rep: no rep with handle {handle!r} (known: {known})")


def active_rep(reps: list[PlanRep], handle: str) -> PlanRep:
    """The rep ``--rep`` names among ``reps``: unknown, NotFoundError; inactive (gets no
    list), ConflictError."""
    found = _find_rep(reps, handle)
    if not found.active:
        raise ConflictError(
            f"--rep: rep {found.handle!r} is inactive and gets no weekly list "
            f"(reactivate them with 'khm rep edit {found.handle} --active', "
            "or move their accounts with 'khm assign')"
        )
    return found


class _InBackground(Generic[T]):
    """``fn()`` running in a daemon thread; :meth:`result` waits for it and returns its
    value, or raises what it raised."""

    def __init__(self, fn: Callable[[], T]) -> None:
        import threading

        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="khm-weekly-touches", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def _with_absences(
    conn: Connection, reps: list[PlanRep], monday: date, sunday: date
) -> list[PlanRep]:
    """The reps with the week's away days (closed days for their human work)."""
    from dataclasses import replace

    from khm.core.absence import away_days
    from khm.store.absences import absences_between

    away = absences_between(conn, monday, sunday)
    return [
        replace(r, away=away_days(away[r.handle], monday, sunday)) if r.handle in away else r
        for r in reps
    ]


def _can_query_in_background(store: Store) -> bool:
    """A second connection sees the same data: a database file or a server, not an
    in-memory SQLite database (each connection to ``sqlite://`` is a new, empty one)."""
    from khm.store.db import sqlite_path

    return store.dialect != "sqlite" or sqlite_path(store.url) is not None


def build_weekly(
    store: Store,
    method: Method,
    *,
    today: date,
    week: str | None = None,
    rep: str | None = None,
    background: bool | None = None,
) -> WeeklyPlan:
    """Plan ``week`` ("2026-W48"; None = the week of ``today``) for every active rep, or
    for ``rep`` only. Unknown rep: NotFoundError; inactive rep: ConflictError; a bad week:
    UsageError. ``background`` runs the all-reps touch query in a thread (default: when
    the database allows it; the plan is the same either way)."""
    return _build_weekly(store, method, today=today, week=week, rep=rep, background=background)


def _build_weekly(
    store: Store,
    method: Method,
    *,
    today: date,
    week: str | None,
    rep: str | None,
    background: bool | None,
) -> WeeklyPlan:
    from khm.store import planning

    monday = parse_iso_week(week) if week is not None else monday_of(today)
    sunday = monday + timedelta(days=6)
    needs_metrics = any(t.kind == "threshold" for t in method.triggers)
    # threshold triggers read the numeric field history from their longest window on
    watched = {t.metric: t.within_days for t in method.triggers if isinstance(t, ThresholdTrigger)}
    needs_start = any(isinstance(t, AnniversaryTrigger) for t in method.triggers)
    tag_days = max(
        (t.within_days for t in method.triggers if t.kind == "tag_change"),
        default=0,
    )
    holidays = HolidayCache.default()
    # All reps: the touch query (a GROUP BY over every touch, a fifth of the run) starts
    # on its own connection in a thread and runs inside SQLite, without the GIL, while
    # this thread reads the reps and accounts. Each query reads committed data on its
    # own, exactly as when both run on one connection (no snapshot spans them either).
    touches_job: _InBackground[dict[int, dict[str, date]]] | None = None
    if rep is None and (background if background is not None else _can_query_in_background(store)):

        def query_touches() -> dict[int, dict[str, date]]:
            with store.engine.connect() as conn:
                return planning.last_touches_by_id(conn, until=sunday, in_one_step=True)

        touches_job = _InBackground(query_touches)
    with store.engine.connect() as conn:
        reps = planning.load_reps(conn)
        owner: str | None = None
        if rep is not None:
            found = active_rep(reps, rep)
            owner = found.handle
            reps = [found]
        reps = _with_absences(conn, reps, monday, sunday)
        accounts, id_key = planning.load_accounts(conn, owner=owner, with_metrics=needs_metrics)
        if any(t.kind == "detractor" for t in method.triggers):
            _with_detractors(conn, accounts, id_key, sunday)
        if touches_job is None:
            touches = planning.last_touches(conn, id_key, until=sunday, owner=owner)
        events = (
            planning.tag_events(
                conn, id_key, since=sunday - timedelta(days=tag_days), until=sunday, owner=owner
            )
            if tag_days
            else {}
        )
        if watched:
            since = sunday - timedelta(days=max(watched.values()) - 1)
            changes = planning.field_changes(
                conn, id_key, fields=sorted(watched), since=since, owner=owner
            )
            for acc in accounts:
                acc.field_changes = changes.get(acc.key, ())
        if needs_start:
            starts = planning.customer_starts(conn, id_key, owner=owner)
            for acc in accounts:
                got = starts.get(acc.key)
                if got is not None:
                    acc.customer_start, acc.customer_start_from = got
    if touches_job is not None:
        touches = planning.by_account_key(touches_job.result(), id_key)
    plan = plan_week(
        accounts=accounts,
        last_touches=touches,
        tag_events=events,
        reps=reps,
        method=method,
        monday=monday,
        today=today,
        holiday_dates=holidays,
    )
    holidays.save()
    return plan


def _with_detractors(conn: Any, accounts: Any, id_key: dict[int, str], sunday: date) -> None:
    """Each account's detractor NPS responses up to ``sunday`` (the detractor trigger)."""
    from khm.store.nps import detractors_until

    found = detractors_until(conn, sunday)
    if not found:
        return
    by_key = {id_key[aid]: rs for aid, rs in found.items() if aid in id_key}
    for acc in accounts:
        rs = by_key.get(acc.key)
        if rs:
            acc.detractors = tuple(rs)


def account_week(
    store: Store,
    method: Method,
    *,
    key: str,
    today: date,
    week: str | None = None,
    rep: str | None = None,
) -> AccountWeek:
    """The account ``key`` in the week's plan of ``rep`` (default: its owner's). An
    unknown key: NotFoundError."""
    from khm.store.tagging import find_account

    with store.engine.connect() as conn:
        row = find_account(conn, key)
    if row is None:
        raise NotFoundError(f"--account: account {key!r} not found (see 'khm account list')")
    who = rep or row.owner
    try:
        plan = build_weekly(store, method, today=today, week=week, rep=who)
    except (ConflictError, NotFoundError):
        if rep is not None:
            raise
        who = None  # an owner that is not an active rep: the plan says why
        plan = build_weekly(store, method, today=today, week=week)
    found = {
        "key": row.key,
        "name": row.name,
        "type": row.type,
        "category": row.category,
        "owner": row.owner,
        "rep": plan.reps[0].handle if who is not None and plan.reps else None,
        "plan": plan,
    }
    if row.archived:
        return AccountWeek(**found, problem="archived (not planned)")
    for u in plan.unassigned:
        if u.key == row.key:
            return AccountWeek(**found, problem=u.problem)

    def mine(items: tuple[PlanItem, ...]) -> tuple[PlanItem, ...]:
        return tuple(i for i in items if i.account == row.key)

    reps = plan.reps  # one rep's, or every rep's (the account is on its owner's list only)
    return AccountWeek(
        **found,
        listed=tuple(i for r in reps for i in mine(r.items)),
        carried=tuple(i for r in reps for i in mine(r.carried)),
        paused=tuple(i for r in reps for i in mine(r.paused)),
    )
