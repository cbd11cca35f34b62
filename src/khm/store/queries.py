"""Queries for accounts, reps, touches and the tag history.

Every function takes an open sqlmodel ``Session`` (the caller's one transaction) and
speaks portable SQLAlchemy: the same code runs on SQLite and PostgreSQL. Set work (GROUP
BY, MAX, COUNT) is pushed to the database; Python only shapes the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, func, or_, select

from khm.store.models import Account, Rep, TagChange, Touch

if TYPE_CHECKING:
    from sqlmodel import Session

# --------------------------------------------------------------------------- accounts


def get_account(session: Session, key: str) -> Account | None:
    """The account with exactly this key; else the only one whose key matches ignoring
    case (so ``khm log acme visit`` finds ``ACME``); else None."""
    acc = session.execute(select(Account).where(Account.key == key)).scalars().first()
    if acc is not None:
        return acc
    rows = (
        session.execute(select(Account).where(func.lower(Account.key) == key.lower()).limit(2))
        .scalars()
        .all()
    )
    return rows[0] if len(rows) == 1 else None


def account_key_exists(session: Session, key: str) -> bool:
    return session.execute(select(Account.id).where(Account.key == key)).first() is not None


@dataclass(frozen=True)
class AccountFilter:
    """What ``khm account list`` narrows on. ``None`` means "any"."""

    type: str | None = None  # expand | keep | "none" (untagged)
    category: str | None = None  # A..D | "none"
    owner: str | None = None
    no_owner: bool = False
    country: str | None = None  # ISO alpha-2
    stage: str | None = None
    product_line: str | None = None
    search: str | None = None
    archived: bool | None = False  # False: active only, True: archived only, None: all
    sort: str = "key"  # key | name | revenue | category
    limit: int | None = None


def _product_line_patterns(product_line: str) -> list[str]:
    """How one product line appears inside the stored JSON list text (both escapings)."""
    pats = {json.dumps(product_line), json.dumps(product_line, ensure_ascii=False)}
    return sorted(p.lower() for p in pats)


def list_accounts(session: Session, flt: AccountFilter) -> list[Any]:
    """Accounts matching ``flt``, sorted, at most ``flt.limit``.

    Plain rows (attribute access like an ``Account``), not ORM objects: listing 100k
    accounts should not pay for 100k tracked entities."""
    q = select(*Account.__table__.columns)  # type: ignore[attr-defined]
    if flt.archived is not None:
        q = q.where(Account.archived == flt.archived)
    if flt.type is not None:
        q = q.where(Account.type.is_(None) if flt.type == "none" else Account.type == flt.type)  # type: ignore[union-attr]
    if flt.category is not None:
        q = q.where(
            Account.category.is_(None)  # type: ignore[union-attr]
            if flt.category == "none"
            else Account.category == flt.category
        )
    if flt.no_owner:
        q = q.where(Account.owner.is_(None))  # type: ignore[union-attr]
    elif flt.owner is not None:
        q = q.where(Account.owner == flt.owner)
    if flt.country is not None:
        q = q.where(Account.country == flt.country)
    if flt.stage is not None:
        q = q.where(func.lower(Account.lifecycle_stage) == flt.stage.lower())
    if flt.search:
        term = flt.search.lower()
        q = q.where(
            or_(
                func.lower(Account.key).contains(term, autoescape=True),
                func.lower(Account.name).contains(term, autoescape=True),
            )
        )
    if flt.product_line is not None:
        # A portable pre-filter on the JSON text; the exact check is done below.
        text = func.lower(cast(Account.product_lines, String))
        q = q.where(
            or_(
                *(
                    text.contains(p, autoescape=True)
                    for p in _product_line_patterns(flt.product_line)
                )
            )
        )
    q = q.order_by(*_account_order(flt.sort))
    if flt.limit is not None and flt.product_line is None:
        q = q.limit(flt.limit)
    rows: list[Any] = list(session.execute(q).all())
    if flt.product_line is not None:
        want = flt.product_line.casefold()
        rows = [a for a in rows if any(str(p).casefold() == want for p in a.product_lines or [])]
        if flt.limit is not None:
            rows = rows[: flt.limit]
    return rows


def _account_order(sort: str) -> list[Any]:
    if sort == "name":
        return [func.lower(Account.name), Account.key]
    if sort == "revenue":  # largest first, accounts without revenue last
        return [case((Account.revenue.is_(None), 1), else_=0), Account.revenue.desc(), Account.key]  # type: ignore[union-attr]
    if sort == "category":  # A first, untagged last
        return [case((Account.category.is_(None), 1), else_=0), Account.category, Account.key]  # type: ignore[union-attr]
    return [Account.key]


# --------------------------------------------------------------------------- reps


def get_rep(session: Session, handle: str) -> Rep | None:
    return session.execute(select(Rep).where(Rep.handle == handle)).scalars().first()


def list_reps(
    session: Session, *, role: str | None = None, include_inactive: bool = False
) -> list[tuple[Rep, int]]:
    """Reps (active only unless asked) with the number of active accounts each owns."""
    owned = (
        select(Account.owner.label("owner"), func.count().label("n"))  # type: ignore[union-attr]
        .where(Account.archived == False)  # noqa: E712
        .where(Account.owner.is_not(None))  # type: ignore[union-attr]
        .group_by(Account.owner)
        .subquery()
    )
    q = select(Rep, func.coalesce(owned.c.n, 0)).outerjoin(owned, owned.c.owner == Rep.handle)
    if role is not None:
        q = q.where(Rep.role == role)
    if not include_inactive:
        q = q.where(Rep.active == True)  # noqa: E712
    q = q.order_by(Rep.handle)
    return [(rep, int(n)) for rep, n in session.execute(q).all()]


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


@dataclass(frozen=True)
class TouchFilter:
    account_id: int | None = None
    rep: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int | None = None


def list_touches(session: Session, flt: TouchFilter) -> list[tuple[Touch, str, str]]:
    """(touch, account key, account name), newest first."""
    q = select(Touch, Account.key, Account.name).join(Account, Account.id == Touch.account_id)
    if flt.account_id is not None:
        q = q.where(Touch.account_id == flt.account_id)
    if flt.rep is not None:
        q = q.where(Touch.rep == flt.rep)
    if flt.kind is not None:
        q = q.where(Touch.kind == flt.kind)
    if flt.since is not None:
        q = q.where(Touch.date >= flt.since)
    if flt.until is not None:
        q = q.where(Touch.date <= flt.until)
    q = q.order_by(Touch.date.desc(), Touch.id.desc())  # type: ignore[attr-defined,union-attr]
    if flt.limit is not None:
        q = q.limit(flt.limit)
    return [(t, k, n) for t, k, n in session.execute(q).all()]


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
