"""Queries for accounts, reps, touches and the tag history.

Every function takes an open sqlmodel ``Session`` (the caller's one transaction) and
speaks portable SQLAlchemy: the same code runs on SQLite and PostgreSQL. Set work (GROUP
BY, MAX, COUNT) is pushed to the database; Python only shapes the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from khm.store.models import Account, Rep, TagChange, Touch

if TYPE_CHECKING:
    from sqlmodel import Session

# --------------------------------------------------------------------------- accounts


def get_account(session: Session, key: str) -> Account | None:
    """The account of :func:`khm.store.lists.find_account_id` (exact key, else the only
    one matching ignoring case), else None."""
    from khm.store.lists import find_account_id

    acc_id = find_account_id(session.connection(), key)
    return None if acc_id is None else session.get(Account, acc_id)


def account_key_exists(session: Session, key: str) -> bool:
    return session.execute(select(Account.id).where(Account.key == key)).first() is not None


# --------------------------------------------------------------------------- reps


def get_rep(session: Session, handle: str) -> Rep | None:
    return session.execute(select(Rep).where(Rep.handle == handle)).scalars().first()


def owned_counts(session: Session, handle: str) -> dict[tuple[str | None, str | None], int]:
    """(type, category) → number of active accounts the rep owns."""
    q = (
        select(Account.type, Account.category, func.count())
        .where(Account.owner == handle)
        .where(Account.archived == False)  # noqa: E712
        .group_by(Account.type, Account.category)
    )
    return {(t, c): int(n) for t, c, n in session.execute(q).all()}


def rep_touch_stats(session: Session, handle: str, since: date) -> tuple[int, date | None]:
    """(touches the rep logged on or after ``since``, date of the rep's newest touch)."""
    n = session.execute(
        select(func.count()).select_from(Touch).where(Touch.rep == handle, Touch.date >= since)
    ).scalar_one()
    last = session.execute(select(func.max(Touch.date)).where(Touch.rep == handle)).scalar_one()
    return int(n), last


# --------------------------------------------------------------------------- touches


def last_touch_by_kind(session: Session, account_id: int) -> dict[str, date]:
    """Kind → date of the newest touch of that kind on the account (one GROUP BY)."""
    q = (
        select(Touch.kind, func.max(Touch.date))
        .where(Touch.account_id == account_id)
        .group_by(Touch.kind)
    )
    return {kind: d for kind, d in session.execute(q).all() if d is not None}


def last_touches(
    session: Session, account_ids: Iterable[int] | None = None
) -> dict[int, dict[str, date]]:
    """Account id → (kind → newest touch date), for many accounts in one query."""
    q = select(Touch.account_id, Touch.kind, func.max(Touch.date)).group_by(
        Touch.account_id, Touch.kind
    )
    if account_ids is not None:
        ids = list(account_ids)
        if not ids:
            return {}
        q = q.where(Touch.account_id.in_(ids))  # type: ignore[attr-defined]
    out: dict[int, dict[str, date]] = {}
    for acc_id, kind, d in session.execute(q).all():
        out.setdefault(acc_id, {})[kind] = d
    return out


def same_day_touches(
    session: Session, account_id: int, kind: str, day: date, exclude: int | None = None
) -> list[int]:
    """Ids of the account's touches of ``kind`` on ``day`` (to flag a double log)."""
    q = select(Touch.id).where(
        Touch.account_id == account_id, Touch.kind == kind, Touch.date == day
    )
    if exclude is not None:
        q = q.where(Touch.id != exclude)
    return [int(i) for i in session.execute(q.order_by(Touch.id)).scalars().all()]


def recent_touches(session: Session, account_id: int, limit: int = 10) -> list[Touch]:
    q = (
        select(Touch)
        .where(Touch.account_id == account_id)
        .order_by(Touch.date.desc(), Touch.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(limit)
    )
    return list(session.execute(q).scalars().all())


def count_touches(session: Session, account_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Touch).where(Touch.account_id == account_id)
        ).scalar_one()
    )


def get_touch(session: Session, touch_id: int) -> Touch | None:
    return session.get(Touch, touch_id)


# --------------------------------------------------------------------------- tag history


def tag_history(session: Session, account_id: int) -> list[TagChange]:
    """Every tag change of the account (type, category, owner), newest first."""
    q = (
        select(TagChange)
        .where(TagChange.account_id == account_id)
        .order_by(TagChange.changed_at.desc(), TagChange.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    return list(session.execute(q).scalars().all())


def account_keys(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    q = select(Account.id, Account.key).where(Account.id.in_(list(ids)))  # type: ignore[union-attr]
    return {i: k for i, k in session.execute(q).all()}
