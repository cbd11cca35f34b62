"""The compact weekly list: one line per item, the tactic once per (activity, type).

What a rep reads on Monday in a terminal (``khm weekly``, the default), in a Markdown
file or mail (``-f markdown``, ``--out-dir``), and in ``khm demo``. Per rep: the header,
then **Human — within capacity**, the first few items **carried to next week** (the
header counts them all), **Digital**; under the list the notes (the reasons that add
something to a line: a trigger, a covered kind; one number per distinct text) and the
tactics, once per (activity, type). ``--wide`` is :func:`khm.render.weekly.render_table`;
``--account`` is :func:`render_account` (one account's items in full).

:func:`compact_list` turns a :class:`RepPlan` into plain values (:class:`CompactList`);
the terminal view (:func:`print_compact`) and Markdown (:func:`markdown_compact`) only lay
them out. In a terminal the column widths come from the console's width: no cell wraps,
long text ends in "…", and wider terminals get the last touch and the account key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from khm.render.weekly_text import one_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from khm.core.account_week import AccountWeek
    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan

#: how many carried items are listed (all of them are counted; JSON lists every one)
SHOWN_CARRIED = 3
#: console widths from which the last touch, then the account key, get a column
LAST_TOUCH_FROM = 100
KEY_FROM = 140
#: blank between two columns in a terminal
GAP = 2


@dataclass(frozen=True)
class CompactRow:
    """One item's line, as text."""

    key: str
    name: str  # the account's name (its key when it has none)
    tc: str  # type/category, e.g. keep/C
    activity: str  # label, + covered kinds
    status: str  # overdue 12d | due | trigger
    day: str  # suggested day, e.g. Mon 23 (human items)
    last_touch: str  # ISO date or "never"
    note: str  # "[1]" when a note says more, else ""
    overdue: bool


@dataclass(frozen=True)
class CompactList:
    """A rep's list as the compact views show it."""

    human: tuple[CompactRow, ...]
    digital: tuple[CompactRow, ...]
    carried: tuple[CompactRow, ...]  # the first SHOWN_CARRIED
    carried_count: int
    notes: tuple[str, ...]  # notes[0] is "[1]"
    tactics: tuple[tuple[str, str], ...]  # (activity and type, tactic), once each


def status_short(item: PlanItem) -> str:
    return f"overdue {item.days_overdue}d" if item.status == "overdue" else item.status


def activity_text(item: PlanItem) -> str:
    text = one_line(item.label)
    return text + " + " + ", ".join(item.covers) if item.covers else text


def extra_reasons(item: PlanItem) -> tuple[str, ...]:
    """The reasons that add something to the line: all but the cadence's own ("every 6m,
    last call ..."), which the status and the last touch already say — a trigger's
    reason, a covered kind's note."""
    return item.reasons if item.interval is None else item.reasons[1:]


def _row(item: PlanItem, note: str) -> CompactRow:
    return CompactRow(
        key=one_line(item.account),
        name=one_line(item.name or item.account),
        tc=f"{item.type or '?'}/{item.category or '?'}",
        activity=activity_text(item),
        status=status_short(item),
        day=item.day.strftime("%a %d") if item.day and item.mode == "human" else "",
        last_touch=item.last_touch.isoformat() if item.last_touch else "never",
        note=note,
        overdue=item.status == "overdue",
    )


def compact_list(rep: RepPlan, *, shown_carried: int = SHOWN_CARRIED) -> CompactList:
    """The rows, notes and tactics of ``rep``'s list (human items first, then digital,
    each in the planner's priority order)."""
    notes: dict[str, int] = {}
    # (activity, tactic) -> label, the account types, the triggers that set the tactic
    tactics: dict[tuple[str, str], tuple[str, list[str], tuple[str, ...]]] = {}

    def listed(item: PlanItem) -> CompactRow:
        extra = extra_reasons(item)
        note = ""
        if extra:
            text = "; ".join(one_line(r) for r in extra)
            note = f"[{notes.setdefault(text, len(notes) + 1)}]"
        tactic = one_line(item.tactic)
        if tactic:
            types = tactics.setdefault(
                (item.kind, tactic), (one_line(item.label), [], item.triggers)
            )[1]
            if item.type and item.type not in types:
                types.append(item.type)
        return _row(item, note)

    human = tuple(listed(i) for i in rep.items if i.mode == "human")
    digital = tuple(listed(i) for i in rep.items if i.mode != "human")
    titles: list[tuple[str, str]] = []
    seen: set[str] = set()
    for (_, tactic), (label, types, triggers) in tactics.items():
        title = label + (f" ({', '.join(types)})" if types else "")
        if title in seen:  # a trigger's own tactic for this activity and type
            title += " — " + ", ".join(one_line(t) for t in triggers)
        seen.add(title)
        titles.append((title, tactic))
    return CompactList(
        human=human,
        digital=digital,
        carried=tuple(_row(i, "") for i in rep.carried[:shown_carried]),
        carried_count=len(rep.carried),
        notes=tuple(notes),
        tactics=tuple(titles),
    )


def carried_title(rep: RepPlan, shown: int) -> str:
    from khm.render.weekly_text import figure

    text = f"Carried to next week: {rep.carried_over} ({figure(rep.carried_effort)} effort)"
    if shown < rep.carried_over:
        text += f", the first {shown} (-f json lists all)"
    return text


def fit_parts(parts: Sequence[str], sep: str, width: int) -> list[str]:
    """``parts`` joined by ``sep`` into lines of at most ``width`` cells, broken between
    parts only (a part longer than a line is cut with "…")."""
    from rich.cells import cell_len

    lines: list[str] = []
    for part in parts:
        if lines and cell_len(lines[-1] + sep + part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(clip(part, width))
    return lines


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut with "…" when longer."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…"


# --------------------------------------------------------------------------- terminal


def _widths(rows: Sequence[CompactRow], keys: Sequence[str], width: int) -> dict[str, int]:
    """Column widths for ``rows`` in ``width`` cells: the short columns (type/cat,
    status, day, note, last touch) at their longest value, the rest shared by the
    account name, the activity and the key."""
    from rich.cells import cell_len

    titles = {"name": "account", "tc": "type/cat", "last_touch": "last touch", "note": ""}
    natural = {
        k: max([cell_len(titles.get(k, k))] + [cell_len(getattr(r, k)) for r in rows]) for k in keys
    }
    flexible = [k for k in ("activity", "key", "name") if k in keys]
    fixed = sum(natural[k] for k in keys if k not in flexible)
    room = max(width - fixed - GAP * (len(keys) - 1), 3 * len(flexible))
    out = {k: natural[k] for k in keys}
    # the shortest first: each gets its longest value or an even share of what is left
    for n, k in enumerate(sorted(flexible, key=natural.__getitem__)):
        out[k] = min(natural[k], room // (len(flexible) - n))
        room -= out[k]
    return out


def _table(
    rows: Sequence[CompactRow],
    keys: Sequence[str],
    widths: dict[str, int],
    *,
    header: bool = True,
) -> Any:
    """The rows as one rich Text, a line each: every cell cut to its column's width (with
    "…") and padded, so no line wraps; overdue lines red. (Laid out here, not by a rich
    Table: the same result, without the per-cell layout work on a list of thousands.)"""
    from rich.cells import set_cell_size
    from rich.text import Text

    titles = {"name": "account", "tc": "type/cat", "last_touch": "last touch", "note": ""}
    gap = " " * GAP
    last = keys[-1]

    def line(cells: Sequence[str]) -> str:
        parts = [
            clip(c, widths[k]) if k == last else set_cell_size(clip(c, widths[k]), widths[k])
            for k, c in zip(keys, cells, strict=True)
        ]
        return gap.join(parts).rstrip()

    text = Text(no_wrap=True, overflow="ellipsis", end="")
    lines = []
    if header:
        lines.append((line([titles.get(k, k) for k in keys]), "bold"))
    lines += [(line([getattr(r, k) for k in keys]), "red" if r.overdue else None) for r in rows]
    for n, (s, style) in enumerate(lines):
        text.append(s + ("\n" if n < len(lines) - 1 else ""), style=style)
    return text


def _keys(width: int, *, human: bool, notes: bool) -> list[str]:
    keys = ["name"]
    if width >= KEY_FROM:
        keys.append("key")
    keys += ["tc", "activity"]
    if notes:
        keys.append("note")
    keys.append("status")
    if human:
        keys.append("day")
    if width >= LAST_TOUCH_FROM:
        keys.append("last_touch")
    return keys


def _legend(entries: Sequence[tuple[str, str]], width: int) -> Any:
    """Two columns, the second wrapped by words: notes and tactics."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    first = min(max(cell_len(a) for a, _ in entries), max(width // 3, 4))
    grid = Table.grid(padding=(0, GAP // 2), pad_edge=False)
    grid.add_column(width=first, no_wrap=True, overflow="ellipsis")
    grid.add_column(overflow="fold")  # wrapped by words at the console's width
    for a, b in entries:
        grid.add_row(Text(a), Text(b))
    return grid


def print_header(console: Console, plan: WeeklyPlan, rep: RepPlan) -> None:
    from rich.text import Text

    from khm.render.weekly_text import campaign_lines, rep_title_parts, summary_parts

    width = console.width
    for line in fit_parts(rep_title_parts(plan, rep), " — ", width):
        console.print(Text(line, style="bold"), no_wrap=True, overflow="ellipsis")
    for line in fit_parts(summary_parts(rep), " · ", width):
        console.print(Text(line), no_wrap=True, overflow="ellipsis")
    for line in campaign_lines(rep):
        console.print(Text(clip(line, width)), no_wrap=True, overflow="ellipsis")


def print_compact(console: Console, plan: WeeklyPlan, rep: RepPlan) -> None:
    """One rep's compact list (the header, the sections, the notes and the tactics)."""
    from rich.text import Text

    width = console.width
    print_header(console, plan, rep)
    if not rep.items:
        if rep.carried:
            console.print(Text(clip(carried_title(rep, 0), width)))
        console.print("Nothing due this week.")
        return
    c = compact_list(rep)
    console.print()
    if c.human or c.carried:
        # the carried items line up under the listed ones
        keys = _keys(width, human=True, notes=any(r.note for r in c.human))
        widths = _widths(c.human + c.carried, keys, width)
    if c.human:
        console.print(Text(f"Human — within capacity ({len(c.human)})", style="bold"))
        console.print(_table(c.human, keys, widths))
    if c.carried_count:
        console.print(Text(clip(carried_title(rep, len(c.carried)), width), style="bold"))
        if c.carried:
            console.print(_table(c.carried, keys, widths, header=False))
    if c.digital:
        if c.human or c.carried_count:
            console.print()
        console.print(Text(f"Digital ({len(c.digital)})", style="bold"))
        keys = _keys(width, human=False, notes=any(r.note for r in c.digital))
        console.print(_table(c.digital, keys, _widths(c.digital, keys, width)))
    console.print()
    if c.notes:
        console.print(_legend([(f"[{n}]", t) for n, t in enumerate(c.notes, 1)], width))
    if c.tactics:
        console.print(Text("Tactics", style="bold"))
        console.print(_legend(c.tactics, width))


# --------------------------------------------------------------------------- Markdown


def markdown_compact(plan: WeeklyPlan, rep: RepPlan) -> str:
    """One rep's section in Markdown: the same sections, notes and tactics; every cell
    in full (a Markdown reader wraps)."""
    from khm.render.cells import Column, md_cell
    from khm.render.table import markdown_table
    from khm.render.weekly_text import campaign_lines, rep_summary, rep_title

    out = [f"## {md_cell(rep_title(plan, rep))}\n", md_cell(rep_summary(rep)) + "\n"]
    if lines := campaign_lines(rep):
        out.append("\n".join(f"- {md_cell(line)}" for line in lines) + "\n")
    if not rep.items:
        out.append("Nothing due this week.\n")
        return "\n".join(out)
    c = compact_list(rep)

    def table(rows: Sequence[CompactRow], *, day: bool) -> str:
        cols = [Column("name", "account"), Column("tc", "type/cat"), Column("activity")]
        cols += [Column("status")] + ([Column("day")] if day else [])
        cols += [Column("last_touch", "last touch")]
        if any(r.note for r in rows):
            cols.append(Column("note"))
        return markdown_table(({k.key: getattr(r, k.key) for k in cols} for r in rows), cols)

    if c.human:
        out.append(f"### Human — within capacity ({len(c.human)})\n")
        out.append(table(c.human, day=True))
    if c.carried_count:
        out.append(f"### {md_cell(carried_title(rep, len(c.carried)))}\n")
        if c.carried:
            out.append(table(c.carried, day=False))
    if c.digital:
        out.append(f"### Digital ({len(c.digital)})\n")
        out.append(table(c.digital, day=False))
    if c.notes:
        out.append("\n".join(f"- \\[{n}\\] {md_cell(t)}" for n, t in enumerate(c.notes, 1)) + "\n")
    if c.tactics:
        out.append("### Tactics\n")
        out.append("\n".join(f"- **{md_cell(a)}**: {md_cell(t)}" for a, t in c.tactics) + "\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- one account


def _item_lines(item: PlanItem) -> list[tuple[str, str]]:
    from khm.render.weekly_text import figure

    what = f"{activity_text(item)} ({item.mode}"
    what += f", effort {figure(item.effort)})" if item.mode == "human" else ")"
    status = {
        "overdue": f"overdue {item.days_overdue} days (due {item.due.isoformat()})",
        "trigger": f"trigger (since {item.due.isoformat()})",
    }.get(item.status, f"due {item.due.isoformat()}")
    lines = [("activity", what), ("status", status)]
    if item.day and item.mode == "human":
        lines.append(("day", item.day.strftime("%a %d %b")))
    last = item.last_touch.isoformat() if item.last_touch else "never"
    lines.append(("last touch", last + (f" (cadence {item.interval})" if item.interval else "")))
    lines += [("why" if n == 0 else "", one_line(r)) for n, r in enumerate(item.reasons)]
    if item.tactic:
        lines.append(("tactic", one_line(item.tactic)))
    return lines


def render_account(aw: AccountWeek, file: IO[str] | None = None) -> None:
    """``khm weekly --account KEY``: the account's items of the week in full, or why it
    has none."""
    from rich.text import Text

    from khm.render.table import get_console

    console = get_console(file=file)
    width = console.width
    plan = aw.plan
    who = aw.key if not aw.name or aw.name == aw.key else f"{aw.key} — {aw.name}"
    tags = f"{aw.type or '?'}/{aw.category or '?'}"
    head = [one_line(who), tags, f"owner {aw.owner or 'none'}", f"week {plan.week}"]
    for line in fit_parts(head, " · ", width):
        console.print(Text(line, style="bold"), no_wrap=True, overflow="ellipsis")
    sections = (
        ("listed this week", aw.listed),
        ("carried to next week (did not fit this week's capacity)", aw.carried),
        ("paused (no human day for the account this week)", aw.paused),
    )
    if aw.problem:
        console.print(Text(clip(f"not planned: {aw.problem}", width)))
    elif not any(items for _, items in sections):
        text = f"Nothing due in week {plan.week}."
        if aw.rep and aw.rep != aw.owner:
            text = f"Nothing due on {aw.rep}'s list in week {plan.week} (owner: {aw.owner})."
        console.print(Text(one_line(text)))
    for title, items in sections:
        if items:
            console.print()
            console.print(Text(clip(f"{title}: {len(items)}", width), style="bold"))
        for n, item in enumerate(items):
            if n:
                console.print()
            console.print(_legend(_item_lines(item), width))


def print_unassigned(console: Console, plan: WeeklyPlan) -> None:
    """The accounts the plan could not give to a rep: name, problem, items due."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    width = console.width
    due = sum(1 for u in plan.unassigned if u.items)
    console.print()
    head = f"Unassigned: {len(plan.unassigned)} account(s) not planned, {due} with work due"
    console.print(Text(clip(head + " this week", width), style="bold"))
    rows = [
        (one_line(u.name or u.key), one_line(u.problem), str(len(u.items))) for u in plan.unassigned
    ]
    natural = [
        max(cell_len(r[i]) for r in [("account", "problem", "due"), *rows]) for i in range(3)
    ]
    room = max(width - natural[2] - 2 * GAP, 10)
    name = min(natural[0], max(room * 2 // 5, room - natural[1]))
    table = Table(box=None, padding=(0, GAP // 2), pad_edge=False, header_style="bold")
    for title, w, justify in (
        ("account", name, "left"),
        ("problem", room - name, "left"),
        ("due", natural[2], "right"),
    ):
        table.add_column(title, width=w, no_wrap=True, overflow="ellipsis", justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(*(Text(c) for c in r))
    console.print(table)
