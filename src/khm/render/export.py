"""``khm export``: rows as CSV (made to be imported again), JSON or JSONL, streamed.

The CSV headers are the import field names: custom numeric fields as ``custom.NAME``,
product lines joined with ``; ``. Every cell goes through :func:`khm.render.csv_cell`
(spreadsheet formulas neutralised). JSON items keep lists and dicts as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khm.core.records import ExportRows

#: the export formats, CSV first (the default)
FORMATS = ("csv", "json", "jsonl")


def write_export(exp: ExportRows, fmt: str, out: IO[str]) -> int:
    """Write ``exp`` in ``fmt`` to ``out``; returns the number of rows."""
    from khm.render import json as j
    from khm.render.table import write_csv_values

    if fmt in ("json", "jsonl"):
        fields = exp.fields
        items = (dict(zip(fields, r, strict=True)) for r in exp.rows)
        if fmt == "jsonl":
            return j.write_jsonl(out, items)
        return j.write_list(out, j.envelope(exp.kind), items)
    if "custom" not in exp.fields:
        return write_csv_values(exp.fields, exp.rows, out)
    header = [f for f in exp.fields if f not in ("custom", "text")]
    header += [f"custom.{name}" for name in exp.custom_fields]
    header += [f"text.{name}" for name in exp.text_fields]
    return write_csv_values(header, _flat(exp, exp.rows), out)


def _flat(exp: ExportRows, rows: Iterable[tuple[Any, ...]]) -> Iterator[list[Any]]:
    """Account rows for CSV: product lines joined with ``; ``, one column per custom and
    per text field."""
    fields, custom_fields, text_fields = exp.fields, exp.custom_fields, exp.text_fields
    at_custom = fields.index("custom")
    at_text = fields.index("text")
    at_lines = fields.index("product_lines")
    assert at_custom < at_text
    for r in rows:
        values = list(r)
        values[at_lines] = "; ".join(values[at_lines])
        text = values.pop(at_text)
        custom = values.pop(at_custom)
        values += [custom.get(name) for name in custom_fields]
        values += [text.get(name) for name in text_fields]
        yield values
