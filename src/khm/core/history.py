"""What was in force on a past day: the method version and each account's tags. Pure.

* **Method.** Each method file khm ran with is kept by content hash with when khm first
  ran with it (:class:`MethodVersion`), and each ``khm tag`` run names the version it
  applied. The version in force on a day is the one first seen, or applied by a tag run,
  most recently on or before that day (:func:`version_in_force`).
* **Tags.** Every type/category change is a ``tag_change`` row (old and new value, when).
  The tags of an account at the end of a day are its current tags with the later changes
  undone, newest first (:func:`rewind_tags`). A change holds from the day it was made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

__all__ = ["LaterChange", "MethodVersion", "rewind_tags", "version_in_force"]


@dataclass(frozen=True)
class MethodVersion:
    """One recorded method version (a row of ``method_version``), as ``khm method
    history`` lists it."""

    hash: str
    name: str
    path: str | None
    first_seen_at: datetime
    tag_runs: int = 0  # ``khm tag`` runs made with it
    in_use: bool = False  # the method this command runs with
    until: datetime | None = None  # when the next version was first seen

    @property
    def short(self) -> str:
        return self.hash[:12]

    def as_dict(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "short": self.short,
            "name": self.name,
            "path": self.path,
            "first_seen_at": self.first_seen_at,
            "until": self.until,
            "tag_runs": self.tag_runs,
            "in_use": self.in_use,
        }


def version_in_force(
    versions: Sequence[MethodVersion],
    day: date,
    runs: Sequence[tuple[datetime, str]] = (),
) -> MethodVersion | None:
    """The version in force at the end of ``day``: of the moments on or before ``day``
    when a version was first seen or a ``khm tag`` run applied one (``runs``: its time
    and method hash), the latest. Before any such moment: the version of the first tag
    run (the method the tags were first set with), else the oldest version. ``None``
    when nothing is recorded. ``versions`` in the order they were first seen."""
    if not versions:
        return None
    by_hash = {v.hash: v for v in versions}
    moments = [(v.first_seen_at, 0, v.hash) for v in versions]
    moments += [(at, 1, h) for at, h in runs if h in by_hash]
    moments.sort()
    found = None
    for at, _, h in moments:
        if at.date() <= day:
            found = h
    if found is None:
        first_run = min(((at, h) for at, h in runs if h in by_hash), default=None)
        found = first_run[1] if first_run is not None else versions[0].hash
    return by_hash[found]


def with_until(versions: Sequence[MethodVersion]) -> list[MethodVersion]:
    """Each version with ``until`` = when the next one was first seen."""
    from dataclasses import replace

    out = []
    for i, v in enumerate(versions):
        nxt = versions[i + 1].first_seen_at if i + 1 < len(versions) else None
        out.append(replace(v, until=nxt))
    return out


class LaterChange(NamedTuple):
    """A type/category change made after the day asked for."""

    id: int  # the tag_change id: orders changes made at the same moment
    account_id: int
    field: str  # type | category
    old: str | None
    changed_at: datetime


class _Tagged(Protocol):
    id: int
    type: str | None
    category: str | None
    anchor: date


def rewind_tags(
    accounts: Sequence[_Tagged],
    later: Sequence[LaterChange],
    earlier: Mapping[int, tuple[date | None, date]],
) -> int:
    """Give ``accounts`` (in place) the tags they had at the end of a past day: undo the
    ``later`` changes (made after that day), newest first. A first tag (a change from no
    value) is not undone: an account's first tags count for the days before them too,
    so a book imported and tagged today gets last month's report (nobody had tagged it
    before; its first due dates still start at that first tag).

    ``earlier[account id]`` = (the day of its last type/category change on or before the
    day, or None; the day it was created), for the accounts in ``later``. The anchor of
    the spread first due dates becomes the day of the last change in force: that last
    earlier change, else its first tag, else its creation. Returns how many accounts had
    a change undone."""
    by_id = {a.id: a for a in accounts}
    moved: set[int] = set()
    first_tag: dict[int, date] = {}
    for ch in sorted(later, key=lambda c: (c.changed_at, c.id), reverse=True):
        acc = by_id.get(ch.account_id)
        if acc is None or ch.field not in ("type", "category"):
            continue
        if ch.old is None:
            first_tag[ch.account_id] = ch.changed_at.date()
            continue
        setattr(acc, ch.field, ch.old)
        moved.add(ch.account_id)
    for aid in moved:
        last, created = earlier.get(aid, (None, by_id[aid].anchor))
        by_id[aid].anchor = last or first_tag.get(aid) or created
    return len(moved)
