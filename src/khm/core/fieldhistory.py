"""The history of an account's numeric fields, and the crossings a threshold trigger reads
from it. Pure.

A change is kept when a numeric field (``revenue``, ``employees``, a custom number, a
derived deal field) takes a new value: :func:`numeric_changes` says which of a row's
fields changed, the store writes one row each (``field_change``). A value an account
arrives with (a new account's first import, ``account add``) is not a change: no row.

A **crossing** is a change from the near side of a bound to the far side: for ``above``
from at most the bound to above it, for ``below`` from at least the bound to below it.
A change from no value (a field set for the first time) is not a crossing unless asked
for (``count_first``): a value first seen above the bound says nothing about a move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

#: The account columns that are numeric fields (custom numbers live in ``custom``).
NUMERIC_COLUMNS: tuple[str, ...] = ("revenue", "employees")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One change of one numeric field: ``old`` → ``new`` (None: no value) on ``on``."""

    field: str
    old: float | None
    new: float | None
    on: date


def _number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    return None


def numeric_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, float | None, float | None]]:
    """(field, old, new) of each numeric field that changes when a row with the values
    ``before`` is written with ``after`` (only the columns being written: ``revenue``,
    ``employees`` and the whole ``custom`` dict, others ignored). Custom fields are named
    as they are (``nps``, ``open_pipeline``)."""
    out: list[tuple[str, float | None, float | None]] = []
    for col in NUMERIC_COLUMNS:
        if col in after:
            old, new = _number(before.get(col)), _number(after[col])
            if old != new:
                out.append((col, old, new))
    if "custom" in after:
        was = before.get("custom") or {}
        now = after["custom"] or {}
        for name in sorted(set(was) | set(now)):
            old, new = _number(was.get(name)), _number(now.get(name))
            if old != new:
                out.append((str(name), old, new))
    return out


def beyond(value: float | None, *, above: float | None, below: float | None) -> bool:
    """Whether ``value`` is on the far side of a bound (the side a threshold fires on)."""
    if value is None:
        return False
    return (above is not None and value > above) or (below is not None and value < below)


def crossed(
    change: FieldChange, *, above: float | None, below: float | None, count_first: bool = False
) -> float | None:
    """The bound ``change`` crosses (``above`` or ``below``), else None."""
    new, old = change.new, change.old
    if new is None or (old is None and not count_first):
        return None
    if above is not None and new > above and (old is None or old <= above):
        return above
    if below is not None and new < below and (old is None or old >= below):
        return below
    return None


def with_first_value(
    changes: Sequence[FieldChange], field: str, current: float | None, created: date
) -> list[FieldChange]:
    """``changes`` of ``field`` with the value the account arrived with, as a change from
    no value dated ``created`` (first): the old value of its first change, else the
    current value (no change since). For ``count_first``."""
    own = [c for c in changes if c.field == field]
    first = own[0].old if own else current
    if first is None:
        return own
    return [FieldChange(field, None, first, created), *own]
