"""``khm capacity``: can this team keep this method?

Counts the active accounts per (owner, type, category, country) in SQL and hands the
counts to :func:`khm.core.capacity.plan_capacity` (pure): per rep and team load,
utilisation, the cells that drive the load, the reps each role needs, a verdict.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from khm.core.capacity import CapacityPlan, LoadGroup, RepInfo, plan_capacity

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store


def capacity_report(store: Store, method: Method, *, today: date) -> CapacityPlan:
    from khm.store import tagging

    with store.begin() as conn:
        reps = [
            RepInfo(
                handle=r.handle,
                role=(r.role or "").strip().lower(),
                capacity=float(r.capacity or 0.0),
                active=bool(r.active),
                name=r.name or "",
            )
            for r in tagging.all_reps(conn)
        ]
        groups = [
            LoadGroup(g.owner, g.type, g.category, g.country, int(g.n))
            for g in tagging.load_groups(conn)
        ]
    from khm.services.holidays import HolidayCache

    holidays = HolidayCache.default()
    plan = plan_capacity(method, reps, groups, year=today.year, holidays=holidays)
    holidays.save()
    return plan
