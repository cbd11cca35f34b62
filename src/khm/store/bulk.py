"""Bulk reads and writes for import and export, in SQLAlchemy Core (portable SQLite /
PostgreSQL): what exists is loaded in one query per table, new rows go in with
``executemany`` in chunks, changed rows are updated with one ``executemany`` per set of
changed columns. Callers pass a :class:`~sqlalchemy.engine.Connection` inside a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, select, update

from khm.store.models import Account, Rep, Touch

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

ACCOUNT_T: Table = Account.__table__  # type: ignore[attr-defined]
REP_T: Table = Rep.__table__  # type: ignore[attr-defined]
TOUCH_T: Table = Touch.__table__  # type: ignore[attr-defined]
TABLES = {"accounts": ACCOUNT_T, "reps": REP_T, "touches": TOUCH_T}

ACCOUNT_VALUE_COLUMNS = (
    "name",
    "country",
    "product_lines",
    "revenue",
    "employees",
    "custom",
    "owner",
    "lifecycle_stage",
    "archived",
)
REP_VALUE_COLUMNS = ("name", "email", "role", "capacity", "active")
CHUNK = 5000


def _chunks(
    rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


# --------------------------------------------------------------------------- reads


def existing_accounts(conn: Connection) -> list[tuple[int, str, dict[str, Any]]]:
    """(id, key, importable values) of every account, in one query."""
    t = ACCOUNT_T
    cols = [t.c[c] for c in ACCOUNT_VALUE_COLUMNS]
    out = []
    for row in conn.execute(select(t.c.id, t.c.key, *cols)):
        out.append((row[0], row[1], dict(zip(ACCOUNT_VALUE_COLUMNS, row[2:], strict=True))))
    return out


def existing_reps(conn: Connection) -> list[tuple[int, str, dict[str, Any]]]:
    t = REP_T
    cols = [t.c[c] for c in REP_VALUE_COLUMNS]
    return [
        (r[0], r[1], dict(zip(REP_VALUE_COLUMNS, r[2:], strict=True)))
        for r in conn.execute(select(t.c.id, t.c.handle, *cols))
    ]


def rep_names(conn: Connection) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute(select(REP_T.c.handle, REP_T.c.name))]


def account_keys(conn: Connection) -> list[tuple[int, str, str]]:
    t = ACCOUNT_T
    return [(r[0], r[1], r[2]) for r in conn.execute(select(t.c.id, t.c.key, t.c.name))]


def touch_signatures(
    conn: Connection, since: date | None, until: date | None
) -> set[tuple[int, str, date, str | None, str | None]]:
    """(account, kind, date, rep, note) of the touches dated within [since, until]."""
    t = TOUCH_T
    q = select(t.c.account_id, t.c.kind, t.c.date, t.c.rep, t.c.note)
    if since is not None:
        q = q.where(t.c.date >= since)
    if until is not None:
        q = q.where(t.c.date <= until)
    return {(r[0], r[1], r[2], r[3], r[4] or None) for r in conn.execute(q)}


# --------------------------------------------------------------------------- writes


def _process_column(values: list[Any], proc: Callable[[Any], Any] | None) -> list[Any]:
    """Run a column type's bind processor over one column, once per distinct value (an
    import repeats few countries, product-line lists, timestamps and dates)."""
    if proc is None:
        return values
    try:
        table = {v: (None if v is None else proc(v)) for v in set(values)}
        return list(map(table.__getitem__, values))
    except TypeError:  # lists / dicts are not hashable
        pass
    if all(type(v) is list for v in values):
        keys = list(map(tuple, values))
        ltable = {k: proc(list(k)) for k in set(keys)}
        return list(map(ltable.__getitem__, keys))
    empty = proc({})
    return [None if v is None else empty if v == {} else proc(v) for v in values]


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert rows (all with the same keys) in chunks with the driver's ``executemany``.

    The INSERT is compiled once by SQLAlchemy for the connection's dialect (so SQLite and
    PostgreSQL each get their own SQL, casts and parameter style) and the values go through
    the column types' own bind processors, once per distinct value; what is skipped is SQLAlchemy's
    per-row parameter bookkeeping, which costs more than the database work on large files.
    """
    if not rows:
        return 0
    dialect = conn.dialect
    cols = [c.name for c in table.columns if c.name in rows[0]]
    compiled = table.insert().compile(dialect=dialect, column_keys=cols)
    sql = str(compiled)
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
    bind_to_col = {name: compiled.binds[name].key for name in names}
    getters = [
        (bind_to_col[name], table.c[bind_to_col[name]].type._cached_bind_processor(dialect))
        for name in names
    ]
    inline = dialect.paramstyle == "qmark"
    prep = dialect.identifier_preparer
    head = f"INSERT INTO {prep.format_table(table)} ("
    head += ", ".join(prep.quote(c) for c, _ in getters) + ") VALUES ("
    for chunk in _chunks(rows):
        columns = [_process_column(list(map(itemgetter(c), chunk)), p) for c, p in getters]
        chunk_sql = sql
        if inline:
            # Columns with one value for the whole chunk (timestamps, defaults) are written
            # into the SQL once instead of being bound on every row.
            literals = [_sql_literal(col) for col in columns]
            if any(lit is not None for lit in literals):
                chunk_sql = head + ", ".join(lit or "?" for lit in literals) + ")"
                columns = [col for col, lit in zip(columns, literals, strict=True) if lit is None]
        if compiled.positional:
            params: list[Any] = list(zip(*columns, strict=True))
        else:
            params = [dict(zip(names, t, strict=True)) for t in zip(*columns, strict=True)]
        if not columns:
            params = [()] * len(chunk)
        conn.exec_driver_sql(chunk_sql, params)
        if progress is not None:
            progress(len(chunk))
    return len(rows)


def _sql_literal(column: list[Any]) -> str | None:
    """The SQL literal of a column whose every value is the same, else None (SQLite)."""
    first = column[0]
    if column.count(first) != len(column):
        return None
    if first is None:
        return "NULL"
    if type(first) is bool:
        return "1" if first else "0"
    if type(first) is int:
        return str(first)
    if type(first) is float and first == first and abs(first) != float("inf"):
        return repr(first)
    if type(first) is str and "\x00" not in first:
        return "'" + first.replace("'", "''") + "'"
    return None


def update_rows(
    conn: Connection,
    table: Table,
    updates: Iterable[tuple[int, dict[str, Any]]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Update rows by id; one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    n = 0
    for row_id, changes in updates:
        cols = tuple(sorted(changes))
        groups.setdefault(cols, []).append(
            {"b_id": row_id, **{f"b_{c}": v for c, v in changes.items()}}
        )
        n += 1
    for cols, params in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}", type_=table.c[c].type) for c in cols})
        )
        for chunk in _chunks(params):
            conn.execute(stmt, list(chunk))
            if progress is not None:
                progress(len(chunk))
    return n


# --------------------------------------------------------------------------- export reads


def export_accounts(
    conn: Connection,
    *,
    type_: str | None = None,
    category: str | None = None,
    owner: str | None = None,
    country: str | None = None,
    include_archived: bool = True,
) -> list[dict[str, Any]]:
    """Accounts in key order with every exportable column (filters applied in SQL)."""
    t = ACCOUNT_T
    cols = ("key", "name", "country", "product_lines", "revenue", "employees", "custom")
    cols += ("owner", "type", "category", "lifecycle_stage", "archived")
    q = select(*(t.c[c] for c in cols)).order_by(t.c.key)
    if type_:
        q = q.where(t.c.type == type_)
    if category:
        q = q.where(t.c.category == category)
    if owner:
        q = q.where(t.c.owner == owner)
    if country:
        q = q.where(t.c.country == country)
    if not include_archived:
        q = q.where(t.c.archived.is_(False))
    return [dict(zip(cols, r, strict=True)) for r in conn.execute(q)]


def export_reps(conn: Connection, *, active_only: bool = False) -> list[dict[str, Any]]:
    t = REP_T
    cols = ("handle", "name", "email", "role", "capacity", "active")
    q = select(*(t.c[c] for c in cols)).order_by(t.c.handle)
    if active_only:
        q = q.where(t.c.active.is_(True))
    return [dict(zip(cols, r, strict=True)) for r in conn.execute(q)]


def export_touches(
    conn: Connection,
    *,
    rep: str | None = None,
    account_key: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, Any]]:
    """Touches by date, account key, id; the account given by its key."""
    t, a = TOUCH_T, ACCOUNT_T
    q = (
        select(
            t.c.id,
            a.c.key.label("account"),
            t.c.date,
            t.c.kind,
            t.c.rep,
            t.c.note,
            t.c.source,
        )
        .join(a, a.c.id == t.c.account_id)
        .order_by(t.c.date, a.c.key, t.c.id)
    )
    if rep:
        q = q.where(t.c.rep == rep)
    if account_key:
        q = q.where(a.c.key == account_key)
    if kind:
        q = q.where(t.c.kind == kind)
    if since:
        q = q.where(t.c.date >= since)
    if until:
        q = q.where(t.c.date <= until)
    return [dict(r._mapping) for r in conn.execute(q)]
