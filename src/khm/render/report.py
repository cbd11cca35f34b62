"""The views of ``khm report``: a :class:`~khm.core.report_result.Report` as a terminal
table, JSON, CSV (one file, or one per section for ``all``), Markdown; HTML is
:mod:`khm.render.html`, on the same :func:`section_tables`.

What a reader sees is defined once here: the JSON payload (:func:`report_data`, the
versioned contract), the tables of each section (:func:`section_tables`, shared by the
terminal, Markdown and HTML) and the one finest-grain CSV table of each section
(:func:`csv_table`). A terminal table longer than :data:`ROW_LIMIT` rows is cut, with a
line saying how many were left out and which format lists them all.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from khm.render.cells import Column

if TYPE_CHECKING:
    from rich.console import Console

    from khm.core.period import Period
    from khm.core.report_result import Report

STATUS_STYLE = {"on_time": "green", "late": "yellow", "missed": "red", "open": "bright_black"}
STATUS_CHAR = {"on_time": "█", "late": "▓", "missed": "░", "open": "·"}
BAR_WIDTH = 24  # characters of a bar in a terminal of WIDE_TERMINAL columns or more
WIDE_TERMINAL = 140
NARROW_TERMINAL = 100  # below this, a table leaves out its wide-only columns
MAX_WEEK_ROWS = 8  # longer periods show one sparkline per rep instead of a row per week
SPARK = " ▁▂▃▄▅▆▇█"
#: a terminal table shows at most this many rows (then its total); the rest are one
#: --format csv away (rich lays out a table as a whole: thousands of rows are for a file)
ROW_LIMIT = 200
ALL_ROWS_HINT = "--format csv (or json, markdown, html) lists them all"


# --------------------------------------------------------------------------- plain data (JSON)


def _rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [i.as_dict() for i in items]


def period_dict(p: Period) -> dict[str, Any]:
    return {"label": p.label, "start": p.start, "end": p.end, "days": p.days}


def section_data(report: Report, name: str) -> dict[str, Any]:
    """One section as plain data: what the JSON envelope carries under ``sections``."""
    if name == "coverage" and report.coverage is not None:
        c = report.coverage
        return {
            "accounts": c.accounts,
            "totals": c.totals.as_dict(),
            "by_segment": _rows(c.by_segment),
            "by_rep": _rows(c.by_rep),
            "by_mode": _rows(c.by_mode),
            "by_kind": _rows(c.by_kind),
            "rows": _rows(c.detail),
        }
    if name == "neglected" and report.neglected is not None:
        return {
            "as_of": report.as_of,
            "totals": {"accounts": len(report.neglected)},
            "rows": _rows(report.neglected),
        }
    if name == "portfolio" and report.portfolio is not None:
        p = report.portfolio
        return {
            "totals": p.totals.as_dict() | {"type": None, "category": None},
            "by_type": _rows(p.by_type),
            "by_category": _rows(p.by_category),
            "rows": _rows(p.cells),
        }
    if name == "workload" and report.workload is not None:
        w = report.workload
        totals = w.totals.as_dict()
        for k in ("rep", "week", "monday"):
            totals.pop(k)
        return {"totals": totals, "by_rep": _rows(w.by_rep), "rows": _rows(w.weeks)}
    if name == "movement" and report.movement is not None:
        m = report.movement
        return {
            "totals": {"changes": len(m.changes), **m.counts},
            "rows": _rows(m.changes),
        }
    raise KeyError(name)


def report_data(report: Report) -> dict[str, Any]:
    """The whole report as the versioned JSON envelope's payload."""
    return {
        "report": report.kind,
        "period": period_dict(report.period),
        "today": report.today,
        "rep": report.rep,
        "method": report.method_name,
        "sections": {name: section_data(report, name) for name in report.sections},
    }


def json_text(report: Report) -> str:
    from khm.render.json import dumps, envelope

    return dumps(envelope("report", **report_data(report))) + "\n"


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """One table of a section: a title, its columns and rows (plain values), optional totals."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    bar: str | None = None  # "coverage" or "workload": the chart drawn beside the rows
    #: keys of the columns a terminal narrower than NARROW_TERMINAL leaves out
    wide_only: frozenset[str] = field(default_factory=frozenset)


_TALLY_COLS = (
    ("asked", "asked"),
    ("on_time", "on time"),
    ("late", "late"),
    ("missed", "missed"),
    ("open", "open"),
    ("coverage_pct", "coverage %"),
)


def _cols(*specs: tuple[str, str] | tuple[str, str, str]) -> list[Column]:
    return [Column(s[0], s[1], justify=s[2] if len(s) > 2 else "left") for s in specs]  # type: ignore[misc]


#: in a narrow terminal the coverage bar alone shows these counts
_BAR_SHOWS = frozenset({"late", "open"})


def _tally_cols() -> list[tuple[str, str, str]]:
    return [(k, h, "right") for k, h in _TALLY_COLS]


def section_tables(report: Report, name: str) -> list[Table]:
    """The tables a reader sees for one section (terminal, Markdown, HTML)."""
    data = section_data(report, name)
    if name == "coverage":
        total = {**data["totals"]}
        return [
            Table(
                "by_segment",
                "Coverage by type × category",
                _cols(("type", "type"), ("category", "category"), *_tally_cols()),
                data["by_segment"],
                {"type": "total", "category": "", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
            Table(
                "by_rep",
                "Coverage by rep (account owner)",
                _cols(("rep", "rep"), *_tally_cols()),
                data["by_rep"],
                {"rep": "total", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
            Table(
                "by_mode",
                "Human vs digital",
                _cols(("mode", "mode"), *_tally_cols()),
                data["by_mode"],
                {"mode": "total", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
            Table(
                "by_kind",
                "By activity kind",
                _cols(("kind", "kind"), ("mode", "mode"), *_tally_cols()),
                data["by_kind"],
                {"kind": "total", "mode": "", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
        ]
    if name == "neglected":
        return [
            Table(
                "rows",
                f"Neglected accounts on {report.as_of.isoformat()} (longest silence first)",
                _cols(
                    ("key", "key"),
                    ("name", "name"),
                    ("owner", "owner"),
                    ("type", "type"),
                    ("category", "cat"),
                    ("last_touch", "last touch"),
                    ("days_silent", "days silent", "right"),
                    ("allowed_days", "allowed", "right"),
                    ("longest", "longest interval"),
                ),
                [{**r, "last_touch": r["last_touch"] or "never"} for r in data["rows"]],
                wide_only=frozenset({"name", "allowed_days"}),
            )
        ]
    if name == "portfolio":
        share_cols = (
            ("accounts", "accounts", "right"),
            ("account_share_pct", "% of accounts", "right"),
            ("revenue", "revenue", "right"),
            ("revenue_share_pct", "% of revenue", "right"),
        )
        total = {**data["totals"], "type": "total", "category": ""}
        return [
            Table(
                "rows",
                "Portfolio: type × category",
                _cols(("type", "type"), ("category", "category"), *share_cols),
                data["rows"],
                total,
            ),
            Table(
                "by_type",
                "By type",
                _cols(("type", "type"), *share_cols),
                data["by_type"],
                {**total, "type": "total"},
            ),
            Table(
                "by_category",
                "By category",
                _cols(("category", "category"), *share_cols),
                data["by_category"],
                {**total, "category": "total"},
            ),
        ]
    if name == "workload":
        wcols = (
            ("planned_effort", "planned effort", "right"),
            ("done_effort", "done effort", "right"),
            ("capacity", "capacity", "right"),
            ("planned_touches", "planned", "right"),
            ("done_touches", "done", "right"),
        )
        return [
            Table(
                "by_rep",
                "Human workload per rep over the period (effort units)",
                _cols(("rep", "rep"), *wcols),
                data["by_rep"],
                {"rep": "total", **data["totals"]},
                bar="workload",
                wide_only=frozenset({"planned_touches", "done_touches"}),
            ),
            Table(
                "rows",
                "Human workload per rep per ISO week",
                _cols(("rep", "rep"), ("week", "week"), *wcols),
                data["rows"],
                bar="workload",
                wide_only=frozenset({"planned_touches", "done_touches"}),
            ),
        ]
    if name == "movement":
        counts = data["totals"]
        return [
            Table(
                "counts",
                "Tag movements by direction",
                _cols(("direction", "direction"), ("changes", "changes", "right")),
                [
                    {"direction": d.replace("_", " "), "changes": counts[d]}
                    for d in counts
                    if d != "changes" and counts[d]
                ],
                {"direction": "total", "changes": counts["changes"]},
            ),
            Table(
                "rows",
                "Tag changes in the period",
                _cols(
                    ("changed_at", "when"),
                    ("key", "key"),
                    ("name", "name"),
                    ("owner", "owner"),
                    ("field", "field"),
                    ("old", "old"),
                    ("new", "new"),
                    ("direction", "direction"),
                    ("who", "who"),
                    ("reason", "reason"),
                ),
                data["rows"],
                wide_only=frozenset({"name", "owner", "direction"}),
            ),
        ]
    raise KeyError(name)


def csv_table(report: Report, name: str) -> Table:
    """The one CSV table of a section: its finest grain, so every total is a column sum."""
    data = section_data(report, name)
    if name == "coverage":
        cols = _cols(
            ("rep", "rep"),
            ("type", "type"),
            ("category", "category"),
            ("kind", "kind"),
            ("mode", "mode"),
            *_tally_cols(),
        )
    elif name == "workload":
        cols = _cols(
            ("rep", "rep"),
            ("week", "week"),
            ("monday", "monday"),
            ("planned_effort", "planned_effort"),
            ("planned_touches", "planned_touches"),
            ("done_effort", "done_effort"),
            ("done_touches", "done_touches"),
            ("capacity", "capacity"),
        )
    elif name == "movement":
        cols = _cols(
            *[(k, k) for k in ("changed_at", "key", "name", "owner", "field", "old", "new")],
            *[(k, k) for k in ("direction", "who", "reason")],
        )
    elif name == "portfolio":
        cols = _cols(
            *[(k, k) for k in ("type", "category", "accounts", "account_share_pct")],
            *[(k, k) for k in ("revenue", "revenue_share_pct")],
        )
    else:
        cols = list(section_tables(report, name)[0].columns)
    return Table(name, name, cols, data["rows"])


# --------------------------------------------------------------------------- CSV, Markdown


def csv_text(report: Report, name: str | None = None) -> str:
    """One section (default: the first) as CSV."""
    from khm.render.table import csv_text as table_csv

    t = csv_table(report, name or report.sections[0])
    return table_csv(t.rows, t.columns)


def csv_sections(report: Report) -> Iterator[tuple[str, str]]:
    """(section name, CSV text) for every section: ``report all -f csv -o DIR``."""
    for name in report.sections:
        yield name, csv_text(report, name)


def title_of(report: Report) -> str:
    what = "all sections" if report.kind == "all" else report.kind
    rep = f", rep {report.rep}" if report.rep else ""
    p = report.period
    return f"khm report: {what}, {p.label} ({p.start.isoformat()} – {p.end.isoformat()}){rep}"


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

    buf = io.StringIO()
    console = Console(
        file=buf,
        width=int(os.environ.get("COLUMNS") or 160),
        no_color=True,
        color_system=None,
        highlight=False,
        soft_wrap=False,
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
)


def _cut_hint(console: Console, left: int, what: str) -> None:
    if left > 0:
        console.print(f"... and {left:,} more {what}: {ALL_ROWS_HINT}.", highlight=False)


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
    for c in columns:
        table.add_column(
            escape(c.title),
            justify=c.justify,  # type: ignore[arg-type]
            overflow="fold",
            no_wrap=c.key in _NO_WRAP,
        )
    if t.bar == "coverage":
        table.add_column("chart", no_wrap=True)
    elif t.bar == "workload":
        table.add_column("plan / cap" if narrow else "planned / capacity", no_wrap=True)
        table.add_column("done / cap" if narrow else "done / capacity", no_wrap=True)
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
