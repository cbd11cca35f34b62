"""A plain summary of a method, for ``khm method check``.

The load per (type, category) is :class:`khm.core.capacity.LoadTable`'s, the figure
``khm capacity`` and ``khm assign`` use, for an account with no country of its own (so
with ``holidays = "account"`` no public holidays are taken out; with a fixed holiday
country, that country's are)."""

from __future__ import annotations

from typing import Any

from khm.core.capacity import DEFAULT_YEAR, LOAD_DECIMALS, LoadTable
from khm.core.constants import CATEGORIES, TYPES
from khm.method import Method


def summarise(method: Method, year: int = DEFAULT_YEAR) -> dict[str, Any]:
    cr = method.categories
    if cr.rule == "share":
        detail = f"A ≤ {cr.share.A:g}%, B ≤ {cr.share.B:g}%, C ≤ {cr.share.C:g}% of the group's {cr.metric}"
    else:
        t = cr.thresholds
        assert t is not None
        detail = f"A ≥ {t.A:g}, B ≥ {t.B:g}, C ≥ {t.C:g}; {len(cr.overrides)} override(s)"
    loads = LoadTable(method, year)
    weeks = loads.weeks(None)
    cadence = []
    for t_ in TYPES:
        for c in CATEGORIES:
            plan = method.cadence_for(t_, c)
            cadence.append(
                {
                    "cell": f"{t_}/{c}",
                    "type": t_,
                    "category": c,
                    "intervals": {k: str(v) for k, v in plan.items()},
                    "human_effort_per_week": round(loads.load(t_, c, None), LOAD_DECIMALS),
                }
            )
    return {
        "name": method.name,
        "categories": {
            "rule": cr.rule,
            "metric": cr.metric,
            "group_by": list(cr.group_by),
            "fallback": cr.fallback,
            "detail": detail,
        },
        "types": {
            "default": method.types.default,
            "rules": [f"{r.label} → {r.type}" for r in method.types.rules],
        },
        "activities": [
            {
                "kind": k,
                "label": a.label or k,
                "mode": a.mode,
                "effort": a.effort if a.mode == "human" else None,
                "covers": list(a.covers),
            }
            for k, a in method.activities.items()
        ],
        "cadence": cadence,
        "calendar": {
            "no_human_periods": [
                f"{p.name or 'period'} {p.start}..{p.end}" for p in method.calendar.no_human_periods
            ],
            "holidays": method.calendar.holidays,
            "human_weeks_per_year": round(weeks, 2),
        },
        "grace": f"max({method.grace.fraction:g} × interval, {method.grace.minimum})",
        "capacity_default": method.capacity.default,
        "overload": method.capacity.overload,
        "triggers": [f"{t.name} ({t.kind}) → {t.activity}" for t in method.triggers],
    }
