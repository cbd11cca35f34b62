"""Queries behind the method history and the tag runs (0008_method_history).

SQLAlchemy Core on the light tables (no sqlmodel import): every command that runs with a
method reads one row here (:func:`record_method`), so it stays a primary-key probe.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from khm.core.history import LaterChange, MethodVersion
from khm.store.tables import ACCOUNT as A
from khm.store.tables import METHOD_VERSION as M
from khm.store.tables import TAG_CHANGE as T
from khm.store.tables import TAG_RUN as R

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_TAG_FIELDS = ("type", "category")
#: above this many accounts :func:`earlier_tags` reads all changes in one grouped pass
BY_ID_LIMIT = 2000


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def record_method(
    conn: Connection, *, hash: str, text: str, name: str, path: str | None, seen_at: datetime
) -> bool:
    """Keep this method version unless it is kept already; True when it was new."""
    if conn.execute(select(M.c.hash).where(M.c.hash == hash)).first() is not None:
        return False
    conn.execute(
        insert(M).values(hash=hash, text=text, name=name, path=path, first_seen_at=seen_at)
    )
    return True


def method_versions(conn: Connection) -> list[MethodVersion]:
    """Every recorded version, in the order first seen, with its number of tag runs."""
    runs = select(R.c.method_hash, func.count().label("n")).group_by(R.c.method_hash).subquery()
    rows = conn.execute(
        select(M.c.hash, M.c.name, M.c.path, M.c.first_seen_at, func.coalesce(runs.c.n, 0))
        .select_from(M.outerjoin(runs, runs.c.method_hash == M.c.hash))
        .order_by(M.c.first_seen_at, M.c.hash)
    ).all()
    return [MethodVersion(h, n or "", p, _as_datetime(s), int(c)) for h, n, p, s, c in rows]


def tag_run_methods(conn: Connection) -> list[tuple[datetime, str]]:
    """(when, method hash) of every ``khm tag`` run (one row per run: a small table)."""
    rows = conn.execute(
        select(R.c.ran_at, R.c.method_hash).where(R.c.method_hash.is_not(None))
    ).all()
    return [(_as_datetime(at), h) for at, h in rows]


def method_texts(conn: Connection, prefix: str) -> list[tuple[str, str]]:
    """(hash, text) of the versions whose hash starts with ``prefix`` (at most two: enough
    to tell an ambiguous prefix)."""
    rows = conn.execute(
        select(M.c.hash, M.c.text).where(M.c.hash.startswith(prefix.lower())).limit(2)
    ).all()
    return [(h, t) for h, t in rows]


def insert_tag_run(
    conn: Connection,
    *,
    ran_at: Any,
    as_of: date,
    kind: str,
    method_hash: str | None,
    who: str,
    accounts: int,
    changes: int,
) -> int:
    """One ``khm tag`` run; returns its id (for its ``tag_change`` rows)."""
    row = conn.execute(
        insert(R)
        .values(
            ran_at=ran_at,
            as_of=as_of,
            kind=kind,
            method_hash=method_hash,
            who=who,
            accounts=accounts,
            changes=changes,
        )
        .returning(R.c.id)
    ).one()
    return int(row[0])


def tag_changes_after(conn: Connection, cut: datetime) -> list[LaterChange]:
    """The type/category changes with ``changed_at >= cut`` (on the ``changed_at`` index)."""
    rows = conn.execute(
        select(T.c.id, T.c.account_id, T.c.field, T.c.old, T.c.changed_at).where(
            T.c.changed_at >= cut, T.c.field.in_(_TAG_FIELDS)
        )
    ).all()
    return [LaterChange(i, a, f, o, _as_datetime(c)) for i, a, f, o, c in rows]


def earlier_tags(
    conn: Connection, cut: datetime, account_ids: set[int]
) -> dict[int, tuple[date | None, date]]:
    """For each of ``account_ids``: (the day of its last type/category change before
    ``cut``, or None; the day it was created). A few accounts: by id; many (a big tag
    run since): one grouped pass over the changes before ``cut``."""
    if not account_ids:
        return {}
    last_q = select(T.c.account_id, func.max(T.c.changed_at).label("at")).where(
        T.c.changed_at < cut, T.c.field.in_(_TAG_FIELDS)
    )
    out: dict[int, tuple[date | None, date]] = {}
    ids = sorted(account_ids)
    if len(ids) > BY_ID_LIMIT:
        last = {aid: at for aid, at in conn.execute(last_q.group_by(T.c.account_id)).all()}
        for aid, created in conn.execute(select(A.c.id, A.c.created_at)).all():
            if aid in account_ids:
                at = last.get(aid)
                out[aid] = (_as_date(at) if at is not None else None, _as_date(created))
        return out
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        sub = last_q.where(T.c.account_id.in_(chunk)).group_by(T.c.account_id).subquery()
        rows = conn.execute(
            select(A.c.id, A.c.created_at, sub.c.at)
            .select_from(A.outerjoin(sub, sub.c.account_id == A.c.id))
            .where(A.c.id.in_(chunk))
        ).all()
        for aid, created, at in rows:
            out[aid] = (_as_date(at) if at is not None else None, _as_date(created))
    return out
