"""NPS responses in the database: recording one, the account's ``nps`` field written back
from the latest response, what ``khm report nps`` reads, and the detractor responses the
weekly planner's trigger looks at. Light Core tables, portable SQL (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from khm.core.nps import (
    DETRACTOR_MAX,
    FIELD,
    NpsAccount,
    ResponseFacts,
    latest_scores,
    nps_field_changes,
)
from khm.store import tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

N: Any = tables.Columns(tables.NPS_RESPONSE)
A: Any = tables.Columns(tables.ACCOUNT)
#: the ``import_change`` entity that keeps an account's ``nps`` before an import's
#: responses replaced it (so ``khm import undo`` puts the imported number back)
FIELD_ENTITY = "nps_field"


def _day(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def add_response(conn: Connection, values: dict[str, Any]) -> int:
    stmt = insert(tables.NPS_RESPONSE).values(**values).returning(N.id)
    return int(conn.execute(stmt).scalar_one())


def _facts(q: Any, conn: Connection) -> list[ResponseFacts]:
    return [ResponseFacts(r[0], int(r[1]), _day(r[2]), r[3], r[4], r[5]) for r in conn.execute(q)]


def _cols() -> tuple[Any, ...]:
    return (N.account_id, N.score, N.date, N.id, N.contact, N.comment)


def refresh_field(
    conn: Connection,
    account_ids: Collection[int] | None,
    *,
    now: datetime,
    fallback: dict[int, Any] | None = None,
) -> list[tuple[int, Any, Any]]:
    """Write the ``nps`` field (``custom``) of the accounts ``account_ids`` (None: every
    account with a response) from their latest response; an account left without
    responses gets its ``fallback`` value back (None there: the field is removed).
    Returns (account id, nps before, nps after) of each account changed."""
    from khm.store.bulk import ACCOUNT_T, update_rows

    q = select(*_cols())
    if account_ids is not None:
        if not account_ids:
            return []
        q = q.where(N.account_id.in_(list(account_ids)))
    latest = latest_scores(_facts(q, conn))
    ids = set(latest) if account_ids is None else set(account_ids)
    fallback = fallback or {}
    updates: list[tuple[int, dict[str, Any]]] = []
    out: list[tuple[int, Any, Any]] = []
    ids_list = sorted(ids)
    for start in range(0, len(ids_list), 5000):
        chunk = ids_list[start : start + 5000]
        for aid, custom in conn.execute(select(A.id, A.custom).where(A.id.in_(chunk))):
            custom = dict(custom or {})
            before = custom.get(FIELD)
            score = latest.get(aid)
            if score is None and aid in fallback:
                new = dict(custom)
                if fallback[aid] is None:
                    new.pop(FIELD, None)
                else:
                    new[FIELD] = fallback[aid]
                changed = new if new != custom else None
            else:
                changed = nps_field_changes(custom, score)
            if changed is not None:
                updates.append((aid, {"custom": changed, "updated_at": now}))
                out.append((aid, before, changed.get(FIELD)))
    update_rows(conn, ACCOUNT_T, updates)
    return out


def batch_accounts(conn: Connection, batch_id: int) -> set[int]:
    """The accounts an import batch of responses gave responses to."""
    q = select(N.account_id).where(N.import_batch_id == batch_id).distinct()
    return {r[0] for r in conn.execute(q)}


def report_accounts(conn: Connection, rep: str | None = None) -> list[NpsAccount]:
    """The live (not archived) accounts, of ``rep`` only when given, by key."""
    q = select(A.id, A.key, A.name, A.owner, A.type, A.category).where(A.archived.is_(False))
    if rep is not None:
        q = q.where(A.owner == rep)
    return [NpsAccount(*r) for r in conn.execute(q.order_by(A.key))]


def responses_between(conn: Connection, start: date, end: date) -> list[ResponseFacts]:
    """The responses dated ``start``..``end`` (inclusive)."""
    q = select(*_cols()).where(N.date >= start, N.date <= end)
    return _facts(q, conn)


def last_asked(conn: Connection, until: date) -> dict[int, date]:
    """Per account id: the date of its newest response on or before ``until``."""
    q = select(N.account_id, func.max(N.date)).where(N.date <= until).group_by(N.account_id)
    return {aid: _day(d) for aid, d in conn.execute(q)}


def detractors_until(
    conn: Connection, until: date, account_ids: Iterable[int] | None = None
) -> dict[int, list[ResponseFacts]]:
    """The detractor responses (0-6) dated on or before ``until``, per account id, oldest
    first (the weekly ``detractor`` trigger)."""
    q = select(*_cols()).where(N.score <= DETRACTOR_MAX, N.date <= until)
    if account_ids is not None:
        q = q.where(N.account_id.in_(list(account_ids)))
    out: dict[int, list[ResponseFacts]] = {}
    for f in _facts(q.order_by(N.account_id, N.date, N.id), conn):
        out.setdefault(f.account_id, []).append(f)
    return out
