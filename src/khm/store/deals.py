"""Deals in the database: what the import upserts against, the derived account fields
written back after an import, the streamed ``deal list``, an account's deals, and the
deals and touches per (account, rep) that ``assign --from-history`` weighs.

Light Core tables (:mod:`khm.store.tables`), portable SQL (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from khm.core.assign import HistoryCount
from khm.core.deals import DealFacts, account_changes, derive
from khm.store import tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

D: Any = tables.Columns(tables.DEAL)
A: Any = tables.Columns(tables.ACCOUNT)
T: Any = tables.Columns(tables.TOUCH)

#: the columns an import compares (``khm.core.importer._deal_row``)
DEAL_VALUE_COLUMNS = (
    "account_id",
    "stage",
    "status",
    "value",
    "product",
    "owner",
    "created",
    "closed",
)
CHUNK = 2000


def existing_deals(conn: Connection) -> list[tuple[int, str, dict[str, Any]]]:
    """(id, key, importable values) of every deal, in one query."""
    cols = [D.__table__.c[c] for c in DEAL_VALUE_COLUMNS]
    return [
        (r[0], r[1], dict(zip(DEAL_VALUE_COLUMNS, r[2:], strict=True)))
        for r in conn.execute(select(D.id, D.key, *cols))
    ]


def refresh_derived(
    conn: Connection,
    today: date,
    *,
    now: datetime,
    source: str = "deals",
    batch: int | None = None,
    clear: bool = False,
) -> int:
    """Write every account's derived deal fields (``custom``) and won products
    (``product_lines``), as of ``today``; returns how many accounts changed. The changed
    values go to the field history (dated ``today``, from ``source``, with the import
    ``batch``).

    While there are no deals nothing is written, unless ``clear`` (the undo of a deals
    import): then the derived fields leave every account, as before the first deals
    import. With ``batch`` (a deals import) the product lines the deals add are also
    kept as that batch's changes of the accounts, so its undo takes them back."""
    from khm.core.deals import DERIVED_FIELDS
    from khm.store import fieldchanges
    from khm.store.batches import record_changes
    from khm.store.bulk import ACCOUNT_T, update_rows

    facts = [
        DealFacts(r[0], r[1], r[2], r[3], r[4])
        for r in conn.execute(select(D.account_id, D.status, D.value, D.product, D.closed))
    ]
    updates: list[tuple[int, dict[str, Any]]] = []
    if not facts:
        if not clear:
            return 0
        for aid, custom in conn.execute(select(A.id, A.custom)):
            if custom and any(f in custom for f in DERIVED_FIELDS):
                kept = {k: v for k, v in custom.items() if k not in DERIVED_FIELDS}
                updates.append((aid, {"custom": kept, "updated_at": now}))
        return update_rows(conn, ACCOUNT_T, updates)
    derived = derive(facts, today)
    before: dict[int, dict[str, Any]] = {}
    lines_changed: list[tuple[int, dict, dict]] = []
    for aid, custom, lines in conn.execute(select(A.id, A.custom, A.product_lines)):
        ch = account_changes(custom or {}, lines or [], derived.get(aid))
        if ch:
            if batch is not None and "product_lines" in ch:
                lines_before = {"product_lines": list(lines or [])}
                lines_changed.append((aid, lines_before, {"product_lines": ch["product_lines"]}))
            ch["updated_at"] = now
            updates.append((aid, ch))
            before[aid] = {"custom": custom or {}}
    if lines_changed and batch is not None:
        record_changes(conn, batch, "accounts", lines_changed)
    rows = fieldchanges.change_rows(updates, before, on=today, source=source, batch=batch)
    fieldchanges.record(conn, rows)
    return update_rows(conn, ACCOUNT_T, updates)


@dataclass(frozen=True)
class DealFilter:
    account_id: int | None = None
    status: str | None = None  # open | won | lost
    owner: str | None = None
    limit: int | None = None


def iter_deals(conn: Connection, flt: DealFilter) -> Iterator[Any]:
    """Deal rows with ``account_key`` and ``account_name``: open ones first, then the
    most recently closed (or created), then by key."""
    q = select(
        *tables.DEAL.columns,
        A.key.label("account_key"),
        A.name.label("account_name"),
    ).join(tables.ACCOUNT, A.id == D.account_id)
    if flt.account_id is not None:
        q = q.where(D.account_id == flt.account_id)
    if flt.status is not None:
        q = q.where(D.status == flt.status)
    if flt.owner is not None:
        q = q.where(D.owner == flt.owner)
    day = func.coalesce(D.closed, D.created)
    q = q.order_by((D.status != "open"), day.is_(None), day.desc(), D.key)
    if flt.limit is not None:
        q = q.limit(flt.limit)
    yield from conn.execution_options(yield_per=CHUNK).execute(q)


def history_counts(conn: Connection, since: date, until: date) -> list[HistoryCount]:
    """Per (account key, rep): the deals (dated by close, else creation) and the touches
    (not campaigns) dated within [since, until], and the latest date. Two grouped queries."""
    out: dict[tuple[str, str], list[Any]] = {}
    day = func.coalesce(D.closed, D.created)
    deals = (
        select(A.key, D.owner, func.count(), func.max(day))
        .join(tables.ACCOUNT, A.id == D.account_id)
        .where(D.owner.is_not(None), day >= since, day <= until)
        .group_by(A.key, D.owner)
    )
    touches = (
        select(A.key, T.rep, func.count(), func.max(T.date))
        .join(tables.ACCOUNT, A.id == T.account_id)
        .where(T.rep.is_not(None), T.date >= since, T.date <= until)
        .where(T.campaign_id.is_(None))  # a campaign is sent to many: no sign of an owner
        .group_by(A.key, T.rep)
    )
    for q in (deals, touches):
        for key, rep, n, last in conn.execute(q):
            last = last if isinstance(last, date) else date.fromisoformat(str(last)[:10])
            cur = out.get((key, rep))
            if cur is None:
                out[(key, rep)] = [n, last]
            else:
                cur[0] += n
                cur[1] = max(cur[1], last)
    return [HistoryCount(k, r, v[0], v[1]) for (k, r), v in sorted(out.items())]
