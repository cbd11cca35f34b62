"""The one place that turns results into output: rich tables, JSON (a stable, versioned
envelope), CSV (formula-safe), Markdown. HTML and iCalendar renderers for reports and the
weekly list live beside this module (``khm.render_html``, ``khm.render_ics``) and use the
same helpers.

Every piece of user text is escaped for the target: rich markup (``[bold]`` in a name is
shown, not interpreted), CSV formulas (a cell starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return gets a leading ``'``), Markdown pipes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

JSON_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    header: str = ""
    style: str | None = None
    justify: str = "left"

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


def cols(*specs: str | Column) -> list[Column]:
    return [s if isinstance(s, Column) else Column(s) for s in specs]


# --------------------------------------------------------------------------- values


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump())
    return value


def json_dumps(obj: Any, *, indent: int | None = 2) -> str:
    """``json.dumps(to_jsonable(obj), ensure_ascii=False, indent=indent)``; indented
    output is written by :func:`pretty_json` (the same text, with the C encoder)."""
    if indent:
        return pretty_json(obj, indent=indent)
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=indent, sort_keys=False)


_JSON_LEAVES = frozenset({str, int, float, bool, type(None), date, datetime})


def _json_leaf(value: Any) -> Any:
    """``default`` of the C encoders below: dates, the only leaves JSON lacks."""
    if isinstance(value, date):
        return to_jsonable(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def pretty_json(obj: Any, *, indent: int = 2) -> str:
    """Exactly the text of ``json.dumps(to_jsonable(obj), ensure_ascii=False,
    indent=indent)``, faster (every command's indented JSON goes through here).

    Why: with ``indent`` the standard library falls back to its pure-Python encoder, about
    1 µs a value, and a big report is millions of values. Here every container whose items
    are all plain values (a report row, a short list) is encoded in one call of the C
    encoder, whose item separator is the newline and indentation of its level; only the
    few nested containers above them are walked in Python. A test compares both on random
    nested data."""
    if indent < 1:
        raise ValueError("pretty_json: indent must be at least 1")
    encoders: dict[int, Callable[[Any], str]] = {}

    def flat(value: Any, level: int) -> str:  # a container of leaves, at nesting ``level``
        enc = encoders.get(level)
        if enc is None:
            sep = ",\n" + " " * (indent * (level + 1))
            enc = encoders[level] = json.JSONEncoder(
                ensure_ascii=False, separators=(sep, ": "), default=_json_leaf
            ).encode
        text = enc(value)
        pad = " " * (indent * (level + 1))
        return f"{text[0]}\n{pad}{text[1:-1]}\n{pad[:-indent]}{text[-1]}"

    leaves = _JSON_LEAVES
    leaf = json.JSONEncoder(ensure_ascii=False, default=_json_leaf).encode
    # values one per line: an encoded leaf never holds a raw newline (strings escape it)
    lines = json.JSONEncoder(ensure_ascii=False, separators=("\n", ": "), default=_json_leaf).encode
    key_text = json.encoder.encode_basestring  # type: ignore[attr-defined]

    def table(value: Any, level: int) -> str | None:
        """A list of dicts with the same keys in the same order and only plain values (the
        rows of a report section): every value of every row in one C call, then laid out
        line by line. None when the list is not like that."""
        keys = list(value[0])
        n = len(keys)
        if not all(type(k) is str for k in keys):
            return None
        cells: list[Any] = []
        for row in value:
            if type(row) is not dict or len(row) != n or list(row) != keys:
                return None
            values = list(row.values())
            if not leaves.issuperset(map(type, values)):
                return None
            cells.extend(values)
        tokens = lines(cells)[1:-1].split("\n")
        pad = " " * (indent * (level + 1))
        prefixes = [f"{pad}{' ' * indent}{key_text(k)}: " for k in keys]
        close = f"\n{pad}}}"
        rows = [
            "{\n" + ",\n".join(map(str.__add__, prefixes, tokens[i : i + n])) + close
            for i in range(0, len(tokens), n)
        ]
        return f"[\n{pad}" + f",\n{pad}".join(rows) + f"\n{pad[:-indent]}]"

    def walk(value: Any, level: int) -> str:
        t = type(value)
        if t in leaves:
            return leaf(value)
        if t is dict:
            if not value:
                return "{}"
            if not all(type(k) is str for k in value):
                value = {str(k): v for k, v in value.items()}  # as to_jsonable: 1 and "1" merge
            if leaves.issuperset(map(type, value.values())):
                return flat(value, level)
            pad = "\n" + " " * (indent * (level + 1))
            items = [f"{key_text(k)}: {walk(v, level + 1)}" for k, v in value.items()]
            return "{" + pad + ("," + pad).join(items) + pad[:-indent] + "}"
        if t is list or t is tuple:
            if not value:
                return "[]"
            if leaves.issuperset(map(type, value)):
                return flat(list(value), level)
            if type(value[0]) is dict and value[0]:
                text = table(value, level)
                if text is not None:
                    return text
            pad = "\n" + " " * (indent * (level + 1))
            items = [walk(v, level + 1) for v in value]
            return "[" + pad + ("," + pad).join(items) + pad[:-indent] + "]"
        converted = to_jsonable(value)  # mappings, sets, enums, models, decimals: as before
        if converted is value:
            return leaf(value)  # anything else: what json.dumps does with it
        return walk(converted, level)

    return walk(obj, 0)


def json_with_long_list(payload: Mapping[str, Any], key: str, lines: Iterable[str]) -> str:
    """``payload`` as JSON with its ``key`` list written from ``lines``, one pre-encoded
    JSON value per line, in the place the key has in ``payload``.

    Python's pretty printer falls back to its slow pure-Python encoder; for lists of
    thousands of rows this keeps the C encoder and still gives a readable, diffable file.
    """
    head = {**to_jsonable(dict(payload)), key: []}
    before, _, after = json.dumps(head, ensure_ascii=False).partition(f'"{key}": []')
    body = ",\n".join(lines)
    return f'{before}"{key}": [\n{body}\n]{after}\n' if body else f'{before}"{key}": []{after}\n'


def _flat_enough(value: Any) -> bool:
    """A dict with text keys whose values are leaves, or lists / text-keyed dicts of
    leaves (a record: an account, a touch): the C encoder writes it as ``to_jsonable``
    would, dates through :func:`_json_leaf`."""
    if type(value) is not dict:
        return False
    leaves = _JSON_LEAVES
    for k, v in value.items():
        if type(k) is not str:
            return False
        t = type(v)
        if t in leaves:
            continue
        if t is list or t is tuple:
            if not leaves.issuperset(map(type, v)):
                return False
        elif t is dict:
            if not all(type(x) is str for x in v) or not leaves.issuperset(map(type, v.values())):
                return False
        else:
            return False
    return True


def json_list_text(head: Mapping[str, Any], items: Iterable[Any], key: str = "items") -> str:
    """A JSON object (``head`` plus ``key``) whose list holds one compact item per line.

    Records go straight to the C encoder (dates through its ``default``); anything else
    through :func:`to_jsonable` first. Both give the same text (a test compares them); the
    first skips a Python call per value (an export of 100k accounts is 2M values)."""
    dump = json.JSONEncoder(ensure_ascii=False).encode
    fast = json.JSONEncoder(ensure_ascii=False, default=_json_leaf).encode
    flat = _flat_enough
    return json_with_long_list(
        head, key, ("  " + (fast(i) if flat(i) else dump(to_jsonable(i))) for i in items)
    )


def envelope(kind: str, **payload: Any) -> dict[str, Any]:
    """The versioned JSON envelope every command's JSON output uses."""
    return {"version": JSON_VERSION, "kind": kind, **payload}


def error_envelope(
    kind: str, message: str, code: int, details: list[str] | None = None
) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "error": {"kind": kind, "code": code, "message": message, "details": details or []},
    }


def text_value(value: Any) -> str:
    """How a value reads in a table, CSV or Markdown cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(text_value(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={text_value(v)}" for k, v in value.items())
    return str(value)


def csv_cell(value: Any) -> Any:
    """A CSV cell: numbers stay numbers; text that a spreadsheet would run as a formula
    gets a leading apostrophe."""
    if value.__class__ is str:  # most cells: no conversion, only the formula check
        return "'" + value if value.startswith(_FORMULA_START) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text_value(value) if isinstance(value, float) else value
    s = text_value(value)
    if s.startswith(_FORMULA_START):
        return "'" + s
    return s


def md_cell(value: Any) -> str:
    s = text_value(value)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>").replace("\r", "")


# --------------------------------------------------------------------------- writers


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: IO[str]) -> int:
    w = csv.writer(out, lineterminator="\n")
    keys = [c.key for c in columns]
    w.writerow(keys)
    n = 0
    write, cell = w.writerow, csv_cell
    for row in rows:
        get = row.get
        write([cell(get(k)) for k in keys])
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
    return Console(
        file=target,
        width=width,
        no_color=bool(os.environ.get("NO_COLOR")) or None,
        highlight=False,
        soft_wrap=False,
    )


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


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    kind: str,
    title: str | None = None,
    json_extra: Mapping[str, Any] | None = None,
    json_rows: Sequence[Mapping[str, Any]] | None = None,
    out: IO[str] | None = None,
) -> None:
    """Print a list of rows in the chosen format (table, json, csv, markdown)."""
    out = out or sys.stdout
    if fmt == "json":
        items = list(json_rows if json_rows is not None else rows)
        out.write(json_list_text(envelope(kind, **(json_extra or {}), count=len(items)), items))
    elif fmt == "csv":
        write_csv(rows, columns, out)
    elif fmt == "markdown":
        if title:
            out.write(f"## {md_cell(title)}\n\n")
        out.write(markdown_table(rows, columns))
    else:
        console = get_console(file=out)
        if not rows:
            console.print(f"No {kind.replace('_', ' ')} found.")
            return
        console.print(rich_table(rows, columns, title=title))


def atomic_write_text(path: Path | str, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    import tempfile

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if mode is None:  # like open(): 0666 less the umask (mkstemp made it 0600)
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
