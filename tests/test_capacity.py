"""Weekly load from the cadence (khm.core.capacity) and ``khm capacity``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from khm.core.calendar import human_weeks_per_year
from khm.core.capacity import (
    LoadGroup,
    LoadTable,
    RepInfo,
    cell_load,
    human_effort_per_year,
    plan_capacity,
    touches_per_year,
)
from khm.method import default_method, parse_method
from test_tag_cli import TODAY, seed_book

M = default_method()


def small_method(cadence: str, activities: str | None = None) -> object:
    acts = (
        activities
        or """
[activities.visit]
mode = "human"
effort = 3
covers = ["call"]
[activities.call]
mode = "human"
effort = 1
[activities.email]
mode = "digital"
"""
    )
    return parse_method(f"version = 1\n[calendar]\nholidays = 'none'\n{acts}\n{cadence}")


def test_a_quarterly_visit_covers_4_of_12_monthly_calls():
    m = small_method('[cadence.expand.A]\nvisit = "quarterly"\ncall = "1m"\n')
    assert touches_per_year(m, "expand", "A") == pytest.approx({"visit": 4, "call": 8})
    assert human_effort_per_year(m, "expand", "A") == pytest.approx(4 * 3 + 8)


def test_a_call_every_two_months_still_falls_due_once_between_quarterly_visits():
    m = small_method('[cadence.keep.B]\nvisit = "quarterly"\ncall = "2m"\n')
    assert touches_per_year(m, "keep", "B")["call"] == pytest.approx(4)
    m = small_method('[cadence.keep.B]\nvisit = "1m"\ncall = "quarterly"\n')
    assert touches_per_year(m, "keep", "B")["call"] == 0  # always covered


def test_digital_work_is_not_load_and_weeks_take_out_no_human_periods():
    m = small_method('[cadence.keep.C]\ncall = "1m"\nemail = "1w"\n')
    weeks = human_weeks_per_year(m.calendar)
    assert weeks == pytest.approx(261 / 5)  # 2026: 261 weekdays, no periods, no holidays
    assert LoadTable(m).load("keep", "C", None) == pytest.approx(12 / weeks)
    # the default method pauses human work in July and at Christmas: fewer weeks
    assert human_weeks_per_year(M.calendar) < 48
    table = LoadTable(M)
    assert table.load("expand", "A", "SE") > table.load("expand", "A", None)
    assert table.load(None, "A", None) == 0.0 == cell_load(M, "keep", None, 45.0)


def test_load_rises_with_category_and_expand_weighs_more_than_keep():
    table = LoadTable(M)
    loads = {(t, c): table.load(t, c, None) for t in ("expand", "keep") for c in "ABCD"}
    for t in ("expand", "keep"):
        assert loads[(t, "A")] > loads[(t, "B")] > loads[(t, "C")] > loads[(t, "D")]
    for c in "ABCD":
        assert loads[("expand", c)] > loads[("keep", c)]


def test_plan_per_rep_adds_up_to_team_and_unowned_is_apart():
    reps = [
        RepInfo("e", "expand", 10),
        RepInfo("k", "keep", 10),
        RepInfo("old", "keep", 10, active=False),
    ]
    groups = [
        LoadGroup("e", "expand", "A", "SE", 10),
        LoadGroup("k", "keep", "B", "NO", 30),
        LoadGroup("k", "expand", "D", "NO", 2),  # wrong role, still k's load
        LoadGroup(None, "keep", "D", "SE", 5),
        LoadGroup("old", "keep", "A", "SE", 4),
        LoadGroup("e", None, None, "SE", 3),
    ]
    plan = plan_capacity(M, reps, groups)
    assert [r.handle for r in plan.reps] == ["e", "k"]
    assert sum(r.load for r in plan.reps) == pytest.approx(plan.team.load)
    assert plan.team.accounts == 10 + 30 + 2 + 3
    assert plan.unowned.accounts == 9 and plan.unowned_owners == {"old": 4}
    assert plan.total_load == pytest.approx(plan.team.load + plan.unowned.load)
    k = plan.reps[1]
    assert k.wrong_role == 2 and k.cells == {"keep/B": 30, "expand/D": 2}
    assert plan.untagged == 3 and plan.reps[0].untagged == 3
    assert plan.cells[0].load >= plan.cells[-1].load
    assert sum(c.share for c in plan.cells) == pytest.approx(1.0)


def test_verdict_fits_or_names_the_reps_missing():
    one_keep = [RepInfo("k", "keep", 10)]
    light = [LoadGroup("k", "keep", "D", None, 10)]
    plan = plan_capacity(M, [*one_keep, RepInfo("e", "expand", 10)], light)
    assert plan.fits and plan.verdict.startswith("fits: ") and plan.verdict.endswith("of capacity")
    heavy = [LoadGroup("k", "keep", "A", None, 200)]  # ~0.25 each: ~50 effort/week
    plan = plan_capacity(M, one_keep, heavy)
    assert not plan.fits
    need = {r.role: r for r in plan.roles}["keep"]
    assert need.needed == 5 and need.extra == 4
    assert plan.verdict.startswith("does not fit: needs 4 more keep reps")


def test_any_reps_count_for_both_pools_in_the_verdict():
    reps = [RepInfo("e", "expand", 10), RepInfo("a", "any", 10)]
    groups = [LoadGroup("e", "expand", "A", None, 30), LoadGroup("a", "keep", "C", None, 10)]
    assert plan_capacity(M, reps, groups).fits
    no_keep = plan_capacity(
        M, [RepInfo("e", "expand", 10)], [LoadGroup(None, "keep", "A", None, 50)]
    )
    assert not no_keep.fits and "keep rep" in no_keep.verdict


# --------------------------------------------------------------------------- CLI


def test_capacity_json_per_rep_adds_up_to_team_total(cli, store):
    seed_book(store, 300, owners=True)
    cli("tag", "--today", TODAY)
    data = json.loads(cli("capacity", "--format", "json", "--today", TODAY).stdout)
    assert data["kind"] == "capacity" and data["count"] == len(data["reps"])
    team = data["team"]
    assert sum(r["effort_per_week"] for r in data["reps"]) == pytest.approx(team["effort_per_week"])
    assert sum(r["accounts"] for r in data["reps"]) == team["accounts"]
    for cell in team["cells"]:
        assert sum(r["cells"][cell] for r in data["reps"]) == team["cells"][cell]
    assert data["unowned"]["accounts"] > 0  # the seed leaves some unowned, some with 'former'
    assert "former" in data["unowned"]["inactive_or_unknown_owners"]
    assert data["total"]["effort_per_week"] == pytest.approx(
        team["effort_per_week"] + data["unowned"]["effort_per_week"]
    )
    assert {r["role"] for r in data["roles"]} == {"expand", "keep"}
    assert data["verdict"].startswith(("fits", "does not fit"))
    # after assigning, nothing is unowned
    cli("assign", "--today", TODAY)
    data = json.loads(cli("capacity", "--format", "json", "--today", TODAY).stdout)
    assert data["unowned"]["accounts"] == 0


def test_capacity_table_and_csv(cli, store):
    seed_book(store, 100, owners=True)
    cli("tag", "--today", TODAY)
    out = cli("capacity", "--today", TODAY).stdout
    assert "TEAM" in out and "What drives the load" in out and "Verdict: " in out
    assert "Reps the method needs" in out
    csv = cli("capacity", "--format", "csv", "--today", TODAY).stdout.splitlines()
    assert csv[0].startswith("rep,name,role,accounts,expand/A")
    assert csv[-2].startswith("team,") and csv[-1].startswith("unowned,")


def test_capacity_on_an_empty_database(khm_db, cli):
    out = cli("capacity", "--today", TODAY).stdout
    assert "Verdict: fits: no human work planned" in out


def test_human_weeks_per_year_takes_public_holidays_from_the_given_reader():
    from khm.core.calendar import holiday_dates, human_weeks_per_year
    from khm.method import default_method

    rules = default_method().calendar
    asked: list[tuple[str, int]] = []

    def reader(country: str, year: int) -> frozenset:
        asked.append((country, year))
        return holiday_dates(country, year)

    assert human_weeks_per_year(rules, "NO", 2026, reader) == human_weeks_per_year(
        rules, "NO", 2026
    )
    assert asked == [("NO", 2026)]
    # a reader with no holidays leaves more open days than Norway's real calendar
    none = human_weeks_per_year(rules, "NO", 2026, lambda c, y: frozenset())
    assert none > human_weeks_per_year(rules, "NO", 2026)
    # no country: no holidays asked for
    asked.clear()
    human_weeks_per_year(rules, None, 2026, reader)
    assert asked == []


def test_assign_and_capacity_keep_holidays_in_the_data_dir_cache(cli, store, tmp_path):
    cli("rep", "add", "ann", "--role", "any", "--capacity", "10")
    cli("account", "add", "ACME", "--country", "SE", "--revenue", "1000")
    cli("tag")
    cli("assign")
    cache = list((tmp_path / "data" / "cache").glob("holidays-*.json"))
    assert len(cache) == 1
    assert '"SE-' in cache[0].read_text(encoding="utf-8")


CELLS = [(t, c) for t in ("expand", "keep") for c in "ABCD"]
EXAMPLE_METHOD = Path(__file__).resolve().parent.parent / "examples" / "method.toml"


def _one_account_per_cell(cli, method_args: list[str], country: str | None) -> None:
    cli(*method_args, "rep", "add", "ann", "--role", "any", "--capacity", "10")
    for i, (t, c) in enumerate(CELLS):
        key = f"A{i}"
        where = ["--country", country] if country else []
        cli(*method_args, "account", "add", key, "--revenue", str(1000 * (i + 1)), *where)
        cli(*method_args, "tag", key, "--type", t, "--category", c, "--reason", "test")


@pytest.mark.parametrize(
    ("method", "country"),
    [("default", None), ("example", None), ("example-fixed-holidays", "NO")],
)
def test_method_check_and_capacity_state_the_same_load_per_cell(
    khm_db, cli, tmp_path, method, country
):
    """One rule for the load: ``method check`` (human_effort_per_week) and ``capacity``
    (load_per_account) agree on every cell; a visit counts as the call it covers."""
    if method == "default":
        method_args: list[str] = []
    else:
        text = EXAMPLE_METHOD.read_text(encoding="utf-8")
        if method == "example-fixed-holidays":  # every account gets Sweden's holidays
            assert 'holidays = "account"' in text
            text = text.replace('holidays = "account"', 'holidays = "SE"')
        path = tmp_path / "method.toml"
        path.write_text(text, encoding="utf-8")
        method_args = ["--method", str(path)]
    _one_account_per_cell(cli, method_args, country)
    check = json.loads(cli(*method_args, "method", "check", "-f", "json").stdout)
    cap = json.loads(cli(*method_args, "capacity", "-f", "json", "--today", TODAY).stdout)
    stated = {c["cell"]: c["human_effort_per_week"] for c in check["cadence"]}
    loads = {c["cell"]: c["load_per_account"] for c in cap["cells"] if c["accounts"]}
    assert set(loads) == {f"{t}/{c}" for t, c in CELLS}
    assert loads == stated
    assert stated["expand/A"] > 0


def test_default_method_expand_a_load_counts_the_calls_a_visit_covers(cli):
    # default expand/A: a visit a quarter (effort 3) and a review every 6 months (effort
    # 2) both cover the monthly call (effort 1): 6 covering touches a year leave 6 of the
    # 12 calls, so 12 + 4 + 6 = 22 effort units over the 45 human weeks of 2026 (July and
    # 20 Dec-6 Jan out) = 0.4889; counting every call would say 28 / 45 = 0.6222
    check = json.loads(cli("method", "check", "-f", "json").stdout)
    stated = {c["cell"]: c["human_effort_per_week"] for c in check["cadence"]}
    assert check["calendar"]["human_weeks_per_year"] == 45.0
    assert human_effort_per_year(M, "expand", "A") == pytest.approx(22)
    assert stated["expand/A"] == 0.4889


# --------------------------------------------------------------------------- backlog


def _seed_lists(store, *, last_touch, capacity: float) -> None:
    """One rep with ten expand/A accounts, every kind last touched on ``last_touch``."""
    from datetime import date, datetime

    from khm.store.models import Account, Rep, Touch

    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola", role="expand", capacity=capacity))
        s.flush()
        for i in range(10):
            acc = Account(
                key=f"A{i}",
                name=f"A{i} AS",
                type="expand",
                category="A",
                owner="ola",
                country="NO",
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(acc)
            s.flush()
            for kind in M.activities:
                s.add(
                    Touch(
                        account_id=acc.id, rep="ola", kind=kind, date=date.fromisoformat(last_touch)
                    )
                )


def _capacity_and_list(cli) -> tuple[dict, dict]:
    cap = json.loads(cli("capacity", "--today", TODAY, "-f", "json").stdout)
    week = json.loads(cli("weekly", "--today", TODAY, "--rep", "ola", "-f", "json").stdout)
    return cap, week["reps"][0]


def test_capacity_fits_when_the_weekly_list_carries_nothing(cli, store):
    _seed_lists(store, last_touch="2026-11-16", capacity=40)  # everything done last week
    cap, rep = _capacity_and_list(cli)
    assert cap["fits"] is True and cap["verdict"].startswith("fits")
    assert cap["reps"][0]["backlog"] == 0 and cap["reps"][0]["weeks_to_clear"] == 0
    assert rep["carried_over"] == 0 and rep["from_earlier"] == 0


def test_capacity_is_tight_with_the_weeks_to_clear_when_the_lists_carry_work(cli, store):
    _seed_lists(store, last_touch="2026-06-02", capacity=8)  # months behind
    cap, rep = _capacity_and_list(cli)
    ola = cap["reps"][0]
    assert rep["carried_over"] > 0  # the list carries work to next week
    assert ola["effort_per_week"] < ola["capacity"]  # the cadence alone would fit ...
    assert cap["fits"] is False and cap["verdict"].startswith("tight")  # ... the lists do not
    assert cap["behind"] == ["ola"]
    spare = ola["capacity_available"] - ola["effort_per_week"]
    assert ola["backlog"] > spare
    assert ola["weeks_to_clear"] == pytest.approx(ola["backlog"] / spare, abs=0.01)
    assert cap["total"]["backlog"] == pytest.approx(ola["backlog"])
    table = cli("capacity", "--today", TODAY).stdout
    assert "tight" in table and "clears in" in table


def test_absences_over_the_quarter_take_their_share_of_capacity(cli, store):
    _seed_lists(store, last_touch="2026-11-16", capacity=40)
    cli("rep", "away", "ola", "--from", "2026-11-30", "--to", "2026-12-11")  # 10 weekdays
    ola = json.loads(cli("capacity", "--today", TODAY, "-f", "json").stdout)["reps"][0]
    assert ola["away_days"] == 10
    assert ola["capacity_available"] == pytest.approx(40 * (65 - 10) / 65, abs=1e-3)
    assert ola["capacity"] == 40  # the rep's capacity itself (and assign's) is unchanged


def test_weeks_to_clear_and_the_verdict_from_plain_values():
    from khm.core.capacity import weeks_to_clear

    assert weeks_to_clear(0, 0) == 0
    assert weeks_to_clear(10, 0) is None
    assert weeks_to_clear(10, 4) == 2.5
    m = small_method('[cadence.expand.A]\ncall = "1m"\n')
    reps = [RepInfo("ola", "expand", 10), RepInfo("kari", "expand", 10)]
    groups = [LoadGroup("ola", "expand", "A", None, 4), LoadGroup("kari", "expand", "A", None, 4)]
    assert plan_capacity(m, reps, groups, backlog={"ola": 3}).fits
    late = plan_capacity(m, reps, groups, backlog={"ola": 30})
    assert not late.fits and [r.handle for r in late.behind] == ["ola"]
    assert late.verdict.startswith("tight:") and "ola" in late.verdict
