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
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, func, select

from khm.core.reports import AccountFacts, RepFacts, TagChangeFact
from khm.store import tables

# light views of the tables (no sqlmodel import: start-up is part of every cron run)
Account: Any = tables.Columns(tables.ACCOUNT)
Rep: Any = tables.Columns(tables.REP)
Touch: Any = tables.Columns(tables.TOUCH)
TagChange: Any = tables.Columns(tables.TAG_CHANGE)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class OrdinalCache(dict):  # type: ignore[type-arg]
    """Raw date values (ISO text on SQLite, ``date`` on PostgreSQL) -> date ordinals.

    A report reads up to millions of touches but only a few hundred distinct days, so
    converting each distinct raw value once is much cheaper than a date per row."""

    def __missing__(self, key: object) -> int:
        value = _as_date(key).toordinal()
        self[key] = value
        return value


def _raw_rows(conn: Connection, stmt: Any, chunk: int = 100_000) -> Iterator[tuple[Any, ...]]:
    """Rows of ``stmt`` as plain DBAPI tuples: SQLAlchemy builds and binds the query (so it
    runs on every dialect), the rows skip its per-row type processing (dates arrive raw:
    text on SQLite, ``date`` objects on PostgreSQL; callers convert them once per value)."""
    result = conn.execute(stmt)
    cursor = result.cursor
    try:
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                break
            yield from rows
    finally:
        result.close()


def _date_range(conn: Connection, column: Any, start: date, end: date) -> Any:
    """``start <= column <= end``, written so that a window covering a large part of the
    data is read by one sequential scan instead of an index range scan with a random row
    lookup per touch (twice as slow on SQLite for a year of a 1M-touch table)."""
    # two queries: each is one index probe, while MIN and MAX together scan the index
    lo = conn.execute(select(func.min(column))).scalar()
    hi = conn.execute(select(func.max(column))).scalar()
    wide = False
    if lo is not None and hi is not None:
        first, last = _as_date(lo), _as_date(hi)
        span = max((last - first).days, 1)
        overlap = (min(end, last) - max(start, first)).days
        wide = overlap / span > 0.3
    target = func.coalesce(column, column) if wide else column  # coalesce: no index use
    return and_(target >= start, target <= end)


def _live_accounts_filter(rep: str | None):  # type: ignore[no-untyped-def]
    cond = Account.archived.is_(False)
    if rep is not None:
        cond = and_(cond, Account.owner == rep)
    return cond


def load_accounts(conn: Connection, rep: str | None = None) -> list[AccountFacts]:
    """Live (not archived) accounts, optionally of one owner, ordered by key (code points:
    the same order on every database)."""
    a = Account.__table__.c
    stmt = select(
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
    ).where(
        _live_accounts_filter(rep)
    )  # sorted here, not in SQL: walking the key index costs a random row read per account
    days = OrdinalCache()
    out = []
    for id_, key, name, owner, type_, cat, country, revenue, tagged, created in _raw_rows(
        conn, stmt
    ):
        anchor = tagged if tagged is not None else created
        if isinstance(anchor, str):
            anchor = anchor[:10]
        elif isinstance(anchor, datetime):
            anchor = anchor.date()
        out.append(
            AccountFacts(
                id=id_,
                key=key,
                name=name or "",
                owner=owner,
                type=type_,
                category=cat,
                country=country,
                revenue=float(revenue) if revenue is not None else None,
                anchor=date.fromordinal(days[anchor]),
            )
        )
    out.sort(key=_by_key)
    return out


def _by_key(acc: AccountFacts) -> str:
    return acc.key


def load_reps(conn: Connection) -> list[RepFacts]:
    r = Rep.__table__.c
    return [
        RepFacts(row.handle, row.name or "", float(row.capacity), bool(row.active))
        for row in conn.execute(select(r.handle, r.name, r.capacity, r.active).order_by(r.handle))
    ]


def rep_exists(conn: Connection, handle: str) -> bool:
    r = Rep.__table__.c
    return conn.execute(select(r.id).where(r.handle == handle)).first() is not None


def _touch_scope(rep: str | None):  # type: ignore[no-untyped-def]
    """Restricts touches to live accounts (of one owner)."""
    a = Account.__table__.c
    return select(a.id).where(_live_accounts_filter(rep))


def last_touch_before(
    conn: Connection, before: date, rep: str | None = None
) -> dict[int, dict[str, int]]:
    """``{account_id: {kind: ordinal of the last touch before ``before``}}``."""
    t = Touch.__table__.c
    q = (
        select(t.account_id, t.kind, func.max(t.date))
        .where(t.date < before)
        .group_by(t.account_id, t.kind)
    )
    if rep is not None:
        q = q.where(t.account_id.in_(_touch_scope(rep)))
    out: dict[int, dict[str, int]] = {}
    days = OrdinalCache()
    for account_id, kind, last in _raw_rows(conn, q):
        kinds = out.get(account_id)
        if kinds is None:
            kinds = out[account_id] = {}
        kinds[kind] = days[last]
    return out


def touch_streams(
    conn: Connection,
    start: date,
    end: date,
    *,
    done_from: date,
    done_until: date,
    human: set[str],
) -> tuple[dict[int, dict[str, tuple[int, ...]]], dict[tuple[str | None, str, int], int]]:
    """The touches with ``start <= date <= end``, grouped for the report maths.

    Returns ``streams[account_id][kind]`` = sorted date ordinals (a tuple), and the human
    touches done between ``done_from`` and ``done_until`` counted per (who, kind, ordinal),
    where who is the touch's rep, or the account's owner when the touch names none.

    Both are aggregated in SQL: one row per (account, kind) with its dates gathered by
    ``array_agg`` (PostgreSQL) or ``group_concat`` / ``string_agg`` (SQLAlchemy's
    ``aggregate_strings`` elsewhere), and one ``GROUP BY who, kind, date`` for the work
    done. A million touches become about a quarter of a million rows, and no Python loop
    runs per touch row.
    """
    t = Touch.__table__.c
    a = Account.__table__.c
    days = OrdinalCache()
    if conn.dialect.name == "postgresql":
        dates: Any = func.array_agg(t.date)
    else:
        dates = func.aggregate_strings(cast(t.date, String), ",")
    q = (
        select(t.account_id, t.kind, dates)
        .where(_date_range(conn, t.date, start, end))
        .group_by(t.account_id, t.kind)
    )
    streams: dict[int, dict[str, tuple[int, ...]]] = {}
    # many (account, kind) pairs gathered the very same dates (a newsletter sent to every
    # account on the same days): each distinct text is parsed once and its tuple shared
    parsed: dict[str, tuple[int, ...]] = {}
    for account_id, kind, gathered in _raw_rows(conn, q):
        if isinstance(gathered, str):
            lst = parsed.get(gathered)
            if lst is None:
                lst = parsed[gathered] = tuple(sorted(map(days.__getitem__, gathered.split(","))))
        else:
            lst = tuple(sorted(map(days.__getitem__, gathered)))
        kinds = streams.get(account_id)
        if kinds is None:
            streams[account_id] = {kind: lst}
        else:
            kinds[kind] = lst
    who = func.coalesce(t.rep, a.owner)
    dq = (
        select(who, t.kind, t.date, func.count())
        .select_from(Touch.__table__.outerjoin(Account.__table__, a.id == t.account_id))
        .where(t.kind.in_(sorted(human)), _date_range(conn, t.date, done_from, done_until))
        .group_by(who, t.kind, t.date)
    )
    done: dict[tuple[str | None, str, int], int] = {}
    for rep, kind, day, n in _raw_rows(conn, dq):
        done[(rep, kind, days[day])] = int(n)
    return streams, done


def last_touch_any(conn: Connection, until: date, rep: str | None = None) -> dict[int, date]:
    """``{account_id: date of the newest touch of any kind on or before ``until``}``."""
    t = Touch.__table__.c
    q = select(t.account_id, func.max(t.date)).where(t.date <= until).group_by(t.account_id)
    if rep is not None:
        q = q.where(t.account_id.in_(_touch_scope(rep)))
    days = OrdinalCache()
    return {account_id: date.fromordinal(days[last]) for account_id, last in _raw_rows(conn, q)}


def tag_changes_between(conn: Connection, start: date, end: date) -> list[TagChangeFact]:
    """Type and category changes with ``start <= changed_at < end + 1 day``, oldest first."""
    c = TagChange.__table__.c
    lo = datetime(start.year, start.month, start.day)
    hi = datetime(end.year, end.month, end.day) + timedelta(days=1)
    q = (
        select(c.account_id, c.field, c.old, c.new, c.changed_at, c.who, c.reason, c.rule)
        .where(c.changed_at >= lo, c.changed_at < hi, c.field.in_(("type", "category")))
        .order_by(c.changed_at, c.id)
    )
    # plain DBAPI rows (a year of a big team is tens of thousands of changes); the time
    # stamps go through the column type's own converter, as SQLAlchemy's rows would
    convert = c.changed_at.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
    return [
        TagChangeFact(
            account_id,
            field,
            old,
            new,
            convert(at) if convert is not None else at,
            who or "",
            reason,
            rule,
        )
        for account_id, field, old, new, at, who, reason, rule in _raw_rows(conn, q)
    ]
