"""The stage history (``stage_change``): what ``khm stage``, account imports and deals
record, what ``account show`` lists and what ``khm report funnel`` counts.

SQLAlchemy Core on the light table views, so SQLite and PostgreSQL run the same code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, select

from khm.core.funnel import DealFact, StageFact, StageRecord, deal_changes
from khm.store import tables
from khm.store.reporting import _as_date

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from khm.method import Lifecycle

SC: Any = tables.STAGE_CHANGE
ACC: Any = tables.ACCOUNT
DEAL: Any = tables.DEAL


_COLS = ("date", "stage", "source", "text", "note", "import_batch_id")


def history(conn: Connection, account_id: int) -> list[StageRecord]:
    """An account's stage changes, oldest first (same day: in the order recorded)."""
    stmt = (
        select(*(SC.c[c] for c in _COLS))
        .where(SC.c.account_id == account_id)
        .order_by(SC.c.date, SC.c.id)
    )
    return [StageRecord(_as_date(r[0]), *r[1:]) for r in conn.execute(stmt)]


def insert_changes(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert stage changes (account_id, stage, date, source, optional text, note,
    import_batch_id); returns how many."""
    if not rows:
        return 0
    from khm.store.bulk import insert_rows
    from khm.store.models import StageChange
    from khm.store.tables import utcnow

    now = utcnow()
    full = [{"text": None, "note": None, "import_batch_id": None, **r} for r in rows]
    # the bulk writer (executemany in chunks, shared columns once): an import of 100k
    # accounts with a stage each records 100k changes
    table = StageChange.__table__  # type: ignore[attr-defined]
    return insert_rows(conn, table, full, shared={"created_at": now})


def _histories(conn: Connection, ids: Iterable[int] | None) -> dict[int, list[tuple[date, str]]]:
    """(day, stage) of each account's changes, oldest first (``ids``: only these)."""
    out: dict[int, list[tuple[date, str]]] = defaultdict(list)
    base = select(SC.c.account_id, SC.c.date, SC.c.stage).order_by(
        SC.c.account_id, SC.c.date, SC.c.id
    )
    wanted = None if ids is None else sorted(set(ids))
    if wanted is not None and len(wanted) > 5000:
        wanted, keep = None, set(wanted)  # most of the book: one scan, filtered here
    else:
        keep = None
    chunks = (
        [base]
        if wanted is None
        else [
            base.where(SC.c.account_id.in_(wanted[i : i + 5000]))
            for i in range(0, len(wanted), 5000)
        ]
    )
    for stmt in chunks:
        for aid, day, stage in conn.execute(stmt):
            if keep is None or aid in keep:
                out[aid].append((_as_date(day), stage))
    return out


def record_import(
    conn: Connection,
    lifecycle: Lifecycle,
    texts: Sequence[tuple[str, str]],
    day: date,
    batch: int | None,
) -> int:
    """After an account import: a stage change dated ``day`` for each (key, stage text)
    whose stage (:meth:`Lifecycle.stage_of`) differs from the account's stage on that day.
    Texts that name no stage record nothing (the import warned). Returns how many."""
    if not texts:
        return 0
    keys = {k for k, _ in texts}
    stmt = select(ACC.c.id, ACC.c.key)
    if len(keys) <= 5000:  # else one scan of the table beats a huge IN list
        stmt = stmt.where(ACC.c.key.in_(list(keys)))
    ids = {k: i for i, k in conn.execute(stmt) if k in keys}
    hist = _histories(conn, ids.values())
    rows = []
    stages: dict[str, str | None] = {}  # a book has a handful of stage texts
    for key, text in texts:
        stage = stages.get(text, "")
        if stage == "":
            stage = stages[text] = lifecycle.stage_of(text)
        aid = ids.get(key)
        if stage is None or aid is None:
            continue
        before = [s for d, s in hist.get(aid, []) if d <= day]
        if before and before[-1] == stage:
            continue
        rows.append(
            {
                "account_id": aid,
                "stage": stage,
                "date": day,
                "source": "import",
                "text": None if text.strip() == stage else text.strip()[:64],
                "import_batch_id": batch,
            }
        )
    return insert_changes(conn, rows)


def record_deals(conn: Connection, lifecycle: Lifecycle, batch: int | None) -> int:
    """After a deal import: the stage changes the deals give (:func:`deal_changes`) that
    the history does not have yet, for every account with deals. Returns how many."""
    rules = {
        "open": lifecycle.deals.open,
        "first_won": lifecycle.deals.first_won,
        "won": lifecycle.deals.won,
    }
    deals: dict[int, list[DealFact]] = defaultdict(list)
    stmt = select(DEAL.c.account_id, DEAL.c.key, DEAL.c.status, DEAL.c.created, DEAL.c.closed)
    for aid, key, status, created, closed in conn.execute(stmt):
        deals[aid].append(
            DealFact(
                key,
                status,
                _as_date(created) if created is not None else None,
                _as_date(closed) if closed is not None else None,
            )
        )
    if not deals:
        return 0
    hist = _histories(conn, deals)
    rows = []
    for aid, facts in deals.items():
        for day, stage, key in deal_changes(lifecycle.stages, rules, facts, hist.get(aid, [])):
            rows.append(
                {
                    "account_id": aid,
                    "stage": stage,
                    "date": day,
                    "source": "deal",
                    "note": f"deal {key}"[:200],
                    "import_batch_id": batch,
                }
            )
    return insert_changes(conn, rows)


def changes_until(conn: Connection, until: date, rep: str | None = None) -> list[StageFact]:
    """Every stage change of live accounts (of one owner) dated on or before ``until``."""
    cond = and_(SC.c.date <= until, ACC.c.archived.is_(False))
    if rep is not None:
        cond = and_(cond, ACC.c.owner == rep)
    stmt = (
        select(SC.c.account_id, SC.c.stage, SC.c.date, SC.c.id)
        .join(ACC, ACC.c.id == SC.c.account_id)
        .where(cond)
    )
    return [StageFact(aid, stage, _as_date(d), sid) for aid, stage, d, sid in conn.execute(stmt)]


def delete_for_batch(conn: Connection, batch_id: int, account_ids: Any = None) -> int:
    """Remove the stage changes an import batch recorded, and (``account_ids``: a select
    of the accounts it inserted, about to be deleted) every change of those accounts."""
    cond = SC.c.import_batch_id == batch_id
    if account_ids is not None:
        cond = cond | SC.c.account_id.in_(account_ids)
    return conn.execute(delete(SC).where(cond)).rowcount or 0


def later_manual(conn: Connection, batch_id: int, account_ids: Any) -> list[tuple[str, int]]:
    """(key, how many) of stage changes recorded outside the batch on accounts it inserted."""
    from sqlalchemy import func, or_

    stmt = (
        select(ACC.c.key, func.count())
        .join(SC, SC.c.account_id == ACC.c.id)
        .where(
            ACC.c.id.in_(account_ids),
            or_(SC.c.import_batch_id.is_(None), SC.c.import_batch_id != batch_id),
        )
        .group_by(ACC.c.key)
    )
    return [(k, n) for k, n in conn.execute(stmt)]
