"""The overload policy (``[capacity] overload``) and the skip of work that waited more
than one interval: core, properties and the CLI (header, JSON, capacity, report)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _waits import waits
from khm.core.due import due_for, replan, skip_after
from khm.core.planner import PlanAccount, PlanRep, plan_week
from khm.errors import MethodError
from khm.method import DEFAULT_METHOD_TOML, Interval, default_method, parse_method

MON = date(2026, 11, 23)
M = default_method()


def small(policy: str | None = None, cadence: str = 'call = "1m"') -> object:
    over = f'overload = "{policy}"' if policy else ""
    cats = "\n".join(f"[cadence.{t}.{c}]\n{cadence}" for t in ("expand", "keep") for c in "ABCD")
    return parse_method(
        f"""
[activities.visit]
mode = "human"
effort = 3
covers = ["call"]
[activities.call]
mode = "human"
[activities.email]
mode = "digital"
{cats}
[calendar]
holidays = "none"
no_human_periods = []
[capacity]
default = 4
{over}
"""
    )


def acc(key: str, cat: str, typ: str = "expand") -> PlanAccount:
    return PlanAccount(key, key, typ, cat, "ola", None, date(2025, 1, 1))


# the example of docs/weekly.md: five overdue monthly calls, capacity 4
EXAMPLE = {
    "ACME": ("A", date(2026, 10, 13)),
    "BOLT": ("A", date(2026, 10, 14)),
    "CORE": ("B", date(2026, 10, 8)),
    "DUNE": ("C", date(2026, 10, 11)),
    "EDDA": ("D", date(2026, 10, 2)),
}


def example(policy: str | None):
    return plan_week(
        accounts=[acc(k, c) for k, (c, _) in EXAMPLE.items()],
        last_touches={k: {"call": d} for k, (_, d) in EXAMPLE.items()},
        reps=[PlanRep("ola", capacity=4)],
        method=small(policy),
        monday=MON,
        today=MON,
    ).rep("ola")


def test_the_default_policy_is_protect():
    assert M.capacity.overload == "protect"
    assert small().capacity.overload == "protect"


def test_protect_gives_the_time_to_a_before_d():
    rep = example(None)
    assert [i.account for i in rep.items] == ["ACME", "BOLT", "CORE", "DUNE"]
    assert [i.account for i in rep.carried] == ["EDDA"]
    assert all(i.status == "overdue" for i in rep.items)
    assert [round(i.lateness, 2) for i in rep.items] == [0.33, 0.3, 0.49, 0.39]


def test_spread_gives_the_time_to_the_most_late_first():
    rep = example("spread")
    assert [i.account for i in rep.items] == ["EDDA", "CORE", "DUNE", "ACME"]
    assert [i.account for i in rep.carried] == ["BOLT"]


def test_a_bad_overload_policy_names_the_file_and_key():
    text = DEFAULT_METHOD_TOML.replace('overload = "protect"', 'overload = "fair"')
    with pytest.raises(MethodError) as exc:
        parse_method(text, "team.toml")
    assert "team.toml: capacity.overload:" in str(exc.value)
    assert "protect" in str(exc.value) and "spread" in str(exc.value)


# --------------------------------------------------------------------------- the skip


def test_work_that_waited_more_than_an_interval_is_skipped_and_planned_one_interval_on():
    m = small()
    iv = Interval.parse("1m")
    last = date(2026, 9, 20)  # due 20 Oct; may wait until 20 Nov; dropped on Mon 23 Nov
    assert skip_after(date(2026, 10, 20), iv, m.calendar, True) == date(2026, 11, 20)
    assert replan(date(2026, 10, 20), iv, m.calendar, True, MON) == (
        date(2026, 12, 20),
        date(2026, 10, 20),
    )
    rep = plan_week(
        accounts=[acc("ACME", "A")],
        last_touches={"ACME": {"call": last}},
        reps=[PlanRep("ola", capacity=4)],
        method=m,
        monday=MON,
        today=MON,
    ).rep("ola")
    assert rep.items == () and rep.carried == ()
    (s,) = rep.skipped
    assert (s.account, s.kind, s.due, s.skipped) == ("ACME", "call", date(2026, 10, 20), True)
    assert "next due 2026-12-20" in s.reason
    # the week before, it was still on the list; the week after, nothing is counted again
    before = plan_week(
        accounts=[acc("ACME", "A")],
        last_touches={"ACME": {"call": last}},
        reps=[PlanRep("ola", capacity=4)],
        method=m,
        monday=MON - timedelta(days=7),
        today=MON - timedelta(days=7),
    ).rep("ola")
    assert [i.due for i in before.items] == [date(2026, 10, 20)] and before.skipped == ()
    after = plan_week(
        accounts=[acc("ACME", "A")],
        last_touches={"ACME": {"call": last}},
        reps=[PlanRep("ola", capacity=4)],
        method=m,
        monday=MON + timedelta(days=7),
        today=MON + timedelta(days=7),
    ).rep("ola")
    assert after.items == () and after.skipped == ()
    # and the next cycle is listed in the week of 20 Dec
    dec = date(2026, 12, 14)
    again = plan_week(
        accounts=[acc("ACME", "A")],
        last_touches={"ACME": {"call": last}},
        reps=[PlanRep("ola", capacity=4)],
        method=m,
        monday=dec,
        today=dec,
    ).rep("ola")
    assert [i.due for i in again.items] == [date(2026, 12, 20)]


def test_the_waiting_time_does_not_count_the_no_human_periods():
    cal = M.calendar  # July and 20 Dec - 6 Jan
    iv = Interval.parse("1m")
    # due 15 Jun: one month of human days ends 15 Aug (July does not count)
    assert skip_after(date(2027, 6, 15), iv, cal, True) == date(2027, 8, 15)
    assert skip_after(date(2027, 6, 15), iv, cal, False) == date(2027, 7, 15)
    due = due_for(
        "call",
        iv,
        account_key="K",
        anchor=date(2027, 1, 1),
        last_by_kind={"call": date(2027, 5, 15)},
        method=M,
        monday=date(2027, 8, 2),
    )
    assert (due.due, due.skipped) == (date(2027, 6, 15), None)


# --------------------------------------------------------------------------- properties

OPEN = parse_method(
    DEFAULT_METHOD_TOML.replace('holidays = "account"', 'holidays = "none"').replace(
        'no_human_periods = [\n  { name = "Summer", from = "07-01", to = "07-31" },\n'
        '  { name = "Christmas", from = "12-20", to = "01-06" },\n]',
        "no_human_periods = []",
    )
)
SPREAD = OPEN.model_copy(
    update={"capacity": OPEN.capacity.model_copy(update={"overload": "spread"})}
)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def books(draw, max_accounts: int = 10):
    accounts, touches = [], {}
    for i in range(draw(st.integers(1, max_accounts))):
        key = f"K{i:02d}"
        anchor = draw(st.dates(date(2025, 1, 1), date(2026, 10, 1)))
        accounts.append(
            PlanAccount(
                key,
                key,
                draw(st.sampled_from(["expand", "keep"])),
                draw(st.sampled_from("ABCD")),
                "ola",
                draw(st.sampled_from([None, "NO", "SE"])),
                anchor,
            )
        )
        touches[key] = draw(
            st.dictionaries(
                st.sampled_from(list(M.activities)), st.dates(anchor, date(2026, 11, 1))
            )
        )
    return accounts, touches, draw(st.sampled_from([0, 1, 2, 3, 5, 8]))


mondays = st.dates(date(2026, 1, 5), date(2026, 12, 1)).map(
    lambda d: d - timedelta(days=d.weekday())
)


def _plan(book, monday, method, today=None):
    accounts, touches, capacity = book
    return plan_week(
        accounts=accounts,
        last_touches=touches,
        reps=[PlanRep("ola", capacity=capacity)],
        method=method,
        monday=monday,
        today=today or monday,
    ).rep("ola")


@SETTINGS
@given(books(), mondays, st.integers(0, 6), st.sampled_from([M, OPEN]))
def test_under_protect_no_lower_category_gets_time_while_a_higher_one_is_carried(
    book, monday, off, method
):
    """Under protect, a carried item is never passed over for an item of a lower
    category: every listed human item of a lower category is one that fitted in what the
    higher categories left (first fit), never one that took an A item's place."""
    rep = _plan(book, monday, method, monday + timedelta(days=off))
    for c in rep.carried:
        lower = [i for i in rep.items if i.human and (i.category or "~") > (c.category or "~")]
        if lower and not any(i.oversize for i in rep.items):
            # what the lower categories took could not have held the carried item
            # together with everything of its category and above that was listed
            higher = sum(
                i.effort
                for i in rep.items
                if i.human and (i.category or "~") <= (c.category or "~")
            )
            assert higher + c.effort > rep.capacity + 1e-9, (c, lower)


@SETTINGS
@given(books(), mondays, st.integers(0, 6), st.sampled_from([M, OPEN, SPREAD]))
def test_no_listed_or_carried_item_has_waited_more_than_an_interval(book, monday, off, method):
    """The backlog is bounded: every human item on the list (listed, carried, paused) is
    the cycle of its activity that has not yet waited more than one interval by Monday;
    every skipped item is a human one whose cycle ran out in the week before."""
    rep = _plan(book, monday, method, monday + timedelta(days=off))
    wait = waits(book[0], book[2], method, monday)
    by_key = {a.key: a for a in book[0]}
    for i in (*rep.items, *rep.carried, *rep.paused, *rep.campaign_items):
        if i.interval is None or not i.human:
            continue  # a trigger-only item; digital work is never skipped
        iv = Interval.parse(i.interval)
        w = wait(by_key[i.account])
        assert skip_after(i.due, iv, method.calendar, i.human, w) >= monday, i
        if w is not None:  # yielding work waits a week, not an interval
            assert method.capacity.overload == "protect" and i.category != "A"
    for s in rep.skipped:
        assert s.human and s.skipped
        iv = Interval.parse(s.interval)
        last_day = skip_after(s.due, iv, method.calendar, s.human, wait(by_key[s.account]))
        assert monday - timedelta(days=7) <= last_day < monday, s
    # a skipped activity is never also carried: the cycle it left is not on the list
    on_list = {(i.account, i.kind, i.due) for i in (*rep.items, *rep.carried, *rep.paused)}
    assert not {(s.account, s.kind, s.due) for s in rep.skipped} & on_list


@SETTINGS
@given(books(), mondays, st.sampled_from([OPEN, SPREAD]))
def test_the_policy_changes_who_gets_the_time_not_what_is_due(book, monday, method):
    """protect and spread list, carry, pause and skip the same activities in total, but
    for the categories that yield under protect (they wait a week, not an interval)."""
    other = SPREAD if method is OPEN else OPEN
    a, b = _plan(book, monday, method), _plan(book, monday, other)
    wait = waits(book[0], book[2], OPEN, monday)
    yielding = {acc.category for acc in book[0] if wait(acc) is not None}
    assert "A" not in yielding

    def every(rep):
        return sorted(
            (i.account, i.kind, i.due)
            for i in (*rep.items, *rep.carried, *rep.paused)
            if i.category not in yielding
        )

    def skips(rep):
        return [i for i in rep.skipped if i.category not in yielding]

    assert every(a) == every(b)
    assert skips(a) == skips(b)
    assert a.human_planned <= a.capacity + 1e-9 or any(i.oversize for i in a.items)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    books(max_accounts=8),
    st.dates(date(2026, 1, 5), date(2026, 3, 1)),
    st.sampled_from([OPEN, SPREAD]),
)
def test_a_short_team_under_protect_keeps_a_and_the_backlog_stays_bounded(book, start, method):
    """Forty weeks of a rep who does every listed item: nothing waits more than one
    interval, the carried items never outnumber the activities of the book, and under
    protect an A item is carried only when it does not fit beside the week's A work."""
    accounts, touches, capacity = book
    touches = {k: {kind: d for kind, d in v.items() if d < start} for k, v in touches.items()}
    monday = start - timedelta(days=start.weekday())
    pairs = sum(len(method.cadence_for(a.type, a.category)) for a in accounts)
    for _ in range(40):
        rep = _plan((accounts, touches, capacity), monday, method)
        assert len(rep.carried) + len(rep.skipped) <= pairs
        if method is OPEN:
            a_listed = sum(i.effort for i in rep.items if i.human and i.category == "A")
            for c in rep.carried:
                if c.category == "A" and not any(i.oversize for i in rep.items):
                    # it did not fit beside the A work: no B-D item took its room
                    assert a_listed + c.effort > rep.capacity - 1e-9, rep.items
        for it in rep.items:
            touches[it.account][it.kind] = it.day or monday
        monday += timedelta(days=7)


@SETTINGS
@given(books(), mondays)
def test_core_due_with_a_monday_is_the_cycle_the_planner_lists(book, monday):
    accounts, touches, _ = book
    rep = _plan(book, monday, OPEN)
    sunday = monday + timedelta(days=6)
    got = {
        (i.account, i.kind): i for i in (*rep.items, *rep.carried, *rep.paused, *rep.campaign_items)
    }
    skipped = {(i.account, i.kind): i for i in rep.skipped}
    wait = waits(accounts, book[2], OPEN, monday)
    for a in accounts:
        last = {k: d for k, d in touches[a.key].items() if d <= sunday}
        for kind, iv in OPEN.cadence_for(a.type, a.category).items():
            d = due_for(
                kind,
                iv,
                account_key=a.key,
                anchor=a.anchor,
                last_by_kind=last,
                method=OPEN,
                monday=monday,
                wait=wait(a),
            )
            it = got.get((a.key, kind))
            if d.due <= sunday and it is not None and it.interval is not None:
                assert it.due == d.due
            if d.skipped is not None:
                assert skipped[(a.key, kind)].due == d.skipped
            else:
                assert (a.key, kind) not in skipped


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def skipping_db(store, tmp_path):
    """One rep, two A accounts: ACME's call waited more than its interval (skipped on
    Monday 23 Nov), BOLT's is due."""
    from datetime import datetime

    from khm.store.models import Account, Rep, Touch

    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola", capacity=4))
        s.flush()
        for key, last in (("ACME", date(2026, 9, 20)), ("BOLT", date(2026, 10, 21))):
            a = Account(
                key=key,
                name=key.title(),
                type="expand",
                category="A",
                owner="ola",
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(a)
            s.flush()
            s.add(Touch(account_id=a.id, rep="ola", kind="call", date=last))
    method = tmp_path / "method.toml"
    method.write_text(
        """
[activities.call]
mode = "human"
[cadence.expand.A]
call = "1m"
[calendar]
holidays = "none"
no_human_periods = []
""",
        encoding="utf-8",
    )
    return method


def test_skipped_work_is_counted_in_the_header_json_capacity_and_report(skipping_db, cli):
    m = ("--method", str(skipping_db))
    today = ("--today", "2026-11-23")
    text = cli(*m, "weekly", *today).stdout
    assert "1 skipped (waited too long: planned again one interval on)" in text
    md = cli(*m, "weekly", *today, "-f", "markdown").stdout
    assert "1 skipped" in md
    wide = cli(*m, "weekly", *today, "--wide").stdout
    assert "1 skipped" in wide
    doc = json.loads(cli(*m, "weekly", *today, "-f", "json").stdout)
    (rep,) = doc["reps"]
    assert rep["skipped_count"] == 1
    assert rep["skipped"][0]["account"] == "ACME" and rep["skipped"][0]["due"] == "2026-10-20"
    assert [i["account"] for i in rep["items"]] == ["BOLT"]
    cap = json.loads(cli(*m, "capacity", *today, "-f", "json").stdout)
    assert cap["reps"][0]["skipped"] == 1 and cap["total"]["skipped"] == 1
    assert "skip 1 activity that waited more than an interval" in cli(*m, "capacity", *today).stdout
    rep_doc = json.loads(
        cli(
            *m, "report", "coverage", "--period", "2026-10", "--today", "2026-12-05", "-f", "json"
        ).stdout
    )
    assert rep_doc["sections"]["coverage"]["totals"]["skipped"] >= 1


def test_account_show_gives_the_cycle_the_weekly_list_plans(skipping_db, cli):
    """ACME's call (due 20 Oct) was skipped on Monday 23 Nov: account show says the next
    cycle, 20 Dec, as the list does."""
    m = ("--method", str(skipping_db))
    doc = json.loads(
        cli(*m, "account", "show", "ACME", "--today", "2026-11-25", "-f", "json").stdout
    )
    (call,) = [d for d in doc["schedule"] if d["kind"] == "call"]
    assert call["next_due"] == "2026-12-20" and call["status"] == "ok"


# --------------------------------------------------------------------------- yielding


def test_the_categories_beyond_what_the_capacity_covers_yield_and_a_never_does():
    from khm.core.capacity import yielding

    loads = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0}
    assert yielding(loads, 10) == frozenset()  # the cadence fits: nothing yields
    assert yielding(loads, 9.5) == {"D"}
    assert yielding(loads, 8) == {"C", "D"}  # A+B fit, C overflows
    assert yielding(loads, 7) == {"C", "D"}  # exactly full: B still fits
    assert yielding(loads, 3) == {"B", "C", "D"}  # short even for A: A still waits
    assert yielding(loads, 0) == {"B", "C", "D"}
    assert yielding({"A": 1.0, "D": 5.0}, 2) == {"D"}  # an empty category fits
    assert yielding({"A": 1.0, "B": 5.0, "D": 0.0}, 2) == {"B", "C", "D"}  # below one that yields


@given(
    st.dictionaries(st.sampled_from("ABCD"), st.floats(0, 50)),
    st.floats(0, 60),
    st.floats(0, 60),
)
def test_more_capacity_never_makes_more_categories_yield(loads, cap1, cap2):
    from khm.core.capacity import yielding

    lo, hi = sorted((cap1, cap2))
    assert yielding(loads, hi) <= yielding(loads, lo)
    assert "A" not in yielding(loads, lo)
    got = sorted(yielding(loads, lo))  # a suffix of B, C, D
    assert got == list("BCD")[len("BCD") - len(got) :]


def _short_book(n: int = 10):
    """A rep of capacity 3 with n A and n D accounts on a monthly call each: A asks about
    2.3 a week and fits, A and D together about 4.6: D yields. D00's call was due 13 Nov,
    A00's 3 Nov; the others were called on 20 Nov."""
    accounts = [acc(f"A{i:02d}", "A") for i in range(n)] + [acc(f"D{i:02d}", "D") for i in range(n)]
    touches = {a.key: {"call": date(2026, 11, 20)} for a in accounts}
    touches["D00"] = {"call": date(2026, 10, 13)}
    touches["A00"] = {"call": date(2026, 10, 3)}
    return accounts, touches


def test_under_protect_work_of_a_yielding_category_waits_a_week_then_is_skipped():
    from khm.core.capacity import rep_yields

    accounts, touches = _short_book()
    week = {"accounts": accounts, "last_touches": touches, "monday": MON, "today": MON}
    reps = [PlanRep("ola", capacity=3)]
    got = plan_week(**week, reps=reps, method=small("protect")).rep("ola")
    (s,) = got.skipped
    assert (s.account, s.due, s.category) == ("D00", date(2026, 11, 13), "D")
    assert s.reason.startswith("D yields on a short list: waited more than 7 days since 2026-11-13")
    assert "next due 2026-12-20" in s.reason  # one interval after the last day, 20 Nov
    # A waits its interval: 20 days late, still on the list
    assert [i.account for i in got.items] == ["A00"]
    # the same book under spread: nothing yields, D00 is on the list, nothing skipped
    spread = plan_week(**week, reps=reps, method=small("spread")).rep("ola")
    assert spread.skipped == () and {i.account for i in spread.items} == {"A00", "D00"}
    # a rep with the time for the whole cadence: nothing yields under protect either
    roomy = plan_week(**week, reps=[PlanRep("ola", capacity=5)], method=small("protect"))
    assert roomy.rep("ola").skipped == ()
    assert rep_yields(small("protect"), [], {"ola": 3}, year=2026) == {}
    # the week before, D00 was a day from its wait: listed
    before = plan_week(
        **{**week, "monday": MON - timedelta(days=7), "today": MON - timedelta(days=7)},
        reps=reps,
        method=small("protect"),
    ).rep("ola")
    assert "D00" in {i.account for i in before.items} and before.skipped == ()


def test_weekly_capacity_and_account_show_agree_on_yielding_work(store, tmp_path, cli):
    """Through the CLI: khm capacity names the yielding categories, the weekly list skips
    D00's call after a week and account show gives its next cycle, as the list does."""
    from datetime import datetime

    from khm.store.models import Account, Rep, Touch

    accounts, touches = _short_book()
    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola", capacity=3))
        s.flush()
        for a in accounts:
            row = Account(
                key=a.key,
                name=a.key,
                type="expand",
                category=a.category,
                owner="ola",
                tagged_at=datetime(2025, 1, 5),
            )
            s.add(row)
            s.flush()
            s.add(Touch(account_id=row.id, rep="ola", kind="call", date=touches[a.key]["call"]))
    method = tmp_path / "method.toml"
    method.write_text(
        '[activities.call]\nmode = "human"\n'
        + "".join(f'[cadence.expand.{c}]\ncall = "1m"\n' for c in "ABCD")
        + '[calendar]\nholidays = "none"\nno_human_periods = []\n',
        encoding="utf-8",
    )
    m = ("--method", str(method))
    today = ("--today", "2026-11-23")
    doc = json.loads(cli(*m, "weekly", *today, "-f", "json").stdout)
    (rep,) = doc["reps"]
    assert [(i["account"], i["due"]) for i in rep["skipped"]] == [("D00", "2026-11-13")]
    assert "A00" in [i["account"] for i in rep["items"]]
    cap = json.loads(cli(*m, "capacity", *today, "-f", "json").stdout)
    assert cap["reps"][0]["yielding"] == ["D"]  # B and C ask nothing: they fit
    text = cli(*m, "capacity", *today).stdout
    assert "these categories yield" in text and "ola D." in text
    show = json.loads(cli(*m, "account", "show", "D00", *today, "-f", "json").stdout)
    (call,) = [d for d in show["schedule"] if d["kind"] == "call"]
    assert call["next_due"] == "2026-12-20" and call["status"] == "ok"
    a00 = json.loads(cli(*m, "account", "show", "A00", *today, "-f", "json").stdout)
    (call,) = [d for d in a00["schedule"] if d["kind"] == "call"]
    assert call["next_due"] == "2026-11-03" and call["status"] == "overdue"


def test_yielding_work_waits_a_week_of_calendar_days_through_a_no_human_period():
    """A no-human period stops the waiting clock of work that does not yield (July does
    not eat its interval) but not of yielding work: July has no room for it."""
    cal = M.calendar  # July and 20 Dec - 6 Jan
    iv = Interval.parse("6m")
    assert skip_after(date(2027, 6, 28), iv, cal, True, 7) == date(2027, 7, 5)
    assert skip_after(date(2027, 6, 28), iv, cal, True) > date(2027, 12, 28)
    # the cycle dropped in the week of 5 Jul is due again one interval after 5 Jul
    due, dropped = replan(date(2027, 6, 28), iv, cal, True, date(2027, 7, 12), 7)
    assert dropped == date(2027, 6, 28) and due == skip_after(date(2027, 7, 5), iv, cal, True)
