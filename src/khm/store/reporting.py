"""Store queries behind ``khm report``: a handful of set-based queries, no per-account SQL.

* live accounts (one query), reps (one query);
* the last touch of each kind before the period per account (``GROUP BY account_id, kind``
  with ``MAX(date)``);
* the touches of the period and of one grace period after it (one range scan on
  ``ix_touch_date``);
* the last touch of any kind per account up to a day (``GROUP BY account_id``);
* tag changes in the period.

Everything is SQLAlchemy Core, so SQLite and PostgreSQL run the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select

from khm.core.reports import AccountFacts, RepFacts, TagChangeFact
from khm.store.models import Account, Rep, TagChange, Touch

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _live_accounts_filter(rep: str | None):  # type: ignore[no-untyped-def]
    cond = Account.archived.is_(False)  # type: ignore[attr-defined]
    if rep is not None:
        cond = and_(cond, Account.owner == rep)
    return cond


def load_accounts(conn: Connection, rep: str | None = None) -> list[AccountFacts]:
    """Live (not archived) accounts, optionally of one owner, ordered by key."""
    a = Account.__table__.c  # type: ignore[attr-defined]
    rows = conn.execute(
        select(
            a.id,
            a.key,
            a.name,
            a.owner,
            a.type,
            a.category,
            a.country,
            a.revenue,
            a.tagged_at,
            a.created_at,
        )
        .where(_live_accounts_filter(rep))
        .order_by(a.key)
    )
    out = []
    for r in rows:
        anchor = r.tagged_at if r.tagged_at is not None else r.created_at
        out.append(
            AccountFacts(
                id=r.id,
                key=r.key,
                name=r.name or "",
                owner=r.owner,
                type=r.type,
                category=r.category,
                country=r.country,
                revenue=float(r.revenue) if r.revenue is not None else None,
                anchor=_as_date(anchor),
            )
        )
    return out


def load_reps(conn: Connection) -> list[RepFacts]:
    r = Rep.__table__.c  # type: ignore[attr-defined]
    return [
        RepFacts(row.handle, row.name or "", float(row.capacity), bool(row.active))
        for row in conn.execute(select(r.handle, r.name, r.capacity, r.active).order_by(r.handle))
    ]


def rep_exists(conn: Connection, handle: str) -> bool:
    r = Rep.__table__.c  # type: ignore[attr-defined]
    return conn.execute(select(r.id).where(r.handle == handle)).first() is not None


def _touch_scope(rep: str | None):  # type: ignore[no-untyped-def]
    """Restricts touches to live accounts (of one owner)."""
    a = Account.__table__.c  # type: ignore[attr-defined]
    return select(a.id).where(_live_accounts_filter(rep))


def last_touch_before(
    conn: Connection, before: date, rep: str | None = None
) -> dict[int, dict[str, int]]:
    """``{account_id: {kind: ordinal of the last touch before ``before``}}``."""
    t = Touch.__table__.c  # type: ignore[attr-defined]
    q = (
        select(t.account_id, t.kind, func.max(t.date))
        .where(t.date < before)
        .group_by(t.account_id, t.kind)
    )
    if rep is not None:
        q = q.where(t.account_id.in_(_touch_scope(rep)))
    out: dict[int, dict[str, int]] = {}
    for account_id, kind, last in conn.execute(q):
        out.setdefault(account_id, {})[kind] = _as_date(last).toordinal()
    return out


def touches_between(
    conn: Connection, start: date, end: date
) -> Iterator[tuple[int, str, int, str | None]]:
    """(account_id, kind, ordinal, rep) of every touch with ``start <= date <= end``,
    oldest first."""
    t = Touch.__table__.c  # type: ignore[attr-defined]
    q = (
        select(t.account_id, t.kind, t.date, t.rep)
        .where(t.date >= start, t.date <= end)
        .order_by(t.date)
    )
    result = conn.execute(q)
    while True:
        chunk = result.fetchmany(50_000)
        if not chunk:
            break
        for account_id, kind, day, rep in chunk:
            yield account_id, kind, _as_date(day).toordinal(), rep


def last_touch_any(conn: Connection, until: date, rep: str | None = None) -> dict[int, date]:
    """``{account_id: date of the newest touch of any kind on or before ``until``}``."""
    t = Touch.__table__.c  # type: ignore[attr-defined]
    q = select(t.account_id, func.max(t.date)).where(t.date <= until).group_by(t.account_id)
    if rep is not None:
        q = q.where(t.account_id.in_(_touch_scope(rep)))
    return {account_id: _as_date(last) for account_id, last in conn.execute(q)}


def tag_changes_between(conn: Connection, start: date, end: date) -> list[TagChangeFact]:
    """Type and category changes with ``start <= changed_at < end + 1 day``, oldest first."""
    c = TagChange.__table__.c  # type: ignore[attr-defined]
    lo = datetime(start.year, start.month, start.day)
    hi = datetime(end.year, end.month, end.day) + timedelta(days=1)
    q = (
        select(c.account_id, c.field, c.old, c.new, c.changed_at, c.who, c.reason, c.rule)
        .where(c.changed_at >= lo, c.changed_at < hi, c.field.in_(("type", "category")))
        .order_by(c.changed_at, c.id)
    )
    return [
        TagChangeFact(
            r.account_id, r.field, r.old, r.new, r.changed_at, r.who or "", r.reason, r.rule
        )
        for r in conn.execute(q)
    ]
