"""The renderers' fast paths write exactly what the plain ones write."""

from __future__ import annotations

import json
from datetime import date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from khm.render import json_list_text, json_with_long_list, to_jsonable

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.dates()
    | st.datetimes()
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=6) | st.integers(0, 9), inner, max_size=5)
        # report rows: dicts with the same keys, mostly plain values
        | st.lists(st.fixed_dictionaries({"a": _leaves, "b": inner, "é": _leaves}))
        | st.lists(st.fixed_dictionaries({"x": _leaves, "y": _leaves}), min_size=2)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(value=_values)
@example({1: "one", "1": ["uno", {2: date(2026, 1, 2)}], "x": {"2": 2, 2: None}})
@example([{"a": "x\ny", "b": 1.5}, {"a": None, "b": datetime(2026, 1, 2, 3, 4, 5)}])
@example([{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": [1]}])
@example({"rows": [{"k": "v"}, {"k": "w", "extra": 0}], "more": [{}, {"k": (1,)}]})
def test_the_fast_pretty_json_writes_what_json_dumps_writes(value):
    from khm.render import json_dumps, pretty_json

    plain = json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)
    assert pretty_json(value) == plain
    assert json_dumps(value) == plain


# records like an account or a touch: text keys, leaves, lists and dicts of leaves
_records = st.dictionaries(
    st.text(max_size=8),
    _leaves | st.lists(_leaves, max_size=3) | st.dictionaries(st.text(max_size=4), _leaves),
    max_size=8,
)


def _plain(head, items):
    dump = json.JSONEncoder(ensure_ascii=False).encode
    return json_with_long_list(head, "items", ("  " + dump(to_jsonable(i)) for i in items))


@settings(max_examples=300, deadline=None)
@given(items=st.lists(_records | _values, max_size=6))
@example(items=[{"when": datetime(2026, 1, 2, 3, 4, 5, 678), "on": date(2026, 1, 2)}])
@example(items=[{"k": {1: "int key"}}, {"k": {True: "bool key"}}, {"k": (1, [2])}])
@example(items=[{"name": 'ÆRØ [b] "q" 🎉', "x": float("nan"), "tags": ("a", None)}])
def test_json_list_text_fast_path_writes_what_to_jsonable_writes(items):
    head = {"version": 1, "kind": "test", "count": len(items)}
    assert json_list_text(head, items) == _plain(head, items)
