"""Queries for ``khm tag``, ``khm assign`` and ``khm capacity``.

Each function takes the caller's open SQLAlchemy ``Connection`` (one transaction per
command, :meth:`khm.store.db.Store.begin`) and uses SQLAlchemy Core on light views of the
tables (:mod:`khm.store.tables`: no sqlmodel import), so it runs the same on SQLite and
PostgreSQL and
stays fast on 100k accounts: one SELECT of the needed columns, bulk UPDATE / INSERT with
executemany, GROUP BY pushed to the database for the capacity figures.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DateTime,
    Text,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)

from khm.store.db import large_write
from khm.store.tables import ACCOUNT as A
from khm.store.tables import REP as R
from khm.store.tables import TAG_CHANGE as T

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def _active() -> Any:
    return A.c.archived.is_(False)


# --------------------------------------------------------------------------- accounts


def find_account(conn: Connection, key: str) -> Any | None:
    """The account row with this key; else the only one matching ignoring case."""
    row = conn.execute(select(*A.c).where(A.c.key == key)).first()
    if row is not None:
        return row
    rows = conn.execute(select(*A.c).where(func.lower(A.c.key) == key.lower()).limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def json_value(raw: Any, empty: Any) -> Any:
    """A JSON column read as text (SQLite) or already decoded (PostgreSQL drivers)."""
    if raw is None:
        return empty
    if isinstance(raw, str):
        if raw in ("{}", "[]", "null", ""):
            return empty
        return json.loads(raw)
    return raw


def accounts_for_tagging(conn: Connection) -> Sequence[Any]:
    """Every active account with what the classifier reads, in key order. The JSON
    columns come back as text where the driver gives text: decode with :func:`json_value`
    (much faster than a per-row type processor on 100k rows)."""
    cols = [
        A.c.id,
        A.c.key,
        A.c.name,
        A.c.country,
        type_coerce(A.c.product_lines, Text).label("product_lines"),
        A.c.revenue,
        A.c.employees,
        type_coerce(A.c.custom, Text).label("custom"),
        A.c.lifecycle_stage,
        A.c.owner,
        A.c.type,
        A.c.category,
        A.c.type_manual,
        A.c.category_manual,
        A.c.manual_reason,
        A.c.tagged_at,
        type_coerce(A.c.text, Text).label("text"),
    ]
    return _fetch_all(conn, select(*cols).where(_active()).order_by(A.c.key))


def _fetch_all(conn: Connection, stmt: Any) -> list[tuple[Any, ...]]:
    """All rows of a Core SELECT as the driver's plain tuples.

    The statement is compiled by SQLAlchemy for the connection's dialect and run on the
    driver's own cursor, in the caller's transaction: on 100k rows SQLAlchemy's result
    rows cost about as much again as the database's own work. Values come back as the
    driver gives them: on SQLite booleans are 0/1 and date-times SQLAlchemy's text (pass
    them back unchanged through :func:`datetime_binder`); JSON columns are text on
    SQLite and decoded on PostgreSQL (read them with :func:`json_value`)."""
    compiled = stmt.compile(dialect=conn.dialect)
    params: Any
    if compiled.positional:
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
    else:
        params = compiled.params
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def datetime_binder(conn: Connection) -> Callable[[datetime | str | None], Any]:
    """The driver value of a naive datetime for this connection's dialect (SQLite stores
    SQLAlchemy's text format). Convert a run's few timestamps once, then pass the result
    to the bulk writers below."""
    dialect = conn.dialect
    proc = DateTime().dialect_impl(dialect).bind_processor(dialect)
    if proc is None:
        return lambda v: v
    cached = functools.lru_cache(maxsize=256)(proc)

    def bind(value: datetime | str | None) -> Any:
        # a value read raw (:func:`_fetch_all`) is already in the database's text form
        return value if isinstance(value, str) else cached(value)

    return bind


def _executemany(
    conn: Connection, stmt: Any, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Run ``stmt`` once per row through the driver's executemany.

    The statement is compiled once by SQLAlchemy for the connection's dialect (so the SQL is
    the dialect's own); the rows (tuples in ``names`` order, date-times already converted
    with :func:`datetime_binder`) skip SQLAlchemy's per-row parameter processing, which
    on 100k rows costs several times the database's own work."""
    if not rows:
        return
    compiled = stmt.compile(dialect=conn.dialect)
    params: Sequence[Any]
    if compiled.positional:
        order = tuple(compiled.positiontup or ())
        if order == names:
            params = rows
        else:
            idx = [names.index(n) for n in order]
            params = [tuple(r[i] for i in idx) for r in rows]
    else:
        params = [dict(zip(names, r, strict=True)) for r in rows]
    with large_write(conn, len(rows)):
        conn.exec_driver_sql(str(compiled), params)  # type: ignore[arg-type]


TAG_UPDATE_COLUMNS = (
    "type",
    "category",
    "type_manual",
    "category_manual",
    "manual_reason",
    "tagged_at",
    "updated_at",
    "b_id",
)


def update_tags(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk update of type, category, manual flags and tagged_at, by account id.

    Each row: a tuple in :data:`TAG_UPDATE_COLUMNS` order (``b_id`` = account id)."""
    stmt = (
        update(A)
        .where(A.c.id == bindparam("b_id"))
        .ordered_values(*((A.c[n], bindparam(n)) for n in TAG_UPDATE_COLUMNS[:-1]))
    )
    _executemany(conn, stmt, TAG_UPDATE_COLUMNS, rows)


OWNER_UPDATE_COLUMNS = ("owner", "updated_at", "b_id")


def update_owners(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk owner update; rows are (owner, updated_at, account id)."""
    stmt = (
        update(A)
        .where(A.c.id == bindparam("b_id"))
        .ordered_values((A.c.owner, bindparam("owner")), (A.c.updated_at, bindparam("updated_at")))
    )
    _executemany(conn, stmt, OWNER_UPDATE_COLUMNS, rows)


HISTORY_COLUMNS = ("account_id", "field", "old", "new", "changed_at", "who", "reason", "rule")


def insert_tag_changes(
    conn: Connection, rows: Sequence[tuple[Any, ...]], *, run_id: int | None = None
) -> None:
    """Bulk insert into the tag history; rows in :data:`HISTORY_COLUMNS` order. ``run_id``:
    the ``khm tag`` run they belong to (one value for every row, written into the SQL)."""
    values: dict[str, Any] = {c: bindparam(c) for c in HISTORY_COLUMNS}
    if run_id is not None:
        values["tag_run_id"] = literal_column(str(int(run_id)))
    _executemany(conn, insert(T).values(values), HISTORY_COLUMNS, rows)


def accounts_for_assign(conn: Connection) -> Sequence[Any]:
    """Active accounts: id, key, name, type, category, country, owner (key order)."""
    return _fetch_all(
        conn,
        select(A.c.id, A.c.key, A.c.name, A.c.type, A.c.category, A.c.country, A.c.owner)
        .where(_active())
        .order_by(A.c.key),
    )


# --------------------------------------------------------------------------- reps


def all_reps(conn: Connection) -> Sequence[Any]:
    return conn.execute(
        select(R.c.handle, R.c.name, R.c.role, R.c.capacity, R.c.active).order_by(R.c.handle)
    ).all()


# --------------------------------------------------------------------------- capacity


def load_groups(conn: Connection, owner: str | None = None) -> Sequence[Any]:
    """Active accounts counted per (owner, type, category, country); with ``owner``,
    that rep's only."""
    q = select(A.c.owner, A.c.type, A.c.category, A.c.country, func.count().label("n")).where(
        _active()
    )
    if owner is not None:
        q = q.where(A.c.owner == owner)
    q = q.group_by(A.c.owner, A.c.type, A.c.category, A.c.country)
    return conn.execute(q).all()


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
    conn: Connection,
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
    return [HistoryRow(*r) for r in conn.execute(q).all()]
