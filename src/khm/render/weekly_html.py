"""The weekly list as one self-contained HTML page: ``khm weekly -f html`` and the HTML
part of each rep's Monday mail (:mod:`khm.render.mail`), the same markup for both.

Written for mail clients first: CSS only in ``style`` attributes (many clients drop
``<style>`` blocks and never load external sheets), no images, scripts or links to
anything outside the page; one column of item cards at most 680 px wide, so it reads on a
phone without zooming. Every piece of user text goes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from khm.render.cells import printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan

INK = "#1c2630"
MUTED = "#5f6b76"
LINE = "#dde3e8"
STATUS_COLOUR = {"overdue": "#c62828", "trigger": "#9a5b00", "due": "#1565c0"}
FONT = '-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif'  # inside style='...'

S_BODY = f"margin:0;padding:0;background:#f4f6f8;color:{INK}"
S_WRAP = (
    f"max-width:680px;margin:0 auto;padding:16px 12px;font-family:{FONT};"
    f"font-size:15px;line-height:1.45;color:{INK}"
)
S_H1 = "font-size:20px;line-height:1.3;margin:0 0 4px"
S_H2 = (
    f"font-size:18px;line-height:1.3;margin:24px 0 2px;padding-top:12px;border-top:2px solid {LINE}"
)
S_H3 = "font-size:15px;margin:18px 0 8px"
S_META = f"margin:0 0 8px;color:{MUTED};font-size:13px"
S_CARD = (
    f"background:#ffffff;border:1px solid {LINE};border-left:4px solid {{colour}};"
    "border-radius:6px;padding:10px 12px;margin:0 0 10px"
)
S_NAME = "font-weight:700;font-size:16px;line-height:1.3;word-wrap:break-word"
S_KEY = f"font-weight:400;font-size:13px;color:{MUTED}"
S_FACTS = f"margin:4px 0 6px;font-size:13px;color:{MUTED}"
S_BADGE = (
    "display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;"
    "font-weight:700;color:#ffffff;background:{colour};white-space:nowrap"
)
S_TEXT = "margin:4px 0 0;font-size:14px"
S_WHY = f"margin:4px 0 0;font-size:13px;color:{MUTED}"
S_LIST = "margin:2px 0 0;padding-left:18px"
S_FOOT = f"margin:24px 0 8px;font-size:12px;color:{MUTED}"


def _e(value: object) -> str:
    return escape("" if value is None else printable(str(value)))


def _who(rep: RepPlan) -> str:
    return f"{rep.name} ({rep.handle})" if rep.name and rep.name != rep.handle else rep.handle


def counts(rep: RepPlan) -> tuple[int, int]:
    """(items listed, of which overdue): the mail's subject and the summary lines."""
    return len(rep.items), sum(1 for i in rep.items if i.status == "overdue")


def counts_text(rep: RepPlan) -> str:
    return count_phrase(*counts(rep))


def count_phrase(items: int, overdue: int) -> str:
    """``12 items, 3 overdue``, ``1 item, 0 overdue`` or ``nothing due``."""
    if not items:
        return "nothing due"
    return f"{items} item{'s' if items != 1 else ''}, {overdue} overdue"


def _item(item: PlanItem) -> str:
    from khm.render.weekly_text import status_text

    colour = STATUS_COLOUR.get(item.status, MUTED)
    activity = f"{item.label} ({item.mode})"
    if item.covers:
        activity += " + " + ", ".join(item.covers)
    small = [f"{item.type or '?'}/{item.category or '?'}"]
    if item.day:
        small.append(item.day.strftime("on %a %d %b"))
    small.append(f"last touch {item.last_touch.isoformat() if item.last_touch else 'never'}")
    facts = [f"<b style='color:{INK}'>{_e(activity)}</b>"]
    facts += [f"<span style='white-space:nowrap'>{_e(f)}</span>" for f in small]
    key = (
        f" <span style='{S_KEY}'>{_e(item.account)}</span>"
        if item.name and item.name != item.account
        else ""
    )
    parts = [
        f"<div style='{S_CARD.format(colour=colour)}'>",
        f"<div style='{S_NAME}'>{_e(item.name or item.account)}{key}</div>",
        f"<div style='{S_FACTS}'><span style='{S_BADGE.format(colour=colour)}'>"
        f"{_e(status_text(item))}</span> " + " · ".join(facts) + "</div>",
    ]
    if item.tactic:
        parts.append(f"<p style='{S_TEXT}'><b>What to do:</b> {_e(item.tactic)}</p>")
    if len(item.reasons) == 1:
        parts.append(f"<p style='{S_WHY}'><b>Why:</b> {_e(item.reasons[0])}</p>")
    elif item.reasons:
        lis = "".join(f"<li>{_e(r)}</li>" for r in item.reasons)
        parts.append(f"<div style='{S_WHY}'><b>Why:</b><ul style='{S_LIST}'>{lis}</ul></div>")
    parts.append("</div>")
    return "".join(parts)


def _rep(rep: RepPlan) -> list[str]:
    from khm.render.weekly_text import rep_summary

    out = [
        f"<h2 style='{S_H2}'>{_e(_who(rep))}</h2>",
        f"<p style='{S_META}'><b style='color:{INK}'>{_e(counts_text(rep))}</b> · "
        f"{_e(rep_summary(rep))}</p>",
    ]
    if not rep.items:
        out.append(f"<p style='{S_TEXT}'>Nothing due this week.</p>")
    for mode, title in (("human", "Human — within capacity"), ("digital", "Digital")):
        part = [i for i in rep.items if i.mode == mode]
        if part:
            out.append(f"<h3 style='{S_H3}'>{_e(title)} ({len(part)})</h3>")
            out.extend(_item(i) for i in part)
    if rep.carried:
        out.append(
            f"<p style='{S_META}'>+{len(rep.carried)} more human item(s) did not fit this "
            "week's capacity: they come first next week.</p>"
        )
    return out


def _unassigned(plan: WeeklyPlan) -> list[str]:
    due = sum(1 for u in plan.unassigned if u.items)
    out = [
        f"<h2 style='{S_H2}'>Unassigned: {len(plan.unassigned)} account(s) not planned</h2>",
        f"<p style='{S_META}'>{due} with work due this week.</p>",
    ]
    for u in plan.unassigned:
        out.append(
            f"<div style='{S_CARD.format(colour=MUTED)}'><div style='{S_NAME}'>{_e(u.name)}"
            f" <span style='{S_KEY}'>{_e(u.key)}</span></div>"
            f"<p style='{S_WHY}'>{_e(u.problem)} · {len(u.items)} due</p></div>"
        )
    return out


def render_html(plan: WeeklyPlan, reps: Sequence[RepPlan] | None = None) -> str:
    """The page for ``reps`` (default: every rep of the plan, with the unassigned
    accounts at the end; given: those reps only, as in a rep's mail)."""
    chosen = plan.reps if reps is None else reps
    span = f"{plan.monday.strftime('%a %d %b')} – {plan.sunday.strftime('%a %d %b %Y')}"
    title = f"khm {plan.week}" + (f": {_who(chosen[0])}" if len(chosen) == 1 else "")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title></head>",
        f"<body style='{S_BODY}'><div style='{S_WRAP}'>",
        f"<h1 style='{S_H1}'>Follow-ups, week {_e(plan.week)}</h1>",
        f"<p style='{S_META}'>{_e(span)}</p>",
    ]
    if not chosen:
        parts.append(f"<p style='{S_TEXT}'>No active reps to plan for week {_e(plan.week)}.</p>")
    for rep in chosen:
        parts.extend(_rep(rep))
    if reps is None and plan.unassigned:
        parts.extend(_unassigned(plan))
    parts.append(
        f"<p style='{S_FOOT}'>Log what you did with <code>khm log ACCOUNT ACTIVITY</code>: "
        "the next due date moves. Made by khm.</p></div></body></html>\n"
    )
    return "\n".join(parts)
