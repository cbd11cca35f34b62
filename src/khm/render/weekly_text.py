"""How the weekly list words things, in every view (terminal, compact, Markdown, HTML,
mail): numbers, statuses, a rep's title, the capacity summary, the campaign counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan

# C0 and C1 control characters (newlines, tabs, ESC) would break a line or drive the
# terminal: each reads as a space.
_CONTROL = dict.fromkeys([*range(32), *range(127, 160)], " ")


def one_line(text: str | None) -> str:
    """User text for one line of a list: control characters become spaces."""
    return (text or "").translate(_CONTROL)


def figure(x: float) -> float | int:
    """An effort or capacity figure: a whole number as an int, else two decimals."""
    i = int(x)
    return i if i == x else round(x, 2)


def status_text(item: PlanItem) -> str:
    if item.status == "overdue":
        return f"overdue {item.days_overdue} day{'s' if item.days_overdue != 1 else ''}"
    return item.status


def summary_parts(rep: RepPlan) -> list[str]:
    """The capacity summary under a rep's title, in parts (a narrow terminal breaks the
    line between parts)."""
    parts = [f"capacity {figure(rep.human_planned)}/{figure(rep.capacity)} used"]
    if rep.capacity != rep.capacity_full:
        parts[0] += f" ({rep.open_days} of 5 days open, full week {figure(rep.capacity_full)})"
    if rep.away_days:
        parts.append(f"away {rep.away_days} day{'' if rep.away_days == 1 else 's'}")
    if rep.carried_over:
        parts.append(
            f"+{rep.carried_over} carried to next week ({figure(rep.carried_effort)} effort)"
        )
    if rep.from_earlier:
        parts.append(f"{rep.from_earlier} from earlier weeks")
    if rep.paused:
        parts.append(f"{len(rep.paused)} paused (no human day this week)")
    if rep.skipped:
        parts.append(f"{len(rep.skipped)} skipped (waited too long: planned again one interval on)")
    return parts


def rep_summary(rep: RepPlan) -> str:
    return " · ".join(summary_parts(rep))


def rep_title_parts(plan: WeeklyPlan, rep: RepPlan) -> list[str]:
    name, handle = one_line(rep.name), one_line(rep.handle)
    who = f"{handle} ({name})" if name and name != handle else handle
    span = f"{plan.monday.strftime('%a %d %b')} – {plan.sunday.strftime('%a %d %b %Y')}"
    return [who, f"week {plan.week} ({span})"]


def campaign_lines(rep: RepPlan) -> list[str]:
    """One header line per campaign kind due for some of the rep's accounts."""
    return [
        f"{c.kind}: {c.due} of your accounts due"
        + (f" ({c.overdue} overdue)" if c.overdue else "")
        + " — campaign"
        for c in rep.campaigns
        if c.due
    ]


def rep_title(plan: WeeklyPlan, rep: RepPlan) -> str:
    return " — ".join(rep_title_parts(plan, rep))
