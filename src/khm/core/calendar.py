"""Working time for human activities: no-human periods and public holidays.

Pure: the method's calendar rules and dates in, answers out. Holiday calendars come from
the ``holidays`` package (imported on first use, cached per country and year).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta
from functools import lru_cache

from khm.method import CalendarRules

WEEKDAYS = 5

#: Public holidays of a country in a year (ISO code, year) -> dates.
HolidayDates = Callable[[str, int], Collection[date]]


@lru_cache(maxsize=512)
def holiday_dates(country: str, year: int) -> frozenset[date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except (NotImplementedError, KeyError):
        return frozenset()


def holiday_country(rules: CalendarRules, account_country: str | None) -> str | None:
    if rules.holidays == "none":
        return None
    if rules.holidays == "account":
        return account_country.upper() if account_country else None
    return rules.holidays


def is_human_day(d: date, rules: CalendarRules, country: str | None = None) -> bool:
    """A weekday outside every no-human period and not a public holiday of ``country``."""
    hc = holiday_country(rules, country)
    return _is_open(d, rules, holiday_dates(hc, d.year) if hc else frozenset())


def _is_open(d: date, rules: CalendarRules, closed: Collection[date]) -> bool:
    """A weekday, not in ``closed`` (public holidays), outside every no-human period."""
    return d.weekday() < WEEKDAYS and d not in closed and not rules.in_no_human_period(d)


def human_days_in_week(
    monday: date,
    rules: CalendarRules,
    country: str | None = None,
    holidays: HolidayDates | None = None,
) -> list[date]:
    """The human days (:func:`is_human_day`) of the week starting ``monday``.
    ``holidays(country, year)`` gives the public holidays (default :func:`holiday_dates`;
    the weekly planner passes a cached reader so it need not load the ``holidays``
    package)."""
    hc = holiday_country(rules, country)
    read = holidays or holiday_dates
    week = (monday + timedelta(days=i) for i in range(WEEKDAYS))
    return [d for d in week if _is_open(d, rules, read(hc, d.year) if hc else ())]


def human_weeks_per_year(
    rules: CalendarRules,
    country: str | None = None,
    year: int = 2026,
    holidays: HolidayDates | None = None,
) -> float:
    """Weeks of human working time in a year: open weekdays / 5. ``holidays(country,
    year)`` gives the public holidays (default :func:`holiday_dates`; the commands pass
    a cached reader so they need not load the ``holidays`` package)."""
    hc = holiday_country(rules, country)
    read = holidays or holiday_dates
    key = (rules.periods, hc, year, read)  # all the answer depends on
    weeks = _WEEKS.get(key)
    if weeks is None:
        closed = read(hc, year) if hc else ()
        d = date(year, 1, 1)
        open_days = 0
        one = timedelta(days=1)
        while d.year == year:
            if _is_open(d, rules, closed):
                open_days += 1
            d += one
        weeks = open_days / WEEKDAYS
        if len(_WEEKS) > 4096:
            _WEEKS.clear()
        _WEEKS[key] = weeks
    return weeks


#: human_weeks_per_year by (no-human periods, holiday country, year, holiday reader): a
#: capacity table asks for each (type, category) of each country
_WEEKS: dict[tuple[object, ...], float] = {}
