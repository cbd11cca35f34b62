"""Reports that stay true: the method versions and the tag runs are kept, and a report for
a past period uses the method and the tags in force at its end (khm.core.history,
khm.services.history, 0008_method_history)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from khm.core.history import LaterChange, MethodVersion, rewind_tags, version_in_force
from khm.core.reports import AccountFacts
from khm.method import DEFAULT_METHOD_TOML, parse_method

TODAY = "2026-11-23"

# thresholds instead of ABC shares, so a hand-made book of four accounts is easy to follow
M1 = DEFAULT_METHOD_TOML.replace('rule = "share"', 'rule = "thresholds"').replace(
    "# [categories.thresholds]                # minimum metric value for A, B and C\n"
    "# A = 1_000_000\n# B = 250_000\n# C = 50_000\n",
    "[categories.thresholds]\nA = 1_000_000\nB = 250_000\nC = 50_000\n",
)
# November's change: higher thresholds (accounts move down a category) and a newsletter
# every two weeks instead of every month
M2 = (
    M1.replace("A = 1_000_000", "A = 5_000_000")
    .replace("B = 250_000", "B = 800_000")
    .replace('newsletter = "1m"', 'newsletter = "2w"')
)


def _facts(id_: int, t: str | None, c: str | None, anchor: date) -> AccountFacts:
    return AccountFacts(id_, f"K-{id_}", "", None, t, c, "SE", None, anchor)


# --------------------------------------------------------------------------- core


def test_the_method_in_force_is_the_one_seen_or_applied_last_before_the_day() -> None:
    v0 = MethodVersion("0" * 64, "built-in", None, datetime(2026, 8, 1, 8))
    v1 = MethodVersion("a" * 64, "one", None, datetime(2026, 9, 1, 8))
    v2 = MethodVersion("b" * 64, "two", "/m.toml", datetime(2026, 11, 3, 9))
    assert version_in_force([], date(2026, 10, 31)) is None
    assert version_in_force([v1, v2], date(2026, 10, 31)) is v1
    assert version_in_force([v1, v2], date(2026, 11, 3)) is v2  # from its first day
    assert version_in_force([v1, v2], date(2026, 12, 1)) is v2
    assert version_in_force([v1, v2], date(2026, 1, 1)) is v1  # before any: the oldest
    # a tag run applying a version makes it the one in force from that day
    runs = [(datetime(2026, 9, 2, 9), v1.hash), (datetime(2026, 11, 20, 9), v0.hash)]
    assert version_in_force([v0, v1, v2], date(2026, 11, 10), runs) is v2
    assert version_in_force([v0, v1, v2], date(2026, 11, 20), runs) is v0
    # before anything: the method the tags were first set with, not a stray first version
    assert version_in_force([v0, v1, v2], date(2026, 7, 1), runs) is v1


def test_rewinding_undoes_later_changes_newest_first_and_keeps_first_tags() -> None:
    a = _facts(1, "expand", "B", date(2026, 11, 20))  # keep/C → keep/B → expand/B in Nov
    b = _facts(2, "keep", "A", date(2026, 11, 5))  # first tagged in November
    c = _facts(3, "keep", "D", date(2026, 3, 1))  # untouched
    later = [
        LaterChange(11, 1, "category", "C", datetime(2026, 11, 5, 10)),
        LaterChange(12, 1, "type", "keep", datetime(2026, 11, 20, 10)),
        LaterChange(13, 2, "type", None, datetime(2026, 11, 5, 10)),
        LaterChange(14, 2, "category", None, datetime(2026, 11, 5, 10)),
    ]
    moved = rewind_tags([a, b, c], later, {1: (date(2026, 6, 2), date(2026, 1, 1))})
    assert moved == 1
    assert (a.type, a.category, a.anchor) == ("keep", "C", date(2026, 6, 2))
    # a first tag is not undone: it also stands for the days before it
    assert (b.type, b.category, b.anchor) == ("keep", "A", date(2026, 11, 5))
    assert (c.type, c.category, c.anchor) == ("keep", "D", date(2026, 3, 1))


def test_an_account_tagged_first_after_the_day_then_moved_keeps_its_first_tag_anchor() -> None:
    a = _facts(1, "keep", "B", date(2026, 11, 20))
    later = [
        LaterChange(1, 1, "type", None, datetime(2026, 11, 5, 9)),
        LaterChange(2, 1, "category", None, datetime(2026, 11, 5, 9)),
        LaterChange(3, 1, "category", "C", datetime(2026, 11, 20, 9)),
    ]
    rewind_tags([a], later, {1: (None, date(2026, 1, 1))})
    assert (a.type, a.category, a.anchor) == ("keep", "C", date(2026, 11, 5))


def test_a_method_is_named_by_the_hash_of_its_text() -> None:
    m1, m2 = parse_method(M1, "m1"), parse_method(M2, "m2")
    assert len(m1.hash) == 64 and m1.hash != m2.hash
    assert m1.hash == parse_method(M1, "elsewhere").hash
    assert m1.text == M1


# --------------------------------------------------------------------------- CLI


def _book(cli, tmp_path: Path) -> tuple[Path, Path]:
    m1, m2 = tmp_path / "m1.toml", tmp_path / "m2.toml"
    m1.write_text(M1, encoding="utf-8")
    m2.write_text(M2, encoding="utf-8")
    cli("--method", m1, "rep", "add", "ola", "--role", "any")
    for key, revenue in (("K-1", "3000000"), ("K-2", "600000"), ("K-3", "100000")):
        cli(
            "--method",
            m1,
            "account",
            "add",
            key,
            "--country",
            "SE",
            "--revenue",
            revenue,
            "--owner",
            "ola",
        )
    cli("--method", m1, "tag", "--today", "2026-08-03")
    for key, kind, day in (
        ("K-1", "newsletter", "2026-09-01"),
        ("K-1", "email", "2026-09-20"),
        ("K-1", "call", "2026-08-20"),
        ("K-1", "newsletter", "2026-10-02"),
        ("K-1", "email", "2026-10-08"),
        ("K-2", "newsletter", "2026-09-01"),
        ("K-2", "newsletter", "2026-10-02"),
        ("K-2", "call", "2026-10-28"),
        ("K-3", "newsletter", "2026-09-01"),
        ("K-3", "email", "2026-10-15"),
    ):
        cli("--method", m1, "log", key, kind, "--date", day, "--today", TODAY)
    return m1, m2


def _report(cli, method: Path, kind: str = "coverage", period: str = "2026-10") -> dict:
    out = cli(
        "--method", method, "report", kind, "--period", period, "--today", TODAY, "-f", "json"
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("by_id_limit", [2000, 0])  # 0: the grouped pass of a big book
def test_october_keeps_its_totals_after_a_november_method_change_and_tag_run(
    cli, khm_db, tmp_path, monkeypatch, by_id_limit
) -> None:
    monkeypatch.setattr("khm.store.history.BY_ID_LIMIT", by_id_limit)
    m1, m2 = _book(cli, tmp_path)
    before = _report(cli, m1)
    portfolio_before = _report(cli, m1, "portfolio")
    assert before["sections"]["coverage"]["totals"]["asked"] > 0

    run = json.loads(cli("--method", m2, "tag", "--today", "2026-11-05", "-f", "json").stdout)
    assert run["summary"]["changes"] >= 2  # K-1 A → B, K-2 B → C

    after = _report(cli, m2)
    assert after["sections"] == before["sections"]
    assert _report(cli, m2, "portfolio")["sections"] == portfolio_before["sections"]
    h1 = parse_method(M1).hash
    assert after["method_version"]["hash"] == h1 and after["method_version"]["current"] is False
    assert after["tags_as_of"] == "2026-10-31" and after["tags_rewound"] == 2

    # the change is real: November is measured with the new method and the new tags, and
    # October under the new method (seen from its last day) would give other totals
    nov = _report(cli, m2, period="2026-11")
    assert nov["method_version"]["hash"] == parse_method(M2).hash
    assert nov["method_version"]["current"] is True
    what_if = json.loads(
        cli(
            "--method", m2, "report", "coverage", "--period", "2026-10",
            "--today", "2026-10-31", "-f", "json",
        ).stdout
    )  # fmt: skip
    assert what_if["sections"]["coverage"]["totals"] != before["sections"]["coverage"]["totals"]


def test_method_history_lists_each_version_once_in_every_list_format(cli, khm_db, tmp_path) -> None:
    m1, m2 = _book(cli, tmp_path)
    cli("--method", m2, "tag", "--today", "2026-11-05")
    cli("--method", m2, "tag", "--today", "2026-11-06")
    cli("--method", tmp_path / "m1.toml", "report", "coverage", "--today", TODAY)
    doc = json.loads(cli("--method", m2, "method", "history", "-f", "json").stdout)
    assert doc["kind"] == "method_versions" and doc["count"] == 2
    first, second = doc["items"]
    assert first["hash"] == parse_method(M1).hash and first["path"] == str(m1)
    assert second["hash"] == parse_method(M2).hash and second["in_use"] is True
    assert (first["tag_runs"], second["tag_runs"]) == (1, 2)
    assert first["until"] == second["first_seen_at"]
    lines = cli("--method", m2, "method", "history", "-f", "jsonl").stdout.splitlines()
    assert [json.loads(x)["hash"] for x in lines] == [first["hash"], second["hash"]]
    csv_out = cli("method", "history", "-f", "csv").stdout.splitlines()
    assert csv_out[0] == "hash,first_seen_at,until,name,path,tag_runs,in_use"
    assert csv_out[1].startswith(first["hash"] + ",")
    table = cli("--method", m2, "method", "history").stdout
    assert first["hash"][:12] in table and "yes" in table
    # a version's text comes back by its hash or a prefix of it
    shown = cli("method", "show", "--version", second["hash"][:8]).stdout
    assert shown == M2


def test_reports_and_dry_runs_do_not_add_their_method_to_the_history(cli, khm_db, tmp_path) -> None:
    m1, m2 = _book(cli, tmp_path)
    cli("--method", m2, "report", "all", "--today", TODAY)
    cli("--method", m2, "tag", "--dry-run", "--today", TODAY)
    cli("--method", m2, "assign", "--dry-run", "--today", TODAY)
    doc = json.loads(cli("--method", m1, "method", "history", "-f", "json").stdout)
    assert [i["hash"] for i in doc["items"]] == [parse_method(M1).hash]


@pytest.mark.parametrize(
    ("prefix", "code", "message"),
    [("zz", 2, "not a method hash"), ("ffffffff", 5, "no method version"), ("", 2, "hash")],
)
def test_method_show_version_names_a_bad_hash(cli, khm_db, prefix, code, message) -> None:
    cli("account", "list")  # opens the database with the built-in method: nothing recorded
    out = cli("method", "show", "--version", prefix, code=code)
    assert message in out.stderr and "--version" in out.stderr


def test_method_history_still_lists_when_the_file_in_use_is_broken(cli, khm_db, tmp_path) -> None:
    _m1, _m2 = _book(cli, tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text("version = [", encoding="utf-8")
    doc = json.loads(cli("--method", broken, "method", "history", "-f", "json").stdout)
    assert [i["in_use"] for i in doc["items"]] == [False]


def test_method_history_needs_an_existing_database(cli, tmp_path) -> None:
    missing = tmp_path / "nowhere.db"
    out = cli("--db", missing, "method", "history", code=6)
    assert "no khm database" in out.stderr and not missing.exists()


def test_each_tag_run_is_kept_with_its_method_and_changes(cli, khm_db, tmp_path, db_url) -> None:
    from sqlalchemy import create_engine, text

    from khm.store.db import normalise_url

    _m1, m2 = _book(cli, tmp_path)
    cli("--method", m2, "tag", "--dry-run", "--today", "2026-11-05")  # writes nothing
    cli("--method", m2, "tag", "--today", "2026-11-05")
    cli("--method", m2, "tag", "K-3", "--type", "expand", "--reason", "pilot", "--today", TODAY)
    engine = create_engine(normalise_url(db_url))
    with engine.connect() as conn:
        runs = conn.execute(
            text("SELECT id, as_of, kind, method_hash, changes FROM tag_run ORDER BY id")
        ).all()
        per_run = dict(
            conn.execute(
                text(
                    "SELECT tag_run_id, COUNT(*) FROM tag_change WHERE field IN "
                    "('type', 'category') GROUP BY tag_run_id"
                )
            ).all()
        )
    engine.dispose()
    assert [(str(r.as_of)[:10], r.kind) for r in runs] == [
        ("2026-08-03", "rules"),
        ("2026-11-05", "rules"),
        (TODAY, "manual"),
    ]
    assert [r.method_hash for r in runs] == [parse_method(t).hash for t in (M1, M2, M2)]
    assert {r.id: r.changes for r in runs} == per_run  # every change names its run
