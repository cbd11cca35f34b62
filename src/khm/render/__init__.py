"""Every turning of a result into output lives in this package; services return typed
results and never build a table or a document.

- :mod:`khm.render.json`: the one JSON writer (orjson), versioned envelope, streamed lists,
  JSONL;
- :mod:`khm.render.table`: rich tables, CSV (formula-safe), Markdown tables, the shared
  list writer :func:`emit_rows`;
- :mod:`khm.render.cells`: how a value reads in a cell for each target;
- :mod:`khm.render.html`, :mod:`khm.render.ics`: the report as HTML, the weekly list as
  iCalendar;
- one module per result that needs more than a list (weekly, report, tag, assign, ...).

User text is escaped for each target: rich markup (``[bold]`` in a name is shown, not
interpreted), CSV formulas (a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading ``'``), Markdown pipes, HTML. ``render`` imports no ``services``.

The names below are the primitives most commands need, importable from ``khm.render``.
"""

from __future__ import annotations

from khm.render.cells import Column, csv_cell, md_cell, text_value
from khm.render.files import atomic_write_text, atomic_writer
from khm.render.json import JSON_VERSION, envelope, error_envelope
from khm.render.json import dumps as json_dumps
from khm.render.table import (
    csv_text,
    emit_rows,
    get_console,
    markdown_table,
    print_table,
    rich_table,
    write_csv,
)

__all__ = [
    "JSON_VERSION",
    "Column",
    "atomic_write_text",
    "atomic_writer",
    "csv_cell",
    "csv_text",
    "emit_rows",
    "envelope",
    "error_envelope",
    "get_console",
    "json_dumps",
    "markdown_table",
    "md_cell",
    "print_table",
    "rich_table",
    "text_value",
    "write_csv",
]
