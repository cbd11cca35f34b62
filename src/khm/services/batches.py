"""``khm import list`` and ``khm import undo ID``: the import batches, and reverting one
in a single transaction (:mod:`khm.store.batches`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from khm.errors import ConflictError, NotFoundError
from khm.store.models import utcnow

if TYPE_CHECKING:
    from khm.store.batches import Batch
    from khm.store.db import Store


@dataclass
class UndoResult:
    batch: Batch
    deleted: int
    restored: int
    dependents: int
    forced: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch.as_dict(),
            "deleted": self.deleted,
            "restored": self.restored,
            "dependents_dropped": self.dependents,
            "forced": self.forced,
        }


def list_imports(store: Store) -> list[Batch]:
    from khm.store.batches import list_batches

    with store.begin() as conn:
        return list_batches(conn)


def undo_import(
    store: Store, batch_id: int, *, force: bool = False, today: date | None = None
) -> UndoResult:
    """Revert batch ``batch_id``: its inserted rows removed, its updated rows restored.
    Refused (:class:`ConflictError`, nothing changed) when later changes depend on it,
    unless ``force``."""
    from khm.store import batches

    with store.begin() as conn:
        batch = batches.get_batch(conn, batch_id)
        if batch is None:
            raise NotFoundError(f"no import batch {batch_id} (see khm import list)")
        if batch.undone_at is not None:
            raise ConflictError(f"import batch {batch_id} was already undone")
        if not batches.undoable(batch.kind):
            raise ConflictError(
                f"import batch {batch_id} ({batch.kind} from {batch.file}): an import of "
                f"{batch.kind} cannot be undone (its rows carry no batch id); nothing "
                "was undone"
            )
        if batches.predates_batch_ids(conn, batch):
            raise ConflictError(
                f"import batch {batch_id} ({batch.kind} from {batch.file}) was imported "
                "before khm kept batch ids on deals: its rows cannot be told apart; nothing "
                "was undone"
            )
        found = batches.conflicts(conn, batch)
        if found and not force:
            raise ConflictError(
                f"import batch {batch_id} ({batch.kind} from {batch.file}): later changes "
                f"depend on it ({len(found)}); nothing was undone (use --force to undo it "
                "anyway and drop or empty what depends on it):",
                details=found,
            )
        counts = batches.undo(conn, batch, utcnow(), today)
        batch = batches.get_batch(conn, batch_id) or batch
    return UndoResult(batch=batch, forced=bool(found), **counts)
