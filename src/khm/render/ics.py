"""The weekly list as iCalendar (RFC 5545), with the ``icalendar`` library (imported on use).

Default: one ``VTODO`` per item. A follow-up is a task with a due date that the rep ticks
off, not a meeting that blocks time: Thunderbird, Apple Reminders/Calendar, Evolution and
most CalDAV clients show VTODOs as tasks with a due day and priority. Google Calendar and
Outlook import only events from a .ics file, so ``kind="event"`` writes one all-day,
transparent (free) ``VEVENT`` per item on its suggested day instead (docs/weekly.md).

UIDs are stable (account + kind + week): importing the same week again updates the items
instead of duplicating them; DTSTAMP is the week's reference day, so the same data gives
the same bytes. :func:`subscription_ics` is ``<handle>.ics``, the file a calendar
subscribes to: this week and the next, rewritten by every ``--out-dir`` run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan

PRODID = "-//khm//weekly follow-up list//EN"
#: RFC 5545 PRIORITY: 1 highest .. 9 lowest.
PRIORITY = {"overdue": 1, "trigger": 3, "due": 5}


def item_uid(item: PlanItem, week: str) -> str:
    raw = "\x1f".join((item.account, item.kind, week)).encode("utf-8")
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest() + "@khm"


def _summary(item: PlanItem) -> str:
    text = f"{item.label}: {item.account}"
    if item.name and item.name != item.account:
        text += f" ({item.name})"
    return text


def _description(item: PlanItem, rep: RepPlan) -> str:
    status = {
        "overdue": f"Overdue {item.days_overdue} days (due {item.due.isoformat()})",
        "trigger": "Trigger",
        "due": f"Due {item.due.isoformat()}",
    }.get(item.status, item.status)
    lines = [
        status,
        f"Why: {item.reason}",
        f"Tactic: {item.tactic}" if item.tactic else "",
        f"Account: {item.account} — {item.name} ({item.type}/{item.category})",
        f"Mode: {item.mode}" + (f", effort {item.effort:g}" if item.mode == "human" else ""),
        f"Last touch: {item.last_touch.isoformat() if item.last_touch else 'never'}",
        f"Rep: {rep.handle}",
    ]
    return "\n".join(line for line in lines if line)


def weekly_ics(plan: WeeklyPlan, reps: Iterable[RepPlan] | None = None, kind: str = "todo") -> str:
    """One calendar with an entry per listed item of ``reps`` (default: every rep)."""
    chosen = plan.reps if reps is None else reps
    return _calendar(
        f"khm {plan.week}", ((plan, rep, item) for rep in chosen for item in rep.items), kind
    )


Entry = tuple["WeeklyPlan", "RepPlan", "PlanItem"]


def subscription_ics(current: WeeklyPlan, following: WeeklyPlan, handle: str, kind: str) -> str:
    """``<handle>.ics``, the file a calendar subscribes to (:func:`subscription_entries`);
    DTSTAMP is the current week's reference day."""
    entries = subscription_entries(current, following, handle)
    return _calendar(f"khm {handle}", entries, kind, stamp_day=current.ref)


def subscription_entries(current: WeeklyPlan, following: WeeklyPlan, handle: str) -> list[Entry]:
    """The rep's items of ``current`` and of ``following`` (the next week), each with the
    UID of its week's file. An activity listed in both weeks is there once, in the
    current week (the next week's list assumes nothing is done)."""
    now = [(current, r, i) for r in current.reps if r.handle == handle for i in r.items]
    seen = {(i.account, i.kind) for _, _, i in now}
    later = [
        (following, r, i)
        for r in following.reps
        if r.handle == handle
        for i in r.items
        if (i.account, i.kind) not in seen
    ]
    return [*now, *later]


def _calendar(
    name: str,
    entries: Iterable[Entry],
    kind: str,
    stamp_day: date | None = None,
) -> str:
    from icalendar import Calendar, Event, Todo

    from khm.render.cells import printable

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for plan, rep, item in entries:
        stamp = datetime.combine(stamp_day or plan.ref, time(6, 0), tzinfo=UTC)
        day = item.day or max(item.due, plan.monday)
        comp: Any = Todo() if kind == "todo" else Event()
        comp.add("uid", item_uid(item, plan.week))
        comp.add("dtstamp", stamp)
        comp.add("summary", printable(_summary(item)))
        comp.add("description", printable(_description(item, rep)))
        comp.add("priority", PRIORITY.get(item.status, 5))
        comp.add("categories", [c for c in (item.type, item.category, item.mode) if c])
        if kind == "todo":
            comp.add("due", day)
            comp.add("status", "NEEDS-ACTION")
        else:
            comp.add("dtstart", day)
            comp.add("dtend", day + timedelta(days=1))
            comp.add("transp", "TRANSPARENT")
        cal.add_component(comp)
    return cal.to_ical().decode("utf-8")
