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

from khm.method import Interval, Method, stable_fraction


@dataclass(frozen=True)
class Due:
    """One activity kind of one account: when it was last done and when it is due next."""

    kind: str
    interval: Interval
    last_touch: date | None  # newest touch of this kind or a kind covering it
    due: date
    grace_days: int

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


def due_for(
    kind: str,
    interval: Interval,
    *,
    account_key: str,
    anchor: date,
    last_by_kind: Mapping[str, date],
    method: Method,
) -> Due:
    last = last_touch_for(kind, last_by_kind, method)
    due = (
        interval.add_to(last)
        if last is not None
        else first_due(anchor, account_key, kind, interval)
    )
    return Due(kind, interval, last, due, method.grace.grace_days(interval))


def schedule(
    *,
    account_key: str,
    account_type: str | None,
    category: str | None,
    anchor: date,
    last_by_kind: Mapping[str, date],
    method: Method,
) -> list[Due]:
    """Every activity of the account's cadence with its next due date, in cadence order."""
    return [
        due_for(
            kind,
            interval,
            account_key=account_key,
            anchor=anchor,
            last_by_kind=last_by_kind,
            method=method,
        )
        for kind, interval in method.cadence_for(account_type, category).items()
    ]
