"""``khm weekly``: each rep's follow-up list for one ISO week.

Thin: parse options, call :func:`khm.services.weekly.build_weekly`, render the plan as a
table, JSON (versioned), CSV (also the plan export), Markdown or iCalendar, to stdout or
one file per rep (``--out-dir``, for cron to mail). The rules are in docs/weekly.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date

    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan

WEEKLY_FORMATS = ("table", "json", "csv", "markdown", "ics")
EXTENSIONS = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md", "ics": "ics"}

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


def _num(x: float) -> float | int:
    i = int(x)
    return i if i == x else round(x, 2)


# --------------------------------------------------------------------------- JSON


def item_json(item: PlanItem) -> dict[str, Any]:
    """One item of the JSON list (tuples are written as JSON arrays)."""
    lt = item.last_touch
    day = item.day
    return {
        "account": item.account,
        "name": item.name,
        "type": item.type,
        "category": item.category,
        "activity": item.kind,
        "label": item.label,
        "mode": item.mode,
        "effort": _num(item.effort),
        "status": item.status,
        "due": item.due.isoformat(),
        "days_overdue": item.days_overdue,
        "last_touch": lt.isoformat() if lt else None,
        "reason": "; ".join(item.reasons),
        "tactic": item.tactic,
        "reasons": item.reasons,
        "covers": item.covers,
        "triggers": item.triggers,
        "interval": item.interval,
        "lateness": round(item.lateness, 4),
        "from_earlier": item.backlog,
        "day": day.isoformat() if day else None,
        "country": item.country,
        "oversize": item.oversize,
    }


def _brief(item: PlanItem) -> dict[str, Any]:
    return {
        "account": item.account,
        "name": item.name,
        "activity": item.kind,
        "effort": _num(item.effort),
        "status": item.status,
        "due": item.due.isoformat(),
        "days_overdue": item.days_overdue,
    }


def rep_json(rep: RepPlan) -> dict[str, Any]:
    return {
        **rep_head_json(rep),
        "items": [item_json(i) for i in rep.items],
        "carried": [_brief(i) for i in rep.carried],
    }


def rep_head_json(rep: RepPlan) -> dict[str, Any]:
    """A rep's section of the JSON document, less its ``items`` and ``carried`` lists."""
    return {
        "rep": rep.handle,
        "name": rep.name,
        "email": rep.email,
        "capacity": _num(rep.capacity),
        "capacity_full": _num(rep.capacity_full),
        "open_days": rep.open_days,
        "human_planned": _num(rep.human_planned),
        "carried_over": rep.carried_over,
        "carried_effort": _num(rep.carried_effort),
        "from_earlier": rep.from_earlier,
        "paused": len(rep.paused),
        "paused_effort": _num(rep.paused_effort),
        "count": len(rep.items),
    }


def _plan_head(plan: WeeklyPlan) -> dict[str, Any]:
    """The envelope's fields before the reps."""
    from khm.render import JSON_VERSION

    return {
        "version": JSON_VERSION,
        "kind": "weekly",
        "week": plan.week,
        "monday": plan.monday.isoformat(),
        "sunday": plan.sunday.isoformat(),
        "today": plan.today.isoformat(),
    }


def plan_json(plan: WeeklyPlan, reps: list[RepPlan] | None = None) -> dict[str, Any]:
    """The JSON document as dicts: the readable definition of the versioned shape.
    ``khm weekly -f json`` writes the same text with :func:`plan_json_text` (a property
    test holds the two together through :func:`json_text`)."""
    chosen = list(plan.reps) if reps is None else reps
    out = _plan_head(plan)
    out["reps"] = [rep_json(r) for r in chosen]
    if reps is None:
        out["unassigned"] = _unassigned_json(plan)
    return out


def _unassigned_json(plan: WeeklyPlan) -> dict[str, Any]:
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


def json_text(data: dict[str, Any]) -> str:
    """The JSON document: every value is already a JSON type, so the C encoder writes it
    directly; one line per item keeps big lists fast to write and easy to diff."""
    import json

    dump = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, C speed

    out: list[str] = []  # the pieces, joined once at the end (the text can be 30 MB)

    def add_rows(rows: list[dict[str, Any]]) -> None:
        # One encoder call for the whole list, then a line break between items: every
        # row is a flat dict whose first key is "account" (nested values are lists of
        # strings), and a JSON string cannot hold an unescaped quote, so '}, {"account": '
        # occurs exactly between two rows.
        out.append("      ")
        out.append(dump(rows)[1:-1].replace('}, {"account": ', '},\n      {"account": '))

    head = {k: v for k, v in data.items() if k not in ("reps", "unassigned")}
    out.append(dump(head)[:-1] + ',\n  "reps": [\n')
    for n, rep in enumerate(data["reps"]):
        rep_head = {k: v for k, v in rep.items() if k not in ("items", "carried")}
        out.append(("    " if n == 0 else ",\n    ") + dump(rep_head)[:-1])
        for name in ("items", "carried"):
            rows = rep.get(name, [])
            if rows:
                out.append(f', "{name}": [\n')
                add_rows(rows)
                out.append("\n    ]")
            else:
                out.append(f', "{name}": []')
        out.append("}")
    out.append("\n  ]" if data["reps"] else "  ]")
    if "unassigned" in data:
        out.append(',\n  "unassigned": ' + dump(data["unassigned"]))
    out.append("}\n")
    return "".join(out)


class _Texts(dict[Any, str]):
    """The JSON text of values that repeat across items (labels, tactics, statuses,
    kinds, dates), each encoded once; ``None`` is ``null``."""

    def __init__(self, encode: Callable[[Any], str]) -> None:
        super().__init__()
        self[None] = "null"
        self._encode = encode

    def __missing__(self, key: Any) -> str:
        text = self[key] = self._encode(key)
        return text


def _date_text(d: date) -> str:
    return f'"{d.isoformat()}"'


def _number_text(x: float) -> str:
    import json

    return json.dumps(_num(x))


def _json_float(x: float) -> str:
    """A non-finite float as the encoder writes it (NaN, Infinity)."""
    import json

    return json.dumps(x)


def _item_lines(items: Sequence[PlanItem], brief: bool, texts: tuple[_Texts, ...]) -> list[str]:
    """One JSON object per item, byte for byte what :func:`item_json` (or :func:`_brief`)
    followed by the C encoder writes (``json.JSONEncoder(ensure_ascii=False)``: ", " and
    ": " separators, keys in that order), assuming the field types :class:`PlanItem`
    declares. Built as text because an all-reps list has ~70 000 items: making a dict per
    item for the encoder, then encoding, was a fifth of ``khm weekly -f json``."""
    from json.encoder import encode_basestring as enc  # the function the encoder uses

    s, d, n = texts
    out = []
    if brief:
        for it in items:
            out.append(
                f'{{"account": {enc(it.account)}, "name": {enc(it.name)}, '
                f'"activity": {s[it.kind]}, "effort": {n[it.effort]}, "status": {s[it.status]}, '
                f'"due": {d[it.due]}, "days_overdue": {int(it.days_overdue)!r}}}'
            )
        return out
    for it in items:
        reasons = it.reasons
        if len(reasons) == 1:
            reason = enc(reasons[0])
            reasons_text = f"[{reason}]"
        else:
            reason = enc("; ".join(reasons))
            reasons_text = f"[{', '.join(map(enc, reasons))}]"
        covers = f"[{', '.join([s[c] for c in it.covers])}]" if it.covers else "[]"
        triggers = f"[{', '.join([s[t] for t in it.triggers])}]" if it.triggers else "[]"
        lateness = round(it.lateness, 4)
        lateness_text = repr(lateness) if lateness - lateness == 0 else _json_float(lateness)
        out.append(
            f'{{"account": {enc(it.account)}, "name": {enc(it.name)}, "type": {s[it.type]}, '
            f'"category": {s[it.category]}, "activity": {s[it.kind]}, "label": {s[it.label]}, '
            f'"mode": {s[it.mode]}, "effort": {n[it.effort]}, "status": {s[it.status]}, '
            f'"due": {d[it.due]}, "days_overdue": {int(it.days_overdue)!r}, '
            f'"last_touch": {d[it.last_touch]}, "reason": {reason}, "tactic": {s[it.tactic]}, '
            f'"reasons": {reasons_text}, "covers": {covers}, "triggers": {triggers}, '
            f'"interval": {s[it.interval]}, "lateness": {lateness_text}, '
            f'"from_earlier": {"true" if it.backlog else "false"}, "day": {d[it.day]}, '
            f'"country": {s[it.country]}, "oversize": {"true" if it.oversize else "false"}}}'
        )
    return out


def plan_json_text(plan: WeeklyPlan, reps: list[RepPlan] | None = None) -> str:
    """``json_text(plan_json(plan, reps))``, the same text, written without building the
    item dicts (see :func:`_item_lines`; a property test compares the two)."""
    import json
    from json.encoder import encode_basestring

    dump = json.JSONEncoder(ensure_ascii=False).encode
    texts = (_Texts(encode_basestring), _Texts(_date_text), _Texts(_number_text))
    chosen = list(plan.reps) if reps is None else reps
    out = [dump(_plan_head(plan))[:-1] + ',\n  "reps": [\n']
    for i, rep in enumerate(chosen):
        out.append(("    " if i == 0 else ",\n    ") + dump(rep_head_json(rep))[:-1])
        for name, rows, brief in (("items", rep.items, False), ("carried", rep.carried, True)):
            if rows:
                out.append(f', "{name}": [\n      ')
                out.append(",\n      ".join(_item_lines(rows, brief, texts)))
                out.append("\n    ]")
            else:
                out.append(f', "{name}": []')
        out.append("}")
    out.append("\n  ]" if chosen else "  ]")
    if reps is None:
        out.append(',\n  "unassigned": ' + dump(_unassigned_json(plan)))
    out.append("}\n")
    return "".join(out)


# --------------------------------------------------------------------------- rows


def _status_text(item: PlanItem) -> str:
    if item.status == "overdue":
        return f"overdue {item.days_overdue} day{'s' if item.days_overdue != 1 else ''}"
    return item.status


def _flat_rows(plan: WeeklyPlan, reps: list[RepPlan]) -> list[dict[str, Any]]:
    rows = []
    for rep in reps:
        for it in rep.items:
            rows.append(
                {
                    "week": plan.week,
                    "rep": rep.handle,
                    "account": it.account,
                    "name": it.name,
                    "type": it.type,
                    "category": it.category,
                    "activity": it.kind,
                    "label": it.label,
                    "mode": it.mode,
                    "effort": _num(it.effort),
                    "status": it.status,
                    "due": it.due,
                    "days_overdue": it.days_overdue,
                    "day": it.day,
                    "last_touch": it.last_touch,
                    "covers": " ".join(it.covers),
                    "reason": it.reason,
                    "tactic": it.tactic,
                }
            )
    return rows


def _display_row(it: PlanItem) -> dict[str, Any]:
    activity = f"{it.label} ({it.mode})"
    if it.covers:
        activity += " + " + ", ".join(it.covers)
    return {
        "account": f"{it.account} — {it.name}" if it.name and it.name != it.account else it.account,
        "tc": f"{it.type or '?'}/{it.category or '?'}",
        "activity": activity,
        "status": _status_text(it),
        "day": it.day.strftime("%a %d %b") if it.day else "",
        "last_touch": it.last_touch.isoformat() if it.last_touch else "never",
        "tactic": it.tactic,
        "reason": it.reason,
    }


def _rep_summary(plan: WeeklyPlan, rep: RepPlan) -> str:
    parts = [f"capacity {_num(rep.human_planned)}/{_num(rep.capacity)} used"]
    if rep.capacity != rep.capacity_full:
        parts[0] += f" ({rep.open_days} of 5 days open, full week {_num(rep.capacity_full)})"
    if rep.carried_over:
        parts.append(
            f"+{rep.carried_over} carried to next week ({_num(rep.carried_effort)} effort)"
        )
    if rep.from_earlier:
        parts.append(f"{rep.from_earlier} from earlier weeks")
    if rep.paused:
        parts.append(f"{len(rep.paused)} paused (no human day this week)")
    return " · ".join(parts)


def _rep_title(plan: WeeklyPlan, rep: RepPlan) -> str:
    who = f"{rep.handle} ({rep.name})" if rep.name and rep.name != rep.handle else rep.handle
    span = f"{plan.monday.strftime('%a %d %b')} – {plan.sunday.strftime('%a %d %b %Y')}"
    return f"{who} — week {plan.week} ({span})"


def render_table(
    plan: WeeklyPlan, reps: list[RepPlan], *, unassigned: bool, file: Any = None
) -> None:
    from rich.markup import escape

    from khm.render import Column, get_console, rich_table

    console = get_console(file=file)
    columns = [
        Column("account"),
        Column("tc", "type/cat"),
        Column("activity"),
        Column("status"),
        Column("day"),
        Column("last_touch", "last touch"),
        Column("tactic"),
        Column("reason"),
    ]
    if not reps:
        console.print(f"No active reps to plan for week {plan.week}.")
    for n, rep in enumerate(reps):
        if n:
            console.print()
        console.print(f"[bold]{escape(_rep_title(plan, rep))}[/bold]")
        console.print(escape(_rep_summary(plan, rep)))
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
    if unassigned and plan.unassigned:
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


def render_markdown(plan: WeeklyPlan, reps: list[RepPlan], *, unassigned: bool) -> str:
    from khm.render import Column, markdown_table, md_cell

    columns = [
        Column("account"),
        Column("tc", "type/cat"),
        Column("activity"),
        Column("status"),
        Column("day"),
        Column("last_touch", "last touch"),
        Column("tactic"),
        Column("reason"),
    ]
    out = [] if reps else [f"No active reps to plan for week {plan.week}.\n"]
    for rep in reps:
        out.append(f"## {md_cell(_rep_title(plan, rep))}\n")
        out.append(md_cell(_rep_summary(plan, rep)) + "\n")
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


def render(
    plan: WeeklyPlan,
    fmt: str,
    reps: list[RepPlan] | None = None,
    *,
    ics_kind: str = "todo",
    file: Any = None,
) -> str | None:
    """The plan in ``fmt``; the table is printed to ``file`` (returns None), the rest is
    returned as text. ``reps`` given = a per-rep file (no unassigned section)."""
    from khm.render import Column, csv_text

    whole = reps is None
    chosen = list(plan.reps) if reps is None else reps
    if fmt == "json":
        return plan_json_text(plan, None if whole else chosen)
    if fmt == "csv":
        return csv_text(_flat_rows(plan, chosen), [Column(c) for c in CSV_COLUMNS])
    if fmt == "markdown":
        return render_markdown(plan, chosen, unassigned=whole)
    if fmt == "ics":
        from khm.render.ics import weekly_ics

        return weekly_ics(plan, chosen, kind=ics_kind)
    render_table(plan, chosen, unassigned=whole, file=file)
    return None


def _table_text(plan: WeeklyPlan, rep: RepPlan) -> str:
    import io

    buf = io.StringIO()
    render_table(plan, [rep], unassigned=False, file=buf)
    return buf.getvalue()


def safe_filename(handle: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", handle).strip("._") or "rep"


def write_files(
    plan: WeeklyPlan, fmt: str, out_dir: Path, *, include_empty: bool, ics_kind: str
) -> tuple[list[tuple[Path, RepPlan]], list[RepPlan]]:
    from khm.render import atomic_write_text

    written, skipped = [], []
    for rep in plan.reps:
        if not rep.items and not include_empty:
            skipped.append(rep)
            continue
        path = out_dir / f"{safe_filename(rep.handle)}-{plan.week}.{EXTENSIONS[fmt]}"
        if fmt == "table":
            text = _table_text(plan, rep)
        else:
            text = render(plan, fmt, [rep], ics_kind=ics_kind) or ""
        atomic_write_text(path, text)
        written.append((path, rep))
    return written, skipped


# --------------------------------------------------------------------------- command


def weekly(
    ctx: typer.Context,
    rep: Annotated[
        str | None,
        typer.Option("--rep", "-r", help="Only this rep's list (default: every active rep)."),
    ] = None,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            "-w",
            help="ISO week, e.g. 2026-W48 (default: the week of --today).",
            show_default=False,
        ),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(WEEKLY_FORMATS),
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Write one file per rep (<handle>-<week>.<ext>) into this directory "
            "instead of printing; reps with nothing due are skipped.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    include_empty: Annotated[
        bool,
        typer.Option("--include-empty", help="With --out-dir: also write reps with nothing due."),
    ] = False,
    ics_kind: Annotated[
        str,
        typer.Option(
            "--ics-kind",
            help="With --format ics: 'todo' (VTODO tasks; Thunderbird, Apple) or 'event' "
            "(all-day events; Google Calendar, Outlook).",
        ),
    ] = "todo",
) -> None:
    """The week's follow-up list per rep: what to do with which account, and why.

    Due and overdue activities by priority (overdue first, then lateness, category A-D,
    expand before keep); human work within each rep's capacity, the rest carried to next
    week and counted; no human work in no-human periods and on the account's public
    holidays. `--format csv` is the plan export. Rules: docs/weekly.md.
    """
    from khm.errors import UsageError
    from khm.services.weekly import parse_iso_week

    if ics_kind not in ("todo", "event"):
        raise UsageError(f"--ics-kind: {ics_kind!r} is not one of todo, event")
    if week is not None:
        parse_iso_week(week)  # a bad week fails before the database is opened
    day = resolve_today(today)
    k = kctx(ctx)
    method = k.method()
    _weekly(k, method, day, week, rep, fmt, out_dir, include_empty, ics_kind)


def _weekly(
    k: Any,
    method: Any,
    day: Any,
    week: str | None,
    rep: str | None,
    fmt: str,
    out_dir: Path | None,
    include_empty: bool,
    ics_kind: str,
) -> None:
    from khm.services.weekly import build_weekly

    plan = build_weekly(k.store(), method, today=day, week=week, rep=rep)
    if out_dir is not None:
        try:
            written, skipped = write_files(
                plan, fmt, out_dir, include_empty=include_empty, ics_kind=ics_kind
            )
        except OSError as exc:
            from khm.errors import InputError

            raise InputError(f"--out-dir {out_dir}: cannot write: {exc.strerror}") from None
        for path, r in written:
            typer.echo(f"wrote {path} ({len(r.items)} items)")
        if skipped:
            typer.echo(
                f"skipped {len(skipped)} rep(s) with nothing due: "
                + ", ".join(r.handle for r in skipped)
                + " (use --include-empty to write them too)"
            )
        return
    text = render(plan, fmt, ics_kind=ics_kind)
    if text is not None:
        typer.echo(text, nl=False)


def register(app: typer.Typer) -> None:
    """Adds ``khm weekly`` to the root app."""
    app.command("weekly")(weekly)
