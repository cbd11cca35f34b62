"""``khm weekly --account KEY``: one account in a week's plan (the typed result that
:func:`khm.services.weekly.account_week` returns and
:func:`khm.render.weekly_compact.render_account` prints)."""

from __future__ import annotations

from dataclasses import dataclass

from khm.core.planner import PlanItem, WeeklyPlan


@dataclass(frozen=True)
class AccountWeek:
    """``khm weekly --account KEY``: one account's items of the week (listed, carried to
    next week, paused), or why it has none (``problem``: it cannot be planned)."""

    key: str
    name: str
    type: str | None
    category: str | None
    owner: str | None
    rep: str | None  # whose list was looked at
    plan: WeeklyPlan
    listed: tuple[PlanItem, ...] = ()
    carried: tuple[PlanItem, ...] = ()
    paused: tuple[PlanItem, ...] = ()
    problem: str | None = None
