"""Bulk reads and writes for import and export, in SQLAlchemy Core (portable SQLite /
PostgreSQL): what exists is loaded in one query per table, new rows go in with
``executemany`` in chunks, changed rows are updated with one ``executemany`` per set of
changed columns. Callers pass a :class:`~sqlalchemy.engine.Connection` inside a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from operator import add, itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, select, update

from khm.store.db import DEFER_INDEXES_AT, large_write
from khm.store.models import Account, Deal, NpsResponse, Rep, Touch

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

ACCOUNT_T: Table = Account.__table__  # type: ignore[attr-defined]
REP_T: Table = Rep.__table__  # type: ignore[attr-defined]
TOUCH_T: Table = Touch.__table__  # type: ignore[attr-defined]
DEAL_T: Table = Deal.__table__  # type: ignore[attr-defined]
NPS_T: Table = NpsResponse.__table__  # type: ignore[attr-defined]
TABLES = {
    "accounts": ACCOUNT_T,
    "reps": REP_T,
    "touches": TOUCH_T,
    "deals": DEAL_T,
    "nps": NPS_T,
}

ACCOUNT_VALUE_COLUMNS = (
    "name",
    "country",
    "product_lines",
    "revenue",
    "employees",
    "custom",
    "text",
    "owner",
    "lifecycle_stage",
    "archived",
    "customer_since",
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


def nps_signatures(
    conn: Connection, since: date, until: date
) -> set[tuple[int, date, int, str | None, str | None]]:
    """(account, date, score, contact, comment) of the responses dated within [since, until]."""
    t = NPS_T
    q = select(t.c.account_id, t.c.date, t.c.score, t.c.contact, t.c.comment).where(
        t.c.date >= since, t.c.date <= until
    )
    return {(r[0], r[1], r[2], r[3] or None, r[4] or None) for r in conn.execute(q)}


# --------------------------------------------------------------------------- writes


def _process_column(values: list[Any], proc: Callable[[Any], Any] | None) -> list[Any]:
    """Run a column type's bind processor over one column, once per distinct value (an
    import repeats few countries, product-line lists, timestamps and dates)."""
    if proc is None:
        return values
    kinds = set(map(type, values))
    if getattr(proc, "__name__", "") == "to_float" and kinds <= {float, type(None)}:
        return values  # floats for a Float column: nothing to convert
    try:
        table = {v: (None if v is None else proc(v)) for v in set(values)}
        return list(map(table.__getitem__, values))
    except TypeError:  # lists / dicts are not hashable
        pass
    if kinds == {list}:
        keys = list(map(tuple, values))
        ltable = {k: proc(list(k)) for k in set(keys)}
        return list(map(ltable.__getitem__, keys))
    empty = proc({})
    return [None if v is None else empty if v == {} else proc(v) for v in values]


def _is_constant(column: Sequence[Any]) -> bool:
    return column.count(column[0]) == len(column) and len(set(map(type, column))) == 1


def _plain(column: Sequence[Any], proc: Callable[[Any], Any] | None) -> bool:
    """True when a column's values go to the driver as they are (no bind processing)."""
    if proc is None:
        return True
    kinds = set(map(type, column))
    if kinds <= {type(None)}:
        return True  # NULL needs no processing
    return getattr(proc, "__name__", "") == "to_float" and kinds <= {float, type(None)}


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
    shared: Mapping[str, Any] | None = None,
) -> int:
    """Insert rows (all with the same keys) in chunks with the driver's ``executemany``.

    ``shared`` holds the columns every row has the same value in (timestamps, defaults,
    ``--set`` values, the import batch): given once, not per row (a row's own key of
    that name is ignored).

    The column types' own bind processors (JSON → text, datetime → text on SQLite) run
    once per distinct value, not once per cell, and the driver gets plain tuples (or dicts
    for a named parameter style): SQLAlchemy's per-row parameter bookkeeping, which costs
    more than the database work on large files, is skipped.

    On SQLite the shared columns, and any column found to hold one value in a chunk, are
    written into the SQL once as literals instead of being bound on every row; the rows
    of a chunk become parameter tuples in C (``itemgetter``), processed columns appended.
    """
    if not rows:
        return 0
    shared = shared or {}
    dialect = conn.dialect
    cols = [c.name for c in table.columns if c.name in rows[0] and c.name not in shared]
    procs = {
        c.name: c.type._cached_bind_processor(dialect)
        for c in table.columns
        if c.name in shared or c.name in cols
    }
    if dialect.paramstyle != "qmark":
        _insert_compiled(conn, table, rows, cols, procs, progress, shared)
        return len(rows)
    prep = dialect.identifier_preparer
    literals: dict[str, str] = {}
    bound: dict[str, Any] = {}  # shared values with no SQL literal (bytes, NUL in text)
    for c, v in shared.items():
        if c not in procs:
            raise KeyError(f"{table.name} has no column {c!r}")
        pv = None if v is None else procs[c](v) if procs[c] else v  # type: ignore[misc]
        lit = _sql_literal(pv)
        if lit is None:
            bound[c] = pv
        else:
            literals[c] = lit
    # A large load into an empty table: the non-unique indexes are built once at the end
    # (a sort) rather than row by row. Dropped only inside the open transaction (after
    # the first chunk began it), so a failure rolls the drop back with the rows.
    defer = len(rows) >= DEFER_INDEXES_AT and _is_empty(conn, table)
    deferred: list[Any] = []
    with large_write(conn, len(rows)):
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            sql, params = _chunk_insert(
                table, chunk, cols, procs, bool(shared), literals, bound, prep
            )
            conn.exec_driver_sql(sql, params)
            if (
                defer
                and start == 0
                and getattr(conn.connection.dbapi_connection, "in_transaction", False)
            ):
                deferred = [ix for ix in table.indexes if not ix.unique]
                for ix in deferred:
                    ix.drop(conn)
            if progress is not None:
                progress(len(chunk))
        for ix in deferred:
            ix.create(conn)
    return len(rows)


def _chunk_insert(
    table: Table,
    chunk: Sequence[dict[str, Any]],
    cols: list[str],
    procs: Mapping[str, Callable[[Any], Any] | None],
    told: bool,
    literals: Mapping[str, str],
    bound: Mapping[str, Any],
    prep: Any,
) -> tuple[str, list[Any]]:
    """The qmark INSERT of one chunk and its parameter tuples: a column with one value in
    the chunk (or shared) as a literal, the rest bound, processed columns appended.
    ``told``: the caller named the shared columns, so a column without a bind processor
    is bound as it is, not looked at for one value."""
    plain: list[str] = []
    processed: list[tuple[str, list[Any]]] = []
    chunk_literals = dict(literals)
    for c in cols:
        proc = procs[c]
        if proc is None and told:
            plain.append(c)  # text and such: bound as it is, no need to look
            continue
        col = [r[c] for r in chunk]
        if _is_constant(col):
            lit = _sql_literal(None if col[0] is None else proc(col[0]) if proc else col[0])
            if lit is not None:
                chunk_literals[c] = lit
                continue
        if _plain(col, proc):
            plain.append(c)
        else:
            processed.append((c, _process_column(col, proc)))
    names = plain + [c for c, _ in processed] + list(bound) + list(chunk_literals)
    n_bound = len(plain) + len(processed) + len(bound)
    sql = (
        f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(c) for c in names)})"
        f" VALUES ({', '.join(['?'] * n_bound + list(chunk_literals.values()))})"
    )
    params: list[Any]
    if len(plain) > 1:
        params = list(map(itemgetter(*plain), chunk))
    elif plain:
        params = [(r[plain[0]],) for r in chunk]
    else:
        params = [()] * len(chunk)
    if processed:
        extra = zip(*(values for _, values in processed), strict=True)
        params = list(map(add, params, extra))
    if bound:
        tail = tuple(bound.values())
        params = [p + tail for p in params]
    return sql, params


def _is_empty(conn: Connection, table: Table) -> bool:
    pk = next(iter(table.primary_key.columns))
    return conn.execute(select(pk).limit(1)).first() is None


def _insert_compiled(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    cols: list[str],
    procs: dict[str, Callable[[Any], Any] | None],
    progress: Callable[[int], None] | None,
    shared: Mapping[str, Any],
) -> None:
    """PostgreSQL (and any non-qmark driver): the INSERT compiled by SQLAlchemy for the
    dialect (parameter style, casts), the values bind-processed per distinct value; a
    shared value is processed once and bound on every row."""
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=[*cols, *shared])
    sql = str(compiled)
    positional = bool(compiled.positional)
    names = list(compiled.positiontup or []) if positional else list(compiled.binds)
    keys = [compiled.binds[n].key for n in names]
    fixed = {
        c: (None if v is None else procs[c](v) if procs[c] else v)  # type: ignore[misc]
        for c, v in shared.items()
    }
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        data = [
            [fixed[k]] * len(chunk)
            if k in fixed
            else _process_column([r[k] for r in chunk], procs[k])
            for k in keys
        ]
        params: list[Any]
        if positional:
            params = list(zip(*data, strict=True))
        else:
            params = [dict(zip(names, t, strict=True)) for t in zip(*data, strict=True)]
        conn.exec_driver_sql(sql, params)
        if progress is not None:
            progress(len(chunk))


def _sql_literal(value: Any) -> str | None:
    """The SQL literal of one (already bind-processed) value, or None (then it is bound)."""
    if value is None:
        return "NULL"
    if type(value) is bool:
        return "1" if value else "0"
    if type(value) is int:
        return str(value)
    if type(value) is float and value == value and abs(value) != float("inf"):
        return repr(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
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
    with large_write(conn, n):
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
