"""The history of numeric account fields (``field_change``): written by import, ``account
edit`` and the derived deal fields, read by the weekly planner (threshold crossings,
:func:`khm.store.planning.field_changes`).

One row per changed value, inserted with the bulk writer (``executemany``) in the
caller's transaction. The rows an import writes carry its batch, so ``khm import undo``
deletes them with the values it restores (:func:`khm.store.batches.undo`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table

from khm.core.fieldhistory import numeric_changes
from khm.store.bulk import insert_rows
from khm.store.models import FieldChange

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

FIELD_CHANGE_T: Table = FieldChange.__table__  # type: ignore[attr-defined]
_NUMERIC_KEYS = ("revenue", "employees", "custom")


def change_rows(
    updates: Iterable[tuple[int, Mapping[str, Any]]],
    before: Mapping[int, Mapping[str, Any]],
    *,
    on: date,
    source: str,
    batch: int | None = None,
) -> list[dict[str, Any]]:
    """The history rows of ``updates`` ((account id, the columns written)) given each
    account's values ``before``: one per numeric field whose value changes."""
    rows: list[dict[str, Any]] = []
    for aid, written in updates:
        if not any(k in written for k in _NUMERIC_KEYS):
            continue
        for fld, old, new in numeric_changes(before.get(aid) or {}, written):
            rows.append(
                {
                    "account_id": aid,
                    "field": fld[:200],
                    "old": old,
                    "new": new,
                    "changed_on": on,
                    "source": source[:200],
                    "import_batch_id": batch,
                }
            )
    return rows


def record(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert history rows (from :func:`change_rows`) in one ``executemany`` per chunk."""
    if not rows:
        return 0
    # one day, source and batch per call (change_rows): sent once
    shared = {c: rows[0][c] for c in ("changed_on", "source", "import_batch_id")}
    return insert_rows(conn, FIELD_CHANGE_T, rows, shared=shared)
