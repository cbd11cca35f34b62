"""The weekly JSON writer: the fast text path agrees byte for byte with the dicts + encoder."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khm.cli.weekly import json_text, plan_json, plan_json_text
from khm.core.planner import (
    PlanAccount,
    PlanItem,
    PlanRep,
    RepPlan,
    UnassignedAccount,
    WeeklyPlan,
    plan_week,
)
from khm.method import default_method

M = default_method()

# Texts a JSON writer can get wrong: quotes, backslashes, control characters, non-ASCII,
# lone surrogates, and the row separator the reference writer splits on.
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['}, {"account": ', '"', "\\", "\x00\x1f\x7f", "Ærø 🚀", "\ud800", ""]),
)
maybe = st.one_of(st.none(), texts)
dates = st.dates(date(2024, 1, 1), date(2028, 12, 31))
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 3.0, 0.5, 1 / 3, 1e-9, 12345.6789]),
)


@st.composite
def items(draw) -> PlanItem:
    return PlanItem(
        account=draw(texts),
        name=draw(texts),
        type=draw(maybe),
        category=draw(maybe),
        owner=draw(maybe),
        country=draw(maybe),
        kind=draw(texts),
        label=draw(texts),
        mode=draw(st.sampled_from(["human", "digital"])),
        effort=draw(st.one_of(st.integers(0, 20), st.floats(0, 1e6))),
        status=draw(st.sampled_from(["overdue", "due", "trigger"])),
        due=draw(dates),
        days_overdue=draw(st.integers(-1000, 100000)),
        last_touch=draw(st.one_of(st.none(), dates)),
        reasons=tuple(draw(st.lists(texts, max_size=3))),
        tactic=draw(texts),
        interval=draw(maybe),
        lateness=draw(floats),
        covers=tuple(draw(st.lists(texts, max_size=2))),
        triggers=tuple(draw(st.lists(texts, max_size=2))),
        backlog=draw(st.booleans()),
        day=draw(st.one_of(st.none(), dates)),
        oversize=draw(st.booleans()),
    )


@st.composite
def plans(draw) -> WeeklyPlan:
    monday = draw(dates.map(lambda d: d - timedelta(days=d.weekday())))
    reps = tuple(
        RepPlan(
            handle=draw(texts),
            name=draw(texts),
            email=draw(maybe),
            capacity_full=draw(st.sampled_from([0.0, 4.0, 12.0, 7.5])),
            capacity=draw(st.sampled_from([0.0, 4.8, 12.0])),
            open_days=draw(st.integers(0, 5)),
            items=tuple(draw(st.lists(items(), max_size=4))),
            carried=tuple(draw(st.lists(items(), max_size=3))),
            paused=tuple(draw(st.lists(items(), max_size=2))),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    unassigned = tuple(
        UnassignedAccount(
            key=draw(texts),
            name=draw(texts),
            type=draw(maybe),
            category=draw(maybe),
            owner=draw(maybe),
            problem=draw(texts),
            items=tuple(draw(st.lists(items(), max_size=1))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return WeeklyPlan(
        week="2026-W48",
        monday=monday,
        sunday=monday + timedelta(days=6),
        today=draw(dates),
        ref=monday,
        reps=reps,
        unassigned=unassigned,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.booleans())
def test_the_fast_json_text_equals_the_dicts_through_the_encoder(plan, per_rep):
    reps = list(plan.reps[:1]) if per_rep else None
    assert plan_json_text(plan, reps) == json_text(plan_json(plan, reps))


def test_the_fast_json_text_of_a_planned_book_parses_and_equals_the_reference():
    accounts = [
        PlanAccount(f"K{i}", f'Name "{i}" Ærø', t, c, "ola", "NO", date(2025, 1, 6))
        for i, (t, c) in enumerate(
            [("expand", "A"), ("expand", "B"), ("keep", "C"), ("keep", "A"), (None, None)]
        )
    ]
    touches = {"K0": {"visit": date(2026, 6, 1)}, "K1": {"call": date(2026, 10, 1)}}
    plan = plan_week(
        accounts=accounts,
        last_touches=touches,
        reps=[PlanRep("ola", capacity=4)],
        method=M,
        monday=date(2026, 11, 23),
        today=date(2026, 11, 25),
    )
    assert plan.reps[0].items and plan.reps[0].carried
    text = plan_json_text(plan)
    assert text == json_text(plan_json(plan))
    assert json.loads(text)["reps"][0]["count"] == len(plan.reps[0].items)
