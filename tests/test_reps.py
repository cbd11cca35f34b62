"""``khm rep``: add, show, list, edit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from khm.errors import ExitCode

#: the commands here need a database (only init, demo and import create one)
pytestmark = pytest.mark.usefixtures("khm_db")


def _json(result) -> dict:
    return json.loads(result.stdout)


def _set(store, key: str, **values) -> None:
    from sqlalchemy import update

    from khm.store.models import Account

    with store.transaction() as s:
        s.execute(update(Account).where(Account.key == key).values(**values))


def test_add_then_show_and_list(cli):
    r = cli("rep", "add", "anna", "--name", "Anna Berg", "--email", "anna@example.no",
            "--role", "expand", "--capacity", "14,5")  # fmt: skip
    assert "Added rep anna (Anna Berg)" in r.stdout
    rep = _json(cli("rep", "show", "anna", "-f", "json"))["rep"]
    assert rep == {
        **rep,
        "handle": "anna",
        "name": "Anna Berg",
        "email": "anna@example.no",
        "role": "expand",
        "capacity": 14.5,
        "active": True,
        "accounts": 0,
    }
    out = cli("rep", "list").stdout
    assert "anna" in out and "Anna Berg" in out and "14.5" in out


def test_default_capacity_comes_from_the_method_file(cli, tmp_path: Path):
    from khm.method import DEFAULT_METHOD_TOML

    method = tmp_path / "m.toml"
    method.write_text(
        DEFAULT_METHOD_TOML.replace("[capacity]\ndefault = 12", "[capacity]\ndefault = 7")
    )
    cli("--method", str(method), "rep", "add", "bo")
    assert _json(cli("rep", "show", "bo", "-f", "json"))["rep"]["capacity"] == 7
    cli("rep", "add", "cy")  # built-in default method
    assert _json(cli("rep", "show", "cy", "-f", "json"))["rep"]["capacity"] == 12


def test_handles_are_lower_cased(cli):
    cli("rep", "add", "Anna.B")
    assert _json(cli("rep", "list", "-f", "json"))["items"][0]["handle"] == "anna.b"
    cli("rep", "show", "ANNA.B")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("two words",), "HANDLE"),
        (("æsa",), "HANDLE"),
        (("-x",), None),  # looks like an option: click refuses it
        (("x" * 65,), "HANDLE"),
        (("ok", "--role", "boss"), "--role"),
        (("ok", "--email", "not-an-address"), "--email"),
        (("ok", "--capacity", "-1"), "--capacity"),
        (("ok", "--capacity", "many"), "--capacity"),
        (("ok", "--name", "tab\x07bell"), "--name"),
    ],
)
def test_bad_rep_values_name_the_option_and_change_nothing(cli, snapshot_db, args, needle):
    cli("db", "upgrade")
    before = snapshot_db()
    r = cli("rep", "add", *args, code=ExitCode.USAGE)
    if needle:
        assert r.stderr.startswith(f"Error: {needle}"), r.stderr
    assert snapshot_db() == before


def test_duplicate_handle_is_a_conflict(cli, snapshot_db):
    cli("rep", "add", "anna")
    before = snapshot_db()
    r = cli("rep", "add", "ANNA", code=ExitCode.CONFLICT)
    assert "'anna' already exists" in r.stderr
    assert snapshot_db() == before


def test_list_filters_by_role_and_hides_inactive_unless_all(cli):
    cli("rep", "add", "anna", "--role", "expand")
    cli("rep", "add", "bo", "--role", "keep")
    cli("rep", "add", "cy", "--role", "keep")
    cli("rep", "edit", "cy", "--inactive")

    def handles(*args):
        return [r["handle"] for r in _json(cli("rep", "list", *args, "-f", "json"))["items"]]

    assert handles() == ["anna", "bo"]
    assert handles("--all") == ["anna", "bo", "cy"]
    assert handles("--role", "keep", "--all") == ["bo", "cy"]
    assert handles("--role", "KEEP") == ["bo"]
    r = cli("rep", "list", "--role", "boss", code=ExitCode.USAGE)
    assert "--role" in r.stderr
    rows = list(csv.DictReader(io.StringIO(cli("rep", "list", "--all", "-f", "csv").stdout)))
    assert [r["active"] for r in rows] == ["true", "true", "false"]


def test_show_counts_owned_accounts_by_type_and_category(cli, store):
    cli("rep", "add", "anna", "--role", "expand")
    for key, t, c in (("A1", "expand", "A"), ("A2", "expand", "A"), ("B1", "keep", "B"),
                      ("U1", None, None), ("X1", "expand", "A")):  # fmt: skip
        cli("account", "add", key, "--owner", "anna")
        _set(store, key, type=t, category=c)
    cli("account", "archive", "X1")  # archived accounts are not counted
    data = _json(cli("rep", "show", "anna", "-f", "json"))
    assert data["accounts_total"] == 4
    assert data["accounts_by_type_category"] == {
        "expand": {"A": 2},
        "keep": {"B": 1},
        "untagged": {"untagged": 1},
    }
    assert data["rep"]["accounts"] == 4
    out = cli("rep", "show", "anna").stdout
    assert "Accounts by type × category" in out and "expand" in out
    listed = _json(cli("rep", "list", "-f", "json"))["items"][0]
    assert listed["accounts"] == 4


def test_show_counts_recent_touches(cli):
    cli("rep", "add", "anna")
    cli("account", "add", "A1", "--owner", "anna")
    for d in ("2026-10-01", "2026-11-01", "2026-11-20"):
        cli("log", "A1", "call", "--date", d, "--today", "2026-11-23")
    data = _json(cli("rep", "show", "anna", "--today", "2026-11-23", "-f", "json"))
    assert data["touches_recent"] == 2 and data["last_touch"] == "2026-11-20"


def test_edit_changes_and_reports_what_changed(cli):
    cli("rep", "add", "anna", "--name", "Anna", "--capacity", "10")
    r = cli("rep", "edit", "anna", "--name", "Anna Ås", "--role", "keep", "--capacity", "8",
            "--email", "a@b.se")  # fmt: skip
    assert "capacity: 10 → 8" in r.stdout and "role: any → keep" in r.stdout
    rep = _json(cli("rep", "show", "anna", "-f", "json"))["rep"]
    assert (rep["name"], rep["role"], rep["capacity"], rep["email"]) == (
        "Anna Ås",
        "keep",
        8,
        "a@b.se",
    )
    cli("rep", "edit", "anna", "--email", "")
    assert _json(cli("rep", "show", "anna", "-f", "json"))["rep"]["email"] is None


def test_deactivating_an_owner_warns_and_blocks_new_ownership(cli):
    cli("rep", "add", "anna")
    cli("account", "add", "A1", "--owner", "anna")
    r = cli("rep", "edit", "anna", "--inactive")
    assert "still owns 1 active account" in r.stderr
    r = cli("account", "edit", "A1", "--owner", "anna")  # unchanged owner: fine
    cli("account", "add", "A2", "--owner", "anna", code=ExitCode.CONFLICT)
    cli("rep", "edit", "anna", "--active")
    cli("account", "add", "A2", "--owner", "anna")


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("nobody", "--name", "x"), ExitCode.NOT_FOUND, "'nobody' not found"),
        (("anna",), ExitCode.USAGE, "nothing to change"),
        (("anna", "--capacity", ""), ExitCode.USAGE, "--capacity"),
        (("anna", "--role", "chief"), ExitCode.USAGE, "--role"),
    ],
)
def test_bad_edits_are_clean_errors(cli, snapshot_db, args, code, needle):
    cli("rep", "add", "anna")
    before = snapshot_db()
    r = cli("rep", "edit", *args, code=code)
    assert needle in r.stderr
    assert snapshot_db() == before


def test_show_unknown_rep_is_not_found_in_json_too(cli):
    r = cli("rep", "show", "ghost", "-f", "json", code=ExitCode.NOT_FOUND)
    assert _json(r)["error"]["kind"] == "not_found"


def test_tricky_rep_names_survive_every_format(cli):
    name = 'Øystein "Ø" [b]Ærlig[/b], jr. 🎣'
    cli("rep", "add", "oystein", "--name", name)
    assert name in cli("rep", "list").stdout
    assert name in cli("rep", "show", "oystein").stdout
    assert _json(cli("rep", "list", "-f", "json"))["items"][0]["name"] == name
    rows = list(csv.DictReader(io.StringIO(cli("rep", "list", "-f", "csv").stdout)))
    assert rows[0]["name"] == name


def test_list_jsonl_lines_are_the_json_items(cli):
    cli("rep", "add", "anna", "--role", "expand", "--email", "anna@example.com")
    cli("rep", "add", "bo", "--role", "keep")
    cli("account", "add", "A1", "--owner", "anna")
    cli("rep", "edit", "bo", "--inactive")
    for args in ((), ("--all",)):
        items = _json(cli("rep", "list", *args, "-f", "json"))["items"]
        lines = cli("rep", "list", *args, "-f", "jsonl").stdout.splitlines()
        assert [json.loads(line) for line in lines] == items
    assert [i["accounts"] for i in items] == [1, 0]
