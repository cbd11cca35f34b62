"""``khm rep away``: record and clear a rep's absences.

One transaction per command; the rules (ranges, no overlaps) are in
:mod:`khm.core.absence`, the queries in :mod:`khm.store.absences`. Returns a typed
:class:`khm.core.absence.AwayResult` for :mod:`khm.render.absence`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from khm.core.absence import Absence, AwayResult, current_and_upcoming, overlapping
from khm.errors import ConflictError, NotFoundError, UsageError

if TYPE_CHECKING:
    from khm.store.db import Store

REASON_MAX = 200


def _check_rep(conn: Any, handle: str) -> None:
    from khm.store.lists import rep_exists

    if not rep_exists(conn, handle):
        raise NotFoundError(f"REP: rep {handle!r} not found (see 'khm rep list --all')")


def set_away(
    store: Store,
    handle: str,
    *,
    start: date,
    end: date,
    reason: str | None,
    today: date,
) -> AwayResult:
    """Record that ``handle`` is away from ``start`` to ``end`` (both included). An end
    before the start is a usage error; a range overlapping an absence already recorded
    is refused (clear that one first)."""
    from khm.services.records import clean_text, normalise_handle
    from khm.store.absences import absences_of, add_absence
    from khm.store.tables import utcnow

    h = normalise_handle(handle, "REP")
    if end < start:
        raise UsageError(f"--to: {end.isoformat()} is before --from {start.isoformat()}")
    note = clean_text(reason, "--reason", max_len=REASON_MAX)
    new = Absence(rep=h, start=start, end=end, reason=note)
    with store.begin() as conn:
        _check_rep(conn, h)
        known = absences_of(conn, h)
        clash = overlapping(known, start, end)
        if clash is not None:
            raise ConflictError(
                f"--from/--to: {h} is already away {clash.start.isoformat()} to "
                f"{clash.end.isoformat()}, which overlaps {start.isoformat()} to "
                f"{end.isoformat()} (clear it first: 'khm rep away {h} --clear "
                f"--from {clash.start.isoformat()}')"
            )
        add_absence(conn, new, utcnow())
        away = current_and_upcoming([*known, new], today)
    return AwayResult(rep=h, added=new, cleared=0, away=tuple(away))


def clear_away(store: Store, handle: str, *, on: date | None, today: date) -> AwayResult:
    """Delete every absence of ``handle``, or only the one containing ``on``. Clearing
    one absence that does not exist is an error (not found); clearing all of none is
    not (``cleared`` is 0)."""
    from khm.services.records import normalise_handle
    from khm.store.absences import absences_of, delete_absences

    h = normalise_handle(handle, "REP")
    with store.begin() as conn:
        _check_rep(conn, h)
        n = delete_absences(conn, h, on)
        if on is not None and n == 0:
            raise NotFoundError(f"--from: {h} has no absence on {on.isoformat()}")
        away = current_and_upcoming(absences_of(conn, h), today)
    return AwayResult(rep=h, added=None, cleared=n, away=tuple(away))
