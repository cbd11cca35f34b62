"""The worked example of docs/weekly.md, week by week, with hand-computed lists.

One rep (ola, capacity 4 effort units), four accounts, a small method:

    visit  human,   effort 3, covers call
    call   human,   effort 1
    email  digital

    expand/A: visit 8w, call 4w, email 2w      (ACME)
    expand/B: call 4w, email 4w                (BOLT)
    keep/A:   visit 8w, email 4w               (CORE)
    keep/C:   call 4w                          (DUNE)

Grace = max(25 % of the interval, 1 week): 8w -> 14 days, 4w and 2w -> 7 days.
No human work in July; no public holidays (holidays = "none").

Last touches before the story starts:

    ACME visit 2026-05-25 (due 07-20), call 06-29 (due 07-27), email 07-06 (due 07-20)
    BOLT call  2026-06-15 (due 07-13), email 07-06 (due 08-03)
    CORE visit 2026-06-01 (due 07-27), email 07-20 (due 08-17)
    DUNE call  2026-07-06 (due 08-03)

Each week is planned on its Monday (``--today`` = Monday); between weeks the rep logs
what the list asked for, with ``khm log``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

METHOD = """
version = 1
name = "worked example"

[activities.visit]
mode = "human"
label = "Visit"
effort = 3
covers = ["call"]
tactic = "Meet them on site."

[activities.call]
mode = "human"
label = "Call"
effort = 1
tactic = "Call them."

[activities.email]
mode = "digital"
label = "E-mail"
tactic = "Write to them."

[cadence.expand.A]
visit = "8w"
call = "4w"
email = "2w"

[cadence.expand.B]
call = "4w"
email = "4w"

[cadence.keep.A]
visit = "8w"
email = "4w"

[cadence.keep.C]
call = "4w"

[calendar]
holidays = "none"
no_human_periods = [{ name = "Summer", from = "07-01", to = "07-31" }]

[grace]
fraction = 0.25
minimum = "1w"

[capacity]
default = 4
"""

ACCOUNTS = [
    # key, type, category, {kind: last touch}
    ("ACME", "expand", "A", {"visit": "2026-05-25", "call": "2026-06-29", "email": "2026-07-06"}),
    ("BOLT", "expand", "B", {"call": "2026-06-15", "email": "2026-07-06"}),
    ("CORE", "keep", "A", {"visit": "2026-06-01", "email": "2026-07-20"}),
    ("DUNE", "keep", "C", {"call": "2026-07-06"}),
]


@pytest.fixture
def example(store, tmp_path: Path, monkeypatch) -> Path:
    from khm.store.models import Account, Rep, Touch

    method = tmp_path / "method.toml"
    method.write_text(METHOD, encoding="utf-8")
    monkeypatch.setenv("KHM_METHOD", str(method))
    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola Nordmann", capacity=4))
        s.flush()
        for key, typ, cat, touches in ACCOUNTS:
            acc = Account(
                key=key,
                name=f"{key.title()} AS",
                country="NO",
                type=typ,
                category=cat,
                owner="ola",
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(acc)
            s.flush()
            for kind, day in touches.items():
                s.add(Touch(account_id=acc.id, rep="ola", kind=kind, date=date.fromisoformat(day)))
    return method


def week(cli, label: str, monday: str) -> dict:
    out = cli("weekly", "--week", label, "--today", monday, "--format", "json").stdout
    (rep,) = json.loads(out)["reps"]
    return rep


def lines(rep: dict) -> list[tuple]:
    return [
        (i["account"], i["activity"], i["status"], i["days_overdue"], tuple(i["covers"]))
        for i in rep["items"]
    ]


def header(rep: dict) -> tuple:
    return (rep["capacity"], rep["human_planned"], rep["carried_over"], rep["paused"])


def test_the_worked_example_week_by_week(cli, example):
    # W30 (Jul 20-26): July has no human days. ACME's visit (due 07-20) and BOLT's call
    # (due 07-13) are paused, not lost; the digital e-mail continues.
    w30 = week(cli, "2026-W30", "2026-07-20")
    assert header(w30) == (0, 0, 0, 2)
    assert lines(w30) == [("ACME", "email", "due", 0, ())]
    cli("log", "ACME", "email", "--date", "2026-07-22", "--today", "2026-07-22")

    # W31 (Jul 27-Aug 2): still July on every weekday. ACME's call is due too now, but the
    # visit covers it; CORE's visit joins the paused work. Nothing digital is due.
    w31 = week(cli, "2026-W31", "2026-07-27")
    assert header(w31) == (0, 0, 0, 3)
    assert lines(w31) == []

    # W32 (Aug 3-9): the first week after the pause brings the work back. Capacity 4,
    # filled category by category (overload = "protect"), work due before this week
    # first within each: A: ACME visit 3 (CORE's visit 3 does not fit), B: BOLT call 1;
    # CORE's visit and DUNE's call are carried (2 items, 4 effort). BOLT's call is overdue
    # (due 07-13, grace 7 days); ACME's visit (due 07-20, grace 14 days) is not yet.
    w32 = week(cli, "2026-W32", "2026-08-03")
    assert header(w32) == (4, 4, 2, 0)
    assert w32["carried_effort"] == 4
    assert [c["account"] + ":" + c["activity"] for c in w32["carried"]] == [
        "CORE:visit",
        "DUNE:call",
    ]
    assert lines(w32) == [
        ("BOLT", "call", "overdue", 21, ()),
        ("ACME", "visit", "due", 0, ("call",)),
        ("ACME", "email", "due", 0, ()),
        ("BOLT", "email", "due", 0, ()),
    ]
    days = {(i["account"], i["activity"]): i["day"] for i in w32["items"]}
    assert days[("ACME", "visit")] == "2026-08-03"
    assert days[("BOLT", "call")] == "2026-08-04"  # the least loaded day
    assert days[("ACME", "email")] == "2026-08-05"  # its due date
    for key, kind, day in [
        ("BOLT", "call", "2026-08-04"),
        ("ACME", "visit", "2026-08-06"),
        ("ACME", "email", "2026-08-05"),
        ("BOLT", "email", "2026-08-03"),
    ]:
        cli("log", key, kind, "--date", day, "--today", day)

    # W33 (Aug 10-16): the carried items come back first and both fit (3 + 1 = 4).
    # ACME's visit logged on 08-06 also reset its call (next due 09-03).
    w33 = week(cli, "2026-W33", "2026-08-10")
    assert header(w33) == (4, 4, 0, 0)
    assert w33["from_earlier"] == 2
    assert lines(w33) == [
        ("CORE", "visit", "due", 0, ()),
        ("DUNE", "call", "due", 0, ()),
    ]


def test_the_worked_example_table_reads_like_the_docs(cli, example):
    out = cli("weekly", "--week", "2026-W32", "--today", "2026-08-03").stdout
    assert "ola (Ola Nordmann) — week 2026-W32" in out
    assert "capacity 4/4 used · +2 carried to next week (4 effort) · 2 from earlier weeks" in out
    assert "overdue 21d" in out
    assert "Visit + call" in out
    wide = cli("weekly", "--week", "2026-W32", "--today", "2026-08-03", "--wide").stdout
    assert "overdue 21 days" in wide
    assert "Visit (human) + call" in wide
