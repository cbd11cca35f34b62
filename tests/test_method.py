from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from khm.errors import MethodError
from khm.method import (
    DEFAULT_METHOD_TOML,
    Condition,
    Interval,
    default_method,
    load_method,
    parse_method,
)


def test_default_method_file_is_valid_and_complete():
    m = default_method()
    assert set(m.cadence) == {"expand", "keep"}
    for t in ("expand", "keep"):
        assert set(m.cadence[t]) == {"A", "B", "C", "D"}
    assert m.covering("call") == {"call", "visit", "review", "meeting"}
    assert m.is_human("visit") and not m.is_human("newsletter")
    assert m.activities["visit"].tactic_for("expand") != m.activities["visit"].tactic_for("keep")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2w", Interval(2, "w")),
        ("1m", Interval(1, "m")),
        ("quarterly", Interval(3, "m")),
        ("6m", Interval(6, "m")),
        ("yearly", Interval(1, "y")),
        ("10d", Interval(10, "d")),
    ],
)
def test_intervals_parse(text, expected):
    assert Interval.parse(text) == expected


def test_interval_adds_calendar_months():
    assert Interval.parse("1m").add_to(date(2026, 1, 31)) == date(2026, 2, 28)
    assert Interval.parse("quarterly").add_to(date(2026, 11, 23)) == date(2027, 2, 23)


@pytest.mark.parametrize("bad", ["0w", "-1m", "sometimes", "3x", ""])
def test_bad_interval_is_rejected(bad):
    with pytest.raises(ValueError):
        Interval.parse(bad)


def _with(extra: str, base: str = DEFAULT_METHOD_TOML) -> str:
    return base + "\n" + extra


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        (_with("bogus = 1"), "bogus: unknown key"),
        (
            DEFAULT_METHOD_TOML.replace('visit = "quarterly"', 'visit = "-1m"'),
            "cadence.expand.A.visit",
        ),
        (DEFAULT_METHOD_TOML.replace('visit = "quarterly"', "visit = 3"), "cadence.expand.A.visit"),
        (DEFAULT_METHOD_TOML.replace('call = "1m"', 'phone = "1m"'), "cadence.expand.A.phone"),
        (DEFAULT_METHOD_TOML.replace('rule = "share"', 'rule = "thresholds"'), "categories"),
        (DEFAULT_METHOD_TOML.replace("A = 50\n", "A = 90\n"), "categories.share"),
        (
            DEFAULT_METHOD_TOML.replace('mode = "human"', 'mode = "robot"', 1),
            "activities.visit.mode",
        ),
        (DEFAULT_METHOD_TOML.replace("effort = 3", "effort = -3"), "activities.visit.effort"),
        (
            DEFAULT_METHOD_TOML.replace('from = "07-01"', 'from = "13-01"'),
            "calendar.no_human_periods[0].from",
        ),
        (
            DEFAULT_METHOD_TOML.replace('covers = ["call"]', 'covers = ["fax"]', 1),
            "activities.visit.covers",
        ),
        (DEFAULT_METHOD_TOML.replace("days = 120", "days = 0"), "triggers[0].silence.days"),
        (
            DEFAULT_METHOD_TOML.replace(
                'when = ["open_pipeline > 0"]', 'when = ["open_pipeline >< 0"]'
            ),
            "types.rules[2].when[0]",
        ),
        ("version = 1\n[activities\n", "not valid TOML"),
    ],
)
def test_bad_method_file_names_the_key(toml, key):
    with pytest.raises(MethodError) as err:
        parse_method(toml, "team.toml")
    assert "team.toml" in str(err.value)
    assert key in str(err.value)


def test_overlapping_thresholds_are_rejected():
    toml = DEFAULT_METHOD_TOML.replace('rule = "share"', 'rule = "thresholds"') + (
        "\n[categories.thresholds]\nA = 100\nB = 200\nC = 50\n"
    )
    # [categories.thresholds] after other tables would be a TOML redefinition; build it cleanly
    toml = toml.replace(
        "[categories.share]",
        "[categories.thresholds]\nA = 100\nB = 200\nC = 50\n\n[categories.share]",
        1,
    )
    toml = toml.rsplit("\n[categories.thresholds]\nA = 100\nB = 200\nC = 50\n", 1)[0]
    with pytest.raises(MethodError, match=r"categories.thresholds.*overlap"):
        parse_method(toml, "t.toml")


def test_missing_method_file_is_a_clean_error(tmp_path: Path):
    with pytest.raises(MethodError, match="not found"):
        load_method(tmp_path / "nope.toml")


def test_conditions():
    c = Condition.parse("open_pipeline > 0")
    assert c.test(5) and not c.test(0) and not c.test(None)
    s = Condition.parse("lifecycle_stage in ['opportunity', 'onboarding']")
    assert s.test("Opportunity") and not s.test("customer")
    e = Condition.parse("country == 'SE'")
    assert e.test("se") and not e.test("NO")


def test_no_human_period_wraps_new_year():
    m = default_method()
    assert m.calendar.in_no_human_period(date(2026, 12, 24))
    assert m.calendar.in_no_human_period(date(2027, 1, 6))
    assert not m.calendar.in_no_human_period(date(2027, 1, 7))
    assert m.calendar.in_no_human_period(date(2026, 7, 15))


def test_no_human_periods_hold_in_any_year() -> None:
    """The day lookup works for every year a date can name (it once stopped at 2199)."""
    from datetime import date

    cal = default_method().calendar
    for year in (1, 1899, 2026, 2350, 9999):
        assert cal.in_no_human_period(date(year, 7, 4))  # the summer period
        assert not cal.in_no_human_period(date(year, 3, 2))
