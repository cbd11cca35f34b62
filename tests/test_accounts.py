"""``khm account``: add, show, list, edit, archive — through the CLI and the service layer."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from khm.errors import ExitCode

#: the commands here need a database (only init, demo and import create one)
pytestmark = pytest.mark.usefixtures("khm_db")

TRICKY = 'Ærø [bold]"Fisk" & Sønner, AS 🐟 õü'


def _json(result) -> dict:
    return json.loads(result.stdout)


def _set(store, key: str, **values) -> None:
    """Write account columns directly (type/category are set by `khm tag`, not by us)."""
    from sqlalchemy import update

    from khm.store.models import Account

    with store.transaction() as s:
        s.execute(update(Account).where(Account.key == key).values(**values))


def _add_rep(cli, handle: str = "anna", role: str = "expand") -> None:
    cli("rep", "add", handle, "--name", handle.title(), "--role", role)


# --------------------------------------------------------------------------- add


def test_add_stores_every_field_and_show_json_returns_them(cli):
    _add_rep(cli)
    cli(
        "account", "add", "ACME",
        "--name", "Acme AS",
        "--country", "Norway",
        "--product-line", "Software",
        "--product-line", "Hardware",
        "--revenue", "1 234 567,50",
        "--employees", "40",
        "--field", "open_pipeline=25000",
        "--field", "nps=-12.5",
        "--owner", "anna",
        "--stage", "customer",
    )  # fmt: skip
    acc = _json(cli("account", "show", "ACME", "--format", "json"))["account"]
    assert acc["key"] == "ACME"
    assert acc["name"] == "Acme AS"
    assert acc["country"] == "NO"
    assert acc["product_lines"] == ["Software", "Hardware"]
    assert acc["revenue"] == 1234567.5
    assert acc["employees"] == 40
    assert acc["custom"] == {"open_pipeline": 25000, "nps": -12.5}
    assert acc["owner"] == "anna"
    assert acc["lifecycle_stage"] == "customer"
    assert acc["type"] is None and acc["category"] is None
    assert acc["archived"] is False


@pytest.mark.parametrize(
    ("given", "iso"),
    [("Norway", "NO"), ("se", "SE"), ("DNK", "DK"), ("Sverige", "SE"), ("finland", "FI"),
     ("United Kingdom", "GB"), ("Ísland", "IS")],
)  # fmt: skip
def test_country_codes_and_names_are_normalised_to_alpha_2(cli, given, iso):
    cli("account", "add", "K1", "--country", given)
    assert _json(cli("account", "show", "K1", "-f", "json"))["account"]["country"] == iso


def test_duplicate_key_is_a_conflict_and_changes_nothing(cli, snapshot_db):
    cli("account", "add", "ACME", "--name", "First")
    before = snapshot_db()
    r = cli("account", "add", "ACME", "--name", "Second", code=ExitCode.CONFLICT)
    assert "ACME" in r.stderr and "already exists" in r.stderr
    assert snapshot_db() == before


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--country", "Narnia"), "--country"),
        (("--country", "Philipines"), "--country"),  # a guess: asks for the code
        (("--revenue", "1,234"), "--revenue"),  # thousands or decimals?
        (("--revenue", "lots"), "--revenue"),
        (("--revenue", "-5"), "--revenue"),
        (("--employees", "nan"), "--employees"),
        (("--field", "open_pipeline"), "--field"),
        (("--field", "open pipeline=3"), "--field"),
        (("--field", "x=abc"), "--field x"),
        (("--field", "revenue=3"), "--field"),
        (("--name", "   "), "--name"),
        (("--name", "bad\x00name"), "--name"),
        (("--owner", "Not A Handle"), "--owner"),
        (("--stage", "s" * 65), "--stage"),
    ],
)
def test_bad_values_on_add_name_the_option_and_change_nothing(cli, snapshot_db, args, names):
    cli("account", "add", "EXISTING")
    before = snapshot_db()
    r = cli("account", "add", "NEW", *args, code=ExitCode.USAGE)
    assert r.stderr.startswith("Error: " + names), r.stderr
    assert snapshot_db() == before


def test_owner_must_be_an_existing_active_rep(cli, snapshot_db):
    cli("db", "upgrade")
    before = snapshot_db()
    r = cli("account", "add", "A1", "--owner", "ghost", code=ExitCode.NOT_FOUND)
    assert "--owner" in r.stderr and "ghost" in r.stderr
    assert snapshot_db() == before
    _add_rep(cli, "bo")
    cli("rep", "edit", "bo", "--inactive")
    before = snapshot_db()
    r = cli("account", "add", "A1", "--owner", "bo", code=ExitCode.CONFLICT)
    assert "inactive" in r.stderr
    assert snapshot_db() == before


def test_add_offers_no_type_or_category_options(cli, snapshot_db):
    cli("db", "upgrade")
    before = snapshot_db()
    for opt, value in (("--type", "expand"), ("--category", "A")):
        r = cli("account", "add", "X", opt, value, code=2)
        assert "No such option" in r.stderr
    assert snapshot_db() == before


def test_name_defaults_to_the_key(cli):
    cli("account", "add", "ACME-01")
    assert _json(cli("account", "list", "-f", "json"))["items"][0]["name"] == "ACME-01"


# --------------------------------------------------------------------------- unicode


def test_tricky_names_survive_add_list_and_show_in_every_format(cli):
    key = 'Kø [1], "q" 🙂'
    cli("account", "add", key, "--name", TRICKY, "--product-line", "Bølge [x]")
    # table
    table = cli("account", "list").stdout
    assert TRICKY in table and key in table and "Bølge [x]" in table
    # json
    item = _json(cli("account", "list", "-f", "json"))["items"][0]
    assert item["key"] == key and item["name"] == TRICKY
    assert item["product_lines"] == ["Bølge [x]"]
    # csv
    rows = list(csv.DictReader(io.StringIO(cli("account", "list", "-f", "csv").stdout)))
    assert rows[0]["key"] == key and rows[0]["name"] == TRICKY
    # show, both formats, found by the exact key
    shown = cli("account", "show", key).stdout
    assert TRICKY in shown and "not tagged yet (run khm tag)" in shown
    assert _json(cli("account", "show", key, "-f", "json"))["account"]["name"] == TRICKY


def test_csv_neutralises_formula_names(cli):
    cli("account", "add", "F1", "--name", '=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(cli("account", "list", "-f", "csv").stdout)))
    assert rows[0]["name"].startswith("'=")


# --------------------------------------------------------------------------- list


@pytest.fixture
def book(cli, store):
    """Five accounts with owners, tags, countries, product lines and stages."""
    _add_rep(cli, "anna")
    _add_rep(cli, "bo", "keep")
    specs = [
        ("A1", "Alfa Bygg", "NO", ["Software"], "900", "anna", "customer"),
        ("B2", "beta Data", "SE", ["Hardware", "Software"], "5000", "bo", "onboarding"),
        ("C3", "Gamma_Fisk", "DK", ["Service"], None, "anna", "customer"),
        ("D4", "Delta 100%", "NO", ["Bølge"], "50", None, "lead"),
        ("E5", "Epsilon", "FI", [], "7000", "bo", "customer"),
    ]
    for key, name, country, pls, rev, owner, stage in specs:
        args = ["account", "add", key, "--name", name, "--country", country, "--stage", stage]
        for pl in pls:
            args += ["--product-line", pl]
        if rev:
            args += ["--revenue", rev]
        if owner:
            args += ["--owner", owner]
        cli(*args)
    _set(store, "A1", type="expand", category="A")
    _set(store, "B2", type="keep", category="B")
    _set(store, "C3", type="expand", category="C")
    _set(store, "E5", type="keep", category="A")
    return store


def _keys(cli, *args) -> list[str]:
    return [i["key"] for i in _json(cli("account", "list", *args, "-f", "json"))["items"]]


def test_list_filters(cli, book):
    assert _keys(cli, "--type", "expand") == ["A1", "C3"]
    assert _keys(cli, "--type", "none") == ["D4"]
    assert _keys(cli, "--category", "a") == ["A1", "E5"]
    assert _keys(cli, "--rep", "bo") == ["B2", "E5"]
    assert _keys(cli, "--no-owner") == ["D4"]
    assert _keys(cli, "--country", "Norway") == ["A1", "D4"]
    assert _keys(cli, "--stage", "CUSTOMER") == ["A1", "C3", "E5"]
    assert _keys(cli, "--product-line", "software") == ["A1", "B2"]
    assert _keys(cli, "--product-line", "Bølge") == ["D4"]
    assert _keys(cli, "--product-line", "Soft") == []
    assert _keys(cli, "--type", "keep", "--rep", "bo", "--category", "B") == ["B2"]


def test_search_is_case_insensitive_on_key_and_name_and_literal(cli, book):
    assert _keys(cli, "--search", "BETA") == ["B2"]
    assert _keys(cli, "--search", "e5") == ["E5"]
    assert _keys(cli, "--search", "100%") == ["D4"]
    assert _keys(cli, "--search", "%") == ["D4"]  # no LIKE wildcard
    assert _keys(cli, "--search", "_") == ["C3"]


def test_list_sorts_and_limits(cli, book):
    assert _keys(cli, "--sort", "revenue") == ["E5", "B2", "A1", "D4", "C3"]  # no revenue last
    assert _keys(cli, "--sort", "name") == ["A1", "B2", "D4", "E5", "C3"]
    assert _keys(cli, "--sort", "category") == ["A1", "E5", "B2", "C3", "D4"]
    assert _keys(cli, "--sort", "revenue", "--limit", "2") == ["E5", "B2"]


def test_list_bad_filter_values_are_clean_errors(cli, book):
    for args, opt in (
        (("--type", "grow"), "--type"),
        (("--category", "E"), "--category"),
        (("--sort", "size"), "--sort"),
        (("--limit", "0"), "--limit"),
        (("--country", "Atlantis"), "--country"),
        (("--archived", "--all"), "--archived"),
    ):
        r = cli("account", "list", *args, code=ExitCode.USAGE)
        assert opt in r.stderr


def test_list_with_an_unknown_rep_is_not_found(cli, book):
    r = cli("account", "list", "--rep", "ghost", code=ExitCode.NOT_FOUND)
    assert "--rep: rep 'ghost' not found" in r.stderr


def test_list_json_envelope_carries_every_field(cli, book):
    cli("account", "edit", "A1", "--field", "open_pipeline=3")
    data = _json(cli("account", "list", "--type", "expand", "-f", "json"))
    assert data["version"] == 1 and data["kind"] == "accounts" and data["count"] == 2
    a1 = data["items"][0]
    assert a1["custom"] == {"open_pipeline": 3}
    assert {"type_manual", "category_manual", "manual_reason", "tagged_at", "created_at"} <= set(a1)


def test_list_table_and_csv_have_the_documented_columns(cli, book):
    header = cli("account", "list", "-f", "csv").stdout.splitlines()[0]
    assert header == "key,name,country,product_lines,revenue,employees,type,category,owner,stage"
    table = cli("account", "list").stdout
    for title in ("key", "product lines", "revenue", "owner", "stage"):
        assert title in table


def test_empty_list_says_so(cli):
    assert "No accounts found." in cli("account", "list").stdout
    assert _json(cli("account", "list", "-f", "json"))["items"] == []


# --------------------------------------------------------------------------- archive


def test_archive_hides_from_list_and_undo_restores(cli, book):
    r = cli("account", "archive", "D4")
    assert "Archived account D4" in r.stdout
    assert "D4" not in _keys(cli)
    assert _keys(cli, "--archived") == ["D4"]
    assert "D4" in _keys(cli, "--all")
    assert "already archived" in cli("account", "archive", "D4").stdout
    cli("account", "archive", "D4", "--undo")
    assert "D4" in _keys(cli)
    cli("account", "archive", "NOPE", code=ExitCode.NOT_FOUND)


# --------------------------------------------------------------------------- edit


def test_edit_changes_fields_and_reports_them(cli, book):
    r = cli(
        "account", "edit", "A1",
        "--name", "Alfa Bygg AS",
        "--revenue", "1.234,5",
        "--product-line", "Service",
        "--country", "SWE",
        "--field", "open_pipeline=7",
        "--stage", "onboarding",
    )  # fmt: skip
    assert "name: Alfa Bygg → Alfa Bygg AS" in r.stdout
    acc = _json(cli("account", "show", "A1", "-f", "json"))["account"]
    assert acc["name"] == "Alfa Bygg AS" and acc["revenue"] == 1234.5
    assert acc["product_lines"] == ["Service"] and acc["country"] == "SE"
    assert acc["custom"] == {"open_pipeline": 7}
    assert acc["lifecycle_stage"] == "onboarding"
    assert acc["updated_at"] >= acc["created_at"]


def test_edit_clear_field_removes_custom_and_builtin_values(cli, book, snapshot_db):
    cli("account", "edit", "A1", "--field", "nps=40", "--field", "seats=3")
    cli("account", "edit", "A1", "--clear-field", "nps", "--clear-field", "revenue")
    acc = _json(cli("account", "show", "A1", "-f", "json"))["account"]
    assert acc["custom"] == {"seats": 3} and acc["revenue"] is None
    before = snapshot_db()
    r = cli("account", "edit", "A1", "--clear-field", "nps", code=ExitCode.NOT_FOUND)
    assert "--clear-field nps" in r.stderr and "seats" in r.stderr
    assert snapshot_db() == before


def test_edit_owner_change_is_kept_in_the_history(cli, book):
    cli("account", "edit", "A1", "--owner", "bo", "--who", "lead", "--reason", "moved to keep team")
    cli("account", "edit", "A1", "--unset-owner", "--who", "lead")
    hist = _json(cli("account", "show", "A1", "-f", "json"))["tag_history"]
    assert [(h["field"], h["old"], h["new"]) for h in hist[:2]] == [
        ("owner", "bo", None),
        ("owner", "anna", "bo"),
    ]
    assert hist[1]["who"] == "lead" and hist[1]["reason"] == "moved to keep team"
    table = cli("account", "show", "A1").stdout
    assert "anna → bo" in table and "moved to keep team" in table


def test_edit_with_the_same_owner_writes_no_history(cli, book):
    before = len(_json(cli("account", "show", "A1", "-f", "json"))["tag_history"])
    assert "No change" in cli("account", "edit", "A1", "--owner", "anna").stdout
    assert len(_json(cli("account", "show", "A1", "-f", "json"))["tag_history"]) == before


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        ((), ExitCode.USAGE, "nothing to change"),
        (("--owner", "ghost"), ExitCode.NOT_FOUND, "--owner"),
        (("--owner", "bo", "--unset-owner"), ExitCode.USAGE, "--unset-owner"),
        (("--revenue", "12abc"), ExitCode.USAGE, "--revenue"),
        (("--field", "x=1", "--clear-field", "x"), ExitCode.USAGE, "--clear-field x"),
        (("--name", "ok", "--country", "Xanadu"), ExitCode.USAGE, "--country"),
    ],
)
def test_bad_edits_are_clean_errors_and_change_nothing(cli, book, snapshot_db, args, code, needle):
    before = snapshot_db()
    r = cli("account", "edit", "A1", *args, code=code)
    assert needle in r.stderr
    assert snapshot_db() == before


def test_edit_unknown_account_is_not_found_with_a_json_envelope(cli):
    r = cli("account", "edit", "NOPE", "--name", "x", "-f", "json", code=ExitCode.NOT_FOUND)
    err = _json(r)["error"]
    assert err["kind"] == "not_found" and "NOPE" in err["message"]


def test_account_lookup_falls_back_to_case_insensitive_key(cli):
    cli("account", "add", "ACME")
    assert _json(cli("account", "show", "acme", "-f", "json"))["account"]["key"] == "ACME"


# --------------------------------------------------------------------------- show


def test_show_schedule_uses_the_core_due_rules(cli, book):
    from datetime import date

    from khm.core.due import schedule
    from khm.method import default_method

    _set(book, "A1", tagged_at=datetime(2026, 1, 5, 9, 0))
    cli("log", "A1", "call", "--date", "2026-10-01", "--today", "2026-10-01")
    cli("log", "A1", "email", "--date", "2026-11-10", "--today", "2026-11-10")
    data = _json(cli("account", "show", "A1", "--today", "2026-11-23", "-f", "json"))
    lines = {d["kind"]: d for d in data["schedule"]}
    expected = schedule(
        account_key="A1",
        account_type="expand",
        category="A",
        anchor=date(2026, 1, 5),
        last_by_kind={"call": date(2026, 10, 1), "email": date(2026, 11, 10)},
        method=default_method(),
        monday=date(2026, 11, 23),  # the cycles the week plans (a skipped one moves on)
    )
    assert list(lines) == [d.kind for d in expected]
    for d in expected:
        assert lines[d.kind]["next_due"] == d.due.isoformat()
    # call: monthly since 10-01 → due 11-01; grace 8 days → overdue from 11-10
    assert lines["call"]["status"] == "overdue" and lines["call"]["days_late"] == 22
    assert lines["email"]["status"] == "ok" and lines["email"]["last_touch"] == "2026-11-10"
    table = cli("account", "show", "A1", "--today", "2026-11-23").stdout
    assert "overdue 22 days" in table and "2026-11-01" in table


def test_show_marks_manual_tags_with_their_reason(cli, book):
    _set(book, "B2", type_manual=True, manual_reason="signed frame deal")
    out = cli("account", "show", "B2").stdout
    assert "keep B" in out and "manual type" in out and "signed frame deal" in out
    acc = _json(cli("account", "show", "B2", "-f", "json"))["account"]
    assert acc["type_manual"] is True and acc["manual_reason"] == "signed frame deal"


def test_show_lists_the_ten_newest_touches(cli, book):
    for day in range(1, 13):
        cli("log", "A1", "email", "--date", f"2026-03-{day:02d}", "--today", "2026-11-23")
    data = _json(cli("account", "show", "A1", "-f", "json", "--today", "2026-11-23"))
    dates = [t["date"] for t in data["recent_touches"]]
    assert len(dates) == 10 and dates[0] == "2026-03-12" and dates[-1] == "2026-03-03"
    assert data["touch_count"] == 12
    assert "latest 10 of 12" in cli("account", "show", "A1", "--today", "2026-11-23").stdout


def test_show_unknown_account_is_not_found(cli):
    r = cli("account", "show", "NOPE", code=ExitCode.NOT_FOUND)
    assert "'NOPE'" in r.stderr


@pytest.mark.parametrize(
    ("text", "value"),
    [("1234", 1234.0), ("1 234 567,50", 1234567.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
     ("1_000", 1000.0), ("1.234.567", 1234567.0), ("1,234,567", 1234567.0), ("0,5", 0.5),
     ("12,5", 12.5), ("\u00a01\u00a0000 ", 1000.0)],
)  # fmt: skip
def test_numbers_read_the_ways_people_write_them(text, value):
    from khm.services.records import parse_number

    assert parse_number(text, "--revenue") == value


def test_a_guessed_country_asks_for_the_code(cli):
    r = cli("account", "add", "K", "--country", "England", code=ExitCode.USAGE)
    assert "GB" in r.stderr
    cli("account", "add", "K", "--country", "GB")


def test_search_folds_nordic_and_other_non_ascii_letters(cli, book):
    cli("account", "add", "F6", "--name", "ÆRØ Fiskeri ApS", "--country", "DK")
    cli("account", "add", "G7", "--name", "Õunapuu OÜ", "--country", "EE")
    cli("account", "add", "H8", "--name", "pöllö oy", "--country", "FI")
    assert _keys(cli, "--search", "ærø") == ["F6"]
    assert _keys(cli, "--search", "ÕUNAPUU") == ["G7"]
    assert _keys(cli, "--search", "PÖLLÖ") == ["H8"]
    assert _keys(cli, "--search", "fiskeri") == ["F6"]


def _jsonl(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    "args", [(), ("--type", "expand"), ("--product-line", "software", "--limit", "1"), ("--all",)]
)
def test_list_jsonl_lines_are_the_json_items(cli, book, args):
    items = _json(cli("account", "list", *args, "-f", "json"))["items"]
    assert items
    assert _jsonl(cli("account", "list", *args, "-f", "jsonl")) == items


def test_list_jsonl_of_nothing_is_no_lines_and_errors_stay_clean(cli, book):
    assert cli("account", "list", "--country", "IS", "-f", "jsonl").stdout == ""
    r = cli("account", "list", "--rep", "ghost", "-f", "jsonl", code=ExitCode.NOT_FOUND)
    assert r.stdout == "" and "--rep: rep 'ghost' not found" in r.stderr


def test_list_streams_records_in_chunks(book, monkeypatch):
    from khm.services.records import list_accounts
    from khm.store import lists

    monkeypatch.setattr(lists, "CHUNK", 2)  # several round trips for five accounts
    recs = list_accounts(book, sort="revenue", archived=None)
    assert iter(recs) is recs  # an iterator, not a list built first
    assert [r.key for r in recs] == ["E5", "B2", "A1", "D4", "C3"]
