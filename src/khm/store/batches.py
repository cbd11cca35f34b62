"""Import batches: the record of what each ``khm import`` did, and its undo.

A batch is one row of ``import_batch``. The rows it inserted carry its id in their
``import_batch_id`` column; for the rows it updated, ``import_change`` keeps the changed
columns' values before and after. Undo deletes the first and restores the second, in the
caller's transaction. Generic by kind: a table in :data:`khm.store.bulk.TABLES` with an
``import_batch_id`` column (accounts, reps, touches, deals, NPS responses). A deals import
also changes accounts (the product lines of won deals; entity ``accounts`` under the deals
batch), and its undo recomputes the derived deal fields from the deals that remain. An NPS
batch also keeps the ``nps`` field its responses replaced (entity ``nps_field``), and its
undo puts that back where no response is left.
The numeric field changes a batch wrote (``field_change``) carry its id and go with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, DateTime, Table, delete, func, insert, or_, select, update

from khm.store.bulk import (
    ACCOUNT_T,
    DEAL_T,
    NPS_T,
    REP_T,
    TABLES,
    TOUCH_T,
    insert_rows,
    update_rows,
)
from khm.store.models import Absence, FieldChange, ImportBatch, ImportChange, TagChange

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

BATCH_T: Table = ImportBatch.__table__  # type: ignore[attr-defined]
CHANGE_T: Table = ImportChange.__table__  # type: ignore[attr-defined]
TAG_T: Table = TagChange.__table__  # type: ignore[attr-defined]
ABSENCE_T: Table = Absence.__table__  # type: ignore[attr-defined]
HISTORY_T: Table = FieldChange.__table__  # type: ignore[attr-defined]


@dataclass
class Batch:
    id: int
    kind: str
    file: str
    created_at: datetime
    inserted: int
    updated: int
    unchanged: int
    skipped: int
    undone_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.created_at.isoformat(timespec="seconds"),
            "file": self.file,
            "kind": self.kind,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "undone": self.undone_at.isoformat(timespec="seconds") if self.undone_at else None,
        }


def undoable(kind: str) -> bool:
    """Whether batches of ``kind`` can be undone: its table marks the rows a batch inserted
    (an ``import_batch_id`` column)."""
    t = TABLES.get(kind)
    return t is not None and "import_batch_id" in t.c


def predates_batch_ids(conn: Connection, batch: Batch) -> bool:
    """A batch that inserted rows none of which carries its id: a deals import from
    before deals had the column (0007); nothing tells its rows apart."""
    t = TABLES[batch.kind]
    if not batch.inserted:
        return False
    n = conn.execute(select(func.count()).where(t.c.import_batch_id == batch.id)).scalar_one()
    return n == 0 and batch.kind == "deals"


def create_batch(conn: Connection, kind: str, file: str, now: datetime) -> int:
    row = conn.execute(
        insert(BATCH_T).values(kind=kind, file=file, created_at=now).returning(BATCH_T.c.id)
    ).scalar_one()
    return int(row)


def finish_batch(conn: Connection, batch_id: int, **counts: int) -> None:
    conn.execute(update(BATCH_T).where(BATCH_T.c.id == batch_id).values(**counts))


def _to_json(values: dict[str, Any]) -> dict[str, Any]:
    """Dates (a deal's close, an account's ``customer_since``) as ISO text for the JSON
    columns; :func:`_from_json` reads them back by the column's type."""
    return {c: v.isoformat() if isinstance(v, date) else v for c, v in values.items()}


def _from_json(t: Table, values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for c, v in values.items():
        if isinstance(v, str) and c in t.c:
            kind = t.c[c].type
            if isinstance(kind, DateTime):
                out[c] = datetime.fromisoformat(v)
            elif isinstance(kind, Date):
                out[c] = date.fromisoformat(v)
    return out


def record_changes(
    conn: Connection, batch_id: int, kind: str, changes: Sequence[tuple[int, dict, dict]]
) -> None:
    """(row id, before, after) of each updated row."""
    rows = [
        {
            "batch_id": batch_id,
            "entity": kind,
            "row_id": rid,
            "before": _to_json(b),
            "after": _to_json(a),
        }
        for rid, b, a in changes
    ]
    insert_rows(conn, CHANGE_T, rows)


def _batch(row: Any) -> Batch:
    return Batch(*row)


_COLS = ("id", "kind", "file", "created_at", "inserted", "updated", "unchanged", "skipped")


def list_batches(conn: Connection) -> list[Batch]:
    cols = [BATCH_T.c[c] for c in (*_COLS, "undone_at")]
    return [_batch(r) for r in conn.execute(select(*cols).order_by(BATCH_T.c.id))]


def get_batch(conn: Connection, batch_id: int) -> Batch | None:
    cols = [BATCH_T.c[c] for c in (*_COLS, "undone_at")]
    row = conn.execute(select(*cols).where(BATCH_T.c.id == batch_id)).first()
    return _batch(row) if row else None


def conflicts(conn: Connection, batch: Batch) -> list[str]:
    """What later changes depend on the batch (one line each): a later batch that changed
    the same rows, a row it updated whose values changed since, rows that point to a row
    it inserted (touches of an account, accounts owned by a rep)."""
    t = TABLES[batch.kind]
    out: list[str] = []
    label = "key" if "key" in t.c else "handle" if "handle" in t.c else "id"
    inserted = select(t.c.id).where(t.c.import_batch_id == batch.id)
    changes = conn.execute(
        select(CHANGE_T.c.row_id, CHANGE_T.c.after).where(
            CHANGE_T.c.batch_id == batch.id, CHANGE_T.c.entity == batch.kind
        )
    ).all()
    later = conn.execute(
        select(CHANGE_T.c.batch_id, t.c[label])
        .join(BATCH_T, BATCH_T.c.id == CHANGE_T.c.batch_id)
        .join(t, t.c.id == CHANGE_T.c.row_id)
        .where(
            CHANGE_T.c.entity == batch.kind,
            CHANGE_T.c.batch_id > batch.id,
            BATCH_T.c.undone_at.is_(None),
            or_(
                CHANGE_T.c.row_id.in_(inserted),
                CHANGE_T.c.row_id.in_(
                    select(CHANGE_T.c.row_id).where(
                        CHANGE_T.c.batch_id == batch.id, CHANGE_T.c.entity == batch.kind
                    )
                ),
            ),
        )
    ).all()
    out += [f"import batch {b} changed {label} {v} later" for b, v in later]
    if changes:
        cols = sorted({c for _, after in changes for c in after})
        ids = [rid for rid, _ in changes]
        now = {}
        for start in range(0, len(ids), 5000):
            q = select(t.c.id, t.c[label], *(t.c[c] for c in cols))
            for r in conn.execute(q.where(t.c.id.in_(ids[start : start + 5000]))):
                now[r[0]] = (r[1], dict(zip(cols, r[2:], strict=True)))
        for rid, after in changes:
            after = _from_json(t, after)
            key, current = now.get(rid, (None, {}))
            edited = [c for c, v in after.items() if current.get(c) != v]
            if key is not None and edited:
                out.append(f"{label} {key}: {', '.join(edited)} changed since")
    if t is ACCOUNT_T:
        touches = conn.execute(
            select(ACCOUNT_T.c.key, func.count())
            .join(TOUCH_T, TOUCH_T.c.account_id == ACCOUNT_T.c.id)
            .where(
                ACCOUNT_T.c.import_batch_id == batch.id,
                or_(TOUCH_T.c.import_batch_id.is_(None), TOUCH_T.c.import_batch_id != batch.id),
            )
            .group_by(ACCOUNT_T.c.key)
        ).all()
        out += [f"key {k}: {n} touch(es) logged or imported since" for k, n in touches]
        deals = conn.execute(
            select(ACCOUNT_T.c.key, func.count())
            .join(DEAL_T, DEAL_T.c.account_id == ACCOUNT_T.c.id)
            .where(ACCOUNT_T.c.import_batch_id == batch.id)
            .group_by(ACCOUNT_T.c.key)
        ).all()
        out += [f"key {k}: {n} deal(s) imported since" for k, n in deals]
        answers = conn.execute(
            select(ACCOUNT_T.c.key, func.count())
            .join(NPS_T, NPS_T.c.account_id == ACCOUNT_T.c.id)
            .where(ACCOUNT_T.c.import_batch_id == batch.id)
            .group_by(ACCOUNT_T.c.key)
        ).all()
        out += [f"key {k}: {n} NPS response(s) recorded since" for k, n in answers]
        from khm.store.stages import later_manual

        out += [
            f"key {k}: {n} stage change(s) recorded since"
            for k, n in later_manual(conn, batch.id, inserted)
        ]
    if t is REP_T:
        handles = select(REP_T.c.handle).where(REP_T.c.import_batch_id == batch.id)
        for what, col in (
            ("account(s) owned", ACCOUNT_T.c.owner),
            ("touch(es)", TOUCH_T.c.rep),
            ("deal(s) owned", DEAL_T.c.owner),
        ):
            n = conn.execute(select(func.count()).where(col.in_(handles))).scalar_one()
            if n:
                out.append(f"{n} {what} by reps this batch added")
    return out


def _restore(conn: Connection, t: Table, batch_id: int, entity: str, now: datetime) -> int:
    """Give the rows of ``entity`` the batch updated their earlier values."""
    restores = []
    for rid, before in conn.execute(
        select(CHANGE_T.c.row_id, CHANGE_T.c.before).where(
            CHANGE_T.c.batch_id == batch_id, CHANGE_T.c.entity == entity
        )
    ):
        values = _from_json(t, before)
        if "updated_at" in t.c:
            values["updated_at"] = now
        restores.append((rid, values))
    return update_rows(conn, t, restores)


def undo(
    conn: Connection, batch: Batch, now: datetime, today: date | None = None
) -> dict[str, int]:
    """Delete the rows the batch inserted, restore the rows it updated, and drop what
    points to its rows (touches deleted, owners emptied: the caller refused that without
    ``force``, :func:`conflicts`). A deals batch also gives the accounts back their
    product lines and recomputes the derived deal fields as of ``today`` (default: the
    day of ``now``). Returns counts."""
    t = TABLES[batch.kind]
    ids = select(t.c.id).where(t.c.import_batch_id == batch.id)
    counts = {"deleted": 0, "restored": 0, "dependents": 0}
    # the numeric field changes it wrote (the values it restores below)
    conn.execute(delete(HISTORY_T).where(HISTORY_T.c.import_batch_id == batch.id))
    if t is ACCOUNT_T:
        dependents = delete(TOUCH_T).where(TOUCH_T.c.account_id.in_(ids))
        counts["dependents"] = conn.execute(dependents).rowcount or 0
        deals = delete(DEAL_T).where(DEAL_T.c.account_id.in_(ids))
        counts["dependents"] += conn.execute(deals).rowcount or 0
        answers = delete(NPS_T).where(NPS_T.c.account_id.in_(ids))
        counts["dependents"] += conn.execute(answers).rowcount or 0
        conn.execute(delete(TAG_T).where(TAG_T.c.account_id.in_(ids)))
        conn.execute(delete(HISTORY_T).where(HISTORY_T.c.account_id.in_(ids)))
    from khm.store.stages import delete_for_batch

    # the stage changes the batch recorded (and every change of the accounts it added)
    delete_for_batch(conn, batch.id, ids if t is ACCOUNT_T else None)
    if t is REP_T:
        handles = select(REP_T.c.handle).where(REP_T.c.import_batch_id == batch.id)
        n = 0
        for col_t, col in ((ACCOUNT_T, "owner"), (TOUCH_T, "rep"), (DEAL_T, "owner")):
            stmt = update(col_t).where(col_t.c[col].in_(handles)).values({col: None})
            n += conn.execute(stmt).rowcount or 0
        n += conn.execute(delete(ABSENCE_T).where(ABSENCE_T.c.rep.in_(handles))).rowcount or 0
        counts["dependents"] = n
    answered: set[int] = set()
    if batch.kind == "nps":
        from khm.store.nps import batch_accounts

        answered = batch_accounts(conn, batch.id)
    counts["deleted"] = conn.execute(delete(t).where(t.c.import_batch_id == batch.id)).rowcount
    if batch.kind == "nps":
        _restore_nps_field(conn, batch, answered, now)
    counts["restored"] = _restore(conn, t, batch.id, batch.kind, now)
    if t is DEAL_T:
        from khm.store.deals import refresh_derived

        _restore(conn, ACCOUNT_T, batch.id, "accounts", now)
        refresh_derived(conn, today or now.date(), now=now, clear=True)
    conn.execute(update(BATCH_T).where(BATCH_T.c.id == batch.id).values(undone_at=now))
    return counts


def _restore_nps_field(conn: Connection, batch: Batch, answered: set[int], now: datetime) -> None:
    """After an NPS batch's responses are gone: each account it answered for gets the
    ``nps`` of its latest remaining response, else the value it had before the batch."""
    from khm.store.nps import FIELD_ENTITY, refresh_field

    before = {
        rid: (b or {}).get("nps")
        for rid, b in conn.execute(
            select(CHANGE_T.c.row_id, CHANGE_T.c.before).where(
                CHANGE_T.c.batch_id == batch.id, CHANGE_T.c.entity == FIELD_ENTITY
            )
        )
    }
    refresh_field(conn, answered | set(before), now=now, fallback=before)
