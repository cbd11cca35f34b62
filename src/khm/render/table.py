"""Tables for people: rich in a terminal, Markdown in a file or a mail, CSV for a
spreadsheet; and the one list writer every command that lists rows uses (:func:`emit_rows`)."""

from __future__ import annotations

import csv
import functools
import io
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from khm.render.cells import Column, csv_cell, md_cell, printable, text_value

if TYPE_CHECKING:
    from rich.console import Console

#: a terminal table longer than this is cut, with a hint to use --format csv (rich lays
#: out a table as a whole; thousands of rows are for a file, not a screen)
TABLE_ROW_LIMIT = 500


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: IO[str]) -> int:
    """``rows`` as CSV with the columns' keys as the header; returns the number of rows."""
    keys = [c.key for c in columns]
    return write_csv_values(keys, ([row.get(k) for k in keys] for row in rows), out)


def write_csv_values(header: Sequence[str], rows: Iterable[Sequence[Any]], out: IO[str]) -> int:
    """Rows of values (in ``header`` order) as CSV, streamed; every cell formula-safe."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    n = 0
    write, cell = w.writerow, csv_cell
    for row in rows:
        write([cell(v) for v in row])
        n += 1
    return n


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    buf = io.StringIO()
    write_csv(rows, columns, buf)
    return buf.getvalue()


def markdown_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    lines = ["| " + " | ".join(md_cell(c.title) for c in columns) + " |"]
    lines.append(
        "| " + " | ".join("---:" if c.justify == "right" else "---" for c in columns) + " |"
    )
    for row in rows:
        lines.append("| " + " | ".join(md_cell(row.get(c.key)) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def get_console(stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A rich console that is plain (no colour, wide) when not writing to a terminal."""
    from rich.console import Console

    target = file or (sys.stderr if stderr else sys.stdout)
    is_tty = hasattr(target, "isatty") and target.isatty()
    width = None
    if not is_tty and not os.environ.get("COLUMNS"):
        width = 200
    return guard(
        Console(
            file=target,
            width=width,
            no_color=bool(os.environ.get("NO_COLOR")) or None,
            highlight=False,
            soft_wrap=False,
        )
    )


def guard(console: Console) -> Console:
    """``console``, made to pass every text it writes through :func:`printable`: whatever a
    renderer prints, user text stored by another client never writes ESC or BEL to a
    terminal (rich's own colour codes are control segments and stay)."""
    console.push_render_hook(_printable_hook())
    return console


@functools.cache
def _printable_hook() -> Any:
    from rich.console import RenderHook
    from rich.segment import Segment

    class Printable:
        def __init__(self, renderable: Any) -> None:
            self.renderable = renderable

        def __rich_console__(self, console: Console, options: Any) -> Any:
            for seg in console.render(self.renderable, options):
                if seg.control is None and seg.text:
                    text = printable(seg.text)
                    if text is not seg.text:
                        seg = Segment(text, seg.style)
                yield seg

    class Hook(RenderHook):
        def process_renderables(self, renderables: list[Any]) -> list[Any]:
            return [Printable(r) for r in renderables]

    return Hook()


def rich_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    caption: str | None = None,
    row_styles: Sequence[str | None] | None = None,
) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title) if title else None, caption=caption, header_style="bold")
    for c in columns:
        table.add_column(escape(c.title), style=c.style, justify=c.justify, overflow="fold")  # type: ignore[arg-type]
    for i, row in enumerate(rows):
        style = row_styles[i] if row_styles and i < len(row_styles) else None
        table.add_row(*(escape(text_value(row.get(c.key))) for c in columns), style=style)
    return table


def fit_columns(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], width: int
) -> tuple[list[Column], list[str]]:
    """The columns to show in ``width`` terminal columns: while the table's natural width
    (each column as wide as its longest cell, plus padding and border) is wider, the
    optional column with the highest ``optional`` number leaves. Returns (columns, the
    titles left out)."""

    def natural(c: Column) -> int:
        longest = max((len(text_value(r.get(c.key))) for r in rows), default=0)
        return max(longest, len(c.title)) + 3

    keep = list(columns)
    total = 1 + sum(natural(c) for c in keep)
    hidden: list[str] = []
    for c in sorted((c for c in columns if c.optional), key=lambda c: -c.optional):
        if total <= width:
            break
        keep.remove(c)
        total -= natural(c)
        hidden.append(c.title)
    return keep, hidden


def print_table(
    console: Console,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    limit: int = TABLE_ROW_LIMIT,
    what: str = "rows",
) -> int:
    """A rich table of at most ``limit`` rows; past it, a line saying how many were left out
    and how to get them all. Optional columns leave a table wider than the terminal
    (:func:`fit_columns`), and a line names them. Returns the number of rows seen."""
    shown: list[Mapping[str, Any]] = []
    n = 0
    for row in rows:
        n += 1
        if n <= limit:
            shown.append(row)
    columns, hidden = fit_columns(shown, columns, console.width)
    console.print(rich_table(shown, columns, title=title))
    if hidden:
        console.print(
            f"(not shown at this width: {', '.join(hidden)}; a wider terminal or "
            "--format csv shows them)",
            style="dim",
        )
    if n > limit:
        console.print(
            f"... {n - limit} more {what} not shown: use --format csv (or json, jsonl) for all."
        )
    return n


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    kind: str,
    title: str | None = None,
    json_extra: Mapping[str, Any] | None = None,
    json_rows: Iterable[Any] | None = None,
    out: IO[str] | None = None,
) -> int:
    """Write a list of rows in the chosen format (table, json, jsonl, csv, markdown),
    streamed for json, jsonl and csv. ``json_rows`` (default ``rows``) are the JSON items.
    Returns the number of rows."""
    from khm.render import json as j

    out = out or sys.stdout
    if fmt == "json":
        items = json_rows if json_rows is not None else rows
        return j.write_list(out, j.envelope(kind, **(json_extra or {})), items)
    if fmt == "jsonl":
        return j.write_jsonl(out, json_rows if json_rows is not None else rows)
    if fmt == "csv":
        return write_csv(rows, columns, out)
    if fmt == "markdown":
        if title:
            out.write(f"## {md_cell(title)}\n\n")
        listed = list(rows)
        out.write(markdown_table(listed, columns))
        return len(listed)
    console = get_console(file=out)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        console.print(f"No {kind.replace('_', ' ')} found.")
        return 0

    def again() -> Iterable[Mapping[str, Any]]:
        yield first
        yield from iterator

    return print_table(console, again(), columns, title=title, what=kind.replace("_", " "))
