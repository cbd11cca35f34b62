"""Report periods: ``2026-W48``, ``2026-11``, ``2026-Q4``, ``2026``, ``last-week``,
``last-month``, ``this-week``, ``this-month``, ``last-quarter``, ``last-year`` or
``FROM..TO`` dates. Pure: "today" is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end


#: ``2026-W48`` or ``2026W48`` (any case, surrounding spaces allowed)
WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


def _month(year: int, month: int) -> Period:
    start = date(year, month, 1)
    end = start + relativedelta(months=1) - timedelta(days=1)
    return Period(start, end, f"{year}-{month:02d}")


def _quarter(year: int, q: int) -> Period:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = start + relativedelta(months=3) - timedelta(days=1)
    return Period(start, end, f"{year}-Q{q}")


def monday_of(d: date) -> date:
    """The Monday of the ISO week containing ``d``."""
    return d - timedelta(days=d.weekday())


def week_label(d: date) -> str:
    """The ISO week containing ``d``, as ``2026-W48``."""
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def week_monday(year: int, week: int) -> date:
    """The Monday of ISO week ``week`` of ``year``; ``ValueError`` when there is none."""
    return date.fromisocalendar(year, week, 1)


def _week(year: int, week: int) -> Period:
    monday = week_monday(year, week)
    return Period(monday, monday + timedelta(days=6), week_label(monday))


def _parse_day(text: str) -> date:
    from dateutil import parser

    t = text.strip()
    try:
        return date.fromisoformat(t)
    except ValueError:
        pass
    try:
        parsed: date = parser.parse(t, dayfirst=True, yearfirst=True).date()
        return parsed
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text!r} is not a date") from exc


def parse_period(text: str, today: date) -> Period:
    """Parse a period; raises ``ValueError`` with a helpful message."""
    t = text.strip()
    low = t.lower()
    if low in ("last-week", "this-week"):
        monday = monday_of(today)
        if low == "last-week":
            monday -= timedelta(days=7)
        return Period(monday, monday + timedelta(days=6), week_label(monday))
    if low in ("last-month", "this-month"):
        first = today.replace(day=1)
        if low == "last-month":
            first -= relativedelta(months=1)
        return _month(first.year, first.month)
    if low in ("last-quarter", "this-quarter"):
        q = (today.month - 1) // 3 + 1
        y = today.year
        if low == "last-quarter":
            q, y = (4, y - 1) if q == 1 else (q - 1, y)
        return _quarter(y, q)
    if low in ("last-year", "this-year"):
        y = today.year - (1 if low == "last-year" else 0)
        return Period(date(y, 1, 1), date(y, 12, 31), str(y))
    if ".." in t:
        a, b = t.split("..", 1)
        start = _parse_day(a) if a.strip() else None
        end = _parse_day(b) if b.strip() else today
        if start is None:
            raise ValueError(f"period {text!r}: FROM..TO needs a FROM date")
        if end < start:
            raise ValueError(f"period {text!r}: ends before it starts")
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    if m := WEEK.match(t):
        try:
            return _week(int(m.group(1)), int(m.group(2)))
        except ValueError:
            raise ValueError(f"period {text!r}: no such ISO week") from None
    if m := _QUARTER.match(t):
        return _quarter(int(m.group(1)), int(m.group(2)))
    if m := _MONTH.match(t):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"period {text!r}: no month {month}")
        return _month(int(m.group(1)), month)
    if m := _YEAR.match(t):
        y = int(m.group(1))
        return Period(date(y, 1, 1), date(y, 12, 31), str(y))
    raise ValueError(
        f"{text!r} is not a period (use 2026-W48, 2026-11, 2026-Q4, 2026, last-week, "
        "last-month, last-quarter, last-year or FROM..TO dates)"
    )


def default_period(today: date) -> Period:
    """The last full month."""
    return parse_period("last-month", today)


def previous_period(p: Period) -> Period:
    """The period just before ``p``, to compare with: the same number of whole months
    when ``p`` is whole months (a month, a quarter, a year), else the same number of days
    ending the day before ``p`` starts."""
    month_end = (p.end + timedelta(days=1)).day == 1
    if p.start.day == 1 and month_end:
        months = (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1
        start = p.start - relativedelta(months=months)
        end = p.start - timedelta(days=1)
        if months == 1:
            return _month(start.year, start.month)
        if months == 3 and start.month % 3 == 1:
            return _quarter(start.year, (start.month - 1) // 3 + 1)
        if months == 12 and start.month == 1:
            return Period(start, end, str(start.year))
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    end = p.start - timedelta(days=1)
    start = end - timedelta(days=p.days - 1)
    if p.days == 7 and start.weekday() == 0:
        return Period(start, end, week_label(start))
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
