"""The one JSON writer: orjson (C, UTF-8, dataclasses and dates natively), streamed.

Every command's JSON goes through here. A document is one versioned envelope
(:func:`envelope`); a list is written item by item (:func:`write_list`), so a book of 100k
accounts never sits in memory as one string; ``--format jsonl`` writes one object per line
and no envelope (:func:`write_jsonl`). Dates are ISO 8601 (datetimes to the second).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import IO, Any

import orjson

JSON_VERSION = 1

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_OMIT_MICROSECONDS
_CHUNK = 500  # items encoded per write of a streamed list


def _default(value: Any) -> Any:
    """What orjson does not write by itself: decimals, enums, sets, pydantic models."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    raise TypeError(f"not JSON: {type(value).__name__}")


def dumps(obj: Any, *, indent: bool = True) -> str:
    """``obj`` as JSON text (indented by two spaces unless ``indent=False``), no newline."""
    opt = _OPTIONS | orjson.OPT_INDENT_2 if indent else _OPTIONS
    return orjson.dumps(obj, default=_default, option=opt).decode()


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


def write(out: IO[str], obj: Any) -> None:
    """One indented document and a newline."""
    out.write(dumps(obj))
    out.write("\n")


def _lines(items: Iterable[Any], sep: bytes, size: int = _CHUNK) -> Iterable[tuple[str, int]]:
    """The items as compact JSON, ``size`` at a time: (the texts joined by ``sep``, n).
    A raw newline never occurs inside an item (strings escape it)."""
    enc, opt = orjson.dumps, _OPTIONS
    chunk: list[bytes] = []
    for item in items:
        chunk.append(enc(item, default=_default, option=opt))
        if len(chunk) == size:
            yield sep.join(chunk).decode(), len(chunk)
            chunk = []
    if chunk:
        yield sep.join(chunk).decode(), len(chunk)


def write_list(
    out: IO[str],
    head: Mapping[str, Any],
    items: Iterable[Any],
    *,
    key: str = "items",
    count_key: str | None = "count",
    tail: Mapping[str, Any] | None = None,
    chunk: int = _CHUNK,
) -> int:
    """``head`` (an envelope) with the list ``key`` written item by item, one per line, then
    ``count_key`` (the number written, when not None) and ``tail``. Returns the count.

    Memory stays bounded by a chunk of items whatever the length of ``items``: ``chunk``
    items are encoded per write (1 when each item is big, e.g. a rep's whole list)."""
    head_text = dumps(dict(head), indent=False)
    out.write(head_text[:-1] + ("," if len(head_text) > 2 else "") + f'"{key}":[')
    n = 0
    for text, k in _lines(items, b",\n", chunk):
        out.write(("\n" if n == 0 else ",\n") + text)
        n += k
    out.write("\n]" if n else "]")
    rest = {**({count_key: n} if count_key else {}), **(tail or {})}
    if rest:
        out.write("," + dumps(rest, indent=False)[1:])
    else:
        out.write("}")
    out.write("\n")
    return n


def write_jsonl(out: IO[str], items: Iterable[Any]) -> int:
    """One compact JSON object per line, no envelope (``--format jsonl``)."""
    n = 0
    for text, k in _lines(items, b"\n"):
        out.write(text)
        out.write("\n")
        n += k
    return n
