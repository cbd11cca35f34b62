"""NPS (issue 14, item 2): responses are data (``khm nps``, ``khm import nps``), the
account's latest score is its ``nps`` field, ``khm report nps`` and the detractor
trigger that puts a follow-up on the owner's weekly list."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from khm.core.nps import (
    NpsAccount,
    ResponseFacts,
    group_of,
    latest_scores,
    nps_of,
    nps_report,
    tally,
)
from khm.core.period import Period, parse_period, previous_period

TODAY = "2026-11-25"  # a Wednesday of 2026-W48
WEEK = "2026-W48"


def _json(out: str) -> dict:
    return json.loads(out)


def _book(cli, tmp_path: Path, method_text: str | None = None) -> dict[str, str]:
    """A rep and three tagged accounts (keep A) owned by ola; the default method unless
    ``method_text``."""
    env = {}
    if method_text is not None:
        p = tmp_path / "method.toml"
        p.write_text(method_text, encoding="utf-8")
        env = {"KHM_METHOD": str(p)}
    cli("init")
    cli("rep", "add", "ola", "--name", "Ola Nordmann", "--capacity", "40", env=env)
    for key in ("ACME", "BOLT", "CODA"):
        cli(
            "account", "add", key, "--name", f"{key} AB", "--revenue", "1000000",
            "--owner", "ola", "--country", "NO", env=env,
        )  # fmt: skip
    cli("tag", "--today", "2026-11-02", env=env)
    return env


# --------------------------------------------------------------------------- the maths


def test_responses_10_9_and_3_give_an_nps_of_33_3() -> None:
    t = tally([10, 9, 3])
    assert (t.responses, t.promoters, t.passives, t.detractors) == (3, 2, 0, 1)
    assert t.nps == 33.3
    assert nps_of(0, 0, 0) is None
    assert tally([7, 8]).nps == 0.0
    assert tally([0, 6]).nps == -100.0


@pytest.mark.parametrize(
    ("score", "group"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_groups_follow_the_nps_definition(score: int, group: str) -> None:
    assert group_of(score) == group


def test_the_latest_response_is_the_newest_date_then_the_last_recorded() -> None:
    rs = [
        ResponseFacts(1, 3, date(2026, 11, 2), id=1),
        ResponseFacts(1, 9, date(2026, 10, 2), id=2),
        ResponseFacts(2, 5, date(2026, 11, 2), id=3),
        ResponseFacts(2, 8, date(2026, 11, 2), id=4),
    ]
    assert latest_scores(rs) == {1: 3, 2: 8}


def test_previous_period_is_the_same_length_just_before() -> None:
    today = date(2026, 11, 25)
    assert previous_period(parse_period("2026-11", today)).label == "2026-10"
    assert previous_period(parse_period("2026-Q1", today)).label == "2025-Q4"
    assert previous_period(parse_period("2026", today)).label == "2025"
    assert previous_period(parse_period("2026-W48", today)).label == "2026-W47"
    p = previous_period(parse_period("2026-11-10..2026-11-19", today))
    assert (p.start, p.end) == (date(2026, 10, 31), date(2026, 11, 9))


def test_the_report_counts_by_segment_rep_and_month_and_lists_the_not_asked() -> None:
    accounts = [
        NpsAccount(1, "A1", "Alfa", "ola", "keep", "A"),
        NpsAccount(2, "B2", "Beta", "kari", "expand", "B"),
        NpsAccount(3, "C3", "Cesar", None, None, None),
    ]
    rs = [
        ResponseFacts(1, 10, date(2026, 10, 5), id=1),
        ResponseFacts(1, 9, date(2026, 11, 5), id=2),
        ResponseFacts(2, 3, date(2026, 11, 6), id=3, comment="slow"),
        ResponseFacts(2, 2, date(2026, 9, 6), id=4),  # the previous period
        ResponseFacts(99, 0, date(2026, 11, 6), id=5),  # not a live account: ignored
    ]
    period = Period(date(2026, 10, 1), date(2026, 11, 30), "two months")
    rep = nps_report(
        period=period,
        previous=previous_period(period),
        as_of=date(2026, 11, 25),
        accounts=accounts,
        responses=rs,
        last_asked={1: date(2026, 11, 5), 2: date(2025, 11, 1)},
    )
    assert rep.totals.as_dict() == {
        "responses": 3, "promoters": 2, "passives": 0, "detractors": 1, "nps": 33.3,
    }  # fmt: skip
    assert rep.previous_totals.nps == -100.0 and rep.change == 133.3
    assert [(r.keys, r.tally.nps) for r in rep.by_segment] == [
        ({"type": "expand", "category": "B"}, -100.0),
        ({"type": "keep", "category": "A"}, 100.0),
    ]
    assert [r.keys["rep"] for r in rep.by_rep] == ["kari", "ola"]
    assert [(r.keys["month"], r.tally.responses) for r in rep.by_month] == [
        ("2026-10", 1),
        ("2026-11", 2),
    ]
    # B2 last answered more than a year before, C3 never: never first
    assert [(n.key, n.last_asked) for n in rep.not_asked] == [
        ("C3", None),
        ("B2", date(2025, 11, 1)),
    ]
    assert rep.responses[0]["comment"] == "slow"


# --------------------------------------------------------------------------- khm nps


def test_khm_nps_records_the_response_and_the_field(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    r = cli(
        "nps", "ACME", "3", "--date", "2026-11-20", "--contact", "Eva Berg",
        "--comment", "Support is slow", "--today", TODAY, "-f", "json",
    )  # fmt: skip
    doc = _json(r.stdout)
    assert doc["kind"] == "nps_recorded"
    assert (doc["score"], doc["group"], doc["contact"], doc["nps"]) == (
        3,
        "detractor",
        "Eva Berg",
        3,
    )
    cli("nps", "acme", "9", "--date", "2026-11-10", "--today", TODAY)  # older: not the latest
    shown = _json(cli("account", "show", "ACME", "-f", "json", "--today", TODAY).stdout)
    assert shown["account"]["custom"]["nps"] == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("ACME", "11"), 2, "SCORE: 11 is outside 0-10"),
        (("--", "ACME", "-1"), 2, "SCORE: -1 is outside 0-10"),
        (("ACME", "7.5"), 2, "SCORE: '7.5' is not a whole number 0-10"),
        (("ACME", "ten"), 2, "SCORE: 'ten' is not a whole number 0-10"),
        (("NOPE", "5"), 5, "account 'NOPE' not found"),
        (("ACME", "5", "--date", "2026-11-26"), 2, "--date: 2026-11-26 is in the future"),
        (("ACME", "5", "--comment", "evil\x1b[2J"), 2, "--comment: control character U+001B (ESC)"),
        (("ACME", "5", "--contact", "Eva\nBerg"), 2, "--contact: control character U+000A (LF)"),
    ],
)
def test_khm_nps_refuses_bad_input_and_changes_nothing(
    cli, tmp_path, snapshot_db, args, code, message
) -> None:
    _book(cli, tmp_path)
    before = snapshot_db()
    r = cli("nps", "--today", TODAY, *args, code=code)
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot_db() == before


def test_the_nps_field_feeds_filters_and_type_rules(cli, tmp_path) -> None:
    from khm.method import DEFAULT_METHOD_TOML

    text = DEFAULT_METHOD_TOML.replace('when = ["open_pipeline > 0"]', 'when = ["nps >= 9"]')
    env = _book(cli, tmp_path, text)
    cli("nps", "ACME", "10", "--date", "2026-11-20", "--today", TODAY, env=env)
    cli("nps", "BOLT", "4", "--date", "2026-11-20", "--today", TODAY, env=env)
    listed = cli("account", "list", "--where", "nps<=6", "-f", "json", env=env).stdout
    assert [a["key"] for a in _json(listed)["items"]] == ["BOLT"]
    listed = cli("account", "list", "--where", "nps >= 9", "-f", "csv", env=env).stdout
    assert "ACME" in listed and "BOLT" not in listed
    cli("tag", "--today", TODAY, env=env)
    doc = _json(cli("account", "list", "-f", "json", env=env).stdout)
    types = {a["key"]: a["type"] for a in doc["items"]}
    assert types["ACME"] == "expand" and types["BOLT"] == "keep"
    r = cli("account", "list", "--where", "nps<high", env=env, code=2)
    assert "--where" in r.stderr and "needs a number" in r.stderr


def test_an_imported_custom_nps_is_the_fallback_until_a_response(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    cli("account", "edit", "ACME", "--field", "nps=8")
    cli("account", "edit", "BOLT", "--field", "nps=2")
    cli("nps", "ACME", "5", "--date", "2026-11-20", "--today", TODAY)
    doc = _json(cli("account", "list", "-f", "json").stdout)
    field = {a["key"]: a["custom"].get("nps") for a in doc["items"]}
    assert field == {"ACME": 5, "BOLT": 2, "CODA": None}


# --------------------------------------------------------------------------- khm import nps

SURVEY = (
    "Kund;Betyg;Datum;Kontakt;Kommentar\n"
    "ACME;10;2026-11-02;Eva;Great\n"
    'BOLT AB;3;03.11.2026;Bo;"Slow; very"\n'
    "ACME;9;2026-11-04;;\n"
)
SURVEY_MAP = (
    "--map", "account=Kund", "--map", "score=Betyg", "--map", "date=Datum",
    "--map", "contact=Kontakt", "--map", "comment=Kommentar",
)  # fmt: skip


def test_import_nps_reads_a_survey_export_once(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    f = tmp_path / "survey.csv"
    f.write_text(SURVEY, encoding="utf-8")
    dry = cli("import", "nps", str(f), *SURVEY_MAP, "--dry-run", "--today", TODAY)
    assert "inserted 3" in dry.stdout and "nothing was written" in dry.stdout
    doc = _json(cli("import", "nps", str(f), *SURVEY_MAP, "--today", TODAY, "-f", "json").stdout)
    assert (doc["inserted"], doc["batch"]) == (3, 1)
    again = _json(cli("import", "nps", str(f), *SURVEY_MAP, "--today", TODAY, "-f", "json").stdout)
    assert (again["inserted"], again["unchanged"]) == (0, 3)
    field = {
        a["key"]: a["custom"].get("nps")
        for a in _json(cli("account", "list", "-f", "json").stdout)["items"]
    }
    assert field == {"ACME": 9, "BOLT": 3, "CODA": None}
    report = _json(
        cli("report", "nps", "--period", "2026-11", "--today", TODAY, "-f", "json").stdout
    )
    nps = report["sections"]["nps"]
    assert nps["totals"] == {
        "responses": 3, "promoters": 2, "passives": 0, "detractors": 1, "nps": 33.3,
    }  # fmt: skip
    assert {r["comment"] for r in nps["rows"]} == {"Great", "Slow; very", None}


def test_import_nps_names_bad_rows_and_skips_them_when_asked(cli, tmp_path, snapshot_db) -> None:
    _book(cli, tmp_path)
    f = tmp_path / "bad.csv"
    f.write_text(
        "account,score,date,comment\n"
        "ACME,11,2026-11-02,\n"
        "NOPE,5,2026-11-02,\n"
        "BOLT,7,2026-12-24,\n"
        "CODA,x,2026-11-02,\n"
        "CODA,6,2026-11-02,ok\n",
        encoding="utf-8",
    )
    before = snapshot_db()
    r = cli("import", "nps", str(f), "--today", TODAY, code=3)
    assert f"{f}:2: score: 11 is outside 0-10" in r.stderr
    assert f"{f}:3: account:" in r.stderr
    assert f"{f}:4: date: 2026-12-24 is in the future" in r.stderr
    assert f"{f}:5: score: 'x' is not a whole number 0-10" in r.stderr
    assert snapshot_db() == before
    ok = cli("import", "nps", str(f), "--today", TODAY, "--skip-bad")
    assert "inserted 1" in ok.stdout
    rows = snapshot_db()["nps_response"]
    assert len(rows) == 1


def test_import_nps_without_a_score_column_is_a_clean_error(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    f = tmp_path / "s.csv"
    f.write_text("account,date\nACME,2026-11-02\n", encoding="utf-8")
    r = cli("import", "nps", str(f), "--today", TODAY, code=3)
    assert "no column for the response score" in r.stderr


def test_import_undo_removes_the_responses_and_puts_the_field_back(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    cli("account", "edit", "ACME", "--field", "nps=8")  # imported before, say
    f = tmp_path / "survey.csv"
    f.write_text(SURVEY, encoding="utf-8")
    cli("import", "nps", str(f), *SURVEY_MAP, "--today", TODAY)
    cli("nps", "CODA", "6", "--date", "2026-11-01", "--today", TODAY)  # by hand: stays
    undo = cli("import", "undo", "1")
    assert "3 row(s) it inserted removed" in undo.stdout
    field = {
        a["key"]: a["custom"].get("nps")
        for a in _json(cli("account", "list", "-f", "json").stdout)["items"]
    }
    assert field == {"ACME": 8, "BOLT": None, "CODA": 6}


# --------------------------------------------------------------------------- the trigger


def _weekly_items(cli, env=None, today: str = TODAY) -> list[dict]:
    doc = _json(cli("weekly", "--week", WEEK, "--today", today, "-f", "json", env=env).stdout)
    return [i for r in doc["reps"] for i in r["items"]]


def test_a_detractors_comment_is_the_reason_of_a_trigger_item_on_the_weekly_list(
    cli, tmp_path
) -> None:
    _book(cli, tmp_path)
    for key in ("ACME", "BOLT", "CODA"):  # every call done: only a trigger can list one
        cli("log", key, "call", "--date", "2026-11-16", "--today", TODAY)
    assert not [i for i in _weekly_items(cli) if "detractor" in i["triggers"]]
    cli(
        "nps", "BOLT", "4", "--date", "2026-11-23", "--comment", "Nobody answers our tickets",
        "--today", TODAY,
    )  # fmt: skip
    cli("nps", "ACME", "10", "--date", "2026-11-23", "--comment", "Great", "--today", TODAY)
    items = [i for i in _weekly_items(cli) if "detractor" in i["triggers"]]
    assert [(i["account"], i["activity"], i["status"]) for i in items] == [
        ("BOLT", "call", "trigger")
    ]
    assert items[0]["reason"] == "NPS 4: Nobody answers our tickets (call back by 2026-11-30)"
    table = cli("weekly", "--rep", "ola", "--week", WEEK, "--today", TODAY).stdout
    assert "NPS 4: Nobody answers our tickets" in table
    # done after the answer: gone, and it does not come back next week
    cli("log", "BOLT", "call", "--date", TODAY, "--today", TODAY)
    assert not [i for i in _weekly_items(cli) if "detractor" in i["triggers"]]
    nxt = _json(cli("weekly", "--week", "2026-W49", "--today", TODAY, "-f", "json").stdout)
    assert not [i for r in nxt["reps"] for i in r["items"] if "detractor" in i["triggers"]]
    # a new detractor answer (the next day: a touch on the day of an answer handles it)
    # fires again, once
    cli(
        "nps",
        "BOLT",
        "2",
        "--date",
        "2026-11-26",
        "--comment",
        "Still slow",
        "--today",
        "2026-11-26",
    )
    items = [i for i in _weekly_items(cli, today="2026-11-26") if "detractor" in i["triggers"]]
    assert len(items) == 1 and items[0]["reason"].startswith("NPS 2: Still slow")


def test_the_method_sets_the_detractor_activity_days_and_reason(cli, tmp_path) -> None:
    from khm.method import DEFAULT_METHOD_TOML

    text = DEFAULT_METHOD_TOML.replace(
        'activity = "call"\nwithin_days = 7\nreason = "NPS {score}: {comment} (call back by {due})"',
        'activity = "visit"\nwithin_days = 3\nreason = "Visit {contact}: {score} ({due})"',
    )
    assert text != DEFAULT_METHOD_TOML
    env = _book(cli, tmp_path, text)
    cli("nps", "CODA", "0", "--date", "2026-11-23", "--contact", "Per", "--today", TODAY, env=env)
    items = [i for i in _weekly_items(cli, env) if "detractor" in i["triggers"]]
    assert [(i["account"], i["activity"]) for i in items] == [("CODA", "visit")]
    assert "Visit Per: 0 (2026-11-26)" in items[0]["reason"]


def test_a_method_with_a_bad_detractor_trigger_names_the_key(cli, tmp_path) -> None:
    from khm.method import DEFAULT_METHOD_TOML

    p = tmp_path / "m.toml"
    p.write_text(DEFAULT_METHOD_TOML.replace("within_days = 7", "within_days = 0"), "utf-8")
    r = cli("method", "check", str(p), code=4)
    assert "within_days" in r.stderr


# --------------------------------------------------------------------------- the report


def _survey(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    cli("nps", "ACME", "10", "--date", "2026-10-05", "--comment", "Great", "--today", TODAY)
    cli("nps", "BOLT", "9", "--date", "2026-11-05", "--today", TODAY)
    cli("nps", "CODA", "3", "--date", "2026-11-06", "--comment", "Slow " * 30, "--today", TODAY)


def test_report_nps_in_every_format(cli, tmp_path) -> None:
    _survey(cli, tmp_path)
    args = ("report", "nps", "--period", "2026-10-01..2026-11-30", "--today", TODAY)
    doc = _json(cli(*args, "-f", "json").stdout)
    s = doc["sections"]["nps"]
    assert s["totals"]["nps"] == 33.3 and s["totals"]["responses"] == 3
    assert s["trend"]["previous"]["end"] == "2026-09-30" and s["trend"]["change"] is None
    assert [m["month"] for m in s["by_month"]] == ["2026-10", "2026-11"]
    assert [m["nps"] for m in s["by_month"]] == [100.0, 0.0]
    assert s["by_rep"] == [
        {"rep": "ola", "responses": 3, "promoters": 2, "passives": 0, "detractors": 1, "nps": 33.3}
    ]
    assert s["not_asked"]["accounts"] == 0
    csv = cli(*args, "-f", "csv").stdout.splitlines()
    assert csv[0] == "date,key,name,owner,type,category,score,group,contact,comment"
    assert len(csv) == 4
    md = cli(*args, "-f", "markdown").stdout
    assert "NPS 33.3 in 2026-10-01..2026-11-30" in md
    html = cli(*args, "-f", "html").stdout
    assert "<svg" in html and "<script" not in html.lower() and "NPS 33.3" in html
    table = cli(*args, env={"COLUMNS": "80"}).stdout
    lines = table.splitlines()
    assert max(len(x) for x in lines) <= 80
    assert "NPS 33.3" in table and "Slow Slow" in table and "…" in table
    # a one-line comment: the row of each response is one line
    assert len([x for x in lines if re.match(r"│ 2026-1[01]-\d\d │", x)]) == 3


def test_report_nps_lists_accounts_not_asked_for_a_year(cli, tmp_path) -> None:
    _book(cli, tmp_path)
    cli("nps", "ACME", "8", "--date", "2025-11-01", "--today", TODAY)
    cli("nps", "BOLT", "8", "--date", "2026-02-01", "--today", TODAY)
    args = ("report", "nps", "--period", "2026-11", "--today", TODAY, "-f", "json")
    doc = _json(cli(*args).stdout)
    rows = doc["sections"]["nps"]["not_asked"]["rows"]
    assert [(r["key"], r["last_asked"]) for r in rows] == [("CODA", None), ("ACME", "2025-11-01")]
    assert doc["sections"]["nps"]["totals"]["nps"] is None  # no answer in November


def test_report_nps_per_rep_and_unknown_rep(cli, tmp_path) -> None:
    _survey(cli, tmp_path)
    r = cli("report", "nps", "--rep", "nobody", "--today", TODAY, code=5)
    assert "--rep" in r.stderr


def test_a_hostile_comment_is_escaped_in_every_output(cli, store, tmp_path) -> None:
    from sqlalchemy import text

    _book(cli, tmp_path)
    evil = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) [bold]b[/bold]"
    cli("nps", "ACME", "2", "--date", "2026-11-23", "--comment", evil, "--today", TODAY)
    cli("nps", "BOLT", "1", "--date", "2026-11-23", "--comment", "plain", "--today", TODAY)
    with store.engine.begin() as conn:  # past the input rule, as another client could
        conn.execute(
            text("UPDATE nps_response SET comment = :c WHERE comment = 'plain'"),
            {"c": "Red\x1b[31mAlert\x07"},
        )
    args = ("--week", WEEK, "--today", TODAY)
    outs = {
        "weekly table": cli("weekly", *args).stdout,
        "weekly markdown": cli("weekly", *args, "-f", "markdown").stdout,
        "weekly csv": cli("weekly", *args, "-f", "csv").stdout,
        "weekly ics": cli("weekly", *args, "-f", "ics").stdout.replace("\r\n", "\n"),
    }
    rep = ("report", "nps", "--period", "2026-11", "--today", TODAY)
    for fmt in ("table", "markdown", "csv", "html"):
        outs[f"report {fmt}"] = cli(*rep, "-f", fmt).stdout
    control = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    for what, out in outs.items():
        assert control.search(out) is None, what
    assert "[bold]b[/bold]" in outs["weekly table"]  # shown as written, not as markup
    assert "<img" not in outs["report html"] and "&lt;img src=x" in outs["report html"]
    from markdown_it import MarkdownIt

    for what in ("weekly markdown", "report markdown"):
        html = MarkdownIt("commonmark", {"html": True}).enable("table").render(outs[what])
        assert "<img" not in html and 'href="javascript' not in html, what
    doc = _json(cli(*rep, "-f", "json").stdout)
    assert evil in {r["comment"] for r in doc["sections"]["nps"]["rows"]}


# --------------------------------------------------------------------------- migration


def test_0009_nps_upgrades_a_0008_database_with_data(db_url) -> None:
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
    upgrade(engine, "0008_method_history")  # the revision before the NPS responses
    with engine.begin() as conn:
        assert "nps_response" not in inspect(conn).get_table_names()
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, type_manual,"
                " category_manual, archived, created_at, updated_at) VALUES (1, 'ACME',"
                " 'Ærø Søfart', '[]', '{\"nps\": 7}', :f, :f, :f, :s, :s)"
            ),
            {"f": False, "s": "2026-11-02 08:00:00"},
        )
    engine.dispose()
    store = open_store(url)
    try:
        with store.engine.begin() as conn:
            assert current_revision(conn) == HEAD_REVISION  # 0009_nps and any later
            insp = inspect(conn)
            assert "nps_response" in insp.get_table_names()
            assert {"ix_nps_response_account_date", "ix_nps_response_import_batch_id"} <= {
                i["name"] for i in insp.get_indexes("nps_response")
            }
            custom = conn.execute(text("SELECT custom FROM account")).scalar_one()
            assert (json.loads(custom) if isinstance(custom, str) else custom) == {"nps": 7}
    finally:
        store.dispose()


# --------------------------------------------------------------------------- the demo


def test_the_demo_has_responses_whose_latest_is_the_nps_field() -> None:
    from khm.demo import generate

    data = generate(seed=3, today=date(2026, 11, 23), accounts=200)
    assert data.nps_responses
    by_key: dict[str, list] = {}
    for r in data.nps_responses:
        by_key.setdefault(r.account_key, []).append(r)
    surveyed = {a.key: a for a in data.accounts if "nps" in a.custom and not a.archived}
    assert set(by_key) == set(surveyed)
    for key, rs in by_key.items():
        latest = max(rs, key=lambda r: r.date)  # ties: the last recorded, as the store does
        newest = [r for r in rs if r.date == latest.date][-1]
        assert newest.score == surveyed[key].custom["nps"]
        assert all(0 <= r.score <= 10 and r.date < date(2026, 11, 23) for r in rs)
    months = {(r.date.year, r.date.month) for r in data.nps_responses}
    assert len(months) >= 11  # every month of the year has answers


def test_report_nps_on_the_demo_in_every_format(cli, tmp_path) -> None:
    cli("demo", "--accounts", "150", "--today", "2026-11-23", "--seed", "5")
    args = ("report", "nps", "--period", "2025-12-01..2026-11-22", "--today", "2026-11-23")
    doc = _json(cli(*args, "-f", "json").stdout)["sections"]["nps"]
    t = doc["totals"]
    assert (
        t["responses"] > 50 and t["promoters"] + t["passives"] + t["detractors"] == t["responses"]
    )
    assert len(doc["by_month"]) == 12 and len(doc["by_rep"]) >= 4
    assert doc["not_asked"]["accounts"] > 0
    for fmt in ("csv", "markdown", "html"):
        assert cli(*args, "-f", fmt).stdout.strip()
    table = cli(*args, env={"COLUMNS": "80"}).stdout
    assert max(len(x) for x in table.splitlines()) <= 80


def test_undoing_an_account_import_with_responses_since_is_refused_then_forced(
    cli, tmp_path, snapshot_db
) -> None:
    f = tmp_path / "a.csv"
    f.write_text("key,name\nACME,Acme AB\n", encoding="utf-8")
    cli("import", "accounts", str(f))
    cli("nps", "ACME", "4", "--date", "2026-11-20", "--today", TODAY)
    before = snapshot_db()
    r = cli("import", "undo", "1", code=7)
    assert "key ACME: 1 NPS response(s) recorded since" in r.stderr
    assert snapshot_db() == before
    cli("import", "undo", "1", "--force")
    assert snapshot_db()["nps_response"] == [] and snapshot_db()["account"] == []
