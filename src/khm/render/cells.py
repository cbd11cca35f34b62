"""How a value reads in a cell, for each target: a table or plain text, CSV (formula-safe),
Markdown (pipes escaped). One place, so every output spells a value the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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
    if isinstance(value, int | float):
        return text_value(value) if isinstance(value, float) else value
    s = text_value(value)
    if s.startswith(_FORMULA_START):
        return "'" + s
    return s


def md_cell(value: Any) -> str:
    s = text_value(value)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>").replace("\r", "")
