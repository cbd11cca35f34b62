"""``khm simulate``: load the book once (read-only) and run the method forward.

A few set queries (:mod:`khm.store.planning`, the ones the weekly list uses), then the
pure simulation (:func:`khm.core.simulate.simulate`), which plans every week with the
weekly planner on an in-memory copy. Nothing is written to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from khm.core.simulate import SimulationResult, simulate
from khm.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from khm.core.planner import PlanAccount, PlanRep
    from khm.core.triggers import TagEvent
    from khm.method import Method
    from khm.store.db import Store

#: the longest run (ten years of weeks)
MAX_WEEKS = 520
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Book:
    """What the simulation reads from the store, once: the planner's inputs at the start
    (touches dated before it), the reps with every day away in the window."""

    accounts: Sequence[PlanAccount]
    last_touches: Mapping[str, Mapping[str, date]]
    tag_events: Mapping[str, Sequence[TagEvent]]
    reps: Sequence[PlanRep]


def first_monday(today: date, start: date | None) -> date:
    """``--start`` (a Monday), else the first Monday after ``today``."""
    if start is None:
        return today + timedelta(days=7 - today.weekday())
    if start.weekday() != 0:
        monday = start - timedelta(days=start.weekday())
        raise UsageError(
            f"--start: {start.isoformat()} is a {_DAY_NAMES[start.weekday()]}; the simulation "
            f"starts on a Monday (e.g. {monday.isoformat()} or "
            f"{(monday + timedelta(days=7)).isoformat()})"
        )
    return start


def check_options(weeks: int, percent: float) -> None:
    if not 1 <= weeks <= MAX_WEEKS:
        raise UsageError(f"--weeks: {weeks} is not within 1..{MAX_WEEKS}")
    if not 0 <= percent <= 100:
        raise UsageError(f"--percent: {percent:g} is not within 0..100")


def load_book(
    store: Store, method: Method, *, start: date, weeks: int, rep: str | None = None
) -> Book:
    """The book at ``start`` (one rep's accounts with ``rep``): unknown rep NotFoundError,
    inactive ConflictError (as ``khm weekly --rep``)."""
    from khm.core.absence import away_days
    from khm.services.weekly import active_rep
    from khm.store import planning
    from khm.store.absences import absences_between

    end = start + timedelta(weeks=weeks, days=-1)
    tag_days = max((t.within_days for t in method.triggers if t.kind == "tag_change"), default=0)
    with store.engine.connect() as conn:
        reps = planning.load_reps(conn)
        owner = None
        if rep is not None:
            reps = [active_rep(reps, rep)]
            owner = reps[0].handle
        away = absences_between(conn, start, end, [r.handle for r in reps])
        reps = [
            replace(r, away=away_days(away[r.handle], start, end)) if r.handle in away else r
            for r in reps
        ]
        accounts, id_key = planning.load_accounts(
            conn, owner=owner, with_metrics=any(t.kind == "threshold" for t in method.triggers)
        )
        touches = planning.last_touches(conn, id_key, until=start - timedelta(days=1), owner=owner)
        events = (
            planning.tag_events(
                conn, id_key, since=start - timedelta(days=tag_days), until=end, owner=owner
            )
            if tag_days
            else {}
        )
    return Book(accounts=accounts, last_touches=touches, tag_events=events, reps=reps)


def run_simulation(
    store: Store,
    method: Method,
    *,
    today: date,
    start: date | None = None,
    weeks: int = 52,
    percent: float = 100.0,
    seed: int = 0,
    rep: str | None = None,
) -> SimulationResult:
    """``khm simulate``: options checked before any work, the book read once, then
    :func:`khm.core.simulate.simulate`."""
    from khm.services.holidays import HolidayCache

    check_options(weeks, percent)
    monday = first_monday(today, start)
    book = load_book(store, method, start=monday, weeks=weeks, rep=rep)
    holidays = HolidayCache.default()
    result = simulate(
        accounts=book.accounts,
        last_touches=book.last_touches,
        tag_events=book.tag_events,
        reps=book.reps,
        method=method,
        start=monday,
        weeks=weeks,
        today=today,
        percent=percent,
        seed=seed,
        rep=book.reps[0].handle if rep is not None else None,
        holiday_dates=holidays,
    )
    holidays.save()
    return result
