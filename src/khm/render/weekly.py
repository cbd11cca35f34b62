"""The weekly plan as output: a table, JSON (versioned), JSONL, CSV (the plan export),
Markdown or iCalendar (:mod:`khm.render.ics`), to a stream or one file per rep.

The JSON shape is defined here once, as dicts (:func:`plan_head`, :func:`rep_json`,
:func:`item_json`, :func:`brief_json`, :func:`unassigned_json`), and written by the one
JSON writer (:mod:`khm.render.json`) rep by rep: an all-reps list of a big book has tens
of thousands of items, and only one rep's dicts exist at a time.
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from khm.render.weekly_text import (
    campaign_lines,
    figure,
    rep_summary,
    rep_title,
    status_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan
    from khm.render.files import OutDir

FORMATS = ("table", "json", "jsonl", "csv", "markdown", "ics", "html")
EXTENSIONS = {
    "table": "txt",
    "json": "json",
    "jsonl": "jsonl",
    "csv": "csv",
    "markdown": "md",
    "ics": "ics",
    "html": "html",
}

CSV_COLUMNS = (
    "week",
    "rep",
    "account",
    "name",
    "type",
    "category",
    "activity",
    "label",
    "mode",
    "effort",
    "status",
    "due",
    "days_overdue",
    "day",
    "last_touch",
    "covers",
    "reason",
    "tactic",
)


# --------------------------------------------------------------------------- JSON


def plan_head(plan: WeeklyPlan) -> dict[str, Any]:
    """The envelope's fields before the reps."""
    from khm.render.json import envelope

    return envelope(
        "weekly", week=plan.week, monday=plan.monday, sunday=plan.sunday, today=plan.today
    )


def item_json(item: PlanItem) -> dict[str, Any]:
    """One listed item (dates and tuples as orjson writes them: ISO text, arrays)."""
    return {
        "account": item.account,
        "name": item.name,
        "type": item.type,
        "category": item.category,
        "activity": item.kind,
        "label": item.label,
        "mode": item.mode,
        "effort": figure(item.effort),
        "status": item.status,
        "due": item.due,
        "days_overdue": item.days_overdue,
        "last_touch": item.last_touch,
        "reason": "; ".join(item.reasons),
        "tactic": item.tactic,
        "reasons": item.reasons,
        "covers": item.covers,
        "triggers": item.triggers,
        "interval": item.interval,
        "lateness": round(item.lateness, 4),
        "from_earlier": item.backlog,
        "day": item.day,
        "country": item.country,
        "oversize": item.oversize,
    }


def brief_json(item: PlanItem) -> dict[str, Any]:
    """A carried item: what did not fit this week."""
    return {
        "account": item.account,
        "name": item.name,
        "activity": item.kind,
        "effort": figure(item.effort),
        "status": item.status,
        "due": item.due,
        "days_overdue": item.days_overdue,
    }


def rep_json(rep: RepPlan) -> dict[str, Any]:
    """A rep's section of the document."""
    return {
        "rep": rep.handle,
        "name": rep.name,
        "email": rep.email,
        "capacity": figure(rep.capacity),
        "capacity_full": figure(rep.capacity_full),
        "open_days": rep.open_days,
        "away_days": rep.away_days,
        "human_planned": figure(rep.human_planned),
        "carried_over": rep.carried_over,
        "carried_effort": figure(rep.carried_effort),
        "from_earlier": rep.from_earlier,
        "paused": len(rep.paused),
        "paused_effort": figure(rep.paused_effort),
        "count": len(rep.items),
        "items": [item_json(i) for i in rep.items],
        "carried": [brief_json(i) for i in rep.carried],
        "skipped_count": len(rep.skipped),
        "skipped": [brief_json(i) for i in rep.skipped],
        "campaigns": [
            {"activity": c.kind, "label": c.label, "due": c.due, "overdue": c.overdue}
            for c in rep.campaigns
        ],
    }


def unassigned_json(plan: WeeklyPlan) -> dict[str, Any]:
    return {
        "count": len(plan.unassigned),
        "with_work_due": sum(1 for u in plan.unassigned if u.items),
        "accounts": [
            {
                "account": u.key,
                "name": u.name,
                "type": u.type,
                "category": u.category,
                "owner": u.owner,
                "problem": u.problem,
                "due_items": len(u.items),
            }
            for u in plan.unassigned
        ],
    }


def write_json(out: IO[str], plan: WeeklyPlan, reps: Sequence[RepPlan] | None = None) -> None:
    """The versioned document: :func:`plan_head`, ``reps`` (one :func:`rep_json` per line,
    encoded and written one rep at a time) and, for the whole plan (``reps`` None),
    ``unassigned``. A per-rep document has no ``unassigned`` section."""
    from khm.render.json import write_list

    whole = reps is None
    write_list(
        out,
        plan_head(plan),
        (rep_json(r) for r in (plan.reps if reps is None else reps)),
        key="reps",
        count_key=None,
        tail={"unassigned": unassigned_json(plan)} if whole else None,
        chunk=1,
    )


def jsonl_items(plan: WeeklyPlan, reps: Sequence[RepPlan]) -> Iterator[dict[str, Any]]:
    """``--format jsonl``: one object per listed item, with its week and rep."""
    week = plan.week
    for rep in reps:
        handle = rep.handle
        for it in rep.items:
            yield {"week": week, "rep": handle, **item_json(it)}


# --------------------------------------------------------------------------- rows


def csv_rows(plan: WeeklyPlan, reps: Sequence[RepPlan]) -> Iterator[dict[str, Any]]:
    """The plan export: one row per listed item (:data:`CSV_COLUMNS`)."""
    for rep in reps:
        for it in rep.items:
            yield {
                "week": plan.week,
                "rep": rep.handle,
                "account": it.account,
                "name": it.name,
                "type": it.type,
                "category": it.category,
                "activity": it.kind,
                "label": it.label,
                "mode": it.mode,
                "effort": figure(it.effort),
                "status": it.status,
                "due": it.due,
                "days_overdue": it.days_overdue,
                "day": it.day,
                "last_touch": it.last_touch,
                "covers": " ".join(it.covers),
                "reason": it.reason,
                "tactic": it.tactic,
            }


def _display_row(it: PlanItem) -> dict[str, Any]:
    activity = f"{it.label} ({it.mode})"
    if it.covers:
        activity += " + " + ", ".join(it.covers)
    return {
        "account": f"{it.account} — {it.name}" if it.name and it.name != it.account else it.account,
        "tc": f"{it.type or '?'}/{it.category or '?'}",
        "activity": activity,
        "status": status_text(it),
        "day": it.day.strftime("%a %d %b") if it.day else "",
        "last_touch": it.last_touch.isoformat() if it.last_touch else "never",
        "tactic": it.tactic,
        "reason": it.reason,
    }


def _display_columns() -> list[Any]:
    from khm.render.cells import Column

    return [
        Column("account"),
        Column("tc", "type/cat"),
        Column("activity"),
        Column("status"),
        Column("day"),
        Column("last_touch", "last touch"),
        Column("tactic"),
        Column("reason"),
    ]


# --------------------------------------------------------------------------- table, Markdown


def render_table(
    plan: WeeklyPlan,
    reps: Sequence[RepPlan],
    *,
    unassigned: bool,
    file: IO[str] | None = None,
    wide: bool = False,
) -> None:
    """Per rep: the compact list (:mod:`khm.render.weekly_compact`), or with ``wide`` a
    title, the capacity summary, then human and digital tables of every column."""
    from rich.markup import escape

    from khm.render.cells import Column
    from khm.render.table import get_console, rich_table
    from khm.render.weekly_compact import print_compact, print_unassigned

    console = get_console(file=file)
    columns = _display_columns()
    if not reps:
        console.print(f"No active reps to plan for week {plan.week}.")
    for n, rep in enumerate(reps):
        if n:
            console.print()
        if not wide:
            print_compact(console, plan, rep)
            continue
        console.print(f"[bold]{escape(rep_title(plan, rep))}[/bold]")
        console.print(escape(rep_summary(rep)))
        for line in campaign_lines(rep):
            console.print(escape(line))
        if not rep.items:
            console.print("Nothing due this week.")
            continue
        # Human work first (what the week's capacity was spent on), then the digital
        # items; each part keeps the planner's priority order.
        for mode, title in (("human", "Human — within capacity"), ("digital", "Digital")):
            part = [i for i in rep.items if i.mode == mode]
            if not part:
                continue
            cols = columns if mode == "human" else [c for c in columns if c.key != "day"]
            rows = [_display_row(i) for i in part]
            styles = ["red" if i.status == "overdue" else None for i in part]
            console.print(rich_table(rows, cols, title=f"{title} ({len(part)})", row_styles=styles))
    if unassigned and plan.unassigned and not wide:
        print_unassigned(console, plan)
    elif unassigned and plan.unassigned:
        due = sum(1 for u in plan.unassigned if u.items)
        console.print()
        console.print(
            f"[bold]Unassigned: {len(plan.unassigned)} account(s) not planned, "
            f"{due} with work due this week[/bold]"
        )
        rows = [
            {"account": f"{u.key} — {u.name}", "problem": u.problem, "due_items": len(u.items)}
            for u in plan.unassigned
        ]
        console.print(
            rich_table(
                rows,
                [Column("account"), Column("problem"), Column("due_items", "due", justify="right")],
            )
        )


def render_markdown(
    plan: WeeklyPlan, reps: Sequence[RepPlan], *, unassigned: bool, wide: bool = False
) -> str:
    """One section per rep, for mail or a wiki: the compact list, or every column."""
    from khm.render.cells import Column, md_cell
    from khm.render.table import markdown_table
    from khm.render.weekly_compact import markdown_compact

    columns = _display_columns()
    out = [] if reps else [f"No active reps to plan for week {plan.week}.\n"]
    for rep in reps:
        if not wide:
            out.append(markdown_compact(plan, rep))
            continue
        out.append(f"## {md_cell(rep_title(plan, rep))}\n")
        out.append(md_cell(rep_summary(rep)) + "\n")
        if lines := campaign_lines(rep):
            out.append("\n".join(f"- {md_cell(line)}" for line in lines) + "\n")
        if rep.items:
            out.append(markdown_table([_display_row(i) for i in rep.items], columns))
        else:
            out.append("Nothing due this week.\n")
    if unassigned and plan.unassigned:
        out.append(f"## Unassigned ({len(plan.unassigned)} accounts)\n")
        out.append(
            markdown_table(
                [
                    {"account": u.key, "name": u.name, "problem": u.problem, "due": len(u.items)}
                    for u in plan.unassigned
                ],
                [Column("account"), Column("name"), Column("problem"), Column("due")],
            )
        )
    return "\n".join(out)


# --------------------------------------------------------------------------- entry points


def render(
    plan: WeeklyPlan,
    fmt: str,
    reps: Sequence[RepPlan] | None = None,
    *,
    ics_kind: str = "todo",
    file: IO[str] | None = None,
    wide: bool = False,
) -> None:
    """Write the plan in ``fmt`` (one of :data:`FORMATS`) to ``file`` (default stdout).
    ``reps`` given = those reps only, without the unassigned section (a per-rep file).
    The table and Markdown are compact unless ``wide``."""
    out = file if file is not None else sys.stdout
    whole = reps is None
    chosen = plan.reps if reps is None else reps
    if fmt == "json":
        write_json(out, plan, None if whole else chosen)
    elif fmt == "jsonl":
        from khm.render.json import write_jsonl

        write_jsonl(out, jsonl_items(plan, chosen))
    elif fmt == "csv":
        from khm.render.cells import Column
        from khm.render.table import write_csv

        write_csv(csv_rows(plan, chosen), [Column(c) for c in CSV_COLUMNS], out)
    elif fmt == "markdown":
        out.write(render_markdown(plan, chosen, unassigned=whole, wide=wide))
    elif fmt == "ics":
        from khm.render.ics import weekly_ics

        out.write(weekly_ics(plan, chosen, kind=ics_kind))
    elif fmt == "html":  # the page of khm.render.weekly_html, also each rep's mail
        from khm.render.weekly_html import render_html

        out.write(render_html(plan, None if whole else chosen))
    else:
        render_table(plan, chosen, unassigned=whole, file=out, wide=wide)


def write_files(
    plan: WeeklyPlan,
    fmt: str,
    out: OutDir,
    *,
    include_empty: bool,
    ics_kind: str,
    wide: bool = False,
) -> tuple[list[tuple[Path, RepPlan]], list[RepPlan], list[str]]:
    """One file per rep, ``<handle>-<week>.<ext>`` (named by :class:`OutDir`), each
    written atomically with :func:`render` for that rep; reps with nothing listed are
    skipped unless ``include_empty``. A file that cannot be written does not stop the
    others. Returns (the files written with their rep, the reps skipped, one line per
    file not written)."""
    import io

    written, skipped, failed = [], [], []
    for rep in plan.reps:
        if not rep.items and not include_empty:
            skipped.append(rep)
            continue
        path = out.file(rep.handle, f"-{plan.week}.{EXTENSIONS[fmt]}")
        buf = io.StringIO()
        render(plan, fmt, [rep], ics_kind=ics_kind, file=buf, wide=wide)
        problem = _write(path, buf.getvalue())
        if problem:
            failed.append(problem)
        else:
            written.append((path, rep))
    return written, skipped, failed


def write_subscriptions(
    plan: WeeklyPlan, following: WeeklyPlan, out: OutDir, *, ics_kind: str
) -> tuple[list[tuple[Path, int]], list[str]]:
    """``<handle>.ics`` per rep of ``plan``, the file a calendar subscribes to: this week
    and the next (``following``), rewritten atomically in place every run, also for a
    rep with nothing listed (the calendar must see items go). Returns ((file, entries)
    written, one line per file not written)."""
    from khm.render.ics import subscription_entries, subscription_ics

    written, failed = [], []
    for rep in plan.reps:
        path = out.file(rep.handle, ".ics")
        problem = _write(path, subscription_ics(plan, following, rep.handle, ics_kind))
        if problem:
            failed.append(problem)
        else:
            written.append((path, len(subscription_entries(plan, following, rep.handle))))
    return written, failed


def _write(path: Path, text: str) -> str:
    """Write ``path`` atomically: "" when done, else one line saying why not."""
    from khm.render.files import atomic_write_text

    try:
        atomic_write_text(path, text)
    except OSError as exc:
        return f"{path}: cannot write: {exc.strerror or exc}"
    return ""


def write_out_dir(
    plan: WeeklyPlan,
    fmt: str,
    out_dir: Path,
    following: WeeklyPlan | None,
    *,
    include_empty: bool,
    ics_kind: str,
    wide: bool = False,
) -> tuple[list[str], list[str]]:
    """``khm weekly --out-dir``: each rep's file (:func:`write_files`), and with
    ``following`` (the next week, for ``--format ics``) each rep's subscription, all
    named by one :class:`OutDir`. Returns (the lines saying what was written and
    skipped, one line per file that could not be written)."""
    from khm.render.files import OutDir

    out = OutDir(out_dir)
    written, skipped, failed = write_files(
        plan, fmt, out, include_empty=include_empty, ics_kind=ics_kind, wide=wide
    )
    lines = [f"wrote {path} ({len(r.items)} items)" for path, r in written]
    if following is not None:
        subscribed, not_subscribed = write_subscriptions(plan, following, out, ics_kind=ics_kind)
        failed += not_subscribed
        lines += [
            f"wrote {path} ({n} items, this week and next: for a subscription)"
            for path, n in subscribed
        ]
    if skipped:
        lines.append(
            f"skipped {len(skipped)} rep(s) with nothing due: "
            + ", ".join(r.handle for r in skipped)
            + " (use --include-empty to write them too)"
        )
    return lines, failed
