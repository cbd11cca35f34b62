"""Report maths: the due-event replay, and every report on a small hand-built data set whose
numbers are worked out by hand in the comments."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khm.core.period import Period, parse_period
from khm.core.reports import (
    add_interval,
    count_chain,
    direction_of,
    no_human_shift,
    simulate,
)
from khm.method import Interval, default_method

M = default_method()
NOV = parse_period("2026-11", date(2026, 12, 31))
LATE_TODAY = date(2026, 12, 31)


@dataclass(frozen=True)
class DueEvent:
    due: date
    status: str  # on_time | late | missed | open
    done: date | None  # the touch that answered it (on time or late)


def replay(
    *,
    interval: Interval,
    grace_days: int,
    last_before: date | None,
    first: date,
    touches: Iterable[date],
    period: Period,
    today: date,
    shift: Callable[[int], int] | None = None,
) -> list[DueEvent]:
    """The due events of one (account, kind) in the period, one by one: :func:`simulate`
    with its events, as dates."""
    events: list[tuple[int, str]] = []
    ords = sorted({t.toordinal() for t in touches if last_before is None or t > last_before})
    simulate(
        interval=interval,
        grace_days=grace_days,
        last_before=last_before.toordinal() if last_before else None,
        first=first.toordinal(),
        touches=ords,
        start=period.start.toordinal(),
        end=period.end.toordinal(),
        today=today.toordinal(),
        shift=shift,
        events=events,
    )
    out = []
    for d, status in events:
        done = None
        if status in ("on_time", "late"):
            done = date.fromordinal(next(t for t in ords if t >= d))
        out.append(DueEvent(date.fromordinal(d), status, done))
    return out


def _replay(interval: str, grace: int, last: date | None, touches, today=LATE_TODAY, **kw):
    return [
        (e.due, e.status)
        for e in replay(
            interval=Interval.parse(interval),
            grace_days=grace,
            last_before=last,
            first=kw.pop("first", date(2026, 1, 1)),
            touches=touches,
            period=kw.pop("period", NOV),
            today=today,
            **kw,
        )
    ]


# --------------------------------------------------------------------------- the replay


def test_touch_within_grace_is_on_time_and_the_next_due_follows_it():
    # last touch Oct 10 -> due Nov 10, grace 8 days; touch Nov 15 -> on time, next Dec 15
    assert _replay("1m", 8, date(2026, 10, 10), [date(2026, 11, 15)]) == [
        (date(2026, 11, 10), "on_time")
    ]


def test_touch_after_grace_but_in_the_period_is_late():
    assert _replay("1m", 8, date(2026, 10, 10), [date(2026, 11, 25)]) == [
        (date(2026, 11, 10), "late")
    ]


def test_no_touch_is_missed_and_the_chain_goes_on_by_one_interval():
    assert _replay("1w", 7, date(2026, 10, 30), []) == [
        (date(2026, 11, 6), "missed"),
        (date(2026, 11, 13), "missed"),
        (date(2026, 11, 20), "missed"),
        (date(2026, 11, 27), "missed"),
    ]


def test_events_whose_grace_has_not_ended_are_open():
    got = _replay("1w", 7, date(2026, 10, 30), [], today=date(2026, 11, 20))
    assert got == [
        (date(2026, 11, 6), "missed"),  # Nov 6 + 7 = Nov 13 < Nov 20
        (date(2026, 11, 13), "open"),  # grace ends Nov 20 = today
        (date(2026, 11, 20), "open"),
        (date(2026, 11, 27), "open"),
    ]


def test_early_touch_moves_the_due_date_and_is_not_asked():
    # due Nov 10, touched Nov 3 -> next due Dec 3: nothing asked in November
    assert _replay("1m", 8, date(2026, 10, 10), [date(2026, 11, 3)]) == []


def test_touch_after_the_period_within_grace_counts_as_on_time():
    assert _replay("quarterly", 23, date(2026, 8, 28), [date(2026, 12, 10)]) == [
        (date(2026, 11, 28), "on_time")
    ]


def test_touch_after_the_period_and_after_grace_is_missed():
    assert _replay("1m", 8, date(2026, 10, 25), [date(2026, 12, 10)]) == [
        (date(2026, 11, 25), "missed")
    ]


def test_never_touched_kind_starts_at_the_first_due_date():
    got = _replay("1m", 8, None, [], first=date(2026, 9, 14))
    assert got == [(date(2026, 11, 14), "missed")]


def test_human_due_date_in_a_no_human_period_moves_to_the_first_day_after():
    july = parse_period("2026-07..2026-08-31", LATE_TODAY)
    shift = no_human_shift(M.calendar)
    got = _replay("1m", 8, date(2026, 6, 10), [], period=july, shift=shift)
    # Jul 10 falls in the summer break (07-01..07-31) -> the first weekday after it, Mon
    # Aug 3 (Aug 1 is a Saturday); the next chain date is Aug 10
    assert got == [(date(2026, 8, 3), "missed"), (date(2026, 8, 10), "missed")]


def test_add_interval_matches_interval_add_to():
    for text in ("10d", "2w", "1m", "2m", "quarterly", "6m", "yearly"):
        iv = Interval.parse(text)
        for d in (date(2024, 1, 31), date(2024, 2, 29), date(2026, 8, 31), date(2026, 12, 31)):
            for k in range(0, 14):
                assert date.fromordinal(add_interval(d.toordinal(), iv, k)) == iv.add_to(d, k)


@settings(max_examples=300, deadline=None)
@given(
    iv=st.sampled_from(["10d", "1w", "2w", "1m", "2m", "quarterly", "6m", "yearly"]),
    base=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    k0=st.integers(0, 3),
    lo_off=st.integers(-60, 500),
    span=st.integers(-5, 500),
)
def test_count_chain_counts_like_a_loop(iv, base, k0, lo_off, span):
    interval = Interval.parse(iv)
    b = base.toordinal()
    lo, hi = b + lo_off, b + lo_off + span
    brute = sum(1 for k in range(k0, 600) if lo <= add_interval(b, interval, k) <= hi)
    assert count_chain(b, interval, k0, lo, hi) == brute


@settings(max_examples=300, deadline=None)
@given(
    iv=st.sampled_from(["1w", "2w", "1m", "quarterly", "6m", "yearly"]),
    last=st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2026, 10, 31))),
    offsets=st.lists(st.integers(0, 120), max_size=8),
    today_off=st.integers(-20, 200),
)
def test_the_fast_count_agrees_with_the_event_by_event_replay(iv, last, offsets, today_off):
    interval = Interval.parse(iv)
    grace = M.grace.grace_days(interval)
    start, end = NOV.start.toordinal(), NOV.end.toordinal()
    touches = sorted({start + o for o in offsets})
    common = dict(
        interval=interval,
        grace_days=grace,
        last_before=last.toordinal() if last else None,
        first=date(2026, 2, 3).toordinal(),
        touches=touches,
        start=start,
        end=end,
        today=end + today_off,
    )
    events: list[tuple[int, str]] = []
    slow = simulate(**common, events=events)
    fast = simulate(**common)
    assert fast == slow
    assert len(events) == sum(slow)
    assert all(start <= d <= end for d, _ in events)


def test_directions_of_tag_changes():
    assert direction_of("type", "keep", "expand") == "to_expand"
    assert direction_of("type", "expand", "keep") == "to_keep"
    assert direction_of("category", "C", "A") == "up"
    assert direction_of("category", "A", "B") == "down"
    assert direction_of("category", None, "B") == "first_tag"


# --------------------------------------------------------------------------- a hand-built team


def build_hand_set(store) -> None:
    """Four live accounts, one archived, one untagged; touches chosen so every outcome shows.

    Period 2026-11, seen on 2026-12-31. Graces: 1m 8 d, quarterly 23 d, 6m 46 d, yearly 91 d.
    K1 keep D (anna): newsletter last Oct 5 -> due Nov 5, touched Nov 10: on time.
                      call last Jan 15 -> due 2027: nothing asked.
    K2 keep D (anna): newsletter last Oct 1 -> due Nov 1, touched Nov 20 (> Nov 9): late.
                      call last 2025-11-03 -> due Nov 3; a visit (covers call) on Nov 25,
                      within 91 days: on time.
    K3 expand D (bo): newsletter last Sep 15 -> Oct 15 missed (before the period) -> Nov 15
                      missed. email last Aug 20 -> due Nov 20, touched Dec 10 (within 23 d):
                      on time. call last May 1 -> due Nov 1, no call: missed (Dec 17 < today).
    K4 keep D (bo):   call last 2025-06-01 -> 2026-06-01 missed -> next 2027: nothing.
                      newsletter never touched: one monthly chain date in November: missed.
                      Silent since 2025-06-01: neglected on Nov 30 (547 days; allowed 365+91).
    Totals: asked 7 = on time 3 + late 1 + missed 3 -> 42.9 %.
    anna: asked 3, on time 2, late 1 -> 66.7 %; bo: asked 4, on time 1, missed 3 -> 25 %.
    """
    from sqlalchemy import insert

    from khm.store.models import Account, Rep, TagChange, Touch

    ts = datetime(2025, 1, 1)
    reps = [
        {"handle": "anna", "name": "Anna", "role": "keep", "capacity": 10.0},
        {"handle": "bo", "name": "Bo", "role": "expand", "capacity": 5.0},
    ]
    accounts = []
    specs = [
        (1, "K1", "Fisk [bold]AS[/bold]", "anna", "keep", "D", 100.0, False),
        (2, "K2", 'Ærlig "Øl" 🍺', "anna", "keep", "D", 300.0, False),
        (3, "K3", "=HYPERLINK()", "bo", "expand", "D", 600.0, False),
        (4, "K4", "Silent Co", "bo", "keep", "D", None, False),
        (5, "K5", "Archived Co", "bo", "keep", "A", 9999.0, True),
        (6, "K6", "Untagged Co", None, None, None, 50.0, False),
    ]
    for id_, key, name, owner, t, c, rev, archived in specs:
        accounts.append(
            {
                "id": id_,
                "key": key,
                "name": name,
                "owner": owner,
                "type": t,
                "category": c,
                "revenue": rev,
                "archived": archived,
                "country": "NO",
                "product_lines": [],
                "custom": {},
                "tagged_at": ts,
                "created_at": ts,
                "updated_at": ts,
            }
        )
    touch_specs = [
        (1, "newsletter", date(2026, 10, 5), None),
        (1, "newsletter", date(2026, 11, 10), None),
        (1, "call", date(2026, 1, 15), "anna"),
        (2, "newsletter", date(2026, 10, 1), None),
        (2, "newsletter", date(2026, 11, 20), None),
        (2, "call", date(2025, 11, 3), "anna"),
        (2, "visit", date(2026, 11, 25), "anna"),
        (3, "newsletter", date(2026, 9, 15), None),
        (3, "email", date(2026, 8, 20), "bo"),
        (3, "email", date(2026, 12, 10), "bo"),
        (3, "call", date(2026, 5, 1), "bo"),
        (4, "call", date(2025, 6, 1), "bo"),
        (5, "call", date(2026, 11, 2), "bo"),  # archived: no coverage, but bo did the work
    ]
    touches = [
        {
            "account_id": a,
            "kind": k,
            "date": d,
            "rep": r,
            "source": "test",
            "created_at": ts,
        }
        for a, k, d, r in touch_specs
    ]
    changes = [
        (3, "type", "keep", "expand", datetime(2026, 11, 5, 10)),
        (4, "category", "C", "D", datetime(2026, 11, 30, 23, 59)),
        (1, "category", "D", "C", datetime(2026, 10, 31, 23, 59)),  # before the period
        (2, "owner", "bo", "anna", datetime(2026, 11, 7)),  # not a tag
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(Rep), reps)
        conn.execute(insert(Account), accounts)
        conn.execute(insert(Touch), touches)
        conn.execute(
            insert(TagChange),
            [
                {"account_id": a, "field": f, "old": o, "new": n, "changed_at": at, "who": "lead"}
                for a, f, o, n, at in changes
            ],
        )
    if store.dialect == "postgresql":
        from sqlalchemy import text

        with store.engine.begin() as conn:
            for table in ("rep", "account", "touch", "tag_change"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )


@pytest.fixture
def hand(store):
    build_hand_set(store)
    return store


def _report(store, kind="all", rep=None):
    from khm.services.report import build_report

    return build_report(store, M, kind, NOV, LATE_TODAY, rep)


def test_hand_set_coverage_matches_the_hand_computation(hand):
    cov = _report(hand, "coverage").coverage
    t = cov.totals
    assert (t.asked, t.on_time, t.late, t.missed, t.open) == (7, 3, 1, 3, 0)
    assert t.coverage_pct == 42.9
    reps = {line.keys["rep"]: line.tally for line in cov.by_rep}
    assert (reps["anna"].asked, reps["anna"].on_time, reps["anna"].late) == (3, 2, 1)
    assert reps["anna"].coverage_pct == 66.7
    assert (reps["bo"].asked, reps["bo"].on_time, reps["bo"].missed) == (4, 1, 3)
    assert reps["bo"].coverage_pct == 25.0
    seg = {(ln.keys["type"], ln.keys["category"]): ln.tally for ln in cov.by_segment}
    assert (seg[("keep", "D")].asked, seg[("keep", "D")].on_time) == (4, 2)
    assert (seg[("expand", "D")].asked, seg[("expand", "D")].on_time) == (3, 1)
    modes = {ln.keys["mode"]: ln.tally for ln in cov.by_mode}
    assert (modes["human"].asked, modes["human"].on_time, modes["human"].missed) == (2, 1, 1)
    assert (modes["digital"].asked, modes["digital"].on_time) == (5, 2)
    detail = {(ln.keys["rep"], ln.keys["kind"]): ln.tally for ln in cov.detail}
    assert detail[("bo", "email")].on_time == 1
    assert detail[("anna", "call")].on_time == 1  # the visit covered the call
    assert cov.accounts == 5  # live accounts, untagged included, archived not


def test_hand_set_rep_filter_keeps_only_that_reps_accounts(hand):
    cov = _report(hand, "coverage", rep="anna").coverage
    assert [ln.keys["rep"] for ln in cov.by_rep] == ["anna"]
    assert cov.totals.asked == 3


def test_hand_set_workload_puts_planned_and_done_effort_in_iso_weeks(hand):
    wl = _report(hand, "workload").workload
    cells = {(w.rep, w.week): w for w in wl.weeks}
    # K2's call due Tue Nov 3 (W45, effort 1); K3's call due Sun Nov 1 (W44)
    assert cells[("anna", "2026-W45")].planned_effort == 1
    assert cells[("bo", "2026-W44")].planned_effort == 1
    # anna's visit on Nov 25 (W48): effort 3; bo's call on the archived account Nov 2 (W45)
    assert cells[("anna", "2026-W48")].done_effort == 3
    assert cells[("bo", "2026-W45")].done_effort == 1
    # W44 has no weekday inside November: no capacity; W45 is a full week
    assert cells[("anna", "2026-W44")].capacity == 0
    assert cells[("anna", "2026-W45")].capacity == 10
    assert cells[("bo", "2026-W49")].capacity == pytest.approx(5 * 1 / 5)  # Mon Nov 30 only
    assert wl.totals.planned_effort == 2
    assert wl.totals.done_effort == 4
    assert sorted(w.week for w in wl.weeks if w.rep == "anna") == [
        f"2026-W{n}" for n in range(44, 50)
    ]


def test_hand_set_neglected_lists_the_silent_account(hand):
    neg = _report(hand, "neglected").neglected
    assert [(n.key, n.days_silent, n.allowed_days) for n in neg] == [
        ("K4", (date(2026, 11, 30) - date(2025, 6, 1)).days, 365 + 91)
    ]
    assert neg[0].longest == "call yearly"


def test_hand_set_portfolio_counts_and_shares(hand):
    p = _report(hand, "portfolio").portfolio
    assert p.totals.accounts == 5
    assert p.totals.revenue == 1050.0
    cells = {(c.type, c.category): c for c in p.cells}
    assert cells[("keep", "D")].accounts == 3
    assert cells[("keep", "D")].revenue_share_pct == round(100 * 400 / 1050, 1)
    assert cells[("expand", "D")].revenue_share_pct == round(100 * 600 / 1050, 1)
    assert cells[(None, None)].accounts == 1  # untagged accounts are shown, not hidden
    assert cells[("keep", "A")].accounts == 0  # archived K5 is not counted


def test_hand_set_movement_lists_tag_changes_in_the_period(hand):
    mv = _report(hand, "movement").movement
    assert [(m.key, m.field, m.direction) for m in mv.changes] == [
        ("K3", "type", "to_expand"),
        ("K4", "category", "down"),
    ]
    assert mv.counts["to_expand"] == 1 and mv.counts["down"] == 1


def test_hand_set_through_the_cli_with_fail_under(hand, cli, tmp_path):
    out = tmp_path / "r.json"
    args = ("report", "coverage", "--period", "2026-11", "--today", "2026-12-31", "-f", "json")
    r = cli(*args, "--fail-under", "50", "--output", str(out), code=8)
    assert "42.9" in r.stderr and "below --fail-under 50" in r.stderr
    data = json.loads(out.read_text(encoding="utf-8"))  # written before the exit
    assert data["sections"]["coverage"]["totals"]["coverage_pct"] == 42.9
    cli(*args, "--fail-under", "42.9")
    cli(*args, "--fail-under", "0")
    cli(*args, "--fail-under", "100", code=8)
    cli(*args, "--fail-under", "101", code=2)  # a percentage: 0-100


def test_report_never_writes_to_the_database(hand, cli, snapshot_db):
    before = snapshot_db()
    cli("report", "all", "--period", "2026-11", "--today", "2026-12-31", "-f", "json")
    assert snapshot_db() == before


def test_default_period_is_the_last_full_month(hand, cli):
    data = json.loads(cli("report", "portfolio", "--today", "2026-12-05", "-f", "json").stdout)
    assert data["period"] == {
        "label": "2026-11",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "days": 30,
    }


def test_empty_database_reports_nothing_asked_and_fails_fail_under(khm_db, cli):
    """Coverage n/a (nothing planned) must not pass cron: --fail-under fails, exit 8."""
    args = ("report", "all", "--today", "2026-12-05", "-f", "json")
    data = json.loads(cli(*args).stdout)
    assert data["sections"]["coverage"]["totals"]["asked"] == 0
    assert data["sections"]["coverage"]["totals"]["coverage_pct"] is None
    r = cli(*args, "--fail-under", "80", code=8)
    assert json.loads(r.stdout)["sections"]["coverage"]["totals"]["asked"] == 0
    assert "nothing was planned for 2026-11" in r.stderr
    assert "--fail-under 80%" in r.stderr


@settings(max_examples=300, deadline=None)
@given(
    iv=st.sampled_from(["10d", "2w", "1m", "2m", "quarterly", "6m", "yearly"]),
    last_off=st.integers(1, 400),
    offsets=st.lists(st.integers(0, 45), max_size=6),
    today_off=st.integers(-10, 60),
)
def test_each_due_date_of_the_replay_follows_core_due(iv, last_off, offsets, today_off):
    """The replay's due dates are core.due's: the first after a touch is
    ``due_for(...).due`` from that touch (later ones the chain after a miss), and an event
    is on time exactly when its touch came before ``Due.overdue_from``."""
    from khm.core.due import Due, due_for

    interval = Interval.parse(iv)
    grace = M.grace.grace_days(interval)
    last = NOV.start - timedelta(days=last_off)
    touches = sorted({NOV.start + timedelta(days=o) for o in offsets})
    today = NOV.end + timedelta(days=today_off)
    events = replay(
        interval=interval,
        grace_days=grace,
        last_before=last,
        first=date(2000, 1, 1),
        touches=touches,
        period=NOV,
        today=today,
    )
    seen: set[date] = set()  # touches whose first due date inside the period was checked
    for e in events:
        newest = max(t for t in [last, *touches] if t < e.due)
        want = due_for(
            "call", interval, account_key="K", anchor=last, last_by_kind={"call": newest}, method=M
        )
        assert e.due in [interval.add_to(newest, k) for k in range(1, 60)]  # on its chain
        if newest not in seen and want.due >= NOV.start:
            assert e.due == want.due
        seen.add(newest)
        at = Due("call", interval, newest, e.due, grace)
        if e.status == "on_time":
            assert e.done is not None and not at.is_overdue_on(e.done)
        if e.status == "late":
            assert e.done is not None and at.is_overdue_on(e.done)


# --------------------------------------------------------------------------- the memoised book replay


def _straight_simulate_accounts(*, method, period, today, accounts, last_before, touches):
    """simulate_accounts written the plain way: every chain replayed event by event with
    :func:`replay` and the first due date of :mod:`khm.core.due` (no memo, no inlining)."""
    from khm.core.due import first_due
    from khm.core.reports import STATUSES

    shift = no_human_shift(method.calendar)
    tallies: dict = {}
    planned: dict = {}
    skipped: dict = {}
    for acc in accounts:
        if acc.type is None or acc.category is None:
            continue
        for kind, interval in method.cadence_for(acc.type, acc.category).items():
            cov = method.covering(kind)
            lasts = [last_before.get(acc.id, {}).get(c) for c in cov]
            last = max((x for x in lasts if x is not None), default=None)
            human = method.is_human(kind)
            events = replay(
                interval=interval,
                grace_days=method.grace.grace_days(interval),
                last_before=date.fromordinal(last) if last is not None else None,
                first=first_due(acc.anchor, acc.key, kind, interval),
                touches=[
                    date.fromordinal(x) for c in cov for x in touches.get(acc.id, {}).get(c, ())
                ],
                period=period,
                today=today,
                shift=shift if human else None,
            )
            cell = tallies.setdefault((acc.owner, acc.type, acc.category, kind), [0, 0, 0, 0])
            # the skipped ones: missed human due dates nothing answered before the next
            # date of the chain, once it has come (counted by simulate itself)
            n = [0]
            if human:
                first_o = first_due(acc.anchor, acc.key, kind, interval).toordinal()
                stream = sorted(
                    {
                        x
                        for c in cov
                        for x in touches.get(acc.id, {}).get(c, ())
                        if last is None or x > last
                    }
                )
                simulate(
                    interval,
                    method.grace.grace_days(interval),
                    last,
                    first_o,
                    stream,
                    period.start.toordinal(),
                    period.end.toordinal(),
                    today.toordinal(),
                    shift,
                    [],
                    n,
                )
            key = (acc.owner, acc.type, acc.category, kind)
            skipped[key] = skipped.get(key, 0) + n[0]
            for e in events:
                cell[STATUSES.index(e.status)] += 1
                if human:
                    monday = e.due.toordinal() - e.due.weekday()
                    p = planned.setdefault((acc.owner, monday), [0.0, 0.0])
                    p[0] += method.effort(kind)
                    p[1] += 1.0
    return tallies, planned, skipped


_PERIODS = [
    parse_period(p, LATE_TODAY) for p in ("2026-11", "2026-Q3", "2026", "2026-12-15..2027-01-20")
]


@st.composite
def _books(draw):
    """A small book whose accounts share anchors, touch days and owners (so the memo of
    simulate_accounts is hit), with covering kinds, untagged accounts and old touches."""
    from khm.core.constants import CATEGORIES, TYPES
    from khm.core.reports import AccountFacts

    period = draw(st.sampled_from(_PERIODS))
    start, end = period.start.toordinal(), period.end.toordinal()
    today = end + draw(st.integers(-40, 120))
    days = draw(st.lists(st.integers(start - 5, end + 100), min_size=1, max_size=6))
    anchors = draw(
        st.lists(st.dates(date(2024, 6, 1), period.end), min_size=1, max_size=3, unique=True)
    )
    kinds = sorted(M.activities)
    n = draw(st.integers(1, 12))
    accounts, last_before, touches = [], {}, {}
    for i in range(n):
        tagged = draw(st.booleans()) or i == 0
        accounts.append(
            AccountFacts(
                id=i + 1,
                key=draw(st.sampled_from(["K1", "K2", "Å3", f"K{i}"])) + f"-{i}",
                name="",
                owner=draw(st.sampled_from([None, "asa", "bo"])),
                type=draw(st.sampled_from(TYPES)) if tagged else None,
                category=draw(st.sampled_from(CATEGORIES)) if tagged else None,
                country=None,
                revenue=None,
                anchor=draw(st.sampled_from(anchors)),
            )
        )
        tt = {}
        for kind in draw(st.lists(st.sampled_from(kinds), max_size=4, unique=True)):
            tt[kind] = sorted(draw(st.lists(st.sampled_from(days), min_size=1, max_size=5)))
        touches[i + 1] = tt
        lb = {}
        for kind in draw(st.lists(st.sampled_from(kinds), max_size=3, unique=True)):
            lb[kind] = start - draw(st.integers(1, 500))
        last_before[i + 1] = lb
    return dict(
        period=period,
        today=date.fromordinal(today),
        accounts=accounts,
        last_before=last_before,
        touches=touches,
    )


@settings(max_examples=300, deadline=None)
@given(book=_books())
def test_the_memoised_book_replay_agrees_with_the_plain_one(book):
    from khm.core.reports import simulate_accounts

    fast = simulate_accounts(method=M, **book)
    tallies, planned, skipped = _straight_simulate_accounts(method=M, **book)
    assert fast.tallies == tallies
    assert fast.planned == planned
    assert fast.skipped == skipped
    for key, n in skipped.items():
        assert 0 <= n <= tallies[key][2]  # a part of the missed


@settings(max_examples=300, deadline=None)
@given(
    touched=st.lists(
        st.tuples(st.integers(1, 4), st.sampled_from(sorted(M.activities)), st.integers(0, 120)),
        max_size=25,
    ),
    start_off=st.integers(0, 120),
    until_off=st.integers(-1, 130),
)
def test_the_last_touch_from_the_replay_data_agrees_with_a_plain_max(touched, start_off, until_off):
    from khm.core.reports import last_touch_until

    origin = date(2026, 1, 1).toordinal()
    start = origin + start_off
    until = start + until_off
    last_before: dict = {}
    touches: dict = {}
    for account_id, kind, off in touched:
        d = origin + off
        if d < start:
            kinds = last_before.setdefault(account_id, {})
            kinds[kind] = max(kinds.get(kind, d), d)
        else:
            touches.setdefault(account_id, {}).setdefault(kind, []).append(d)
    for kinds in touches.values():
        for lst in kinds.values():
            lst.sort()
    want: dict = {}
    for account_id, _kind, off in touched:
        d = origin + off
        if d <= until:
            want[account_id] = max(want.get(account_id, d), d)
    got = last_touch_until(until, last_before, touches)
    assert got == {a: date.fromordinal(o) for a, o in want.items()}


def test_a_human_due_date_nothing_answered_within_its_interval_is_skipped():
    """Missed and skipped: the next date of the chain came and nothing was done; a due
    date answered late (before the next one) is late, not skipped; digital work is not
    counted as skipped (the planner keeps listing it)."""
    iv = Interval.parse("1w")
    common = dict(
        interval=iv,
        grace_days=2,
        last_before=date(2026, 10, 26).toordinal(),  # due 11-02, 11-09, ...
        first=date(2026, 1, 1).toordinal(),
        start=NOV.start.toordinal(),
        end=NOV.end.toordinal(),
        today=date(2026, 12, 31).toordinal(),
    )
    n = [0]
    touches = [date(2026, 11, 13).toordinal()]  # answers 11-09 late; 11-02 had nothing
    counts = simulate(**common, touches=touches, shift=lambda o: o, events=[], skipped=n)
    assert counts[2] >= 1 and n[0] == counts[2]  # every missed one here waited a week
    n_digital = [0]
    simulate(**common, touches=touches)  # digital fast path: no count asked
    assert n_digital == [0]
