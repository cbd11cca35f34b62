from __future__ import annotations

from datetime import date

import pytest

from khm.core.period import default_period, parse_period

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("last-week", date(2026, 11, 16), date(2026, 11, 22)),
        ("last-month", date(2026, 10, 1), date(2026, 10, 31)),
        ("last-quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-02-01..2026-02-10", date(2026, 2, 1), date(2026, 2, 10)),
        ("2026-10-01..", date(2026, 10, 1), TODAY),
    ],
)
def test_periods(text, start, end):
    p = parse_period(text, TODAY)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-W54", "soon", "2026-10-10..2026-01-01", "..2026-01-01"]
)
def test_bad_periods_say_why(bad):
    with pytest.raises(ValueError):
        parse_period(bad, TODAY)


def test_default_is_last_full_month():
    assert default_period(TODAY).label == "2026-10"
