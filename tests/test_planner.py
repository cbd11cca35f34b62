"""The planner core and the triggers, through plain data (no database)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from khm.core.fieldhistory import FieldChange
from khm.core.planner import PlanAccount, PlanItem, PlanRep, plan_week
from khm.core.triggers import TRIGGERS, TagEvent, format_reason
from khm.method import Method, default_method, parse_method

M = default_method()
MON = date(2026, 11, 23)  # 2026-W48
SUN = MON + timedelta(days=6)


def acc(key="ACME", typ="expand", cat="A", owner="ola", country=None, anchor=date(2026, 1, 5)):
    return PlanAccount(
        key=key,
        name=key.title(),
        type=typ,
        category=cat,
        owner=owner,
        country=country,
        anchor=anchor,
    )


def plan(accounts, touches=None, *, method=M, monday=MON, today=None, reps=None, events=None):
    return plan_week(
        accounts=accounts,
        last_touches=touches or {},
        tag_events=events or {},
        reps=reps or [PlanRep("ola", "Ola", capacity=12)],
        method=method,
        monday=monday,
        today=today or monday,
    )


def kinds(rep_plan) -> list[str]:
    return [f"{i.account}:{i.kind}" for i in rep_plan.items]


def small_method(extra: str = "", cadence: str = 'visit = "8w"\ncall = "4w"') -> Method:
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
[cadence.expand.A]
{cadence}
[cadence.keep.A]
call = "4w"
[calendar]
holidays = "none"
no_human_periods = []
{extra}
"""
    )


# --------------------------------------------------------------------------- due / status


def test_an_activity_due_by_sunday_is_listed_and_one_due_after_is_not():
    m = small_method()
    touches = {"ACME": {"visit": date(2026, 9, 28), "call": date(2026, 10, 26)}}
    # visit due 11-23 (in the week), call due 11-23 too but covered by the visit
    p = plan([acc()], touches, method=m).rep("ola")
    assert kinds(p) == ["ACME:visit"]
    assert p.items[0].covers == ("call",)
    later = {"ACME": {"visit": date(2026, 10, 5), "call": date(2026, 11, 2)}}  # due 11-30
    assert plan([acc()], later, method=m).rep("ola").items == ()


def test_touches_after_the_weeks_sunday_do_not_count():
    m = small_method(cadence='call = "4w"')
    # the only call is dated after Sunday: for this week the call was never done
    touches = {"ACME": {"call": SUN + timedelta(days=1)}}
    # tagged 27 days before Monday: the first call is due by Sunday and has not yet
    # waited a whole interval (khm.core.due.replan)
    recently = acc(anchor=MON - timedelta(days=27))
    (item,) = plan([recently], touches, method=m).rep("ola").items
    assert item.kind == "call" and item.last_touch is None
    recent = {"ACME": {"call": date(2026, 11, 20)}}
    assert plan([acc()], recent, method=m).rep("ola").items == ()


def test_overdue_is_judged_on_today_inside_the_week_else_on_monday():
    m = small_method(cadence='call = "4w"')
    # due 11-18, grace 7 days: overdue from 11-26 (Thursday)
    touches = {"ACME": {"call": date(2026, 10, 21)}}
    monday = plan([acc()], touches, method=m, today=MON).rep("ola").items[0]
    assert (monday.status, monday.days_overdue) == ("due", 0)
    thursday = plan([acc()], touches, method=m, today=date(2026, 11, 26)).rep("ola").items[0]
    assert (thursday.status, thursday.days_overdue) == ("overdue", 8)
    # planning a future week from today: judged on that week's Monday
    ahead = plan([acc()], touches, method=m, monday=MON + timedelta(days=7), today=MON)
    assert ahead.rep("ola").items[0].status == "overdue"


def test_the_visit_covers_the_call_when_both_are_due():
    m = small_method()
    touches = {"ACME": {"visit": date(2026, 9, 1), "call": date(2026, 10, 1)}}
    (item,) = plan([acc()], touches, method=m).rep("ola").items
    assert item.kind == "visit" and item.covers == ("call",)
    assert "also covers call" in item.reason
    assert item.effort == 3  # the rep does not do both


def test_a_call_alone_is_listed_when_the_visit_is_not_due():
    m = small_method()
    touches = {"ACME": {"visit": date(2026, 11, 5), "call": date(2026, 10, 1)}}
    p = plan([acc()], touches, method=m).rep("ola")
    assert kinds(p) == []  # the visit on 11-05 reset the call too (covers)
    touches = {"ACME": {"visit": date(2026, 10, 10), "call": date(2026, 10, 2)}}
    assert kinds(plan([acc()], touches, method=m).rep("ola")) == ["ACME:call"]


def test_never_touched_kinds_are_spread_over_one_interval_from_the_anchor():
    m = small_method(cadence='call = "4w"')
    anchor = MON - timedelta(days=3)
    accounts = [acc(key=f"K{i:03d}", anchor=anchor) for i in range(200)]
    p = plan(accounts, method=m)
    listed = len(p.rep("ola").items) + p.rep("ola").carried_over
    # first due dates spread over 28 days from the anchor: about 10/28 are due by Sunday
    assert 30 < listed < 110


# --------------------------------------------------------------------------- priority


def test_items_follow_the_stated_priority():
    m = small_method(
        cadence='call = "4w"\nemail = "2w"',
    )
    accounts = [
        acc("B-KEEP", "keep", "A"),
        acc("A-EXP", "expand", "A"),
        acc("Z-LATE", "expand", "A"),
    ]
    touches = {
        "B-KEEP": {"call": date(2026, 10, 20)},  # due 11-17: 6 days late on Monday, ratio .21
        "A-EXP": {"call": date(2026, 10, 20), "email": date(2026, 11, 9)},  # email due 11-23
        "Z-LATE": {"call": date(2026, 10, 5), "email": date(2026, 11, 12)},  # call overdue
    }
    p = plan(accounts, touches, method=m).rep("ola")
    assert kinds(p) == ["Z-LATE:call", "A-EXP:call", "B-KEEP:call", "A-EXP:email", "Z-LATE:email"]
    assert [i.status for i in p.items][:1] == ["overdue"]
    keys = [i.sort_key() for i in p.items]
    assert keys == sorted(keys)


def test_the_plan_does_not_depend_on_input_order():
    accounts = [acc(f"K{i}", random.choice(["expand", "keep"]), "ABCD"[i % 4]) for i in range(30)]
    touches = {
        a.key: {"call": date(2026, 8, 1) + timedelta(days=i)} for i, a in enumerate(accounts)
    }
    one = plan(accounts, touches)
    shuffled = accounts[:]
    random.Random(7).shuffle(shuffled)
    assert plan(shuffled, touches) == one


# --------------------------------------------------------------------------- capacity


def test_human_work_fills_capacity_and_the_rest_is_carried():
    m = small_method(cadence='call = "4w"')
    accounts = [acc(f"K{i}") for i in range(6)]
    touches = {a.key: {"call": date(2026, 10, 1)} for a in accounts}
    p = plan(accounts, touches, method=m, reps=[PlanRep("ola", capacity=4)]).rep("ola")
    assert (len(p.items), p.carried_over, p.carried_effort, p.human_planned) == (4, 2, 2, 4)
    assert [i.account for i in p.carried] == ["K4", "K5"]


def test_a_smaller_item_fills_the_gap_a_big_one_leaves():
    m2 = small_method(cadence='visit = "8w"')
    accounts = [acc("A1"), acc("A2"), acc("K1", "keep")]
    touches = {
        "A1": {"visit": date(2026, 9, 1)},
        "A2": {"visit": date(2026, 9, 2)},
        "K1": {"call": date(2026, 10, 1)},
    }
    p = plan(accounts, touches, method=m2, reps=[PlanRep("ola", capacity=4)]).rep("ola")
    assert kinds(p) == ["K1:call", "A1:visit"]  # A2's visit (3) does not fit in the 0 left
    assert p.carried_over == 1 and p.human_planned == 4


def test_an_item_heavier_than_the_whole_capacity_is_listed_alone_not_stuck():
    m = small_method(cadence='visit = "8w"')
    touches = {"ACME": {"visit": date(2026, 9, 1)}, "BOLT": {"call": date(2026, 11, 1)}}
    accounts = [acc("ACME"), acc("BOLT", "keep")]
    p = plan(accounts, touches, method=m, reps=[PlanRep("ola", capacity=2)]).rep("ola")
    assert kinds(p) == ["ACME:visit"]
    assert p.items[0].oversize
    assert p.carried_over == 1


def test_a_rep_with_no_capacity_gets_digital_work_only():
    m = small_method(cadence='call = "4w"\nemail = "2w"')
    touches = {"ACME": {"call": date(2026, 10, 1), "email": date(2026, 11, 1)}}
    p = plan([acc()], touches, method=m, reps=[PlanRep("ola", capacity=0)]).rep("ola")
    assert kinds(p) == ["ACME:email"]
    assert p.carried_over == 1


def test_work_due_before_the_week_gets_capacity_before_new_work():
    m = small_method()
    friday = MON + timedelta(days=4)
    # OLD's visit was due last Friday (11-20): 7 days late on Friday, ratio 7/56 = .125.
    # NEW's call is due this Monday (11-23): 4 days late on Friday, ratio 4/28 = .14.
    # The priority lists NEW first, but OLD was already waiting: it gets the capacity.
    accounts = [acc("NEW", "keep", "A"), acc("OLD", "expand", "A")]
    touches = {
        "NEW": {"call": date(2026, 10, 26)},
        "OLD": {"visit": date(2026, 9, 25), "call": date(2026, 11, 20)},
    }
    p = plan(accounts, touches, method=m, today=friday, reps=[PlanRep("ola", capacity=3)])
    r = p.rep("ola")
    assert kinds(r) == ["OLD:visit"]
    assert [f"{i.account}:{i.kind}" for i in r.carried] == ["NEW:call"]
    assert r.items[0].backlog and not r.carried[0].backlog
    assert r.carried[0].sort_key() < r.items[0].sort_key()  # NEW ranks higher, OLD waited


def test_partial_weeks_scale_capacity_by_open_weekdays():
    # 2027-W01: Mon 4 Jan .. Fri 8 Jan; the Christmas period runs to 01-06: 2 days open
    p = plan([acc()], {}, monday=date(2027, 1, 4), reps=[PlanRep("ola", capacity=12)])
    r = p.rep("ola")
    assert r.open_days == 2 and r.capacity == pytest.approx(4.8)


def calls_with_account_holidays() -> Method:
    """A call every 4 weeks for expand/A; public holidays of each account's country."""
    return parse_method(
        """
[activities.call]
mode = "human"
[cadence.expand.A]
call = "4w"
[calendar]
holidays = "account"
no_human_periods = []
"""
    )


def test_public_holidays_of_the_accounts_country_keep_human_items_off_those_days():
    m = calls_with_account_holidays()
    # 2026-W21: Monday 25 May 2026 is Whit Monday in Norway, not in the UK? (both: NO yes)
    monday = date(2026, 5, 25)
    touches = {"OSLO": {"call": date(2026, 4, 27)}}  # due Monday
    p = plan([acc("OSLO", country="NO")], touches, method=m, monday=monday).rep("ola")
    assert kinds(p) == ["OSLO:call"]
    assert p.items[0].day == date(2026, 5, 26)  # not the holiday
    assert p.open_days == 4


def test_capacity_follows_the_home_country_of_the_reps_accounts_not_of_this_weeks_items():
    m = calls_with_account_holidays()
    monday = date(2026, 5, 25)  # Whit Monday: a holiday in Norway, a workday in Sweden
    accounts = [acc("OSLO", country="NO")] + [acc(f"STHLM{i}", country="SE") for i in range(3)]
    touches = {"OSLO": {"call": date(2026, 4, 27)}}  # only OSLO is due this week
    touches |= {f"STHLM{i}": {"call": date(2026, 5, 18)} for i in range(3)}
    p = plan(accounts, touches, method=m, monday=monday).rep("ola")
    assert kinds(p) == ["OSLO:call"]
    assert p.open_days == 5  # three of four accounts are Swedish: a full week
    assert p.capacity == pytest.approx(12)


def test_no_human_period_pauses_human_items_and_they_come_back_after():
    touches = {
        "ACME": {
            "visit": date(2026, 4, 1),
            "review": date(2026, 4, 1),
            "call": date(2026, 6, 1),
            "email": date(2026, 7, 1),
        }
    }
    july = plan([acc()], touches, monday=date(2026, 7, 13)).rep("ola")
    assert all(i.mode == "digital" for i in july.items)
    assert july.paused and july.capacity == 0
    august = plan([acc()], touches, monday=date(2026, 8, 3)).rep("ola")
    visit = next(i for i in august.items if i.kind == "visit")
    assert visit.covers == ("call",) and visit.backlog


# --------------------------------------------------------------------------- unassigned


def test_accounts_that_cannot_be_planned_are_reported_not_dropped():
    accounts = [
        acc("UNTAGGED", typ=None),
        acc("NOOWNER", owner=None),
        acc("GONE", owner="kari"),
        acc("GHOST", owner="nobody"),
        acc("OK"),
    ]
    reps = [PlanRep("ola", capacity=12), PlanRep("kari", capacity=12, active=False)]
    p = plan(accounts, {}, reps=reps)
    problems = {u.key: u.problem for u in p.unassigned}
    assert set(problems) == {"UNTAGGED", "NOOWNER", "GONE", "GHOST"}
    assert "not tagged" in problems["UNTAGGED"]
    assert "no owner" in problems["NOOWNER"]
    assert "inactive" in problems["GONE"]
    assert "not a rep" in problems["GHOST"]
    assert [r.handle for r in p.reps] == ["ola"]


def test_a_monday_is_required():
    with pytest.raises(ValueError):
        plan([acc()], {}, monday=MON + timedelta(days=1))


# --------------------------------------------------------------------------- triggers


def test_every_trigger_kind_of_the_method_file_has_one_function():
    from typing import get_args

    from khm.method import Trigger

    union = get_args(get_args(Trigger)[0])
    kinds_in_model = {get_args(t.model_fields["kind"].annotation)[0] for t in union}
    assert kinds_in_model == set(TRIGGERS)


def test_silence_trigger_adds_an_item_and_merges_with_a_due_call():
    m = small_method(
        cadence='call = "6m"',
        extra='[[triggers]]\nkind = "silence"\ndays = 60\nactivity = "call"\n'
        'reason = "silent {silent_days} days (limit {days})"',
    )
    touches = {"ACME": {"call": date(2026, 9, 1)}}
    (item,) = plan([acc()], touches, method=m).rep("ola").items
    assert (item.kind, item.status, item.triggers) == ("call", "trigger", ("silence",))
    assert item.reason == "silent 89 days (limit 60)"
    # also due by cadence: one item with both reasons
    touches = {"ACME": {"call": date(2026, 5, 20)}}  # due 11-20, not overdue yet
    (item,) = plan([acc()], touches, method=m).rep("ola").items
    assert item.status == "trigger" and len(item.reasons) == 2
    touches = {"ACME": {"call": date(2026, 3, 1)}}  # due 09-01, overdue
    (item,) = plan([acc()], touches, method=m).rep("ola").items
    assert item.status == "overdue" and item.triggers == ("silence",)
    # any touch ends the silence
    touches = {"ACME": {"call": date(2026, 9, 1), "email": date(2026, 11, 1)}}
    assert plan([acc()], touches, method=m).rep("ola").items == ()


TAG_TRIGGERS = """
[[triggers]]
kind = "tag_change"
name = "became expand"
field = "type"
from = "keep"
to = "expand"
activity = "visit"
reason = "Moved {old} → {new}: plan an expansion meeting"

[[triggers]]
kind = "tag_change"
name = "category up"
field = "category"
direction = "up"
activity = "call"
within_days = 14
"""


def test_tag_change_trigger_fires_until_its_activity_is_done():
    m = small_method(cadence='email = "2w"', extra=TAG_TRIGGERS)
    moved = {"ACME": [TagEvent("type", "keep", "expand", date(2026, 11, 10))]}
    touches = {"ACME": {"email": date(2026, 11, 20)}}
    (item,) = plan([acc()], touches, method=m, events=moved).rep("ola").items
    assert (item.kind, item.status) == ("visit", "trigger")
    assert item.reason == "Moved keep → expand: plan an expansion meeting"
    done = {"ACME": {"email": date(2026, 11, 20), "visit": date(2026, 11, 12)}}
    assert plan([acc()], done, method=m, events=moved).rep("ola").items == ()
    # outside the 28-day window: no longer a fresh move
    old = {"ACME": [TagEvent("type", "keep", "expand", date(2026, 10, 1))]}
    assert plan([acc()], touches, method=m, events=old).rep("ola").items == ()


def test_tag_change_direction_and_first_tagging():
    m = small_method(cadence='email = "2w"', extra=TAG_TRIGGERS)
    touches = {"ACME": {"email": date(2026, 11, 20)}}

    def fired(ev):
        return kinds(plan([acc()], touches, method=m, events={"ACME": [ev]}).rep("ola"))

    assert fired(TagEvent("category", "C", "A", date(2026, 11, 20))) == ["ACME:call"]
    assert fired(TagEvent("category", "A", "C", date(2026, 11, 20))) == []  # down
    assert fired(TagEvent("category", None, "A", date(2026, 11, 20))) == []  # first tag
    assert fired(TagEvent("type", "expand", "keep", date(2026, 11, 20))) == []


def test_threshold_and_anniversary_triggers():
    """A threshold fires on a crossing in its history (not on a level), an anniversary
    from the customer's start (not from when the account was created in khm)."""
    m = small_method(
        cadence='email = "2w"',
        extra="""
[[triggers]]
kind = "threshold"
metric = "nps"
below = 7
activity = "call"
reason = "{metric} is {value:g} (was {old:g} until {on})"

[[triggers]]
kind = "anniversary"
every = "1y"
activity = "email"
reason = "a customer since {since} ({since_from})"
""",
    )
    a = PlanAccount(
        "ACME",
        "Acme",
        "expand",
        "A",
        "ola",
        None,
        anchor=date(2026, 6, 1),
        created=date(2026, 6, 1),
        metrics={"nps": 5.0},
        field_changes=(FieldChange("nps", 8.0, 5.0, date(2026, 11, 20)),),
        customer_start=date(2024, 11, 25),
        customer_start_from="customer_since",
    )
    touches = {"ACME": {"email": date(2026, 11, 20)}}
    items = {i.kind: i for i in plan([a], touches, method=m).rep("ola").items}
    assert items["call"].reason == "nps is 5 (was 8 until 2026-11-20)"
    assert items["call"].due == date(2026, 11, 20)
    assert items["email"].triggers == ("anniversary",)
    assert items["email"].status == "trigger"
    assert "a customer since 2024-11-25 (customer_since)" in items["email"].reasons
    calm = {"ACME": {"email": date(2026, 11, 26), "call": date(2026, 11, 20)}}
    assert plan([a], calm, method=m).rep("ola").items == ()
    # a level without a crossing, or an account without a known start: nothing
    level = PlanAccount(
        "LEVEL", "Level", "expand", "A", "ola", None, anchor=date(2025, 11, 25),
        created=date(2025, 11, 25), metrics={"nps": 5.0},
    )  # fmt: skip
    assert plan([level], {"LEVEL": {"email": date(2026, 11, 20)}}, method=m).rep("ola").items == ()


def test_reason_templates_never_crash():
    assert format_reason("{days} days", days=3) == "3 days"
    assert format_reason("{nope} and {days}", days=3) == "{nope} and 3"
    assert format_reason("broken {", days=3) == "broken {"


def test_default_method_plans_a_realistic_book_deterministically():
    rng = random.Random(3)
    accounts = [
        acc(f"K{i:04d}", rng.choice(["expand", "keep"]), rng.choice("ABCD"), country="NO")
        for i in range(300)
    ]
    kinds_ = list(M.activities)
    touches = {
        a.key: {k: date(2026, 1, 1) + timedelta(days=rng.randrange(320)) for k in kinds_[:4]}
        for a in accounts
    }
    one = plan(accounts, touches)
    two = plan(accounts, touches)
    assert one == two
    r = one.rep("ola")
    assert r.human_planned <= r.capacity
    assert all(isinstance(i, PlanItem) for i in r.items)


def test_injected_holiday_dates_give_the_same_plan_as_the_holidays_package():
    from khm.core.calendar import holiday_dates as _holiday_dates

    rng = random.Random(5)
    accounts = [
        acc(f"K{i:03d}", rng.choice(["expand", "keep"]), rng.choice("ABCD"), country=c)
        for i, c in enumerate(["NO", "SE", "DK", "FI", "IS", "EE", None, "DE"] * 5)
    ]
    touches = {
        a.key: {k: date(2026, 1, 1) + timedelta(days=rng.randrange(330)) for k in ("call", "visit")}
        for a in accounts
    }
    for monday in (date(2026, 5, 11), date(2026, 12, 14), date(2027, 1, 4), date(2026, 4, 6)):
        plain = plan(accounts, touches, monday=monday)
        injected = plan_week(
            accounts=accounts,
            last_touches=touches,
            reps=[PlanRep("ola", "Ola", capacity=12)],
            method=M,
            monday=monday,
            today=monday,
            holiday_dates=_holiday_dates,
        )
        assert injected == plain
