"""A rep away (``khm rep away``): the record, the planner's open days, the migration."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from khm.core.absence import Absence, away_days, open_days, overlapping, week_capacity
from khm.core.calendar import human_days_in_week
from khm.core.planner import PlanRep, plan_week
from test_planner_props import SETTINGS, M, books, mondays, placed
from test_weekly_cli import seed

W50 = ("2026-12-07", "2026-12-13")


def weekly_json(cli, week: str, rep: str = "ola") -> dict:
    r = cli("weekly", "--week", week, "--today", "2026-12-01", "--rep", rep, "-f", "json")
    return json.loads(r.stdout)["reps"][0]


# --------------------------------------------------------------------------- core


def test_away_days_are_the_weekdays_inside_the_absences():
    a = Absence("ola", date(2026, 12, 4), date(2026, 12, 8))  # Fri .. Tue
    assert away_days([a], date(2026, 12, 7), date(2026, 12, 13)) == {
        date(2026, 12, 7),
        date(2026, 12, 8),
    }
    assert a.weekdays(date(2026, 12, 1), date(2026, 12, 31)) == 3
    assert a.label == "4–8 Dec"
    assert Absence("ola", date(2026, 12, 28), date(2027, 1, 3)).label == "28 Dec–3 Jan 2027"


def test_an_overlap_is_found_and_adjacent_ranges_are_not_one():
    a = Absence("ola", date(2026, 12, 7), date(2026, 12, 11))
    assert overlapping([a], date(2026, 12, 11), date(2026, 12, 20)) == a
    assert overlapping([a], date(2026, 12, 12), date(2026, 12, 20)) is None
    assert overlapping([a], date(2026, 12, 1), date(2026, 12, 6)) is None


def test_away_days_scale_capacity_as_holidays_do():
    days = human_days_in_week(date(2026, 12, 7), M.calendar, "NO")
    assert len(days) == 5
    away = away_days([Absence("ola", date(2026, 12, 7), date(2026, 12, 8))], days[0], days[-1])
    assert len(open_days(days, away)) == 3
    assert week_capacity(12, 3) == 12 * 3 / 5


@SETTINGS
@given(books(), mondays, st.sets(st.integers(0, 4)))
def test_with_days_away_capacity_is_held_and_nothing_is_lost(book, monday, off):
    """Planned human effort never exceeds capacity x open days / 5 (bar one oversize item
    in a week with an open day); every due item is listed, carried or paused as without
    the absence; a week fully away lists no human item."""
    accounts, touches, capacity = book
    away = frozenset(monday + timedelta(days=i) for i in off)

    def run(days: frozenset[date]):
        return plan_week(
            accounts=accounts,
            last_touches=touches,
            reps=[PlanRep("ola", capacity=capacity, away=days)],
            method=M,
            monday=monday,
            today=monday,
        ).rep("ola")

    rep, without = run(away), run(frozenset())
    assert rep.open_days == without.open_days - rep.away_days
    assert rep.capacity <= capacity * rep.open_days / 5 + 1e-9
    human = [i for i in rep.items if i.human]
    if any(i.oversize for i in human):
        assert len(human) == 1 and rep.open_days > 0
    else:
        assert rep.human_planned <= rep.capacity + 1e-9
    assert set(placed(rep)) == set(placed(without))
    assert [i for i in rep.items if not i.human] == [i for i in without.items if not i.human]
    if rep.open_days == 0:
        assert not human
    for it in human:
        # never on a day away, unless the account has no other human day that week
        assert it.day not in away or not open_days(
            human_days_in_week(monday, M.calendar, it.country), away
        )


# --------------------------------------------------------------------------- CLI


def test_a_rep_away_all_week_gets_no_human_items_and_gets_them_the_week_back(cli, store):
    seed(store)
    before = weekly_json(cli, "2026-W50")
    assert any(i["mode"] == "human" for i in before["items"])
    cli("rep", "away", "ola", "--from", W50[0], "--to", W50[1], "--reason", "holiday")
    away = weekly_json(cli, "2026-W50")
    assert [i for i in away["items"] if i["mode"] == "human"] == []
    assert away["capacity"] == 0 and away["open_days"] == 0 and away["away_days"] == 5
    assert away["carried_over"] >= 1
    # digital work is still listed (a rep away may still send a personal e-mail: or a
    # stand-in does; the list says what is due)
    assert [i for i in away["items"] if i["mode"] == "digital"] == [
        i for i in before["items"] if i["mode"] == "digital"
    ]
    back = weekly_json(cli, "2026-W51")
    carried = {(c["account"], c["activity"]) for c in away["carried"]}
    listed = {(i["account"], i["activity"]) for i in back["items"] if i["mode"] == "human"}
    assert carried and carried <= listed
    table = cli("weekly", "--week", "2026-W50", "--today", "2026-12-01", "--rep", "ola")
    assert "away 5 days" in table.stdout


def test_two_days_away_give_three_fifths_of_the_capacity(cli, store):
    seed(store)
    cli("rep", "away", "ola", "--from", "2026-12-07", "--to", "2026-12-08")
    rep = weekly_json(cli, "2026-W50")
    assert (rep["open_days"], rep["away_days"]) == (3, 2)
    assert rep["capacity"] == 12 * 3 / 5 and rep["capacity_full"] == 12
    assert all(
        i["day"] not in ("2026-12-07", "2026-12-08") for i in rep["items"] if i["mode"] == "human"
    )


def test_rep_show_and_list_show_current_and_upcoming_absences(cli, store):
    seed(store)
    cli("rep", "away", "ola", "--from", "2026-11-02", "--to", "2026-11-06")  # past
    cli("rep", "away", "ola", "--from", "2026-12-07", "--to", "2026-12-11", "--reason", "ski")
    cli("rep", "away", "ola", "--from", "2026-12-28", "--to", "2027-01-01")
    show = json.loads(cli("rep", "show", "ola", "--today", "2026-12-01", "-f", "json").stdout)
    assert show["version"] == 1
    assert show["rep"]["away"] == [
        {"start": "2026-12-07", "end": "2026-12-11", "reason": "ski"},
        {"start": "2026-12-28", "end": "2027-01-01", "reason": None},
    ]
    text = cli("rep", "show", "ola", "--today", "2026-12-01").stdout
    assert "7–11 Dec (ski), 28 Dec–1 Jan 2027" in text
    listed = cli("rep", "list", "--today", "2026-12-01", "-f", "csv").stdout
    assert "7–11 Dec, 28 Dec–1 Jan 2027" in listed
    items = json.loads(cli("rep", "list", "--today", "2026-12-01", "-f", "json").stdout)["items"]
    assert {r["handle"]: len(r["away"]) for r in items} == {"idle": 0, "kari": 0, "ola": 2}


def test_clear_one_absence_by_a_day_in_it_or_all(cli, store):
    seed(store)
    cli("rep", "away", "ola", "--from", "2026-12-07", "--to", "2026-12-11")
    cli("rep", "away", "ola", "--from", "2026-12-28", "--to", "2027-01-01")
    r = cli(
        "rep",
        "away",
        "ola",
        "--clear",
        "--from",
        "2026-12-09",
        "-f",
        "json",
        "--today",
        "2026-12-01",
    )
    data = json.loads(r.stdout)
    assert data["cleared"] == 1 and [a["start"] for a in data["away"]] == ["2026-12-28"]
    cli("rep", "away", "ola", "--clear", "--from", "2026-12-09", code=5)
    r = cli("rep", "away", "ola", "--clear", "-f", "json", "--today", "2026-12-01")
    assert json.loads(r.stdout)["cleared"] == 1
    assert weekly_json(cli, "2026-W53")["away_days"] == 0


def test_bad_input_names_the_option_and_leaves_the_database_as_it_was(cli, store, snapshot_db):
    seed(store)
    cli("rep", "away", "ola", "--from", "2026-12-07", "--to", "2026-12-11")
    before = snapshot_db()
    for args, code, word in (
        (("ola", "--from", "2026-12-10", "--to", "2026-12-09"), 2, "--to"),
        (("nobody", "--from", "2026-12-10"), 5, "nobody"),
        (("ola", "--from", "2026-02-30"), 2, "--from"),
        (("ola", "--from", "2026-12-10", "--to", "2026-12-20"), 7, "already away"),
        (("ola", "--to", "2026-12-20"), 2, "--from"),
        (("ola", "--clear", "--to", "2026-12-20"), 2, "--clear"),
    ):
        r = cli("rep", "away", *args, code=code)
        assert word in r.stderr
    assert snapshot_db() == before


# --------------------------------------------------------------------------- migration


def test_a_database_at_the_previous_revision_upgrades_with_its_data(db_url):
    from sqlalchemy import inspect, text

    from khm.store.db import (
        HEAD_REVISION,
        current_revision,
        make_engine,
        normalise_url,
        open_store,
        upgrade,
    )

    url = normalise_url(db_url)
    engine = make_engine(url)
    upgrade(engine, "0002_campaign")  # the revision before the absences
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rep (handle, name, role, capacity, active, created_at, updated_at)"
                " VALUES ('ola', 'Ola Nordmann æøå', 'any', 12, true, :t, :t)"
            ),
            {"t": "2026-01-05 09:00:00"},
        )
        assert current_revision(conn) == "0002_campaign"
        assert not inspect(conn).has_table("absence")
    engine.dispose()
    store = open_store(url)  # migrates on open
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
            assert inspect(conn).has_table("absence")
            assert conn.execute(text("SELECT handle, name, capacity FROM rep")).all() == [
                ("ola", "Ola Nordmann æøå", 12.0)
            ]
        from khm.services.absence import set_away

        set_away(
            store,
            "ola",
            start=date(2026, 12, 7),
            end=date(2026, 12, 8),
            reason=None,
            today=date(2026, 12, 1),
        )
    finally:
        store.dispose()
