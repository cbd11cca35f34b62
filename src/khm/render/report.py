"""The views of ``khm report``: a :class:`~khm.core.report_result.Report` as a terminal
table, JSON, CSV (one file, or one per section for ``all``), Markdown, HTML
(:mod:`khm.render.html`); all on the data and tables of :mod:`khm.render.report_data`.

A terminal table longer than :data:`ROW_LIMIT` rows is cut, with a line saying how many
were left out and which format lists them all.
"""

from __future__ import annotations

import io
import os
from typing import IO, TYPE_CHECKING, Any

from khm.render.cells import Column
from khm.render.report_data import (
    ALL_ROWS_HINT,
    BAR_WIDTH,
    MAX_WEEK_ROWS,
    NARROW_TERMINAL,
    ROW_LIMIT,
    SPARK,
    STATUS_CHAR,
    STATUS_STYLE,
    WIDE_TERMINAL,
    Table,
    csv_sections,
    csv_table,
    csv_text,
    history_note,
    json_text,
    report_data,
    section_tables,
    title_of,
)

if TYPE_CHECKING:
    from rich.console import Console

    from khm.core.report_result import Report

#: what callers take from here besides the terminal and Markdown views
__all__ = [
    "ROW_LIMIT",
    "csv_sections",
    "csv_table",
    "csv_text",
    "json_text",
    "render_text",
    "report_data",
    "section_tables",
    "write_report",
]


def _pct(v: float | None) -> str:
    return "n/a (nothing due yet)" if v is None else f"{v:g} %"


def bar_segments(row: dict[str, Any], width: int = BAR_WIDTH) -> list[tuple[str, int]]:
    """Widths (in characters) of the on time / late / missed / open parts of a bar; they
    add up to ``width`` when anything was asked (largest remainders)."""
    asked = int(row.get("asked") or 0)
    if asked <= 0:
        return []
    keys = ("on_time", "late", "missed", "open")
    exact = [width * int(row.get(k) or 0) / asked for k in keys]
    whole = [int(x) for x in exact]
    rest = width - sum(whole)
    for i in sorted(range(4), key=lambda j: exact[j] - whole[j], reverse=True)[:rest]:
        whole[i] += 1
    return [(k, w) for k, w in zip(keys, whole, strict=True) if w]


def funnel_bar(row: dict[str, Any], rows: list[dict[str, Any]], width: int = BAR_WIDTH) -> str:
    """The accounts in a stage at the end as a bar, on the scale of the largest stage."""
    scale = max((max(int(r["at_start"]), int(r["at_end"])) for r in rows), default=0)
    if scale <= 0 or not row.get("at_end"):
        return ""
    return "█" * max(1, round(width * int(row["at_end"]) / scale))


def text_bar(row: dict[str, Any], width: int = BAR_WIDTH) -> str:
    return "".join(STATUS_CHAR[k] * w for k, w in bar_segments(row, width))


def markdown_text(report: Report) -> str:
    from khm.render.cells import md_cell
    from khm.render.table import markdown_table

    out = [f"# {md_cell(title_of(report))}\n"]
    out.append(
        f"Method: {md_cell(report.method_name)}. Seen on {report.today.isoformat()}. "
        "Definitions: docs/reports.md.\n"
    )
    note = history_note(report)
    if note:
        out.append(f"{md_cell(note)}\n")
    if report.coverage is not None:
        out.append(f"**Overall coverage: {_pct(report.overall_coverage)}**  \n")
        out.append("Bars: █ on time, ▓ late, ░ missed, · open.\n")
    for name in report.sections:
        out.append(f"## {name.capitalize()}\n")
        for t in section_tables(report, name):
            rows = [*t.rows, *([t.total] if t.total else [])]
            cols = list(t.columns)
            if t.bar == "coverage":
                cols.append(Column("_bar", "chart"))
                rows = [{**r, "_bar": text_bar(r)} for r in rows]
            elif t.bar == "funnel":
                cols.append(Column("_bar", "chart"))
                rows = [{**r, "_bar": funnel_bar(r, t.rows, BAR_WIDTH // 2)} for r in t.rows]
                rows += [t.total] if t.total else []
            out.append(f"### {md_cell(t.title)}\n")
            out.append(markdown_table(rows, cols) if t.rows else "_None._\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- terminal


def print_terminal(console: Console, report: Report, *, limit: int | None = None) -> None:
    """Rich tables with bars, each cut at ``limit`` rows (default :data:`ROW_LIMIT`), then
    its total and a line saying how many rows were left out."""
    from rich.text import Text

    limit = ROW_LIMIT if limit is None else limit
    console.print(Text(title_of(report), style="bold"))
    note = history_note(report)
    if note:
        console.print(Text(note))
    if report.coverage is not None:
        console.print(
            Text.assemble(
                "Overall coverage: ",
                (_pct(report.overall_coverage), "bold"),
                "   bars: ",
                ("█ on time", STATUS_STYLE["on_time"]),
                " ",
                ("▓ late", STATUS_STYLE["late"]),
                " ",
                ("░ missed", STATUS_STYLE["missed"]),
                " ",
                ("· open", STATUS_STYLE["open"]),
            )
        )
    notes: set[str] = set()
    for name in report.sections:
        for t in section_tables(report, name):
            if t.bar == "workload" and t.name == "rows":
                weeks = sorted({r["week"] for r in t.rows})
                if len(weeks) > MAX_WEEK_ROWS:
                    _print_week_sparklines(console, t.rows, weeks, limit)
                    continue
            console.print()
            console.print(Text(t.title, style="bold"))
            _print_table(console, t, limit, notes)


def terminal_text(report: Report) -> str:
    """The terminal view as plain text (``--output FILE``): no colour, ``COLUMNS`` wide
    (160 when unset)."""
    from rich.console import Console

    from khm.render.table import guard

    buf = io.StringIO()
    console = guard(
        Console(
            file=buf,
            width=int(os.environ.get("COLUMNS") or 160),
            no_color=True,
            color_system=None,
            highlight=False,
            soft_wrap=False,
        )
    )
    print_terminal(console, report)
    return buf.getvalue()


def _bar_width(console: Console) -> int:
    if console.width >= WIDE_TERMINAL:
        return BAR_WIDTH
    return BAR_WIDTH // 2 if console.width >= NARROW_TERMINAL else BAR_WIDTH // 3


#: columns of short codes and dates: never folded (rich narrows the free text instead)
_NO_WRAP = frozenset(
    {"type", "category", "mode", "kind", "week", "field", "old", "new", "last_touch"}
    | {"date", "month", "period", "last_asked", "score", "group"}
    | {"stage", "from", "to", "direction", "conversion"}
)
#: free text cut to one line with "…" (the whole text: --format csv, json, markdown, html)
_ONE_LINE = frozenset({"comment"})


def _cut_hint(console: Console, left: int, what: str) -> None:
    if left > 0:
        console.print(f"... and {left:,} more {what}: {ALL_ROWS_HINT}.", highlight=False)


def _one_line_width(console: Console, t: Table, columns: list[Column], limit: int) -> int | None:
    """The width left for a one-line free-text column (a comment, cut with "…") once the
    other columns have their widest cell, so those are never squeezed to nothing."""
    from khm.render.cells import text_value

    if not any(c.key in _ONE_LINE for c in columns):
        return None
    rows = t.rows[:limit]
    used = 1 + 3 * len(columns)  # the borders and padding
    for c in columns:
        if c.key not in _ONE_LINE:
            used += max([len(c.title), *(len(text_value(r.get(c.key))) for r in rows)])
    return max(12, console.width - used)


def _print_table(console: Console, t: Table, limit: int, notes: set[str]) -> None:
    from rich.bar import Bar
    from rich.markup import escape
    from rich.table import Table as RichTable
    from rich.text import Text

    from khm.render.cells import text_value

    width = _bar_width(console)
    narrow = console.width < NARROW_TERMINAL
    columns = [c for c in t.columns if c.key not in t.wide_only] if narrow else t.columns
    table = RichTable(header_style="bold")
    one_line = _one_line_width(console, t, columns, limit)
    for c in columns:
        table.add_column(
            escape(c.title),
            justify=c.justify,  # type: ignore[arg-type]
            overflow="ellipsis" if c.key in _ONE_LINE else "fold",
            no_wrap=c.key in _NO_WRAP or c.key in _ONE_LINE,
            max_width=one_line if c.key in _ONE_LINE else None,
        )
    if t.bar == "coverage":
        table.add_column("chart", no_wrap=True)
    elif t.bar == "workload":
        table.add_column("plan / cap" if narrow else "planned / capacity", no_wrap=True)
        table.add_column("done / cap" if narrow else "done / capacity", no_wrap=True)
    elif t.bar == "funnel":
        table.add_column("chart", no_wrap=True)
    if not t.rows:
        table.add_row(*(["—"] + [""] * (len(table.columns) - 1)))
    shown = t.rows[:limit]
    rows = [*shown, *([t.total] if t.total and t.rows else [])]
    for i, r in enumerate(rows):
        cells: list[Any] = [escape(text_value(r.get(c.key))) for c in columns]
        if t.bar == "coverage":
            bar = Text()
            for status, w in bar_segments(r, width):
                bar.append(STATUS_CHAR[status] * w, style=STATUS_STYLE[status])
            cells.append(bar)
        elif t.bar == "workload":
            # both bars on one scale per row: the largest of capacity, planned, done
            size = max(r["capacity"], r["planned_effort"], r["done_effort"], 1e-9)
            plan_colour = "red" if r["planned_effort"] > r["capacity"] else "blue"
            cells.append(Bar(size, 0, r["planned_effort"], width=width, color=plan_colour))
            cells.append(Bar(size, 0, r["done_effort"], width=width, color="green"))
        elif t.bar == "funnel":
            last = t.total is not None and i == len(rows) - 1
            cells.append(Text("" if last else funnel_bar(r, t.rows, width), style="blue"))
        is_total = t.total is not None and i == len(rows) - 1
        table.add_row(*cells, style="bold" if is_total else None)
    console.print(table)
    _cut_hint(console, len(t.rows) - len(shown), "rows")
    left_out = ", ".join(c.title for c in t.columns if c not in columns)
    if left_out and left_out not in notes:
        notes.add(left_out)  # said once per report, not under every table
        console.print(
            f"(left out at {console.width} columns: {left_out}; see --format csv)",
            highlight=False,
        )


def spark_char(value: float, capacity: float) -> str:
    """One block character for a week: value / capacity in eighths (full = at capacity or
    over); a space when nothing, ``!`` for work planned in a week without capacity."""
    if value <= 0:
        return SPARK[0]
    if capacity <= 0:
        return "!"
    return SPARK[max(1, min(8, round(8 * value / capacity)))]


def _print_week_sparklines(
    console: Console, rows: list[dict[str, Any]], weeks: list[str], limit: int
) -> None:
    from rich.markup import escape
    from rich.table import Table as RichTable
    from rich.text import Text

    console.print()
    console.print(
        Text(
            f"Human workload per rep per ISO week, {weeks[0]} … {weeks[-1]} "
            "(one character a week: effort / capacity, █ = at or over capacity; "
            "numbers per week: --format csv, json, markdown or html)",
            style="bold",
        )
    )
    table = RichTable(header_style="bold")
    table.add_column("rep", overflow="fold")
    table.add_column("planned / capacity", no_wrap=True)
    table.add_column("done / capacity", no_wrap=True)
    table.add_column("weeks over capacity", justify="right")
    by_rep: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_rep.setdefault(str(r["rep"]), {})[r["week"]] = r
    for rep, cells in list(by_rep.items())[:limit]:
        planned, done = Text(), Text()
        over = 0
        for w in weeks:
            c = cells.get(w)
            if c is None:
                planned.append(" ")
                done.append(" ")
                continue
            is_over = c["planned_effort"] > c["capacity"]
            over += is_over
            planned.append(
                spark_char(c["planned_effort"], c["capacity"]), style="red" if is_over else "blue"
            )
            done.append(spark_char(c["done_effort"], c["capacity"]), style="green")
        table.add_row(escape(rep), planned, done, str(over))
    console.print(table)
    _cut_hint(console, len(by_rep) - limit, "reps")


# --------------------------------------------------------------------------- one entry


def render_text(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (for a file, or stdout): table (plain), markdown,
    html, csv (the first section), json."""
    if fmt == "json":
        return json_text(report)
    if fmt == "csv":
        return csv_text(report)
    if fmt == "markdown":
        return markdown_text(report)
    if fmt == "html":
        from khm.render.html import render_html

        return render_html(report)
    return terminal_text(report)


def write_report(report: Report, fmt: str, out: IO[str] | None = None) -> None:
    """The report on ``out`` (stdout): the table on a console that knows the terminal."""
    import sys

    if fmt == "table":
        from khm.render.table import get_console

        print_terminal(get_console(file=out), report)
        return
    (out or sys.stdout).write(render_text(report, fmt))
