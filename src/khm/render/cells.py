"""How a value reads in a cell, for each target: a table or plain text, CSV (formula-safe),
Markdown (pipes escaped). One place, so every output spells a value the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: What no output writes: C0 controls but tab and newline, DEL, C1; a CRLF becomes LF.
_CONTROL = re.compile(r"\r\n?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SEARCH = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]").search


def _replace_control(m: re.Match[str]) -> str:
    return "\n" if m.group() == "\r\n" else "\ufffd"


def printable(text: str) -> str:
    """``text`` with every control character (ESC, BEL, NUL, a lone CR, ...) shown as
    ``\ufffd``, for text another client stored past the input rule
    (:func:`khm.io.parse.check_text`): a terminal, a calendar or a spreadsheet never gets
    one. Every renderer's user text passes here (most through :func:`text_value`)."""
    if _CONTROL_SEARCH(text) is None:
        return text
    return _CONTROL.sub(_replace_control, text)


@dataclass(frozen=True)
class Column:
    key: str
    header: str = ""
    style: str | None = None
    justify: str = "left"
    #: a terminal table too wide for the screen leaves out its optional columns, the
    #: highest number first (0: always shown); CSV, JSON and Markdown keep every column
    optional: int = 0

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
        return ", ".join(f"{text_value(k)}={text_value(v)}" for k, v in value.items())
    return printable(str(value))


def csv_cell(value: Any) -> Any:
    """A CSV cell: numbers stay numbers; text that a spreadsheet would run as a formula
    gets a leading apostrophe."""
    if value.__class__ is str:  # most cells: no conversion, only the formula check
        value = printable(value)
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


#: What Markdown reads as syntax inside a line: escapes, code, emphasis, links and images
#: (``[``, ``]``: without them ``(`` starts nothing), raw HTML and entities (``<``, ``>``,
#: ``&``), table cells, strikethrough.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")


def md_cell(value: Any) -> str:
    """A value as Markdown text that reads as itself: every character Markdown would take
    as syntax is backslash-escaped (an account named ``<img onerror=...>`` or
    ``[x](javascript:...)`` stays text in any CommonMark renderer), and a line break is
    written `` / `` (a cell, a heading and a list item are one line; ``<br>`` would be
    HTML)."""
    s = _MD_SPECIAL.sub(r"\\\1", text_value(value))
    return s.replace("\n", " / ") if "\n" in s else s
