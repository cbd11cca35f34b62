"""Store queries for the weekly planner.

A handful of set queries per run, never one per account: the reps, the accounts in scope,
the newest touch per (account, kind) as one ``GROUP BY ... MAX(date)`` (served by the
index on ``touch(account_id, kind, date)``), and the recent tag history when the method
has tag-change triggers. With ``owner`` every query is restricted to that rep's accounts.
Portable SQLAlchemy Core: the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    String,
    false,
    func,
    select,
    type_coerce,
)

from khm.core.fieldhistory import FieldChange
from khm.core.planner import PlanAccount, PlanRep
from khm.core.triggers import TagEvent, customer_start
from khm.store import tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Light views of the tables (khm.store.tables): the planner reads a few columns, and
# importing the sqlmodel classes would cost more than the queries of a one-rep list.
Rep: Any = tables.Columns(tables.REP)
Account: Any = tables.Columns(tables.ACCOUNT)
Touch: Any = tables.Columns(tables.TOUCH)
TagChange: Any = tables.Columns(tables.TAG_CHANGE)
History: Any = tables.Columns(tables.FIELD_CHANGE)
Deal: Any = tables.Columns(tables.DEAL)

_CORE_METRICS = ("revenue", "employees")


def load_reps(conn: Connection) -> list[PlanRep]:
    """Every rep (active or not), by handle."""
    rows = conn.execute(
        select(Rep.handle, Rep.name, Rep.capacity, Rep.active, Rep.email).order_by(Rep.handle)
    ).all()
    return [
        PlanRep(handle=h, name=n or "", capacity=float(c or 0), active=bool(a), email=e)
        for h, n, c, a, e in rows
    ]


def _as_date(v: Any) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


class _Dates:
    """Dates read as the driver gives them (SQLite: ISO text, PostgreSQL: date or
    datetime objects), converted once per distinct value: a book has a few hundred
    distinct dates and hundreds of thousands of rows."""

    def __init__(self) -> None:
        self.memo: dict[Any, date | None] = {}

    def __call__(self, v: Any) -> date | None:
        got = self.memo.get(v, _MISSING)
        if got is _MISSING:
            got = self.memo[v] = _as_date(v)
        return got  # type: ignore[return-value]


_MISSING: Any = object()


def _metrics(revenue: Any, employees: Any, custom: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {"revenue": revenue, "employees": employees}
    if isinstance(custom, str):
        try:
            custom = json.loads(custom)
        except ValueError:
            custom = {}
    if isinstance(custom, dict):
        for k, v in custom.items():
            if k in _CORE_METRICS:
                continue
            try:
                out[str(k)] = float(v) if v is not None and not isinstance(v, bool) else None
            except (TypeError, ValueError):
                out[str(k)] = None
    return out


def _fetch(conn: Connection, stmt: Any) -> list[Any]:
    """All rows of ``stmt`` as the driver's plain tuples.

    SQLAlchemy compiles and binds the statement (portable); the rows come straight from
    the DBAPI cursor, skipping the Row objects (a third of the time of a 300k-row result).
    Values arrive as the driver gives them; the callers convert what differs between
    drivers (dates, JSON)."""
    result = conn.execute(stmt)
    try:
        cursor = getattr(result, "cursor", None)
        if cursor is None:  # not a cursor result: the ordinary way
            return [tuple(r) for r in result.all()]
        return list(cursor.fetchall())
    finally:
        result.close()


def load_accounts(
    conn: Connection, *, owner: str | None = None, with_metrics: bool = False
) -> tuple[list[PlanAccount], dict[int, str]]:
    """The non-archived accounts in scope (all, or one owner's) and their id -> key map.

    The anchor of the spread first due dates is ``tagged_at`` (when type or category last
    changed), else ``created_at``.
    """
    cols: list[Any] = [
        Account.id,
        Account.key,
        Account.name,
        Account.type,
        Account.category,
        Account.owner,
        Account.country,
        type_coerce(Account.tagged_at, String),  # parsed below, once per distinct value
        type_coerce(Account.created_at, String),
    ]
    if with_metrics:
        cols += [Account.revenue, Account.employees, Account.custom]
    q = select(*cols).where(Account.archived == false())
    if owner is not None:
        q = q.where(Account.owner == owner)
    rows = _fetch(conn, q)
    epoch = date(1970, 1, 1)
    # timestamps -> dates, once per distinct value (a book has a few thousand)
    dates: dict[Any, date] = {None: epoch}
    for row in rows:
        for v in (row[7], row[8]):
            if v not in dates:
                dates[v] = _as_date(v) or epoch
    id_key: dict[int, str] = {row[0]: row[1] for row in rows}
    if with_metrics:
        accounts = [
            PlanAccount(
                row[1],
                row[2] or "",
                row[3],
                row[4],
                row[5],
                row[6],
                dates[row[7]] if row[7] is not None else dates[row[8]],
                dates[row[8]],
                _metrics(row[9], row[10], row[11]),
            )
            for row in rows
        ]
    else:
        accounts = [
            PlanAccount(
                key,
                name or "",
                typ,
                cat,
                own,
                country,
                dates[tagged] if tagged is not None else dates[created],
                dates[created],
            )
            for _id, key, name, typ, cat, own, country, tagged, created in rows
        ]
    return accounts, id_key


def last_touches(
    conn: Connection, id_key: dict[int, str], *, until: date, owner: str | None = None
) -> dict[str, dict[str, date]]:
    """Newest touch date per (account, kind) among touches dated on or before ``until``,
    keyed by account key: one GROUP BY query (a scan of the covering index
    ``touch(account_id, kind, date)``)."""
    return by_account_key(last_touches_by_id(conn, until=until, owner=owner), id_key)


def last_touches_by_id(
    conn: Connection, *, until: date, owner: str | None = None, in_one_step: bool = False
) -> dict[int, dict[str, date]]:
    """:func:`last_touches` keyed by account id (the query, before the accounts are known).

    ``in_one_step`` orders the groups by ``account_id + 0``, then kind: the order the
    GROUP BY gives anyway, but through an expression the index cannot deliver, so SQLite
    builds every group into a sorter inside the cursor's first step (one call that
    releases the GIL) instead of handing out each group as it is found. The query can then
    run in a thread while the main thread reads the accounts (see
    :mod:`khm.services.weekly`); the sort costs about a tenth of the query."""
    as_date = _Dates()
    q = select(
        Touch.account_id, Touch.kind, type_coerce(func.max(Touch.date), String).label("last")
    )
    # Filtering on the date costs a third of the scan; it is only needed when some touch
    # is dated after ``until`` (planning a past week). The newest date is one index probe.
    newest = as_date(
        conn.execute(select(type_coerce(func.max(Touch.date), String))).scalar_one_or_none()
    )
    if newest is not None and newest > until:
        q = q.where(Touch.date <= until)
    if owner is not None:
        q = q.join(Account, Account.id == Touch.account_id).where(Account.owner == owner)
    q = q.group_by(Touch.account_id, Touch.kind)
    if in_one_step:
        q = q.order_by(Touch.account_id + 0, Touch.kind)
    by_id: dict[int, dict[str, date]] = {}
    memo = as_date.memo
    for aid, kind, last in _fetch(conn, q):
        d = memo.get(last)
        if d is None:
            d = as_date(last)
            if d is None:
                continue
        got = by_id.get(aid)
        if got is None:
            by_id[aid] = {kind: d}
        else:
            got[kind] = d
    return by_id


def by_account_key(
    by_id: dict[int, dict[str, date]], id_key: dict[int, str]
) -> dict[str, dict[str, date]]:
    """Touches keyed by account id -> keyed by account key (accounts in ``id_key`` only)."""
    get_key = id_key.get
    out: dict[str, dict[str, date]] = {}
    for aid, kinds in by_id.items():
        key = get_key(aid)
        if key is not None:
            out[key] = kinds
    return out


def tag_events(
    conn: Connection,
    id_key: dict[int, str],
    *,
    since: date,
    until: date,
    owner: str | None = None,
) -> dict[str, list[TagEvent]]:
    """Type and category changes dated ``since``..``until`` (inclusive), oldest first."""
    start = datetime.combine(since, time.min)
    end = datetime.combine(until + timedelta(days=1), time.min)
    q = select(
        TagChange.account_id, TagChange.field, TagChange.old, TagChange.new, TagChange.changed_at
    ).where(
        TagChange.field.in_(("type", "category")),
        TagChange.changed_at >= start,
        TagChange.changed_at < end,
    )
    if owner is not None:
        q = q.join(Account, Account.id == TagChange.account_id).where(Account.owner == owner)
    q = q.order_by(TagChange.account_id, TagChange.changed_at, TagChange.id)
    out: dict[str, list[TagEvent]] = defaultdict(list)
    for aid, fld, old, new, at in conn.execute(q):
        key = id_key.get(aid)
        on = _as_date(at)
        if key is None or on is None:
            continue
        out[key].append(TagEvent(field=fld, old=old, new=new, on=on))
    return dict(out)


def field_changes(
    conn: Connection,
    id_key: dict[int, str],
    *,
    fields: Sequence[str],
    since: date,
    owner: str | None = None,
) -> dict[str, list[FieldChange]]:
    """The changes of ``fields`` dated ``since`` or later (those after the week too: a
    past week's plan needs the value it had then), per account key, oldest first."""
    q = select(
        History.account_id,
        History.field,
        History.old,
        History.new,
        type_coerce(History.changed_on, String),
    ).where(History.field.in_(list(fields)), History.changed_on >= since)
    if owner is not None:
        q = q.join(Account, Account.id == History.account_id).where(Account.owner == owner)
    q = q.order_by(History.account_id, History.changed_on, History.id)
    as_date = _Dates()
    out: dict[str, list[FieldChange]] = defaultdict(list)
    for aid, fld, old, new, on in _fetch(conn, q):
        key = id_key.get(aid)
        day = as_date(on)
        if key is None or day is None:
            continue
        out[key].append(FieldChange(fld, old, new, day))
    return dict(out)


def customer_starts(
    conn: Connection, id_key: dict[int, str], *, owner: str | None = None
) -> dict[str, tuple[date, str]]:
    """Per account key: when it became a customer and from what
    (:func:`khm.core.triggers.customer_start`: ``customer_since``, else the first won
    deal, else the first touch). Three grouped queries; accounts with none are left out."""
    as_date = _Dates()

    def scoped(q: Any, account_id: Any) -> Any:
        if owner is None:
            return q
        return q.join(Account, Account.id == account_id).where(Account.owner == owner)

    since: dict[int, date | None] = {}
    q = select(Account.id, type_coerce(Account.customer_since, String)).where(
        Account.customer_since.is_not(None)
    )
    if owner is not None:
        q = q.where(Account.owner == owner)
    for aid, d in _fetch(conn, q):
        since[aid] = as_date(d)
    day = func.coalesce(Deal.closed, Deal.created)
    won: dict[int, date | None] = {}
    q = scoped(
        select(Deal.account_id, type_coerce(func.min(day), String))
        .where(Deal.status == "won", day.is_not(None))
        .group_by(Deal.account_id),
        Deal.account_id,
    )
    for aid, d in _fetch(conn, q):
        won[aid] = as_date(d)
    first: dict[int, date | None] = {}
    q = scoped(
        select(Touch.account_id, type_coerce(func.min(Touch.date), String)).group_by(
            Touch.account_id
        ),
        Touch.account_id,
    )
    for aid, d in _fetch(conn, q):
        first[aid] = as_date(d)
    out: dict[str, tuple[date, str]] = {}
    for aid in since.keys() | won.keys() | first.keys():
        key = id_key.get(aid)
        got = customer_start(since.get(aid), won.get(aid), first.get(aid))
        if key is not None and got is not None:
            out[key] = got
    return out
