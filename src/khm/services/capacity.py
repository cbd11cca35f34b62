"""``khm capacity``: can this team keep this method?

Counts the active accounts per (owner, type, category, country) in SQL and hands the
counts to :func:`khm.core.capacity.plan_capacity` (pure): per rep and team load,
utilisation, the cells that drive the load, the reps each role needs, a verdict.

The verdict sees the lists: the backlog per rep is the effort of the human work the
weekly planner finds already due before this week (listed, carried or paused: the
planner's own due rule, :mod:`khm.core.due`, through :func:`khm.services.weekly.build_weekly`
for the week of ``today``), and the reps' absences over the next ``HORIZON_WEEKS`` weeks
take their share of the capacity.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from khm.core.capacity import CapacityPlan, LoadGroup, RepInfo, plan_capacity

if TYPE_CHECKING:
    from khm.core.planner import WeeklyPlan
    from khm.method import Method
    from khm.store.db import Store


#: the weeks ahead over which absences count against capacity (a quarter)
HORIZON_WEEKS = 13


def backlog_by_rep(plan: WeeklyPlan) -> dict[str, float]:
    """Per rep, the effort of human work already due before the week's Monday (work
    waiting from earlier weeks), wherever the planner put it this week."""
    return {
        r.handle: sum(i.effort for i in (*r.items, *r.carried, *r.paused) if i.human and i.backlog)
        for r in plan.reps
    }


def capacity_report(store: Store, method: Method, *, today: date) -> CapacityPlan:
    from khm.core.absence import away_days
    from khm.core.period import monday_of
    from khm.services.weekly import build_weekly
    from khm.store import tagging
    from khm.store.absences import absences_between

    week = build_weekly(store, method, today=today)
    backlog = backlog_by_rep(week)
    start = monday_of(today)
    end = start + timedelta(weeks=HORIZON_WEEKS, days=-1)
    with store.begin() as conn:
        away = {
            h: len(away_days(a, start, end)) for h, a in absences_between(conn, start, end).items()
        }
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
    plan = plan_capacity(
        method,
        reps,
        groups,
        year=today.year,
        holidays=holidays,
        backlog=backlog,
        away_days=away,
        horizon_weeks=HORIZON_WEEKS,
        skipped={r.handle: len(r.skipped) for r in week.reps},
    )
    holidays.save()
    return plan
