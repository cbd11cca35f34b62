"""The one JSON writer: what goes in comes back out of a JSON parser, streamed or not."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from hypothesis import example, given, settings
from hypothesis import strategies as st

from khm.render.json import dumps, envelope, write_jsonl, write_list

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=_values)
@example({"name": 'ÆRØ [b] "q" 🎉 \\ tab\t', "lines": "a\nb\r\nc\u2028d"})
def test_a_document_reads_back_as_written(value):
    assert json.loads(dumps(value)) == value
    assert json.loads(dumps(value, indent=False)) == value


@settings(max_examples=150, deadline=None)
@given(items=st.lists(_values, max_size=1200), head=st.dictionaries(st.text(max_size=5), _leaves))
def test_a_streamed_list_is_the_envelope_plus_every_item_in_order(items, head):
    head = {k: v for k, v in head.items() if k not in ("items", "count", "kind", "version")}
    out = io.StringIO()
    n = write_list(out, envelope("test", **head), iter(items))
    assert n == len(items)
    assert json.loads(out.getvalue()) == {
        "version": 1, "kind": "test", **head, "items": items, "count": len(items),
    }  # fmt: skip
    lines = io.StringIO()
    assert write_jsonl(lines, iter(items)) == len(items)
    assert [json.loads(line) for line in lines.getvalue().split("\n")[:-1]] == items


def test_dates_decimals_enums_and_sets_have_one_spelling():
    class Colour(Enum):
        RED = "red"

    value = {
        "on": date(2026, 1, 2),
        "at": datetime(2026, 1, 2, 3, 4, 5, 678),
        "amount": Decimal("1.5"),
        "colour": Colour.RED,
        "tags": {"b", "a"},
        1: "int key",
    }
    assert json.loads(dumps(value)) == {
        "on": "2026-01-02",
        "at": "2026-01-02T03:04:05",
        "amount": 1.5,
        "colour": "red",
        "tags": ["a", "b"],
        "1": "int key",
    }


def test_an_empty_list_and_an_empty_head_are_valid_json():
    out = io.StringIO()
    write_list(out, {}, [], count_key=None)
    assert json.loads(out.getvalue()) == {"items": []}
    out = io.StringIO()
    write_list(out, {"a": 1}, [], key="rows", tail={"z": [1]})
    assert json.loads(out.getvalue()) == {"a": 1, "rows": [], "count": 0, "z": [1]}
