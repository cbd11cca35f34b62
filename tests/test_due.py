from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from khm.core.due import due_for, first_due, schedule
from khm.method import Interval, default_method

M = default_method()


def test_due_is_interval_after_last_touch():
    d = due_for(
        "call",
        Interval.parse("1m"),
        account_key="ACME",
        anchor=date(2026, 1, 1),
        last_by_kind={"call": date(2026, 10, 10)},
        method=M,
    )
    assert d.due == date(2026, 11, 10)
    assert d.grace_days == 8  # max(round(30.4 * 0.25), 7)
    assert not d.is_overdue_on(date(2026, 11, 18))
    assert d.is_overdue_on(date(2026, 11, 19))


def test_a_visit_resets_the_call_timer():
    d = due_for(
        "call",
        Interval.parse("1m"),
        account_key="ACME",
        anchor=date(2026, 1, 1),
        last_by_kind={"call": date(2026, 9, 1), "visit": date(2026, 10, 20)},
        method=M,
    )
    assert d.last_touch == date(2026, 10, 20)
    assert d.due == date(2026, 11, 20)


def test_a_call_does_not_reset_the_visit_timer():
    d = due_for(
        "visit",
        Interval.parse("quarterly"),
        account_key="ACME",
        anchor=date(2026, 1, 1),
        last_by_kind={"call": date(2026, 11, 1), "visit": date(2026, 6, 1)},
        method=M,
    )
    assert d.due == date(2026, 9, 1)


@given(
    st.text(min_size=1, max_size=20),
    st.sampled_from(["2w", "1m", "quarterly", "6m", "yearly"]),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
)
def test_first_due_is_spread_within_one_interval_and_stable(key, iv, anchor):
    interval = Interval.parse(iv)
    d = first_due(anchor, key, "call", interval)
    assert anchor <= d < interval.add_to(anchor)
    assert d == first_due(anchor, key, "call", interval)


def test_first_due_dates_spread_over_the_interval():
    anchor = date(2026, 1, 1)
    dates = [first_due(anchor, f"ACC{i}", "call", Interval.parse("quarterly")) for i in range(900)]
    # roughly uniform: each month of the quarter gets a fair share
    months = [sum(1 for d in dates if d.month == m) for m in (1, 2, 3)]
    assert all(250 < n < 350 for n in months), months


def test_schedule_follows_the_cadence():
    s = schedule(
        account_key="ACME",
        account_type="expand",
        category="A",
        anchor=date(2026, 1, 1),
        last_by_kind={},
        method=M,
    )
    assert [d.kind for d in s] == list(M.cadence["expand"]["A"])
    assert (
        schedule(
            account_key="X",
            account_type=None,
            category="A",
            anchor=date(2026, 1, 1),
            last_by_kind={},
            method=M,
        )
        == []
    )
