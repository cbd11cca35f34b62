"""Property tests of the planner over random books, touches and weeks (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _waits import waits
from khm.core.due import due_for
from khm.core.planner import PlanAccount, PlanItem, PlanRep, WeeklyPlan, plan_week
from khm.method import default_method, parse_method

M = default_method()
KINDS = list(M.activities)
# the default method without no-human periods and holidays: for the simulation below
OPEN = parse_method(
    __import__("khm.method", fromlist=["DEFAULT_METHOD_TOML"])
    .DEFAULT_METHOD_TOML.replace('holidays = "account"', 'holidays = "none"')
    .replace(
        'no_human_periods = [\n  { name = "Summer", from = "07-01", to = "07-31" },\n'
        '  { name = "Christmas", from = "12-20", to = "01-06" },\n]',
        "no_human_periods = []",
    )
)
assert OPEN.calendar.no_human_periods == []

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def books(draw, max_accounts: int = 8):
    n = draw(st.integers(1, max_accounts))
    accounts, touches = [], {}
    for i in range(n):
        key = f"K{i:02d}"
        anchor = draw(st.dates(date(2025, 1, 1), date(2026, 12, 1)))
        accounts.append(
            PlanAccount(
                key=key,
                name=key,
                type=draw(st.sampled_from(["expand", "keep"])),
                category=draw(st.sampled_from("ABCD")),
                owner="ola",
                country=draw(st.sampled_from([None, "NO", "SE", "DK", "FI"])),
                anchor=anchor,
            )
        )
        touched = draw(st.dictionaries(st.sampled_from(KINDS), st.dates(anchor, date(2027, 3, 1))))
        touches[key] = touched
    capacity = draw(st.sampled_from([0, 1, 2, 3, 4, 6, 12]))
    return accounts, touches, capacity


mondays = st.dates(date(2025, 6, 1), date(2027, 2, 1)).map(
    lambda d: d - timedelta(days=d.weekday())
)


def run(accounts, touches, capacity, monday, today=None, method=M) -> WeeklyPlan:
    return plan_week(
        accounts=accounts,
        last_touches=touches,
        reps=[PlanRep("ola", capacity=capacity)],
        method=method,
        monday=monday,
        today=today or monday,
    )


def placed(rep) -> dict[tuple[str, str], str]:
    """(account, kind) -> where it went: listed / carried / paused / counted as campaign
    work (covered kinds too)."""
    out = {}
    for where, items in (
        ("listed", rep.items),
        ("carried", rep.carried),
        ("paused", rep.paused),
        ("campaign", rep.campaign_items),
    ):
        for it in items:
            for kind in (it.kind, *it.covers):
                assert (it.account, kind) not in out, "an activity placed twice"
                out[(it.account, kind)] = where
    return out


@SETTINGS
@given(books(), mondays, st.integers(0, 6))
def test_nothing_due_is_lost_each_week(book, monday, today_offset):
    """Every activity due by Sunday is listed, carried or paused (by the calendar), exactly
    once; nothing else is."""
    accounts, touches, capacity = book
    sunday = monday + timedelta(days=6)
    rep = run(accounts, touches, capacity, monday, monday + timedelta(days=today_offset)).rep("ola")
    where = placed(rep)
    expected = set()
    items = {
        (i.account, i.kind): i for i in (*rep.items, *rep.carried, *rep.paused, *rep.campaign_items)
    }
    wait = waits(accounts, capacity, M, monday)
    for a in accounts:
        last = {k: d for k, d in touches[a.key].items() if d <= sunday}
        for kind, iv in M.cadence_for(a.type, a.category).items():
            d = due_for(
                kind,
                iv,
                account_key=a.key,
                anchor=a.anchor,
                last_by_kind=last,
                method=M,
                monday=monday,  # the cycle the week plans (a skipped one is not due)
                wait=wait(a),
            )
            if d.due <= sunday:
                expected.add((a.key, kind))
                it = items.get((a.key, kind))
                if it is not None and it.interval is not None:
                    assert (it.due, it.last_touch) == (d.due, d.last_touch)
    assert expected <= set(where)
    extra = set(where) - expected
    assert all(any(t for t in _item(rep, k).triggers) for k in extra)  # only trigger items
    for it in rep.paused:
        assert it.human
    for it in rep.carried:
        assert it.human


def _item(rep, key_kind) -> PlanItem:
    for it in (*rep.items, *rep.carried, *rep.paused, *rep.campaign_items):
        if (it.account, it.kind) == key_kind or (
            it.account == key_kind[0] and key_kind[1] in it.covers
        ):
            return it
    raise AssertionError(key_kind)


@SETTINGS
@given(books(), mondays)
def test_capacity_is_held(book, monday):
    accounts, touches, capacity = book
    rep = run(accounts, touches, capacity, monday).rep("ola")
    human = [i for i in rep.items if i.human]
    assert rep.capacity <= capacity
    if any(i.oversize for i in human):
        assert len(human) == 1 and human[0].effort > capacity
    else:
        assert rep.human_planned <= rep.capacity + 1e-9


@SETTINGS
@given(books(), mondays)
def test_no_item_for_an_activity_logged_after_its_due_date(book, monday):
    accounts, touches, capacity = book
    sunday = monday + timedelta(days=6)
    rep = run(accounts, touches, capacity, monday).rep("ola")
    for it in (*rep.items, *rep.carried, *rep.paused, *rep.campaign_items):
        if it.interval is None:
            continue  # trigger-only item
        for kind in (it.kind,):
            for k in M.covering(kind):
                d = touches[it.account].get(k)
                if d is not None and d <= sunday:
                    assert d < it.due or d == it.last_touch, (it, k, d)
                    assert it.last_touch is not None and d <= it.last_touch


@SETTINGS
@given(books(), mondays, st.integers(0, 6), st.randoms(use_true_random=False))
def test_the_plan_is_deterministic_and_ignores_input_order(book, monday, off, rnd):
    accounts, touches, capacity = book
    today = monday + timedelta(days=off)
    one = run(accounts, touches, capacity, monday, today)
    shuffled = accounts[:]
    rnd.shuffle(shuffled)
    assert run(shuffled, dict(reversed(list(touches.items()))), capacity, monday, today) == one


SPREAD = M.model_copy(update={"capacity": M.capacity.model_copy(update={"overload": "spread"})})


@SETTINGS
@given(books(), mondays, st.integers(0, 6), st.sampled_from([M, SPREAD]))
def test_the_list_is_ordered_by_the_stated_priority(book, monday, off, method):
    """Status, then (protect) category and lateness or (spread) lateness and category."""
    accounts, touches, capacity = book
    rep = run(accounts, touches, capacity, monday, monday + timedelta(days=off), method).rep("ola")
    rank = {"overdue": 0, "trigger": 1, "due": 1}
    protect = method.capacity.overload == "protect"
    keys = [
        (
            rank[i.status],
            i.category if protect else -i.lateness,
            -i.lateness if protect else i.category,
            0 if i.type == "expand" else 1,
            i.account,
            i.kind,
        )
        for i in rep.items
    ]
    assert keys == sorted(keys)
    for i in rep.items:
        if i.status == "overdue":
            assert i.days_overdue > 0
        else:
            assert i.days_overdue == 0


SPREAD = parse_method(
    __import__("khm.method", fromlist=["DEFAULT_METHOD_TOML"]).DEFAULT_METHOD_TOML.replace(
        'overload = "protect"', 'overload = "spread"'
    )
)
assert M.capacity.overload == "protect" and SPREAD.capacity.overload == "spread"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_accounts=8), mondays, st.integers(0, 6), st.integers(0, 6), st.booleans())
def test_carried_items_come_first_next_week(book, monday, off1, off2, protect):
    """A carried item that is still due next week and not listed there did not fit even
    among the work selected before it (docs/weekly.md, Capacity). Under `spread` that is
    the earlier work: no item new that week took its place. Under `protect` it is the work
    of a higher category, then its own category's earlier work: no new item of its
    category or a lower one took its place."""
    method = M if protect else SPREAD
    accounts, touches, capacity = book
    week1 = run(accounts, touches, capacity, monday, monday + timedelta(days=off1), method).rep(
        "ola"
    )
    monday2 = monday + timedelta(days=7)
    week2 = run(accounts, touches, capacity, monday2, monday2 + timedelta(days=off2), method).rep(
        "ola"
    )
    listed2 = {(i.account, i.kind) for i in week2.items}
    for c in week1.carried:
        if (c.account, c.kind) in listed2:
            continue
        still = [i for i in week2.carried if (i.account, i.kind) == (c.account, c.kind)]
        if not still or still[0].due != c.due:
            continue  # merged, paused by a holiday, or a new instance after a touch
        assert still[0].backlog
        ahead = sum(
            i.effort
            for i in week2.items
            if i.human
            and (
                i.backlog
                if not protect
                else i.category < c.category or (i.category == c.category and i.backlog)
            )
        )
        assert ahead + still[0].effort > week2.capacity - 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_accounts=5), st.dates(date(2026, 1, 5), date(2026, 6, 1)))
def test_every_carried_item_is_listed_later_when_the_rep_does_the_work(book, start):
    """Simulate 40 weeks in which the rep does everything listed on its suggested day: an
    item carried in week W is listed in a later week (nothing is lost)."""
    accounts, touches, _ = book
    touches = {k: dict(v) for k, v in touches.items()}
    for v in touches.values():  # the story starts now: no touches from the future
        for kind in [k for k, d in v.items() if d >= start]:
            del v[kind]
    monday = start - timedelta(days=start.weekday())
    waiting: dict[tuple[str, str], int] = {}  # carried item -> first week carried
    for week in range(40):
        rep = run(accounts, touches, 6, monday, method=OPEN).rep("ola")
        for it in rep.items:
            touches[it.account][it.kind] = it.day or monday  # done (covers follow)
        waiting = {(i.account, i.kind): waiting.get((i.account, i.kind), week) for i in rep.carried}
        longest = max((week - w for w in waiting.values()), default=0)
        assert longest <= 20, waiting
        monday += timedelta(days=7)


INTERVALS = ["1d", "10d", "2w", "3w", "1m", "2m", "quarterly", "6m", "yearly", "13m"]


@st.composite
def methods(draw):
    """The default method with a random cadence (kinds and intervals per type/category),
    a random grace rule, and no triggers (trigger items are not cadence due dates)."""
    from khm.method import GraceRule, Interval

    cadence = {
        t: {
            c: {
                k: Interval.parse(draw(st.sampled_from(INTERVALS)))
                for k in draw(st.lists(st.sampled_from(KINDS), unique=True, max_size=4))
            }
            for c in "ABCD"
        }
        for t in ("expand", "keep")
    }
    grace = GraceRule(
        fraction=draw(st.sampled_from([0, 0.1, 0.25, 0.5, 1])),
        minimum=Interval.parse(draw(st.sampled_from(["1d", "3d", "1w", "2w"]))),
    )
    base = draw(st.sampled_from([M, OPEN]))
    return base.model_copy(update={"cadence": cadence, "grace": grace, "triggers": []})


def _touch_due_on(interval, target: date) -> date:
    """The latest touch whose next due date (``interval`` later) is on or before ``target``."""
    t = target - timedelta(days=round(interval.days) + 3)
    while interval.add_to(t + timedelta(days=1)) <= target:
        t += timedelta(days=1)
    return t


@st.composite
def books_near(draw, method, monday: date, ref: date, max_accounts: int = 6):
    """Books whose touches fall due near the week's edges and the end of a grace period
    on ``ref``; anchors anywhere in the two years before."""
    sunday = monday + timedelta(days=6)
    accounts, touches = [], {}
    for i in range(draw(st.integers(1, max_accounts))):
        key = f"K{i:02d}"
        acc = PlanAccount(
            key=key,
            name=key,
            type=draw(st.sampled_from(["expand", "keep"])),
            category=draw(st.sampled_from("ABCD")),
            owner="ola",
            country=draw(st.sampled_from([None, "NO", "SE"])),
            anchor=draw(st.dates(sunday - timedelta(days=800), sunday + timedelta(days=10))),
        )
        accounts.append(acc)
        touched = {}
        for kind, iv in method.cadence_for(acc.type, acc.category).items():
            how = draw(st.sampled_from(["never", "near_ref", "near_week", "after", "any"]))
            grace = method.grace.grace_days(iv)
            if how == "near_ref":
                touched[kind] = _touch_due_on(
                    iv, ref - timedelta(days=grace + draw(st.integers(-2, 2)))
                )
            elif how == "near_week":
                edge = draw(st.sampled_from([monday, sunday]))
                touched[kind] = _touch_due_on(iv, edge + timedelta(days=draw(st.integers(-2, 2))))
            elif how == "after":
                touched[kind] = sunday + timedelta(days=draw(st.integers(1, 30)))
            elif how == "any":
                touched[kind] = draw(st.dates(sunday - timedelta(days=800), sunday))
        touches[key] = touched
    return accounts, touches, draw(st.sampled_from([0, 2, 6, 12]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), methods(), mondays, st.integers(0, 6))
def test_the_planners_fast_path_lists_exactly_what_core_due_says_is_due(
    data, method, monday, today_offset
):
    """plan_week (cutoffs, memoised due dates, inlined first dates) against the plain
    definition, :func:`khm.core.due.schedule`: the same activities are due by Sunday,
    with the same due date, last touch, status, days overdue, lateness and backlog."""
    from khm.core.due import schedule

    today = monday + timedelta(days=today_offset)
    accounts, touches, capacity = data.draw(books_near(method, monday, today))
    sunday = monday + timedelta(days=6)
    plan = run(accounts, touches, capacity, monday, today, method=method)
    rep = plan.rep("ola")
    where = placed(rep)
    wait = waits(accounts, capacity, method, monday)
    for acc in accounts:
        seen = {k: d for k, d in touches[acc.key].items() if d <= sunday}
        want = {
            d.kind: d
            for d in schedule(
                account_key=acc.key,
                account_type=acc.type,
                category=acc.category,
                anchor=acc.anchor,
                last_by_kind=seen,
                method=method,
                monday=monday,
                wait=wait(acc),
            )
            if d.due <= sunday
        }
        got = {kind for (key, kind) in where if key == acc.key}
        assert got == set(want), acc.key
    for item in (*rep.items, *rep.carried, *rep.paused, *rep.campaign_items):
        d = want_for(item, accounts, touches, method, sunday, wait=wait)
        assert item.due == d.due
        assert item.last_touch == d.last_touch
        assert item.status == ("overdue" if d.is_overdue_on(plan.ref) else "due")
        assert item.days_overdue == (d.days_late(plan.ref) if item.status == "overdue" else 0)
        assert item.lateness == d.lateness(plan.ref)
        # a covered kind folded into the item: the item was due before the week when
        # any of its kinds was
        assert item.backlog == any(
            want_for(item, accounts, touches, method, sunday, k, wait).due < monday
            for k in (item.kind, *item.covers)
        )
        assert item.interval == str(d.interval)
    # the skipped items are the cycles core.due says the week dropped
    dropped = {
        (acc.key, d.kind): d.skipped
        for acc in accounts
        for d in schedule(
            account_key=acc.key,
            account_type=acc.type,
            category=acc.category,
            anchor=acc.anchor,
            last_by_kind={k: t for k, t in touches[acc.key].items() if t <= sunday},
            method=method,
            monday=monday,
            wait=wait(acc),
        )
        if d.skipped is not None
    }
    assert {(i.account, i.kind): i.due for i in rep.skipped} == dropped


def want_for(item, accounts, touches, method, sunday, kind=None, wait=None):
    """The definition's Due for the item's kind (or ``kind``) of its account, for the
    cycle the week plans (:func:`khm.core.due.replan`; ``wait``: account -> the days its
    work may wait, tests/_waits.py)."""
    acc = next(a for a in accounts if a.key == item.account)
    kind = kind or item.kind
    return due_for(
        kind,
        method.cadence_for(acc.type, acc.category)[kind],
        account_key=acc.key,
        anchor=acc.anchor,
        last_by_kind={k: d for k, d in touches[acc.key].items() if d <= sunday},
        method=method,
        monday=sunday - timedelta(days=6),
        wait=wait(acc) if wait else None,
    )


@SETTINGS
@given(
    st.sampled_from(["1d", "10d", "2w", "1m", "2m", "quarterly", "6m", "yearly", "13m"]),
    st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    st.integers(min_value=-800, max_value=60),
)
def test_a_last_touch_is_due_by_sunday_exactly_when_on_or_before_the_cutoff(iv, sunday, offset):
    from khm.core.planner import cutoff
    from khm.method import Interval

    interval = Interval.parse(iv)
    cut = cutoff(interval, sunday)
    assert interval.add_to(cut) <= sunday < interval.add_to(cut + timedelta(days=1))
    last = cut + timedelta(days=offset)
    assert (interval.add_to(last) <= sunday) == (last <= cut)


# the default method with no kind marked as a campaign
NO_CAMPAIGNS = parse_method(
    __import__("khm.method", fromlist=["DEFAULT_METHOD_TOML"]).DEFAULT_METHOD_TOML.replace(
        "campaign = true\n", ""
    )
)
assert M.campaign_kinds == ("newsletter", "webinar") and NO_CAMPAIGNS.campaign_kinds == ()


@SETTINGS
@given(books(), mondays, st.integers(0, 6))
def test_campaign_items_and_listed_items_are_what_the_list_holds_without_campaigns(
    book, monday, offset
):
    """Marking kinds as campaigns moves their items from the list to the counts: the
    listed items plus the campaign items are exactly what the planner lists without the
    flag (nothing lost, nothing doubled), the human work is untouched, and the counts per
    kind are those items."""
    accounts, touches, capacity = book
    today = monday + timedelta(days=offset)
    flagged = run(accounts, touches, capacity, monday, today).rep("ola")
    plain = run(accounts, touches, capacity, monday, today, method=NO_CAMPAIGNS).rep("ola")
    kinds = set(M.campaign_kinds)
    assert not any(i.kind in kinds for i in flagged.items)
    assert all(i.kind in kinds for i in flagged.campaign_items)
    both = [*flagged.items, *flagged.campaign_items]
    assert len(both) == len(plain.items)
    assert sorted(both, key=PlanItem.sort_key) == sorted(plain.items, key=PlanItem.sort_key)
    assert flagged.items == tuple(i for i in plain.items if i.kind not in kinds)
    assert (flagged.carried, flagged.paused) == (plain.carried, plain.paused)
    assert plain.campaigns == ()
    assert [c.kind for c in flagged.campaigns] == list(M.campaign_kinds)
    for c in flagged.campaigns:
        mine = [i for i in plain.items if i.kind == c.kind]
        assert c.due == len(mine)
        assert c.overdue == sum(1 for i in mine if i.status == "overdue")
