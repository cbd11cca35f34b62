"""Lifecycle stages and the funnel: the method's [lifecycle], ``khm stage``, the stage history
from imports and deals, and ``khm report funnel`` on small books worked out by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khm.core.funnel import DealFact, StageFact, deal_changes, funnel_report
from khm.core.period import parse_period
from khm.core.reports import AccountFacts
from khm.errors import MethodError
from khm.method import DEFAULT_METHOD_TOML, DEFAULT_STAGES, default_method, parse_method

NOV = parse_period("2026-11", date(2026, 12, 1))
TODAY = "2026-12-01"


def _acc(i: int, owner: str | None = "ola", t: str | None = "keep", c: str | None = "B"):
    return AccountFacts(i, f"K{i}", f"Account {i}", owner, t, c, "SE", 1.0, date(2026, 1, 1))


def _row(rep, stage):
    return next(r for r in rep.totals if r.stage == stage)


# --------------------------------------------------------------------------- core


def test_one_of_two_accounts_moving_on_is_a_conversion_rate_of_one_in_two():
    # K1 and K2 are in acquisition on 31 October; K1 reaches conversion on 10 November.
    accounts = [_acc(1), _acc(2)]
    changes = [
        StageFact(1, "acquisition", date(2026, 10, 1), 1),
        StageFact(2, "acquisition", date(2026, 10, 21), 2),
        StageFact(1, "conversion", date(2026, 11, 10), 3),
    ]
    f = funnel_report(DEFAULT_STAGES, accounts, changes, NOV)
    acq, conv = _row(f, "acquisition"), _row(f, "conversion")
    assert (acq.at_start, acq.entered, acq.in_stage, acq.moved_on, acq.at_end) == (2, 0, 2, 1, 1)
    assert acq.conversion_rate == 0.5
    assert acq.median_days == 40.0  # K1: 1 Oct -> 10 Nov
    assert acq.median_age_days == 40.0  # K2: 21 Oct -> 30 Nov
    assert (conv.at_start, conv.entered, conv.at_end, conv.moved_on) == (0, 1, 1, 0)
    assert conv.conversion_rate == 0.0  # in the stage (entered), did not move on
    assert _row(f, "reach").conversion_rate is None  # nobody was in reach
    assert _row(f, "loyalty").conversion_rate is None  # the last stage has no next step
    assert [(m.from_stage, m.to_stage, m.direction, m.moves) for m in f.moves] == [
        ("acquisition", "conversion", "forward", 1)
    ]
    assert f.accounts_moved == 1 and f.without_stage_at_start == 0


def test_entering_the_funnel_moving_back_and_skipping_a_stage():
    accounts = [_acc(1), _acc(2), _acc(3)]
    changes = [
        StageFact(1, "reach", date(2026, 11, 3), 1),  # new in the period
        StageFact(1, "conversion", date(2026, 11, 20), 2),  # skips acquisition
        StageFact(2, "loyalty", date(2026, 6, 1), 3),
        StageFact(2, "retention", date(2026, 11, 5), 4),  # falls back
        StageFact(3, "retention", date(2026, 12, 5), 5),  # after the period: not counted
    ]
    f = funnel_report(DEFAULT_STAGES, accounts, changes, NOV)
    reach = _row(f, "reach")
    assert (reach.at_start, reach.entered, reach.moved_on, reach.conversion_rate) == (0, 1, 1, 1.0)
    assert _row(f, "acquisition").in_stage == 0  # skipped: not in the stage
    loyal = _row(f, "loyalty")
    assert (loyal.at_start, loyal.moved_back, loyal.left, loyal.at_end) == (1, 1, 1, 0)
    assert {(m.from_stage, m.to_stage, m.direction) for m in f.moves} == {
        ("(none)", "reach", "first"),
        ("reach", "conversion", "forward"),
        ("loyalty", "retention", "back"),
    }
    assert f.without_stage_at_start == 2 and f.without_stage_at_end == 1


def test_the_funnel_by_rep_and_by_segment_splits_the_totals():
    accounts = [_acc(1, "ola", "expand", "A"), _acc(2, "kari", "keep", "B"), _acc(3, None)]
    changes = [StageFact(i, "retention", date(2026, 10, 1), i) for i in (1, 2, 3)]
    f = funnel_report(DEFAULT_STAGES, accounts, changes, NOV)
    assert [g.rep for g in f.by_rep] == ["kari", "ola", "(unassigned)"]
    assert [(g.type, g.category) for g in f.by_segment] == [("expand", "A"), ("keep", "B")]
    for groups in (f.by_rep, f.by_segment):
        total = sum(next(r for r in g.rows if r.stage == "retention").at_end for g in groups)
        assert total == _row(f, "retention").at_end == 3


_day = st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 1, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(DEFAULT_STAGES), _day), max_size=30))
def test_funnel_counts_add_up_for_any_history(raw):
    owners, segs = ["ola", "kari", None], [("expand", "A"), ("keep", "B")]
    accounts = [_acc(i, owners[i % 3], *segs[i % 2]) for i in range(1, 7)]
    changes = [StageFact(a, s, d, n) for n, (a, s, d) in enumerate(raw)]
    f = funnel_report(DEFAULT_STAGES, accounts, changes, NOV)
    assert sum(r.at_start for r in f.totals) == f.accounts - f.without_stage_at_start
    assert sum(r.at_end for r in f.totals) == f.accounts - f.without_stage_at_end
    for r in f.totals:
        assert r.moved_on + r.moved_back == r.left <= r.in_stage
        assert r.in_stage <= r.at_start + r.entered
        if r.conversion_rate is not None:
            assert 0.0 <= r.conversion_rate <= 1.0
    assert sum(m.moves for m in f.moves) >= f.accounts_moved
    counts = ("at_start", "at_end", "entered", "in_stage", "moved_on", "moved_back", "left")
    for groups in (f.by_rep, f.by_segment):  # each account in one group: the parts add up
        assert sum(g.accounts for g in groups) == f.accounts
        for i, total in enumerate(f.totals):
            for name in counts:
                assert sum(getattr(g.rows[i], name) for g in groups) == getattr(total, name)


def test_deals_move_an_account_forward_only():
    stages = DEFAULT_STAGES
    rules = {"open": "acquisition", "first_won": "conversion", "won": "retention"}
    deals = [
        DealFact("D1", "won", date(2026, 2, 1), date(2026, 4, 1)),
        DealFact("D2", "won", date(2026, 6, 1), date(2026, 8, 1)),
        DealFact("D3", "open", date(2026, 10, 1), None),  # a new deal of a customer
    ]
    got = deal_changes(stages, rules, deals, [])
    assert got == [
        (date(2026, 2, 1), "acquisition", "D1"),
        (date(2026, 4, 1), "conversion", "D1"),
        (date(2026, 8, 1), "retention", "D2"),
    ]
    # the same deals again: the history has them, nothing new
    assert deal_changes(stages, rules, deals, [(d, s) for d, s, _ in got]) == []
    # a loyal customer's new deal changes nothing
    assert deal_changes(stages, rules, deals[2:], [(date(2025, 1, 1), "loyalty")]) == []


# --------------------------------------------------------------------------- the method


def test_the_default_method_has_the_five_stages_and_a_map():
    lc = default_method().lifecycle
    assert lc.stages == list(DEFAULT_STAGES)
    assert lc.stage_of(" Opportunity ") == "acquisition"
    assert lc.stage_of("CUSTOMER") == "retention"
    assert lc.stage_of("Loyalty") == "loyalty"
    assert lc.stage_of("churned") is None


def test_a_method_with_its_own_stages_and_map():
    text = DEFAULT_METHOD_TOML.replace(
        'stages = ["reach", "acquisition", "conversion", "retention", "loyalty"]',
        'stages = ["lead", "client"]\n[lifecycle.map]\n"Closed Won" = "client"\n'
        '[lifecycle.deals]\nopen = "lead"\nfirst_won = "client"\nwon = ""',
    )
    lc = parse_method(text, "m.toml").lifecycle
    assert lc.stages == ["lead", "client"]
    assert lc.stage_of("closed   won") == "client"
    assert lc.stage_of("opportunity") is None  # the built-in map is for the default stages


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ('[lifecycle.map]\nprospect = "nowhere"', "map.prospect: 'nowhere' is not a stage"),
        ('[lifecycle.deals]\nopen = "nowhere"', "deals.open: 'nowhere' is not a stage"),
        ("[lifecycle.map]\nLead = 'reach'\nlead = 'loyalty'", "map.lead: the word is mapped twice"),
    ],
)
def test_a_bad_lifecycle_names_the_file_and_the_key(extra, where):
    with pytest.raises(MethodError) as err:
        parse_method(DEFAULT_METHOD_TOML + "\n" + extra + "\n", "team.toml")
    assert err.value.message.startswith("team.toml: lifecycle")
    assert where in err.value.message


def test_a_lifecycle_with_one_stage_is_refused():
    text = DEFAULT_METHOD_TOML.replace(
        'stages = ["reach", "acquisition", "conversion", "retention", "loyalty"]',
        'stages = ["only"]',
    )
    with pytest.raises(MethodError, match=r"team.toml: lifecycle.stages: name at least two"):
        parse_method(text, "team.toml")


# --------------------------------------------------------------------------- khm stage


@pytest.fixture
def book(cli, khm_db):
    cli("rep", "add", "ola")
    cli("rep", "add", "kari")
    for key, owner in (("K1", "ola"), ("K2", "ola"), ("K3", "kari")):
        cli("account", "add", key, "--name", f"Ærø {key}", "--owner", owner)
    return cli


def _funnel(cli, *extra):
    out = cli("report", "funnel", "--period", "2026-11", "--today", TODAY, "-f", "json", *extra)
    return json.loads(out.stdout)["sections"]["funnel"]


def test_stage_moves_give_the_funnel_counts_and_a_rate_of_one_in_two(book):
    # by hand: K1 and K2 in acquisition before November, K1 converts on 10 November;
    # K3 enters the funnel in reach on 15 November.
    book("stage", "K1", "acquisition", "--date", "2026-10-01", "--today", TODAY)
    book("stage", "K2", "opportunity", "--date", "2026-10-21", "--today", TODAY)
    book("stage", "K1", "conversion", "--date", "2026-11-10", "--today", TODAY)
    book("stage", "K3", "prospect", "--date", "2026-11-15", "--today", TODAY)
    f = _funnel(book)
    rows = {r["stage"]: r for r in f["rows"]}
    assert rows["acquisition"]["at_start"] == 2 and rows["acquisition"]["at_end"] == 1
    assert rows["acquisition"]["moved_on"] == 1 and rows["acquisition"]["in_stage"] == 2
    assert rows["acquisition"]["conversion_rate"] == 0.5
    assert rows["acquisition"]["median_days"] == 40.0
    assert rows["conversion"]["at_end"] == 1 and rows["reach"]["entered"] == 1
    # the worked example of docs/reports.md
    assert [r["median_age_days"] for r in f["rows"]] == [15.0, 40.0, 20.0, None, None]
    assert [r["conversion_rate"] for r in f["rows"]] == [0.0, 0.5, 0.0, None, None]
    assert f["totals"] == {
        "accounts": 3,
        "with_stage_at_start": 2,
        "with_stage_at_end": 3,
        "moves": 2,
        "accounts_moved": 2,
    }
    assert {(m["from"], m["to"]) for m in f["moves"]} == {
        ("acquisition", "conversion"),
        ("(none)", "reach"),
    }
    by_rep = {(r["rep"], r["stage"]): r for r in f["by_rep"]}
    assert by_rep[("ola", "acquisition")]["conversion_rate"] == 0.5
    assert by_rep[("kari", "reach")]["at_end"] == 1
    ola = _funnel(book, "--rep", "ola")
    assert {r["stage"]: r["at_end"] for r in ola["rows"]}["reach"] == 0


def test_khm_stage_sets_the_text_and_the_history_shows_in_account_show(book):
    out = book("stage", "k1", "Onboarding", "--date", "2026-11-02", "--today", TODAY)
    assert "K1 (Ærø K1): conversion (Onboarding) from 2026-11-02" in out.stdout
    again = book("stage", "K1", "conversion", "--today", TODAY)
    assert "already in conversion since 2026-11-02: nothing recorded" in again.stdout
    shown = json.loads(book("account", "show", "K1", "-f", "json", "--today", TODAY).stdout)
    assert shown["account"]["lifecycle_stage"] == "Onboarding"
    assert [(h["date"], h["stage"], h["source"], h["text"]) for h in shown["stage_history"]] == [
        ("2026-11-02", "conversion", "manual", "Onboarding")
    ]
    table = book("account", "show", "K1", "--today", TODAY).stdout
    assert "Stage history" in table and "2026-11-02  conversion" in table


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("K1", "bogus"), 2, "STAGE: 'bogus' is not a stage of the method (stages: reach,"),
        (("K1", "reach", "--date", "2026-12-02"), 2, "--date: 2026-12-02 is in the future"),
        (("K1", "reach", "--date", "2026-10-31"), 7, "latest stage change is on 2026-11-01"),
        (("NOPE", "reach"), 5, "account 'NOPE' not found"),
        (("K1", "reach", "--date", "someday"), 2, "--date"),
    ],
)
def test_khm_stage_refuses_bad_input_and_leaves_the_database_as_it_was(
    book, snapshot_db, args, code, message
):
    book("stage", "K1", "acquisition", "--date", "2026-11-01", "--today", TODAY)
    before = snapshot_db()
    out = book("stage", *args, "--today", TODAY, code=code)
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert snapshot_db() == before


# --------------------------------------------------------------------------- import, deals, undo


def _write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def _history(cli, key):
    shown = json.loads(cli("account", "show", key, "-f", "json", "--today", TODAY).stdout)
    return [(h["date"], h["stage"], h["source"]) for h in shown["stage_history"]]


def test_an_account_import_records_a_change_when_the_stage_differs(cli, tmp_path):
    first = _write(tmp_path, "a.csv", "key,name,lifecycle_stage\nA1,Alpha,lead\nA2,Beta,churned\n")
    out = cli("import", "accounts", first, "--today", "2026-11-02")
    assert "'churned' (1 row) is not a stage of the method" in out.stdout + out.stderr
    assert _history(cli, "A1") == [("2026-11-02", "acquisition", "import")]
    assert _history(cli, "A2") == []
    cli("import", "accounts", first, "--today", "2026-11-05")  # the same file: no change
    same = _write(tmp_path, "b.csv", "key,lifecycle_stage\nA1,Opportunity\n")
    cli("import", "accounts", same, "--today", "2026-11-06")  # other text, same stage
    assert _history(cli, "A1") == [("2026-11-02", "acquisition", "import")]
    moved = _write(tmp_path, "c.csv", "key,lifecycle_stage\nA1,customer\n")
    out = cli("import", "accounts", moved, "--today", "2026-11-20", "-f", "json")
    batch = json.loads(out.stdout)["batch"]
    assert _history(cli, "A1")[-1] == ("2026-11-20", "retention", "import")
    cli("import", "undo", str(batch))
    assert _history(cli, "A1") == [("2026-11-02", "acquisition", "import")]


def test_undoing_the_import_that_added_accounts_removes_their_stage_history(cli, tmp_path):
    f = _write(tmp_path, "a.csv", "key,lifecycle_stage\nA1,lead\n")
    batch = json.loads(cli("import", "accounts", f, "-f", "json").stdout)["batch"]
    cli("stage", "A1", "conversion")
    out = cli("import", "undo", str(batch), code=None)
    assert "stage change(s) recorded since" in out.stdout + out.stderr
    cli("import", "undo", str(batch), "--force")
    cli("account", "show", "A1", code=5)


def test_deals_give_the_stage_history_of_their_accounts(cli, tmp_path):
    cli("import", "accounts", _write(tmp_path, "a.csv", "key,name\nA1,Alpha\n"))
    deals = _write(
        tmp_path,
        "d.csv",
        "key,account,stage,created,closed,value\n"
        "D1,A1,Won,2026-02-03,2026-04-20,100\n"
        "D2,A1,Closed Won,2026-06-01,2026-09-01,50\n"
        "D3,A1,Engaging,2026-10-01,,10\n",
    )
    cli("import", "deals", deals, "--today", TODAY)
    assert _history(cli, "A1") == [
        ("2026-02-03", "acquisition", "deal"),
        ("2026-04-20", "conversion", "deal"),
        ("2026-09-01", "retention", "deal"),
    ]
    cli("import", "deals", deals, "--today", TODAY)  # again: nothing new
    assert len(_history(cli, "A1")) == 3


# --------------------------------------------------------------------------- formats


def test_report_funnel_in_every_format(book, tmp_path):
    book("stage", "K1", "acquisition", "--date", "2026-10-01", "--today", TODAY)
    book("stage", "K1", "conversion", "--date", "2026-11-10", "--today", TODAY)
    base = ("report", "funnel", "--period", "2026-11", "--today", TODAY)
    table = book(*base, env={"COLUMNS": "80"}).stdout
    assert "Funnel: accounts per stage" in table
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "acquisition" in table and "100.0 %" in table
    csv = book(*base, "-f", "csv").stdout.splitlines()
    assert csv[0].startswith("scope,rep,type,category,stage,at_start")
    assert "total,,,,acquisition,1,0,1,1,0,1,0,1,40," in csv
    md = book(*base, "-f", "markdown").stdout
    assert "## Funnel" in md and "| acquisition |" in md
    html = book(*base, "-f", "html").stdout
    assert 'class="funnel"' in html and "moved on: <b>100.0 %</b>" in html
    assert "<script" not in html and "http" not in html
    out = tmp_path / "funnel.html"
    book(*base, "-f", "html", "-o", str(out))
    assert out.read_text(encoding="utf-8") == html
    everything = json.loads(book("report", "all", "--today", TODAY, "-f", "json").stdout)
    assert "funnel" in everything["sections"]


def test_the_demo_has_a_funnel(cli):
    cli("demo", "--today", TODAY)
    f = _funnel(cli)
    assert f["totals"]["with_stage_at_end"] > 500
    assert f["totals"]["moves"] > 5
    assert any(r["conversion_rate"] for r in f["rows"])
