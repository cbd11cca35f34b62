"""When each activity of an account's cadence is due. Pure.

The rules (PRODUCT.md, "The weekly list, precisely"):

* An activity kind is due ``interval`` after the last touch of that kind, or of any kind
  that ``covers`` it (a visit also counts as a call), whoever made it.
* A kind never touched on the account is first due at a point spread evenly over one
  interval from the account's anchor date (when it got its type and category), at an
  offset that depends only on (account key, kind). A freshly imported book therefore does
  not start with everything overdue, and the spread is the same every run.
* It is overdue once more than the grace period has passed since the due date:
  grace = max(fraction x interval, minimum), rounded to whole days.
* **Skipped.** Human work (the work that waits for a rep's capacity) that has waited
  more than one interval is not carried week after week: it is dropped for this cycle
  and planned again one interval on. Work due on ``d`` may be done up to
  :func:`skip_after` ``(d)`` = one interval after ``d`` plus the days of the no-human
  periods in between (July does not eat the waiting time). Digital work takes no
  capacity and is listed every week until done: it is never skipped. A week whose Monday is later than that has dropped the cycle:
  the next one is due ``skip_after`` of that day (one interval on), and so on
  (:func:`replan`). The cycles follow from the due date and the week alone, so the
  planner and ``khm account show`` agree on any day, and nothing is stored.
* **Yielding work.** Under ``overload = "protect"``, the categories a rep's capacity
  cannot cover on average (:func:`khm.core.capacity.yielding`) wait ``wait`` days
  (:data:`khm.core.capacity.YIELD_WAIT_DAYS`, calendar days: the no-human periods do
  not stop that clock) instead of an interval; the next cycle is still one interval after
  the last day it could be done.

``khm account show`` and the demo call these functions. The weekly planner
(:mod:`khm.core.planner`) and the coverage replay (:mod:`khm.core.reports`) keep fast
paths for big books; property tests hold each of them to these functions
(tests/test_planner_props.py, tests/test_reports.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from khm.method import CalendarRules, Interval, Method, MonthDay, closed_before, stable_fraction


@dataclass(frozen=True)
class Due:
    """One activity kind of one account: when it was last done and when it is due next."""

    kind: str
    interval: Interval
    last_touch: date | None  # newest touch of this kind or a kind covering it
    due: date  # with ``monday`` given to :func:`due_for`: the due date of the current cycle
    grace_days: int
    #: the due date of a cycle dropped in the week before ``monday`` (skipped), else None
    skipped: date | None = None

    @property
    def first(self) -> bool:
        """True when the kind was never touched: ``due`` is the spread first date."""
        return self.last_touch is None

    @property
    def overdue_from(self) -> date:
        """The first day on which the activity counts as overdue."""
        return self.due + timedelta(days=self.grace_days + 1)

    def is_due_by(self, day: date) -> bool:
        return self.due <= day

    def is_overdue_on(self, day: date) -> bool:
        return day >= self.overdue_from

    def days_late(self, day: date) -> int:
        """Days past the due date on ``day`` (0 when not yet due)."""
        return max((day - self.due).days, 0)

    def lateness(self, day: date) -> float:
        """Days past due divided by the interval's length in days (the priority ratio)."""
        return self.days_late(day) / self.interval.days


@lru_cache(maxsize=8192)
def _span_days(anchor: date, interval: Interval) -> int:
    # a book shares a handful of anchors (import days), and Interval.add_to is slow
    return (interval.add_to(anchor) - anchor).days


def first_due(anchor: date, account_key: str, kind: str, interval: Interval) -> date:
    """The spread first due date of a never-touched kind: anchor + [0, interval)."""
    offset = math.floor(stable_fraction(account_key, kind) * _span_days(anchor, interval))
    return anchor + timedelta(days=offset)


def last_touch_for(kind: str, last_by_kind: Mapping[str, date], method: Method) -> date | None:
    """Newest touch that resets ``kind``: of the kind itself or of a kind covering it."""
    dates = [last_by_kind[k] for k in method.covering(kind) if k in last_by_kind]
    return max(dates) if dates else None


def closed_days(calendar: CalendarRules, start: date, end: date) -> int:
    """Days in ``[start, end)`` inside one of the method's no-human periods."""
    if end <= start or not calendar.no_human_periods:
        return 0
    return _closed_between(calendar.periods, start, end)


def _closed_between(periods: tuple[tuple[MonthDay, MonthDay], ...], start: date, end: date) -> int:
    n = 0
    for year in range(start.year, end.year + 1):
        table = closed_before(periods, year)
        lo = (start - date(year, 1, 1)).days if year == start.year else 0
        hi = (end - date(year, 1, 1)).days if year == end.year else len(table) - 1
        n += table[hi] - table[lo]
    return n


def skip_after(
    due: date, interval: Interval, calendar: CalendarRules, human: bool, wait: int | None = None
) -> date:
    """The last day on which work due on ``due`` has not yet waited more than one
    interval: one interval after ``due``, plus (for a human kind) the days of the
    no-human periods in between (those of the extension too). With ``wait`` (yielding
    work): ``wait`` days after ``due``, closed days included: a no-human period has no
    room for it, and the room after it goes to the categories that do not yield."""
    if wait is not None:
        return due + timedelta(days=wait)
    if not human or not calendar.no_human_periods:
        return interval.add_to(due)
    return _extended(due, interval, calendar.periods)


@lru_cache(maxsize=65536)
def _extended(
    due: date, interval: Interval, periods: tuple[tuple[MonthDay, MonthDay], ...]
) -> date:
    """One interval after ``due``, extended by the closed days it spans (a fixed point:
    the extension's own closed days count too). Cached: a book shares its due dates."""
    base = interval.add_to(due)
    end, closed = base, 0
    while True:
        more = _closed_between(periods, due, end)
        if more == closed:
            return end
        closed = more
        end = base + timedelta(days=closed)


def replan(
    due: date,
    interval: Interval,
    calendar: CalendarRules,
    human: bool,
    monday: date,
    wait: int | None = None,
) -> tuple[date, date | None]:
    """The cycle of work first due on ``due`` that the week of ``monday`` plans:
    ``(its due date, the due date of a cycle dropped in the week before or None)``.

    A cycle whose :func:`skip_after` day (with ``wait``: ``wait`` days after its due
    date) is before ``monday`` is dropped and the next is due :func:`skip_after` that
    day (one interval on). The Monday, not "today",
    decides, so a week's list does not change under the rep during the week. Digital
    work (``human`` false) is never dropped."""
    if not human:
        return due, None
    dropped: date | None = None
    week_before = monday - timedelta(days=7)
    while True:
        last_day = skip_after(due, interval, calendar, human, wait)
        if last_day >= monday:
            return due, dropped
        dropped = due if last_day >= week_before else None
        due = skip_after(last_day, interval, calendar, human)


def due_for(
    kind: str,
    interval: Interval,
    *,
    account_key: str,
    anchor: date,
    last_by_kind: Mapping[str, date],
    method: Method,
    monday: date | None = None,
    wait: int | None = None,
) -> Due:
    """When ``kind`` is due; with ``monday``, the cycle the week of ``monday`` plans
    (:func:`replan`: a cycle that waited more than one interval, or ``wait`` days for
    yielding work, is skipped)."""
    last = last_touch_for(kind, last_by_kind, method)
    due = (
        interval.add_to(last)
        if last is not None
        else first_due(anchor, account_key, kind, interval)
    )
    skipped = None
    if monday is not None:
        due, skipped = replan(due, interval, method.calendar, method.is_human(kind), monday, wait)
    return Due(kind, interval, last, due, method.grace.grace_days(interval), skipped)


def schedule(
    *,
    account_key: str,
    account_type: str | None,
    category: str | None,
    anchor: date,
    last_by_kind: Mapping[str, date],
    method: Method,
    monday: date | None = None,
    wait: int | None = None,
) -> list[Due]:
    """Every activity of the account's cadence with its next due date, in cadence order
    (with ``monday``: the cycles that week plans, :func:`replan`; ``wait``: the days
    yielding work waits, :func:`khm.core.capacity.yield_wait`)."""
    return [
        due_for(
            kind,
            interval,
            account_key=account_key,
            anchor=anchor,
            last_by_kind=last_by_kind,
            method=method,
            monday=monday,
            wait=wait,
        )
        for kind, interval in method.cadence_for(account_type, category).items()
    ]
