"""``khm deal list``: the imported deals, streamed, with the filters checked first.
(``khm import deals`` goes through :mod:`khm.services.importing`.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from khm.core.deals import STATUSES
from khm.core.records import DealRecord
from khm.errors import UsageError
from khm.services.records import _streamed, list_filters

if TYPE_CHECKING:
    from khm.store.db import Store


def list_deals(
    store: Store,
    *,
    account: str | None = None,
    stage: str | None = None,
    rep: str | None = None,
    limit: int | None = None,
) -> Iterator[DealRecord]:
    """Deals, open first then the most recently closed, streamed; ``stage`` is a status
    (open, won, lost); options checked before this returns."""
    from khm.store.deals import DealFilter, iter_deals

    status = stage.strip().lower() if stage is not None else None
    if status is not None and status not in STATUSES:
        raise UsageError(f"--stage: {stage!r} must be one of {', '.join(STATUSES)}")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit: {limit} must be at least 1")
    handle, acc_id = list_filters(store, rep, account)
    flt = DealFilter(account_id=acc_id, status=status, owner=handle, limit=limit)
    return _streamed(store, lambda conn: map(DealRecord.of, iter_deals(conn, flt)))
