"""``khm log`` and ``khm touch list|delete``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest

from khm.errors import ExitCode

TODAY = "2026-11-23"
NOTE = 'Met the CEO [bold]"Åse"[/bold], agreed on pilot; next: 🚀 æøå õü'


def _json(result) -> dict:
    return json.loads(result.stdout)


@pytest.fixture
def acme(cli, store):
    """ACME, expand A since 2026-01-05, owned by anna; bo is another rep."""
    from sqlalchemy import update

    from khm.store.models import Account

    cli("rep", "add", "anna", "--role", "expand")
    cli("rep", "add", "bo", "--role", "keep")
    cli("account", "add", "ACME", "--name", "Acme AS", "--owner", "anna")
    with store.transaction() as s:
        s.execute(
            update(Account)
            .where(Account.key == "ACME")
            .values(type="expand", category="A", tagged_at=datetime(2026, 1, 5))
        )
    return store


def _log(cli, *args, code=0):
    return cli("log", *args, "--today", TODAY, code=code)


def test_log_defaults_to_today_and_the_owner_and_prints_the_next_due(cli, acme):
    r = _log(cli, "ACME", "call", "--note", "checked in")
    assert "Logged call #1 on 2026-11-23 with ACME (Acme AS) by anna" in r.stdout
    assert "Next call due 2026-12-23" in r.stdout  # call is monthly for expand A
    t = _json(cli("touch", "list", "-f", "json"))["items"][0]
    assert (t["date"], t["rep"], t["kind"], t["note"], t["source"]) == (
        TODAY,
        "anna",
        "call",
        "checked in",
        "manual",
    )


def test_logging_moves_the_next_due_date(cli, acme):
    def call_due():
        data = _json(cli("account", "show", "ACME", "--today", TODAY, "-f", "json"))
        return next(d for d in data["schedule"] if d["kind"] == "call")

    before = call_due()
    assert before["last_touch"] is None and before["first"] is True
    _log(cli, "ACME", "call", "--date", "2026-11-02")
    after = call_due()
    assert after["last_touch"] == "2026-11-02" and after["next_due"] == "2026-12-02"
    assert after["status"] == "ok"
    _log(cli, "ACME", "call", "--date", "2026-11-20")
    assert call_due()["next_due"] == "2026-12-20"


def test_a_visit_also_resets_the_call_timer(cli, acme):
    data = _json(_log(cli, "ACME", "visit", "--date", "2026-11-10", "-f", "json"))
    due = {d["kind"]: d["next_due"] for d in data["next_due"]}
    assert due == {"visit": "2027-02-10", "call": "2026-12-10"}
    assert data["in_cadence"] is True
    assert "Next call due 2026-12-10" in _log(cli, "ACME", "visit", "--date", "2026-11-10").stdout


def test_next_due_agrees_with_the_core(cli, acme):
    from khm.core.due import due_for
    from khm.method import default_method

    m = default_method()
    data = _json(_log(cli, "ACME", "email", "--date", "2026-11-01", "-f", "json"))
    d = due_for(
        "email",
        m.cadence_for("expand", "A")["email"],
        account_key="ACME",
        anchor=date(2026, 1, 5),
        last_by_kind={"email": date(2026, 11, 1)},
        method=m,
    )
    assert data["next_due"][0]["next_due"] == d.due.isoformat()
    assert data["next_due"][0]["status"] == (
        "overdue" if d.is_overdue_on(date(2026, 11, 23)) else "due"
    )


def test_log_of_a_kind_outside_the_cadence_says_so(cli, acme):
    from sqlalchemy import update

    from khm.store.models import Account

    with acme.transaction() as s:
        s.execute(update(Account).where(Account.key == "ACME").values(type="keep", category="D"))
    r = _log(cli, "ACME", "visit")
    assert "visit is not in the cadence of keep D" in r.stdout
    assert "Next call due 2027-11-23" in r.stdout  # the call it covers is (yearly)


def test_log_on_an_untagged_account_works_and_says_it_is_untagged(khm_db, cli):
    cli("account", "add", "NEW")
    r = _log(cli, "NEW", "email")
    assert "(no rep)" in r.stdout and "not tagged yet (run khm tag)" in r.stdout


def test_log_with_another_rep_and_relative_date(cli, acme):
    _log(cli, "acme", "meeting", "--rep", "BO", "--date", "yesterday")
    t = _json(cli("touch", "list", "-f", "json"))["items"][0]
    assert (t["account"], t["rep"], t["date"]) == ("ACME", "bo", "2026-11-22")


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("ACME", "dance"), ExitCode.USAGE, "known: visit, review, meeting, call"),
        (("NOPE", "call"), ExitCode.NOT_FOUND, "account 'NOPE' not found"),
        (("ACME", "call", "--rep", "ghost"), ExitCode.NOT_FOUND, "--rep: rep 'ghost'"),
        (("ACME", "call", "--rep", "Bad Rep"), ExitCode.USAGE, "--rep"),
        (("ACME", "call", "--date", "2026-11-24"), ExitCode.USAGE, "--date: 2026-11-24 is in the future"),
        (("ACME", "call", "--date", "tomorrow"), ExitCode.USAGE, "--date"),
        (("ACME", "call", "--date", "03/04/2026"), ExitCode.USAGE, "--date: '03/04/2026' is ambiguous"),
        (("ACME", "call", "--note", "nul\x00byte"), ExitCode.USAGE, "--note"),
    ],
)  # fmt: skip
def test_bad_log_input_is_a_clean_error_and_logs_nothing(
    cli, acme, snapshot_db, args, code, needle
):
    before = snapshot_db()
    r = _log(cli, *args, code=code)
    assert needle in r.stderr, r.stderr
    assert snapshot_db() == before


def test_log_on_an_archived_account_is_refused(cli, acme, snapshot_db):
    cli("account", "archive", "ACME")
    before = snapshot_db()
    r = _log(cli, "ACME", "call", code=ExitCode.CONFLICT)
    assert "archived" in r.stderr and "--undo" in r.stderr
    assert snapshot_db() == before


def test_log_error_in_json_mode_is_an_envelope(cli, acme):
    r = _log(cli, "ACME", "dance", "-f", "json", code=ExitCode.USAGE)
    assert _json(r)["error"]["kind"] == "usage"


@pytest.fixture
def touches(cli, acme):
    cli("account", "add", "BETA", "--name", "Beta, [Inc]", "--owner", "bo")
    _log(cli, "ACME", "call", "--date", "2026-09-01")
    _log(cli, "ACME", "visit", "--date", "2026-10-15", "--note", NOTE)
    _log(cli, "BETA", "call", "--date", "2026-10-15")
    _log(cli, "BETA", "email", "--date", "2026-11-20", "--rep", "anna")
    _log(cli, "ACME", "email", "--date", "2026-11-21")


def _ids(cli, *args):
    return [(t["account"], t["kind"], t["date"])
            for t in _json(cli("touch", "list", *args, "-f", "json"))["items"]]  # fmt: skip


def test_touch_list_is_newest_first_and_filters(cli, touches):
    assert _ids(cli) == [
        ("ACME", "email", "2026-11-21"),
        ("BETA", "email", "2026-11-20"),
        ("BETA", "call", "2026-10-15"),  # same day: the later-logged one first
        ("ACME", "visit", "2026-10-15"),
        ("ACME", "call", "2026-09-01"),
    ]
    assert _ids(cli, "--account", "beta") == [
        ("BETA", "email", "2026-11-20"),
        ("BETA", "call", "2026-10-15"),
    ]
    assert [k for _, k, _ in _ids(cli, "--rep", "anna")] == ["email", "email", "visit", "call"]
    assert _ids(cli, "--kind", "CALL") == [
        ("BETA", "call", "2026-10-15"),
        ("ACME", "call", "2026-09-01"),
    ]
    assert len(_ids(cli, "--since", "2026-10-15", "--until", "2026-11-20")) == 3
    assert _ids(cli, "--limit", "1") == [("ACME", "email", "2026-11-21")]


def test_touch_list_bad_filters_are_clean_errors(cli, touches):
    for args, code, needle in (
        (("--since", "2026-11-01", "--until", "2026-10-01"), ExitCode.USAGE, "--since"),
        (("--since", "soon"), ExitCode.USAGE, "--since"),
        (("--account", "NOPE"), ExitCode.NOT_FOUND, "'NOPE'"),
        (("--limit", "0"), ExitCode.USAGE, "--limit"),
        (("--rep", "ghost"), ExitCode.NOT_FOUND, "--rep: rep 'ghost'"),
    ):
        assert needle in cli("touch", "list", *args, code=code).stderr


def test_touch_notes_and_names_survive_every_format(cli, touches):
    table = cli("touch", "list", "--kind", "visit").stdout
    assert NOTE in table.replace("\n", "") or all(part in table for part in NOTE.split(" "))
    item = _json(cli("touch", "list", "--kind", "visit", "-f", "json"))["items"][0]
    assert item["note"] == NOTE
    rows = list(csv.DictReader(io.StringIO(cli("touch", "list", "-f", "csv").stdout)))
    assert {r["note"] for r in rows} >= {NOTE}
    assert {r["account_name"] for r in rows} == {"Acme AS", "Beta, [Inc]"}
    assert NOTE in cli("account", "show", "ACME", "--today", TODAY).stdout


def test_touch_delete_asks_unless_yes_and_moves_the_due_date_back(cli, touches, snapshot_db):
    visit = _json(cli("touch", "list", "--kind", "visit", "-f", "json"))["items"][0]
    before = snapshot_db()
    r = cli("touch", "delete", str(visit["id"]), input="n\n", code=1)
    assert "Nothing deleted" in r.stderr
    assert snapshot_db() == before
    r = cli("touch", "delete", str(visit["id"]), input="y\n")
    assert f"Deleted visit #{visit['id']}" in r.stdout
    assert ("ACME", "visit", "2026-10-15") not in _ids(cli)
    sched = _json(cli("account", "show", "ACME", "--today", TODAY, "-f", "json"))["schedule"]
    call = next(d for d in sched if d["kind"] == "call")
    assert call["last_touch"] == "2026-09-01"  # the visit no longer covers it
    email = _json(cli("touch", "list", "--kind", "email", "--limit", "1", "-f", "json"))["items"][0]
    data = _json(cli("touch", "delete", str(email["id"]), "--yes", "-f", "json"))
    assert data["kind"] == "touch_deleted" and data["touch"]["id"] == email["id"]


def test_touch_delete_unknown_id_is_not_found(cli, touches, snapshot_db):
    before = snapshot_db()
    r = cli("touch", "delete", "9999", "--yes", code=ExitCode.NOT_FOUND)
    assert "touch 9999 not found" in r.stderr
    cli("touch", "delete", "9999", code=ExitCode.NOT_FOUND)
    assert snapshot_db() == before


def test_empty_touch_list(khm_db, cli):
    assert "No touches found." in cli("touch", "list").stdout
    assert _json(cli("touch", "list", "-f", "json"))["count"] == 0


def test_logging_the_same_kind_twice_on_a_day_is_flagged(cli, acme):
    assert "already logged" not in _log(cli, "ACME", "call").stdout
    r = _log(cli, "ACME", "call")
    assert "call was already logged for this account on that date (#1)" in r.stdout
    assert _json(_log(cli, "ACME", "call", "-f", "json"))["same_day"] == [1, 2]


@pytest.mark.parametrize("args", [(), ("--account", "beta"), ("--rep", "anna", "--limit", "2")])
def test_touch_list_jsonl_lines_are_the_json_items(cli, touches, args):
    items = _json(cli("touch", "list", *args, "-f", "json"))["items"]
    lines = cli("touch", "list", *args, "-f", "jsonl").stdout.splitlines()
    assert items and [json.loads(line) for line in lines] == items


def test_touch_list_with_an_unknown_account_is_not_found(cli, touches):
    r = cli("touch", "list", "--account", "ghost", "-f", "jsonl", code=ExitCode.NOT_FOUND)
    assert r.stdout == "" and "account 'ghost' not found" in r.stderr
