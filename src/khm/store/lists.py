"""Streamed reads for the lists and exports (``account list``, ``rep list``, ``touch
list``, ``export accounts|reps|touches``).

Each function takes an open :class:`~sqlalchemy.engine.Connection` and returns an iterator
of rows fetched ``CHUNK`` at a time (``yield_per``: a server-side cursor on PostgreSQL, the
cursor itself on SQLite), so a list of a million touches never sits in memory. The light
Core tables of :mod:`khm.store.tables` are used, not the sqlmodel classes: listing pays
neither for the ORM import nor for tracked objects. Portable SQLAlchemy: the same SQL on
SQLite and PostgreSQL; the caller keeps the connection open while it reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, false, func, or_, select, true, type_coerce

from khm.store import tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Select

Account: Any = tables.Columns(tables.ACCOUNT)
Rep: Any = tables.Columns(tables.REP)
Touch: Any = tables.Columns(tables.TOUCH)

#: rows fetched per round trip
CHUNK = 2000

ACCOUNT_EXPORT_FIELDS = (
    "key",
    "name",
    "country",
    "product_lines",
    "revenue",
    "employees",
    "custom",
    "owner",
    "type",
    "category",
    "lifecycle_stage",
    "archived",
    "customer_since",
    "text",
)
REP_EXPORT_FIELDS = ("handle", "name", "email", "role", "capacity", "active")
TOUCH_EXPORT_FIELDS = ("id", "account", "date", "kind", "rep", "note", "source")


def _stream(conn: Connection, q: Select[Any]) -> Iterator[Any]:
    yield from conn.execution_options(yield_per=CHUNK).execute(q)


# --------------------------------------------------------------------------- lookups


def find_account_id(conn: Connection, key: str) -> int | None:
    """The id of the account with exactly this key; else of the only one whose key matches
    ignoring case (so ``khm log acme visit`` finds ``ACME``); else None."""
    row = conn.execute(select(Account.id).where(Account.key == key)).first()
    if row is not None:
        return int(row[0])
    rows = conn.execute(
        select(Account.id).where(func.lower(Account.key) == key.lower()).limit(2)
    ).all()
    return int(rows[0][0]) if len(rows) == 1 else None


def rep_exists(conn: Connection, handle: str) -> bool:
    return conn.execute(select(Rep.id).where(Rep.handle == handle)).first() is not None


# --------------------------------------------------------------------------- accounts


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
    #: text fields that must hold a value: (name, casefolded value), all of them
    text: tuple[tuple[str, str], ...] = ()
    #: numeric conditions (``nps <= 6``: :class:`khm.method.Condition`), all of them, on
    #: revenue, employees or a custom field
    numeric: tuple[Any, ...] = ()


def _product_line_patterns(product_line: str) -> list[str]:
    """How one product line appears inside the stored JSON list text (both escapings)."""
    pats = {json.dumps(product_line), json.dumps(product_line, ensure_ascii=False)}
    return sorted(p.lower() for p in pats)


def _account_order(sort: str) -> list[Any]:
    if sort == "name":
        return [func.lower(Account.name), Account.key]
    if sort == "revenue":  # largest first, accounts without revenue last
        return [case((Account.revenue.is_(None), 1), else_=0), Account.revenue.desc(), Account.key]
    if sort == "category":  # A first, untagged last
        return [case((Account.category.is_(None), 1), else_=0), Account.category, Account.key]
    return [Account.key]


def iter_accounts(conn: Connection, flt: AccountFilter) -> Iterator[Any]:
    """Rows of every account column matching ``flt``, sorted, at most ``flt.limit``."""
    q = select(*tables.ACCOUNT.columns)
    if flt.archived is not None:
        q = q.where(Account.archived == (true() if flt.archived else false()))
    if flt.type is not None:
        q = q.where(Account.type.is_(None) if flt.type == "none" else Account.type == flt.type)
    if flt.category is not None:
        q = q.where(
            Account.category.is_(None)
            if flt.category == "none"
            else Account.category == flt.category
        )
    if flt.no_owner:
        q = q.where(Account.owner.is_(None))
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
        pats = _product_line_patterns(flt.product_line)
        q = q.where(or_(*(text.contains(p, autoescape=True) for p in pats)))
    for _name, value in flt.text:
        # a portable pre-filter on the JSON text (ASCII: what SQLite's lower() folds); the
        # exact check, by field and in any case, is done below
        if value.isascii():
            stored = func.lower(cast(Account.text, String))
            q = q.where(stored.contains(json.dumps(value)[1:-1], autoescape=True))
    q = q.order_by(*_account_order(flt.sort))
    if flt.product_line is None and not flt.text and not flt.numeric:
        if flt.limit is not None:
            q = q.limit(flt.limit)
        yield from _stream(conn, q)
        return
    want = flt.product_line.casefold() if flt.product_line is not None else None
    n = 0
    for a in _stream(conn, q):
        if flt.limit is not None and n >= flt.limit:
            return
        if want is not None and not any(str(p).casefold() == want for p in a.product_lines or []):
            continue
        text = a.text or {}
        if not all(str(text.get(name, "")).casefold() == value for name, value in flt.text):
            continue
        if flt.numeric and not all(c.test(_number_field(a, c.field)) for c in flt.numeric):
            continue
        n += 1
        yield a


def _number_field(row: Any, name: str) -> Any:
    """A numeric field of an account row: revenue, employees, else a custom field."""
    if name in ("revenue", "employees"):
        return getattr(row, name)
    v = (row.custom or {}).get(name.removeprefix("custom."))
    return None if isinstance(v, bool | str) else v


# --------------------------------------------------------------------------- reps


def iter_reps(
    conn: Connection, *, role: str | None = None, include_inactive: bool = False
) -> Iterator[Any]:
    """Rep rows (active only unless asked), each with ``accounts``: the number of active
    accounts it owns."""
    owned = (
        select(Account.owner.label("owner"), func.count().label("n"))
        .where(Account.archived == false())
        .where(Account.owner.is_not(None))
        .group_by(Account.owner)
        .subquery()
    )
    q = select(*tables.REP.columns, func.coalesce(owned.c.n, 0).label("accounts")).outerjoin(
        owned, owned.c.owner == Rep.handle
    )
    if role is not None:
        q = q.where(Rep.role == role)
    if not include_inactive:
        q = q.where(Rep.active == true())
    yield from _stream(conn, q.order_by(Rep.handle))


# --------------------------------------------------------------------------- touches


@dataclass(frozen=True)
class TouchFilter:
    account_id: int | None = None
    rep: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int | None = None
    campaign_id: int | None = None


def iter_touches(conn: Connection, flt: TouchFilter) -> Iterator[Any]:
    """Touch rows with ``account_key`` and ``account_name``, newest first."""
    q = select(
        *tables.TOUCH.columns,
        Account.key.label("account_key"),
        Account.name.label("account_name"),
    ).join(tables.ACCOUNT, Account.id == Touch.account_id)
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
    if flt.campaign_id is not None:
        q = q.where(Touch.campaign_id == flt.campaign_id)
    q = q.order_by(Touch.date.desc(), Touch.id.desc())
    if flt.limit is not None:
        q = q.limit(flt.limit)
    yield from _stream(conn, q)


# --------------------------------------------------------------------------- exports


def export_accounts(
    conn: Connection,
    *,
    type_: str | None = None,
    category: str | None = None,
    owner: str | None = None,
    country: str | None = None,
    include_archived: bool = True,
    fields: tuple[str, ...] = ACCOUNT_EXPORT_FIELDS,
) -> Iterator[Any]:
    """Accounts in key order, the columns ``fields`` in that order (filters in SQL)."""
    q = select(*(Account.__table__.c[c] for c in fields)).order_by(Account.key)
    if type_:
        q = q.where(Account.type == type_)
    if category:
        q = q.where(Account.category == category)
    if owner:
        q = q.where(Account.owner == owner)
    if country:
        q = q.where(Account.country == country)
    if not include_archived:
        q = q.where(Account.archived == false())
    yield from _stream(conn, q)


def export_reps(conn: Connection, *, active_only: bool = False) -> Iterator[Any]:
    """Reps by handle, the columns :data:`REP_EXPORT_FIELDS`."""
    q = select(*(Rep.__table__.c[c] for c in REP_EXPORT_FIELDS)).order_by(Rep.handle)
    if active_only:
        q = q.where(Rep.active == true())
    yield from _stream(conn, q)


def export_touches(
    conn: Connection,
    *,
    rep: str | None = None,
    account_key: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Iterator[Any]:
    """Touches by date, account key, id (the columns :data:`TOUCH_EXPORT_FIELDS`); the
    account given by its key."""
    q = (
        select(
            Touch.id,
            Account.key.label("account"),
            # the date as the database gives it: ISO text on SQLite (written out as it is,
            # not parsed into a million date objects and formatted back), a date elsewhere
            type_coerce(Touch.date, String).label("date"),
            Touch.kind,
            Touch.rep,
            Touch.note,
            Touch.source,
        )
        .join(tables.ACCOUNT, Account.id == Touch.account_id)
        .order_by(Touch.date, Account.key, Touch.id)
    )
    if rep:
        q = q.where(Touch.rep == rep)
    if account_key:
        q = q.where(Account.key == account_key)
    if kind:
        q = q.where(Touch.kind == kind)
    if since:
        q = q.where(Touch.date >= since)
    if until:
        q = q.where(Touch.date <= until)
    yield from _stream(conn, q)
