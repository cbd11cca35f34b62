"""Triggers that fire once, for the right reason (issue 14): a threshold fires on a
crossing of the numeric field history, once per crossing; an anniversary counts from the
customer's start (``customer_since``, else the first won deal, else the first touch),
never from the day the account was imported. Core (pure) and CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khm.core.fieldhistory import FieldChange, crossed, numeric_changes, with_first_value
from khm.core.triggers import TriggerFacts, anniversary, customer_start, threshold
from khm.method import DEFAULT_METHOD_TOML, parse_method

MON = date(2026, 11, 23)  # 2026-W48
SUN = MON + timedelta(days=6)

TRIGGERS_TOML = """
[activities.thanks]
label = "Thank-you note"
mode = "digital"

[[triggers]]
kind = "threshold"
name = "big spender"
metric = "revenue"
above = 1_000_000
activity = "meeting"
reason = "revenue crossed {bound:,.0f} on {on}: now {value:,.0f}"

[[triggers]]
kind = "anniversary"
name = "thanks"
activity = "thanks"
reason = "A customer since {since} ({since_from}): say thanks"
"""
# activities that no keep/A cadence has: the trigger items stand alone (not merged)
METHOD = parse_method(DEFAULT_METHOD_TOML + TRIGGERS_TOML)
BIG = METHOD.triggers[-2]
THANKS = METHOD.triggers[-1]


def facts(
    changes=(),
    *,
    sunday=SUN,
    touches=None,
    metrics=None,
    created=date(2026, 1, 5),
    start=None,
) -> TriggerFacts:
    return TriggerFacts(
        key="ACME",
        name="Acme",
        type="keep",
        category="A",
        anchor=created,
        created=created,
        metrics=metrics or {},
        last_by_kind=touches or {},
        tag_events=(),
        monday=sunday - timedelta(days=6),
        sunday=sunday,
        field_changes=tuple(changes),
        customer_start=start,
        customer_start_from="customer_since" if start else None,
    )


def ch(old, new, on, field="revenue") -> FieldChange:
    return FieldChange(field, old, new, on)


# --------------------------------------------------------------------------- core: history


def test_numeric_changes_names_each_changed_number_only():
    before = {"revenue": 10.0, "employees": 5, "custom": {"nps": 7, "x": 1}}
    after = {"revenue": 10, "employees": 6, "custom": {"nps": 3, "new": 2}, "name": "n"}
    assert numeric_changes(before, after) == [
        ("employees", 5.0, 6.0),
        ("new", None, 2.0),
        ("nps", 7.0, 3.0),
        ("x", 1.0, None),
    ]
    assert numeric_changes(before, {"name": "only text"}) == []


def test_a_crossing_is_a_move_from_the_near_side_to_the_far_side():
    d = date(2026, 11, 20)
    assert crossed(ch(500, 1500, d), above=1000, below=None) == 1000
    assert crossed(ch(1000, 1001, d), above=1000, below=None) == 1000
    assert crossed(ch(1500, 1800, d), above=1000, below=None) is None  # above again
    assert crossed(ch(1500, 500, d), above=1000, below=None) is None  # the other way
    assert crossed(ch(8, 5, d), above=None, below=7) == 7
    assert crossed(ch(None, 1500, d), above=1000, below=None) is None  # a first value
    assert crossed(ch(None, 1500, d), above=1000, below=None, count_first=True) == 1000
    assert crossed(ch(9, 5, d), above=10, below=7) == 7  # a band: out at the bottom


# --------------------------------------------------------------------------- core: threshold


def test_a_crossing_fires_with_its_date_and_reason():
    hit = threshold(BIG, facts([ch(500_000, 1_500_000, date(2026, 11, 20))]), METHOD)
    assert hit is not None and hit.since == date(2026, 11, 20)
    assert hit.reason == "revenue crossed 1,000,000 on 2026-11-20: now 1,500,000"
    assert hit.details["old"] == 500_000


def test_a_level_above_the_bound_never_fires_by_itself():
    assert threshold(BIG, facts(metrics={"revenue": 5_000_000}), METHOD) is None
    above_again = [ch(1_500_000, 1_800_000, date(2026, 11, 20))]
    assert threshold(BIG, facts(above_again, metrics={"revenue": 1_800_000}), METHOD) is None


def test_a_crossing_stays_until_its_activity_is_done_or_its_window_passes():
    crossing = [ch(500_000, 1_500_000, date(2026, 11, 2))]
    assert threshold(BIG, facts(crossing), METHOD) is not None  # 3 weeks on: still there
    done = {"meeting": date(2026, 11, 10)}
    assert threshold(BIG, facts(crossing, touches=done), METHOD) is None
    other = {"call": date(2026, 11, 10)}  # another activity does not handle it
    assert threshold(BIG, facts(crossing, touches=other), METHOD) is not None
    before = {"meeting": date(2026, 11, 1)}  # done before the crossing: not handled
    assert threshold(BIG, facts(crossing, touches=before), METHOD) is not None
    later = SUN + timedelta(days=28)
    assert threshold(BIG, facts(crossing, sunday=later), METHOD) is None  # window passed


def test_a_crossing_back_before_it_is_handled_takes_it_off_the_list():
    changes = [ch(500_000, 1_500_000, date(2026, 11, 2)), ch(1_500_000, 900_000, date(2026, 11, 9))]
    assert threshold(BIG, facts(changes), METHOD) is None


def test_below_then_above_again_is_a_new_crossing():
    changes = [
        ch(500_000, 1_500_000, date(2026, 11, 2)),
        ch(1_500_000, 800_000, date(2026, 11, 9)),
        ch(800_000, 1_200_000, date(2026, 11, 16)),
    ]
    handled_first = {"meeting": date(2026, 11, 3)}
    hit = threshold(BIG, facts(changes, touches=handled_first), METHOD)
    assert hit is not None and hit.since == date(2026, 11, 16)


def test_a_past_week_sees_the_value_it_had_then():
    changes = [
        ch(500_000, 1_500_000, date(2026, 11, 20)),
        ch(1_500_000, 700_000, date(2026, 12, 2)),
    ]
    assert threshold(BIG, facts(changes), METHOD) is not None  # W48: above since the 20th
    assert threshold(BIG, facts(changes, sunday=date(2026, 12, 6)), METHOD) is None


def test_a_first_value_counts_only_with_count_first():
    m = parse_method(
        DEFAULT_METHOD_TOML + TRIGGERS_TOML.replace("above = ", "count_first = true\nabove = ", 1)
    )
    first = m.triggers[-2]
    new = facts(metrics={"revenue": 2_000_000}, created=date(2026, 11, 24))
    assert threshold(BIG, new, METHOD) is None
    hit = threshold(first, new, m)
    assert hit is not None and hit.since == date(2026, 11, 24)
    old = facts(metrics={"revenue": 2_000_000}, created=date(2025, 1, 6))
    assert threshold(first, old, m) is None  # first seen long ago: its window passed
    # the first value is the old value of the first change
    changes = [ch(2_000_000, 1_800_000, date(2026, 11, 25))]
    assert with_first_value(changes, "revenue", 1_800_000, date(2026, 11, 24))[0].new == 2_000_000


# --------------------------------------------------------------------------- core: property


def _values() -> st.SearchStrategy[float | None]:
    return st.one_of(st.none(), st.sampled_from([0.0, 500.0, 1000.0, 1000.5, 2000.0]))


_PROP_METHODS = {
    (bound, first): parse_method(
        DEFAULT_METHOD_TOML
        + f'\n[[triggers]]\nkind = "threshold"\nmetric = "revenue"\n{bound} = 1000\n'
        f'activity = "call"\ncount_first = {"true" if first else "false"}\n'
    )
    for bound in ("above", "below")
    for first in (True, False)
}


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(0, 120), _values()), max_size=12),
    handle=st.lists(st.booleans(), min_size=20, max_size=20),
    bound=st.sampled_from(["above", "below"]),
    count_first=st.booleans(),
)
def test_a_threshold_fires_at_most_once_per_crossing(values, handle, bound, count_first):
    """Weeks go by; each week the rep may do the activity for a listed crossing. A
    crossing's item is listed in one unbroken run of weeks, never after it was handled,
    and every listed item is a crossing of the history."""
    m = _PROP_METHODS[(bound, count_first)]
    trig = m.triggers[-1]
    start = date(2026, 1, 5)  # a Monday
    changes: list[FieldChange] = []
    current: float | None = None
    for day, value in sorted(values, key=lambda v: v[0]):
        if value != current:
            changes.append(FieldChange("revenue", current, value, start + timedelta(days=day)))
            current = value
    created = start - timedelta(days=3)
    crossings = {
        c.on
        for c in with_first_value(changes, "revenue", current, created)
        if crossed(c, above=trig.above, below=trig.below, count_first=count_first)
    }
    touches: dict[str, date] = {}
    seen: dict[date, list[int]] = {}
    handled: dict[date, int] = {}
    for week in range(20):
        sunday = start + timedelta(days=7 * week + 6)
        f = facts(changes, sunday=sunday, touches=dict(touches), metrics={"revenue": current})
        f.created = created
        hit = threshold(trig, f, m)
        if hit is None:
            continue
        assert hit.since in crossings
        assert hit.since not in handled, "listed again after it was handled"
        seen.setdefault(hit.since, []).append(week)
        if handle[week]:
            touches["call"] = max(hit.since, sunday - timedelta(days=3))  # done this week
            handled[hit.since] = week
    for weeks in seen.values():
        assert weeks == list(range(weeks[0], weeks[-1] + 1)), "not one unbroken run"
    assert len(seen) <= len(crossings)


# --------------------------------------------------------------------------- core: anniversary


def test_the_customer_start_is_customer_since_else_first_won_deal_else_first_touch():
    a, b, c = date(2020, 3, 10), date(2021, 6, 1), date(2022, 9, 5)
    assert customer_start(a, b, c) == (a, "customer_since")
    assert customer_start(None, b, c) == (b, "first won deal")
    assert customer_start(None, None, c) == (c, "first touch")
    assert customer_start(None, None, None) is None


def test_an_anniversary_counts_from_the_customer_start_not_the_import():
    imported = date(2025, 11, 25)  # created in khm a year before this week
    assert anniversary(THANKS, facts(created=imported), METHOD) is None  # no start known
    hit = anniversary(THANKS, facts(created=imported, start=date(2019, 11, 24)), METHOD)
    assert hit is not None and hit.since == date(2026, 11, 24)
    assert hit.reason == "A customer since 2019-11-24 (customer_since): say thanks"
    far = facts(created=imported, start=date(2019, 3, 10))  # its anniversary was in March
    assert anniversary(THANKS, far, METHOD) is None  # window (28 days) passed
    done = facts(start=date(2019, 11, 24), touches={"thanks": date(2026, 11, 25)})
    assert anniversary(THANKS, done, METHOD) is None


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def method_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, khm_db: str) -> Path:
    path = tmp_path / "method.toml"
    path.write_text(DEFAULT_METHOD_TOML + TRIGGERS_TOML, encoding="utf-8")
    monkeypatch.setenv("KHM_METHOD", str(path))
    return path


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _import(cli, tmp_path: Path, rows: str, today: str, *extra: str):
    f = _csv(tmp_path, f"accounts-{today}.csv", "key,name,revenue,owner,since\n" + rows)
    return cli(
        "import", "accounts", str(f), "--map", "customer_since=since", "--today", today, *extra
    )


def fired(cli, today: str, name: str) -> dict[str, str]:
    """account -> due date of the items the trigger ``name`` put on this week's lists."""
    data = json.loads(cli("weekly", "--today", today, "--format", "json").stdout)
    return {
        i["account"]: i["due"] for r in data["reps"] for i in r["items"] if name in i["triggers"]
    }


@pytest.fixture
def book(cli, tmp_path, method_file):
    cli("rep", "add", "ola", "--name", "Ola")
    _import(cli, tmp_path, "ACME,Acme,500000,ola,\nHIGH,High,2000000,ola,\n", "2026-10-05")
    for key in ("ACME", "HIGH"):
        cli("tag", key, "--type", "keep", "--category", "A", "--reason", "test")


def test_cli_a_crossing_fires_once(cli, tmp_path, book):
    assert fired(cli, "2026-10-05", "big spender") == {}  # HIGH came in above: no crossing
    _import(cli, tmp_path, "ACME,Acme,1500000,ola,\n", "2026-11-02")
    assert fired(cli, "2026-11-02", "big spender") == {"ACME": "2026-11-02"}
    assert fired(cli, "2026-11-09", "big spender") == {"ACME": "2026-11-02"}  # until done
    cli("log", "ACME", "meeting", "--date", "2026-11-10", "--today", "2026-11-10")
    assert fired(cli, "2026-11-16", "big spender") == {}
    _import(cli, tmp_path, "ACME,Acme,1800000,ola,\n", "2026-11-16")  # above again
    assert fired(cli, "2026-11-16", "big spender") == {}
    _import(cli, tmp_path, "ACME,Acme,1800000,ola,\n", "2026-11-17")  # the same value
    assert fired(cli, "2026-11-23", "big spender") == {}
    _import(cli, tmp_path, "ACME,Acme,800000,ola,\n", "2026-11-23")  # below
    assert fired(cli, "2026-11-23", "big spender") == {}
    _import(cli, tmp_path, "ACME,Acme,1200000,ola,\n", "2026-11-30")  # above again
    assert fired(cli, "2026-11-30", "big spender") == {"ACME": "2026-11-30"}


def test_cli_an_unhandled_crossing_leaves_the_list_when_its_window_passes(cli, tmp_path, book):
    _import(cli, tmp_path, "ACME,Acme,1500000,ola,\n", "2026-11-02")
    assert fired(cli, "2026-11-29", "big spender") == {"ACME": "2026-11-02"}
    assert fired(cli, "2026-11-30", "big spender") == {}


def test_cli_account_edit_keeps_the_history_and_can_cross(cli, tmp_path, book):
    cli("account", "edit", "ACME", "--revenue", "1100000", "--today", "2026-11-24")
    assert fired(cli, "2026-11-24", "big spender") == {"ACME": "2026-11-24"}
    cli("account", "edit", "ACME", "--field", "nps=9", "--today", "2026-11-24")
    from sqlalchemy import create_engine, text

    from khm.store.db import normalise_url

    engine = create_engine(normalise_url(cli_db_url()))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT field, old, new, changed_on, source FROM field_change ORDER BY id")
        ).all()
    engine.dispose()
    assert [(r[0], r[1], r[2], str(r[3])[:10]) for r in rows] == [
        ("revenue", 500000.0, 1100000.0, "2026-11-24"),
        ("nps", None, 9.0, "2026-11-24"),
    ]
    assert rows[0][4].startswith("edit:")


def cli_db_url() -> str:
    import os

    return os.environ["KHM_DATABASE_URL"]


def test_cli_import_undo_removes_the_history_it_wrote(cli, tmp_path, book):
    out = _import(cli, tmp_path, "ACME,Acme,1500000,ola,\n", "2026-11-02", "--format", "json")
    batch = json.loads(out.stdout)["batch"]
    assert fired(cli, "2026-11-02", "big spender") == {"ACME": "2026-11-02"}
    cli("import", "undo", str(batch))
    assert fired(cli, "2026-11-02", "big spender") == {}
    shown = json.loads(cli("account", "show", "ACME", "--format", "json").stdout)
    assert shown["account"]["revenue"] == 500000


def test_cli_only_changed_values_are_kept_in_one_row_each(cli, tmp_path, book, snapshot_db):
    from sqlalchemy import create_engine, text

    from khm.store.db import normalise_url

    _import(cli, tmp_path, "ACME,Acme,500000,ola,\nHIGH,High,2500000,ola,\n", "2026-11-02")
    engine = create_engine(normalise_url(cli_db_url()))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT field, old, new, source FROM field_change")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("revenue", 2000000.0, 2500000.0, "import:accounts-2026-11-02.csv")
    ]


def test_cli_customer_since_is_imported_edited_shown_and_in_json(cli, tmp_path, method_file):
    cli("rep", "add", "ola")
    _import(cli, tmp_path, "ACME,Acme,,ola,10.03.2020\n", "2026-11-02")
    shown = json.loads(cli("account", "show", "ACME", "--format", "json").stdout)
    assert shown["account"]["customer_since"] == "2020-03-10"
    text = " ".join(cli("account", "show", "ACME").stdout.split())
    assert "customer since: 2020-03-10" in text
    cli("account", "edit", "ACME", "--customer-since", "2021-04-01")
    listed = json.loads(cli("account", "list", "--format", "json").stdout)
    assert listed["items"][0]["customer_since"] == "2021-04-01"
    cli("account", "edit", "ACME", "--clear-field", "customer-since")
    shown = json.loads(cli("account", "show", "ACME", "--format", "json").stdout)
    assert shown["account"]["customer_since"] is None


def test_cli_a_bad_customer_since_is_a_clean_error(cli, tmp_path, method_file, snapshot_db):
    cli("rep", "add", "ola")
    _import(cli, tmp_path, "ACME,Acme,,ola,2020-03-10\n", "2026-11-02")
    before = snapshot_db()
    r = cli("account", "edit", "ACME", "--customer-since", "soon", code=2)
    assert "--customer-since" in r.stderr and "Traceback" not in r.stderr
    f = _csv(tmp_path, "bad.csv", "key,since\nACME,31.02.2020\n")
    r = cli("import", "accounts", str(f), "--map", "customer_since=since", code=3)
    assert "bad.csv:2: customer_since" in r.stderr
    assert snapshot_db() == before


def test_cli_the_anniversary_counts_from_customer_since_not_the_import(cli, tmp_path, method_file):
    """11 imported accounts: the thanks come on each customer's own day, never all in
    the week a year after the import."""
    cli("rep", "add", "ola")
    rows = "".join(f"K{i:02d},Kund {i},,ola,{2015 + i}-{i:02d}-1{i % 10}\n" for i in range(1, 12))
    rows = rows.replace(",ola,2026-11-11", ",ola,")  # K11: no start date, no deal, no touch
    _import(cli, tmp_path, rows, "2026-12-01")
    for i in range(1, 12):
        cli("tag", f"K{i:02d}", "--type", "keep", "--category", "A", "--reason", "test")
    from khm.store.db import normalise_url, open_store

    store = open_store(normalise_url(cli_db_url()))
    with store.engine.connect() as conn:
        from sqlalchemy import text

        created = conn.execute(text("SELECT MIN(created_at) FROM account")).scalar_one()
    store.dispose()
    created_day = date.fromisoformat(str(created)[:10])
    a_year_on = created_day.replace(year=created_day.year + 1)
    assert fired(cli, a_year_on.isoformat(), "thanks") == {}  # not the import's anniversary
    # K03 is a customer since 2018-03-13: its anniversary week in 2027
    assert fired(cli, "2027-03-15", "thanks") == {"K03": "2027-03-13"}
    assert fired(cli, "2027-07-19", "thanks") == {"K07": "2027-07-17"}
    weeks = {}
    day = date(2027, 1, 4)
    while day.year == 2027:
        for key in fired(cli, day.isoformat(), "thanks"):
            weeks.setdefault(key, day)
        day += timedelta(days=28)
    assert len(set(weeks.values())) == len(weeks) == 10  # each on its own week; K11 never


def test_cli_the_anniversary_falls_back_to_the_first_won_deal_then_the_first_touch(
    cli, tmp_path, method_file
):
    cli("rep", "add", "ola")
    _import(cli, tmp_path, "DEAL,Deal AB,,ola,\nTOUCH,Touch AB,,ola,\n", "2026-12-01")
    for key in ("DEAL", "TOUCH"):
        cli("tag", key, "--type", "keep", "--category", "A", "--reason", "test")
    deals = _csv(
        tmp_path, "deals.csv", "key,account,stage,value,closed\nD1,DEAL,won,100,2024-06-03\n"
    )
    cli("import", "deals", str(deals), "--today", "2026-12-01")
    cli("log", "TOUCH", "call", "--date", "2025-09-01", "--today", "2026-12-01")
    assert fired(cli, "2027-06-07", "thanks") == {"DEAL": "2027-06-03"}
    assert fired(cli, "2027-09-01", "thanks") == {"TOUCH": "2027-09-01"}


def test_cli_a_changed_date_is_undone_like_any_value(cli, tmp_path, method_file):
    """An import that changes ``customer_since`` (or a deal's close) keeps the date for
    undo (dates in the batch's JSON record were refused before)."""
    cli("rep", "add", "ola")
    _import(cli, tmp_path, "ACME,Acme,,ola,2020-01-01\n", "2026-11-02")
    out = _import(cli, tmp_path, "ACME,Acme,,ola,2021-01-01\n", "2026-11-03", "-f", "json")
    batch = json.loads(out.stdout)["batch"]
    deals = _csv(tmp_path, "d1.csv", "key,account,stage,closed\nD1,ACME,won,2020-01-01\n")
    cli("import", "deals", str(deals), "--today", "2026-11-03")
    deals = _csv(tmp_path, "d2.csv", "key,account,stage,closed\nD1,ACME,won,2021-02-01\n")
    assert "updated 1" in cli("import", "deals", str(deals), "--today", "2026-11-03").stdout
    cli("import", "undo", str(batch))
    shown = json.loads(cli("account", "show", "ACME", "--format", "json").stdout)
    assert shown["account"]["customer_since"] == "2020-01-01"


_PRE_METHODS = {
    first: parse_method(
        DEFAULT_METHOD_TOML.split("[[triggers]]")[0]
        + TRIGGERS_TOML.replace("above = ", f"count_first = {str(first).lower()}\nabove = ", 1)
    )
    for first in (True, False)
}


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(-60, 20), _values()), max_size=6),
    start=st.one_of(st.none(), st.dates(date(2015, 1, 1), date(2027, 1, 1))),
    first=st.booleans(),
)
def test_the_prefilter_never_skips_an_account_a_trigger_fires_for(values, start, first):
    from khm.core.triggers import Prefilter, fire

    m = _PRE_METHODS[first]
    changes: list[FieldChange] = []
    current: float | None = 2_000_000.0
    for d, v in sorted(values, key=lambda x: x[0]):
        changes.append(FieldChange("revenue", current, v, SUN + timedelta(days=d)))
        current = v
    f = facts(changes, metrics={"revenue": current}, start=start, created=SUN)
    pre = Prefilter.for_week(m, SUN)
    if not pre.may_fire(f.last_by_kind, f.anchor, (), f.metrics, f.field_changes, start):
        assert fire(m, f) == []


def test_cli_account_add_takes_customer_since(cli, method_file):
    cli("account", "add", "NEW", "--customer-since", "2019-05-02")
    shown = json.loads(cli("account", "show", "NEW", "--format", "json").stdout)
    assert shown["account"]["customer_since"] == "2019-05-02"
