"""``khm report KIND``: did the team keep the method? For people and for cron.

Thin: parse the options, call :func:`khm.services.report.build_report`, render, write
(atomically with ``--output``), then apply ``--fail-under``.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today

if TYPE_CHECKING:
    from rich.console import Console

    from khm.services.report import Report

REPORT_FORMATS = ("table", "markdown", "html", "csv", "json")
KINDS = ("coverage", "neglected", "portfolio", "workload", "movement", "all")

EXIT_CODES_HELP = """\
Exit codes: 0 report written (and coverage at or above --fail-under);
2 bad command line (unknown KIND, bad --period, csv of 'all' without an --output directory);
3 --output cannot be written;
4 invalid method file; 5 --rep names no rep; 6 database cannot be opened;
8 coverage below --fail-under (the report is still written first); 1 a bug.
"""

STATUS_STYLE = {"on_time": "green", "late": "yellow", "missed": "red", "open": "bright_black"}
STATUS_CHAR = {"on_time": "█", "late": "▓", "missed": "░", "open": "·"}
BAR_WIDTH = 24
LONG_TABLE = 200  # longer plain tables are laid out by print_long_table (rich is ~1 ms a row)
MAX_WEEK_ROWS = 8  # longer periods show one sparkline per rep instead of a row per week
SPARK = " ▁▂▃▄▅▆▇█"


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        help=(
            "Did the team keep the method? KIND is coverage (activities the cadence asked "
            "for in the period: done on time, late, missed), neglected (silent accounts), "
            "portfolio (type × category matrix), workload (planned vs done human effort per "
            "rep and week, with capacity), movement (tag changes) or all. Definitions: "
            "docs/reports.md."
        ),
        epilog=EXIT_CODES_HELP.replace("\n", " "),
    )(report)


def report(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="coverage, neglected, portfolio, workload, movement or all.",
            metavar="KIND",
            show_default=False,
        ),
    ],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="2026-W48, 2026-11, 2026-Q4, 2026, last-week, last-month, last-quarter, "
            "last-year or FROM..TO dates. Default: the last full month.",
            show_default=False,
        ),
    ] = None,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", "-r", help="Only this rep's accounts (by handle).", show_default=False
        ),
    ] = None,
    fmt: str = format_option(REPORT_FORMATS),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically: temp file + rename) instead of stdout. "
            "For 'all' in csv: a directory (created if missing), one KIND.csv per section.",
            show_default=False,
        ),
    ] = None,
    fail_under: Annotated[
        float | None,
        typer.Option(
            "--fail-under",
            min=0,
            help="Exit with code 8 when overall coverage % is below this (after writing).",
            show_default=False,
        ),
    ] = None,
    today: TodayOption = None,
) -> None:
    from khm.core.period import default_period, parse_period
    from khm.errors import BelowThresholdError, UsageError
    from khm.services.report import build_report

    k = kind.strip().lower()
    if k not in KINDS:
        raise UsageError(f"KIND: {kind!r} is not one of {', '.join(KINDS)}")
    day = resolve_today(today)
    try:
        per = parse_period(period, day) if period else default_period(day)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None
    if k == "all" and fmt == "csv" and not _is_dir_target(output):
        raise UsageError(
            "report all --format csv: CSV holds one table per KIND; give --output DIR "
            "(a directory, created if missing: one KIND.csv per section) or run one KIND "
            "at a time (or use --format json)"
        )
    c = kctx(ctx)
    result = build_report(c.store(), c.method(), k, per, day, rep)

    if fmt == "csv" and k == "all":
        assert output is not None
        from khm.render import csv_text
        from khm.services.report import csv_table

        for name in result.sections:
            t = csv_table(result, name)
            _write(output / f"{name}.csv", csv_text(t.rows, t.columns))
    else:
        text = render(result, fmt, to_file=output is not None)
        if output is not None:
            _write(output, text)
        elif fmt == "table":
            pass  # printed while rendering (a live console knows the terminal)
        else:
            typer.echo(text, nl=False)

    if fail_under is not None:
        cov = result.overall_coverage
        if result.coverage is None:
            cov = build_report(c.store(), c.method(), "coverage", per, day, rep).overall_coverage
        value = 100.0 if cov is None else cov
        if value < fail_under:
            from khm.cli.main import set_output_format

            # the report is already on stdout: the threshold message goes to stderr only,
            # so JSON output stays one parseable document
            set_output_format("table")
            raise BelowThresholdError(
                f"coverage {value:g}% for {per.label} is below --fail-under {fail_under:g}%"
            )


def _write(path: Path, text: str) -> None:
    """Atomic write with the user's umask; a path that cannot be written is a clean error
    naming it."""
    from khm.errors import InputError
    from khm.render import atomic_write_text

    if path.is_dir():
        raise InputError(f"--output {path}: is a directory (give a file name)")
    import os

    umask = os.umask(0)
    os.umask(umask)
    try:
        # the temporary file is private (0600); the report gets the usual permissions
        # (umask), so a web server or a mail job run as another user can read it
        atomic_write_text(path, text, mode=0o666 & ~umask)
    except OSError as exc:
        raise InputError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


def _is_dir_target(output: Path | None) -> bool:
    """For ``all`` in CSV: an existing directory, or a new path not named ``*.csv``."""
    if output is None:
        return False
    return output.is_dir() or (not output.exists() and output.suffix.lower() != ".csv")


# --------------------------------------------------------------------------- rendering


def render(report: Report, fmt: str, *, to_file: bool = False) -> str:
    """The report as text in ``fmt``; for ``table`` without a file it prints to stdout."""
    if fmt == "json":
        from khm.render import envelope, json_dumps
        from khm.services.report import report_data

        return json_dumps(envelope("report", **report_data(report))) + "\n"
    if fmt == "csv":
        from khm.render import csv_text
        from khm.services.report import csv_table

        t = csv_table(report, report.sections[0])
        return csv_text(t.rows, t.columns)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        from khm.render.html import render_html

        return render_html(report)
    return render_terminal(report, to_file=to_file)


def title_of(report: Report) -> str:
    what = "all sections" if report.kind == "all" else report.kind
    rep = f", rep {report.rep}" if report.rep else ""
    p = report.period
    return f"khm report: {what}, {p.label} ({p.start.isoformat()} – {p.end.isoformat()}){rep}"


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


def render_markdown(report: Report) -> str:
    from khm.render import markdown_table, md_cell
    from khm.services.report import section_tables

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
                from khm.render import Column

                cols.append(Column("_bar", "chart"))
                rows = [{**r, "_bar": text_bar(r)} for r in rows]
            out.append(f"### {md_cell(t.title)}\n")
            out.append(markdown_table(rows, cols) if t.rows else "_None._\n")
    return "\n".join(out)


def _pct(v: float | None) -> str:
    return "n/a (nothing due yet)" if v is None else f"{v:g} %"


def render_terminal(report: Report, *, to_file: bool) -> str:
    """Rich tables with bars. Printed straight to stdout (TTY-aware) or returned as text."""
    import io
    import os

    from rich.console import Console

    from khm.render import get_console

    buf: io.StringIO | None = None
    if to_file:
        buf = io.StringIO()
        console: Console = Console(
            file=buf,
            width=int(os.environ.get("COLUMNS") or 160),
            no_color=True,
            color_system=None,
            highlight=False,
            soft_wrap=False,
        )
    else:
        console = get_console()
    _print_terminal(console, report)
    return buf.getvalue() if buf is not None else ""


def _print_terminal(console: Console, report: Report) -> None:
    from rich.bar import Bar
    from rich.markup import escape
    from rich.table import Table as RichTable
    from rich.text import Text

    from khm.render import text_value
    from khm.services.report import section_tables

    width = BAR_WIDTH if console.width >= 140 else max(8, BAR_WIDTH // 2)
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
    for name in report.sections:
        for t in section_tables(report, name):
            if t.bar == "workload" and t.name == "rows":
                weeks = sorted({r["week"] for r in t.rows})
                if len(weeks) > MAX_WEEK_ROWS:
                    _print_week_sparklines(console, t.rows, weeks)
                    continue
            console.print()
            console.print(Text(t.title, style="bold"))
            if t.bar is None and t.total is None and len(t.rows) > LONG_TABLE:
                keys = [c.key for c in t.columns]
                cells_of = [
                    [v if type(v) is str else text_value(v) for v in map(r.get, keys)]
                    for r in t.rows
                ]  # text_value(s) is s for plain text: skip its type checks for 250 000 cells
                if print_long_table(console, t.columns, cells_of):
                    continue
            table = RichTable(header_style="bold")
            for c in t.columns:
                table.add_column(escape(c.title), justify=c.justify, overflow="fold")
            if t.bar == "coverage":
                table.add_column("chart", no_wrap=True)
            elif t.bar == "workload":
                table.add_column("planned / capacity", no_wrap=True)
                table.add_column("done / capacity", no_wrap=True)
            rows = [*t.rows, *([t.total] if t.total else [])]
            if not t.rows:
                table.add_row(*(["—"] + [""] * (len(table.columns) - 1)))
            for i, r in enumerate(t.rows and rows):
                cells: list[Any] = [escape(text_value(r.get(c.key))) for c in t.columns]
                if t.bar == "coverage":
                    bar = Text()
                    for status, w in bar_segments(r, width):
                        bar.append(STATUS_CHAR[status] * w, style=STATUS_STYLE[status])
                    cells.append(bar)
                elif t.bar == "workload":
                    # both bars on one scale per row: the largest of capacity, planned, done
                    size = max(r["capacity"], r["planned_effort"], r["done_effort"], 1e-9)
                    over = r["planned_effort"] > r["capacity"]
                    plan_colour = "red" if over else "blue"
                    cells.append(Bar(size, 0, r["planned_effort"], width=width, color=plan_colour))
                    cells.append(Bar(size, 0, r["done_effort"], width=width, color="green"))
                style = "bold" if t.total is not None and i == len(rows) - 1 else None
                table.add_row(*cells, style=style)
            console.print(table)


def spark_char(value: float, capacity: float) -> str:
    """One block character for a week: value / capacity in eighths (full = at capacity or
    over); a space when nothing, ``!`` for work planned in a week without capacity."""
    if value <= 0:
        return SPARK[0]
    if capacity <= 0:
        return "!"
    return SPARK[max(1, min(8, round(8 * value / capacity)))]


def _print_week_sparklines(console: Console, rows: list[dict[str, Any]], weeks: list[str]) -> None:
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
    for rep, cells in by_rep.items():
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
        table.add_row(escape_text(rep), planned, done, str(over))
    console.print(table)


def escape_text(value: str) -> str:
    from rich.markup import escape

    return escape(value)


_WORD = re.compile(r"\s*\S+\s*")  # a word and the spaces after it, as rich._wrap reads it


def word_wrap(value: str, width: int, *, right: bool = False) -> list[str]:
    """The lines of ``Text(value).wrap(console, width, justify=..., overflow="fold")``, for
    printable text of one-cell characters (ASCII, æøå, ...) without leading or trailing
    spaces whose words all fit ``width`` (then no word is folded). Why: rich's wrap costs
    ~50 µs a cell, and a year's movement list has thousands of names longer than their
    column.

    Same rules as rich: a word goes on the line when the line has room for it without
    its trailing spaces, else it starts the next line (``rich._wrap.divide_line``); a
    left-justified line keeps its spaces up to the width, a right-justified one loses
    them (``Lines.justify``). The caller pads. A test compares it with rich."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(value):
        word = m.group()
        if width - offset >= len(word.rstrip()):
            offset += len(word)
        elif offset and m.start():
            breaks.append(m.start())
            offset = len(word)
    bounds = [0, *breaks, len(value)]
    pieces = [value[a:b] for a, b in pairwise(bounds)]
    return [p.rstrip() if right else p[:width] for p in pieces]


def print_long_table(console: Console, columns: list[Any], rows: list[list[str]]) -> bool:
    """Prints a plain-text table exactly as rich's default ``Table`` (heavy head, folded
    cells) would, but in one pass: rich lays out every cell as a renderable (about 1 ms
    a row), which made ``report all`` over a year of a big team spend half a minute on
    the movement list.

    The column widths come from rich itself, measured on a stand-in table holding, per
    column, the cell with the widest text and the one with the longest word (rich's
    measurement only depends on those), so the layout is rich's. Cells that fit their
    column are padded directly; the others are wrapped by rich's ``Text.wrap``.
    Returns False (nothing printed) when rich's internals are not as expected: the caller
    then renders with rich.
    """
    from rich.box import HEAVY_HEAD
    from rich.cells import cell_len
    from rich.table import Table as RichTable
    from rich.text import Text

    widest: list[tuple[int, str]] = [(cell_len(c.title), c.title) for c in columns]
    longest_word: list[tuple[int, str]] = [(0, "") for _ in columns]
    for row in rows:
        for j, value in enumerate(row):
            w = len(value) if value.isascii() else cell_len(value)
            if w > widest[j][0]:
                widest[j] = (w, value)
            if w > longest_word[j][0]:
                word = max((cell_len(x) for x in value.split()), default=0)
                if word > longest_word[j][0]:
                    longest_word[j] = (word, value)
    probe = RichTable(header_style="bold")
    for c in columns:
        probe.add_column(c.title, justify=c.justify, overflow="fold")
    probe.add_row(*[Text(v) for _, v in widest])
    probe.add_row(*[Text(v) for _, v in longest_word])
    try:
        extra = probe._extra_width
        options = console.options.update_width(console.width - extra)
        widths = probe._calculate_column_widths(console, options)
        box = HEAVY_HEAD.substitute(console.options, safe=probe.safe_box)
    except (AttributeError, TypeError):  # pragma: no cover - a rich without these internals
        return False
    inner = [w - 2 for w in widths]
    right = [c.justify == "right" for c in columns]

    def cell_lines(value: str, j: int) -> list[str]:
        w = inner[j]
        if value.isprintable() and cell_len(value) <= w:
            lines = [value]
        elif value.isascii() and value.isprintable() and " " not in value:
            lines = [value[i : i + w] for i in range(0, len(value), w)]  # one folded word
        elif (
            value.isprintable()
            and value == value.strip()
            and max(map(len, value.split())) <= w
            and (value.isascii() or all(cell_len(ch) == 1 for ch in value))
        ):
            lines = word_wrap(value, w, right=right[j])  # a long name of short words
        else:
            justify = "right" if right[j] else "left"
            wrapped = Text(value).wrap(console, w, justify=justify, overflow="fold")
            lines = [line.plain for line in wrapped] or [""]
        out = []
        for line in lines:
            gap = w - cell_len(line)
            out.append(" " + (" " * gap + line if right[j] else line + " " * gap) + " ")
        return out

    def row_text(
        values: list[str], left: str, mid: str, end: str, bottom: bool = False
    ) -> list[str]:
        parts = []
        for j, v in enumerate(values):  # the common case: short printable cells
            if v.isascii():
                if len(v) > inner[j] or not v.isprintable():
                    break
                parts.append(f" {v:>{inner[j]}} " if right[j] else f" {v:<{inner[j]}} ")
            else:  # e.g. æøå in a name: padded by its cell width, as cell_lines does
                w = cell_len(v)
                if w > inner[j] or not v.isprintable():
                    break
                gap = " " * (inner[j] - w)
                parts.append(f" {gap}{v} " if right[j] else f" {v}{gap} ")
        else:
            return [left + mid.join(parts) + end]
        cells = [cell_lines(v, j) for j, v in enumerate(values)]
        height = max(len(c) for c in cells)
        if height == 1:
            return [left + mid.join(c[0] for c in cells) + end]
        if bottom:  # header cells sit on the rule under them, as rich aligns them
            cells = [[" " * widths[j]] * (height - len(c)) + c for j, c in enumerate(cells)]
        out = []
        for i in range(height):
            parts = [c[i] if i < len(c) else " " * widths[j] for j, c in enumerate(cells)]
            out.append(left + mid.join(parts) + end)
        return out

    header = Text()
    header.append(box.get_top(widths) + "\n")
    titles = [c.title for c in columns]
    for line in row_text(titles, box.head_left, box.head_vertical, box.head_right, True):
        header.append(line + "\n", style="bold")
    header.append(box.get_row(widths, "head", edge=True))
    console.print(header, soft_wrap=True, crop=False)
    body: list[str] = []
    for row in rows:
        body.extend(row_text(row, box.mid_left, box.mid_vertical, box.mid_right))
    body.append(box.get_bottom(widths))
    # the body has no style and no control character left (checked or stripped by rich
    # above): it goes to the console's file as it is, after the header rich has flushed
    console.file.write("\n".join(body) + "\n")
    console.file.flush()
    return True
