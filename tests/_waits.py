"""The days each account's human work may wait on its owner's list before it is skipped
(yielding categories under `protect`), computed through the core as the planner does:
for the property tests that hold the planner to :mod:`khm.core.due`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from khm.core.capacity import load_groups_of, rep_yields, yield_wait
from khm.core.planner import PlanAccount
from khm.method import Method


def waits(
    accounts: Sequence[PlanAccount], capacity: float, method: Method, monday: date
) -> Callable[[PlanAccount], int | None]:
    """account -> the ``wait`` of :func:`khm.core.due.due_for` on the list of one rep
    ``ola`` of ``capacity`` who owns ``accounts``."""
    groups = load_groups_of(accounts, {"ola"})
    got = rep_yields(method, groups, {"ola": float(capacity)}, year=monday.year)
    return lambda acc: yield_wait(got, acc.owner, acc.category)
