"""A rep away: the absence record and the open days of a rep's week. Pure.

An absence is a closed range of days (``start`` to ``end``, both included) when the rep
does no human work. The planner treats an away weekday exactly like a public holiday of
the rep's home country: it is not an open day, so the week's capacity is
``capacity x open days / 5`` and a week with no open day lists no human items (they are
carried to the week the rep is back). Digital items are still listed.

Absences of one rep never overlap: :func:`overlapping` finds the one a new range would
overlap, and the service refuses it (adjacent ranges are fine).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from khm.core.calendar import WEEKDAYS

#: Months as the away column shows them ("7–11 Dec").
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Absence:
    """``rep`` is away from ``start`` to ``end`` (both included)."""

    rep: str
    start: date
    end: date
    reason: str | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end

    def weekdays(self, start: date, end: date) -> int:
        """Weekdays of this absence between ``start`` and ``end`` (both included)."""
        return len(away_days([self], start, end))

    @property
    def label(self) -> str:
        """``7–11 Dec``, ``28 Dec–3 Jan 2027`` (the year when it is not the start's)."""
        s, e = self.start, self.end
        if s == e:
            return f"{s.day} {_MONTHS[s.month - 1]}"
        tail = f" {e.year}" if e.year != s.year else ""
        if (s.year, s.month) == (e.year, e.month):
            return f"{s.day}–{e.day} {_MONTHS[e.month - 1]}"
        return f"{s.day} {_MONTHS[s.month - 1]}–{e.day} {_MONTHS[e.month - 1]}{tail}"

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class AwayResult:
    """What ``rep away`` did: the absence added, or how many were cleared; and the rep's
    current and upcoming absences afterwards."""

    rep: str
    added: Absence | None
    cleared: int
    away: tuple[Absence, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rep": self.rep,
            "added": self.added.as_dict() if self.added else None,
            "cleared": self.cleared,
            "away": [a.as_dict() for a in self.away],
        }


def away_days(absences: Iterable[Absence], start: date, end: date) -> frozenset[date]:
    """The weekdays between ``start`` and ``end`` (both included) inside any absence."""
    out: set[date] = set()
    one = timedelta(days=1)
    for a in absences:
        d = max(a.start, start)
        last = min(a.end, end)
        while d <= last:
            if d.weekday() < WEEKDAYS:
                out.add(d)
            d += one
    return frozenset(out)


def open_days(human_days: Sequence[date], away: frozenset[date]) -> tuple[date, ...]:
    """A rep's open days of a week: the human days of the rep's home country (weekdays
    outside the no-human periods and public holidays) that are not away days."""
    return tuple(d for d in human_days if d not in away)


def week_capacity(capacity: float, open_day_count: int) -> float:
    """The week's human capacity: ``capacity x open days / 5`` (the one scaling rule for
    holidays, no-human periods and absences alike)."""
    return max(capacity, 0.0) * open_day_count / WEEKDAYS


def overlapping(existing: Iterable[Absence], start: date, end: date) -> Absence | None:
    """The first existing absence that the range ``start``..``end`` overlaps, if any."""
    for a in sorted(existing, key=lambda a: a.start):
        if a.overlaps(start, end):
            return a
    return None


def current_and_upcoming(absences: Iterable[Absence], today: date) -> list[Absence]:
    """Absences that have not ended before ``today``, by start."""
    return sorted((a for a in absences if a.end >= today), key=lambda a: a.start)
