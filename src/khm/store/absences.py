"""Store queries for absences (``khm rep away``, the weekly planner, ``khm capacity``,
``rep show`` and ``rep list``): the one place that reads and writes the ``absence``
table. Portable SQLAlchemy Core on the light table of :mod:`khm.store.tables`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from khm.core.absence import Absence
from khm.store import tables
from khm.store.planning import _as_date

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.engine import Connection

Row: Any = tables.Columns(tables.ABSENCE)


def _absence(rep: str, start: Any, end: Any, reason: str | None) -> Absence:
    s, e = _as_date(start), _as_date(end)
    assert s is not None and e is not None
    return Absence(rep=rep, start=s, end=e, reason=reason)


def absences_between(
    conn: Connection, start: date, end: date, reps: Iterable[str] | None = None
) -> dict[str, list[Absence]]:
    """Per rep handle, the absences overlapping ``start``..``end`` (by start date);
    ``reps`` limits the reps read."""
    q = select(Row.rep, Row.start_date, Row.end_date, Row.reason).where(
        Row.start_date <= end, Row.end_date >= start
    )
    if reps is not None:
        q = q.where(Row.rep.in_(list(reps)))
    out: dict[str, list[Absence]] = defaultdict(list)
    for rep, s, e, reason in conn.execute(q.order_by(Row.rep, Row.start_date)):
        out[rep].append(_absence(rep, s, e, reason))
    return dict(out)


def absences_of(conn: Connection, rep: str) -> list[Absence]:
    """Every absence of ``rep``, by start date."""
    q = (
        select(Row.rep, Row.start_date, Row.end_date, Row.reason)
        .where(Row.rep == rep)
        .order_by(Row.start_date)
    )
    return [_absence(*r) for r in conn.execute(q)]


def add_absence(conn: Connection, absence: Absence, created_at: Any) -> None:
    conn.execute(
        insert(tables.ABSENCE).values(
            rep=absence.rep,
            start_date=absence.start,
            end_date=absence.end,
            reason=absence.reason,
            created_at=created_at,
        )
    )


def delete_absences(conn: Connection, rep: str, containing: date | None = None) -> int:
    """Delete ``rep``'s absences (only the one containing ``containing`` when given);
    returns how many."""
    q = delete(tables.ABSENCE).where(Row.rep == rep)
    if containing is not None:
        q = q.where(Row.start_date <= containing, Row.end_date >= containing)
    return int(conn.execute(q).rowcount or 0)
