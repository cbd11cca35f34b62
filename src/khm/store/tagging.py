"""Queries for ``khm tag``, ``khm assign`` and ``khm capacity``.

Each function takes the caller's open sqlmodel ``Session`` (one transaction per command)
and uses SQLAlchemy Core on the tables, so it runs the same on SQLite and PostgreSQL and
stays fast on 100k accounts: one SELECT of the needed columns, bulk UPDATE / INSERT with
executemany, GROUP BY pushed to the database for the capacity figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update

from khm.store.models import Account, Rep, TagChange

if TYPE_CHECKING:
    from sqlmodel import Session

A = Account.__table__  # type: ignore[attr-defined]
R = Rep.__table__  # type: ignore[attr-defined]
T = TagChange.__table__  # type: ignore[attr-defined]


def _active() -> Any:
    return A.c.archived.is_(False)


# --------------------------------------------------------------------------- accounts


def find_account(session: Session, key: str) -> Any | None:
    """The account row with this key; else the only one matching ignoring case."""
    row = session.execute(select(A).where(A.c.key == key)).first()
    if row is not None:
        return row
    rows = session.execute(select(A).where(func.lower(A.c.key) == key.lower()).limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def accounts_for_tagging(session: Session) -> Sequence[Any]:
    """Every active account with what the classifier reads, in key order."""
    cols = [
        A.c.id,
        A.c.key,
        A.c.name,
        A.c.country,
        A.c.product_lines,
        A.c.revenue,
        A.c.employees,
        A.c.custom,
        A.c.lifecycle_stage,
        A.c.owner,
        A.c.type,
        A.c.category,
        A.c.type_manual,
        A.c.category_manual,
        A.c.manual_reason,
        A.c.tagged_at,
    ]
    return session.execute(select(*cols).where(_active()).order_by(A.c.key)).all()


def update_tags(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk update of type, category, manual flags and tagged_at, by account id.

    Each row: b_id, type, category, type_manual, category_manual, manual_reason,
    tagged_at, updated_at."""
    if not rows:
        return
    stmt = (
        update(A)
        .where(A.c.id == bindparam("b_id"))
        .values(
            type=bindparam("type"),
            category=bindparam("category"),
            type_manual=bindparam("type_manual"),
            category_manual=bindparam("category_manual"),
            manual_reason=bindparam("manual_reason"),
            tagged_at=bindparam("tagged_at"),
            updated_at=bindparam("updated_at"),
        )
    )
    session.connection().execute(stmt, list(rows))


def update_owners(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk owner update. Each row: b_id, owner, updated_at."""
    if not rows:
        return
    stmt = (
        update(A)
        .where(A.c.id == bindparam("b_id"))
        .values(owner=bindparam("owner"), updated_at=bindparam("updated_at"))
    )
    session.connection().execute(stmt, list(rows))


def insert_tag_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert into the tag history. Each row: account_id, field, old, new,
    changed_at, who, reason, rule."""
    if rows:
        session.connection().execute(insert(T), list(rows))


def accounts_for_assign(session: Session) -> Sequence[Any]:
    """Active accounts: id, key, name, type, category, country, owner (key order)."""
    return session.execute(
        select(A.c.id, A.c.key, A.c.name, A.c.type, A.c.category, A.c.country, A.c.owner)
        .where(_active())
        .order_by(A.c.key)
    ).all()


# --------------------------------------------------------------------------- reps


def all_reps(session: Session) -> Sequence[Any]:
    return session.execute(
        select(R.c.handle, R.c.name, R.c.role, R.c.capacity, R.c.active).order_by(R.c.handle)
    ).all()


# --------------------------------------------------------------------------- capacity


def load_groups(session: Session) -> Sequence[Any]:
    """Active accounts counted per (owner, type, category, country)."""
    q = (
        select(A.c.owner, A.c.type, A.c.category, A.c.country, func.count().label("n"))
        .where(_active())
        .group_by(A.c.owner, A.c.type, A.c.category, A.c.country)
    )
    return session.execute(q).all()


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryRow:
    changed_at: datetime
    account: str
    name: str
    field: str
    old: str | None
    new: str | None
    who: str
    reason: str | None
    rule: str | None


def tag_history(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    account_id: int | None = None,
    field: str | None = None,
) -> list[HistoryRow]:
    """Tag changes with ``start <= changed_at < end``, oldest first."""
    q = (
        select(
            T.c.changed_at,
            A.c.key,
            A.c.name,
            T.c.field,
            T.c.old,
            T.c.new,
            T.c.who,
            T.c.reason,
            T.c.rule,
        )
        .join(A, A.c.id == T.c.account_id)
        .where(T.c.changed_at >= start, T.c.changed_at < end)
        .order_by(T.c.changed_at, T.c.id)
    )
    if account_id is not None:
        q = q.where(T.c.account_id == account_id)
    if field is not None:
        q = q.where(T.c.field == field)
    return [HistoryRow(*r) for r in session.execute(q).all()]
