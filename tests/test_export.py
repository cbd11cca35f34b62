"""``khm export accounts|reps|touches``: CSV and JSON, formula-safe, atomic --output,
filters, and a lossless round trip through ``khm import``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def book(cli) -> None:
    """The example team of examples/ (the commands of examples/import.sh)."""
    method = ("--method", str(EXAMPLES / "method.toml"))
    cli(*method, "import", "reps", str(EXAMPLES / "reps.csv"), "--map", "name=Namn",
        "--map", "email=E-post", "--map", "role=Roll", "--map", "capacity=Kapacitet")  # fmt: skip
    cli(*method, "import", "accounts", str(EXAMPLES / "accounts.csv"), "--map", "key=Kundnr",
        "--map", "name=Företag", "--map", "country=Land", "--map", "product_lines=Produktlinjer",
        "--map", "revenue=Omsättning (SEK)", "--map", "employees=Anställda",
        "--map", "owner=Ansvarig säljare", "--map", "lifecycle_stage=Fas",
        "--map", "custom.nps=NPS")  # fmt: skip
    cli(*method, "import", "touches", str(EXAMPLES / "touches.csv"), "--map", "kind=Activity",
        "--value-map", "kind:E-mail=email", "--value-map", "kind:Roadmap review=review")  # fmt: skip


def test_accounts_round_trip_through_a_fresh_database_is_identical(
    cli, book, tmp_path: Path
) -> None:
    first = cli("export", "accounts").stdout
    reps = tmp_path / "reps.csv"
    accounts = tmp_path / "accounts.csv"
    cli("export", "reps", "--output", str(reps))
    accounts.write_text(first, encoding="utf-8")
    fresh = str(tmp_path / "fresh.db")
    cli("--db", fresh, "import", "reps", str(reps))
    r = cli("--db", fresh, "import", "accounts", str(accounts))
    assert "inserted 30" in r.stdout
    assert "ignored columns: type, category" in r.stdout
    second = cli("--db", fresh, "export", "accounts").stdout
    assert second == first
    # and the values, not just the text: the JSON exports agree too
    a = json.loads(cli("export", "accounts", "-f", "json").stdout)["items"]
    b = json.loads(cli("--db", fresh, "export", "accounts", "-f", "json").stdout)["items"]
    strip = ("type", "category")  # set by khm tag, not imported
    assert [{k: v for k, v in x.items() if k not in strip} for x in a] == [
        {k: v for k, v in x.items() if k not in strip} for x in b
    ]


def test_reexporting_touches_into_the_same_database_changes_nothing(
    cli, book, tmp_path: Path, snapshot_db
) -> None:
    out = tmp_path / "touches.csv"
    cli("export", "touches", "--output", str(out))
    before = snapshot_db()
    r = json.loads(cli("import", "touches", str(out), "--format", "json").stdout)
    assert (r["inserted"], r["unchanged"], r["bad"]) == (0, 19, 0)
    assert r["ignored_columns"] == ["id"]
    assert snapshot_db() == before


def test_csv_cells_that_look_like_formulas_are_neutralised(cli, book) -> None:
    text = cli("export", "accounts").stdout
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["K-1013"]["name"] == "'+46 Telecom AB"
    touches = list(csv.DictReader(io.StringIO(cli("export", "touches").stdout)))
    assert any(t["note"] == "'=1+1 should stay text" for t in touches)
    # JSON carries the text as it is
    items = json.loads(cli("export", "accounts", "-f", "json").stdout)["items"]
    assert {a["key"]: a["name"] for a in items}["K-1013"] == "+46 Telecom AB"


def test_export_csv_columns_are_the_import_fields(cli, book) -> None:
    header = cli("export", "accounts").stdout.splitlines()[0]
    assert header == (
        "key,name,country,product_lines,revenue,employees,owner,type,category,"
        "lifecycle_stage,archived,customer_since,custom.nps"
    )
    assert cli("export", "reps").stdout.splitlines()[0] == "handle,name,email,role,capacity,active"
    assert cli("export", "touches").stdout.splitlines()[0] == "id,account,date,kind,rep,note,source"


def test_unicode_names_survive_export(cli, book) -> None:
    text = cli("export", "accounts").stdout
    for name in (
        '"Berg, Holm & Søn A/S"',
        "[Beta] Nørrebro Data ApS",
        "Sunny Side 🌞 Oy",
        "Õunapuu Tarkvara OÜ",
        '"""Kvalitet"" Kontor AB"',
        "Fjord; Hav og Land AS",
    ):
        assert name in text


def test_json_export_is_the_versioned_envelope(cli, book) -> None:
    data = json.loads(cli("export", "accounts", "--format", "json").stdout)
    assert data["version"] == 1 and data["kind"] == "accounts" and data["count"] == 30
    first = data["items"][0]
    assert first["product_lines"] == ["Cloud", "Analytics"]
    assert first["custom"] == {"nps": 42.0}
    assert first["archived"] is False


def test_output_file_is_written_atomically(cli, book, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "accounts.json"
    r = cli("export", "accounts", "-f", "json", "--output", str(out))
    assert r.stdout == ""
    assert "Wrote 30 accounts" in r.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["count"] == 30
    assert [p.name for p in out.parent.iterdir()] == ["accounts.json"]  # no temp file left


def test_export_filters(cli, book) -> None:
    def keys(*args: str) -> set[str]:
        items = json.loads(cli("export", "accounts", "-f", "json", *args).stdout)["items"]
        return {a["key"] for a in items}

    assert keys("--country", "ee") == {"K-1010", "K-1011", "K-1021", "K-1022"}
    assert keys("--rep", "kari.nordmann") == {"K-1005", "K-1012", "K-1017", "K-1018", "K-1026"}

    touches = json.loads(
        cli(
            "export", "touches", "-f", "json", "--kind", "visit", "--since", "2026-09-01",
            "--until", "2026-10-31",
        ).stdout
    )["items"]  # fmt: skip
    assert {(t["account"], t["date"]) for t in touches} == {
        ("K-1001", "2026-09-14"),
        ("K-1008", "2026-10-15"),
    }
    one = json.loads(cli("export", "touches", "-f", "json", "--account", "K-1005").stdout)
    assert one["count"] == 2


def test_archived_accounts_can_be_left_out(cli, book, tmp_path: Path) -> None:
    f = tmp_path / "arch.csv"
    f.write_text("key,archived\nK-1001,yes\n", encoding="utf-8")
    cli("import", "accounts", str(f))
    all_keys = json.loads(cli("export", "accounts", "-f", "json").stdout)["count"]
    active = json.loads(cli("export", "accounts", "-f", "json", "--no-archived").stdout)["count"]
    assert (all_keys, active) == (30, 29)


def test_export_of_an_empty_database_is_a_header(khm_db, cli) -> None:
    assert cli("export", "accounts").stdout.startswith("key,name,country")
    assert json.loads(cli("export", "touches", "-f", "json").stdout)["count"] == 0


def test_bad_export_options_are_usage_errors(khm_db, cli) -> None:
    r = cli("export", "touches", "--since", "last tuesday", code=2)
    assert "--since" in r.stderr
    r = cli("export", "accounts", "--format", "xml", code=2)
    assert "xml" in r.stderr


@pytest.mark.parametrize("entity", ["accounts", "reps", "touches"])
def test_jsonl_lines_are_the_json_items(cli, book, entity: str) -> None:
    items = json.loads(cli("export", entity, "-f", "json").stdout)["items"]
    lines = cli("export", entity, "-f", "jsonl").stdout.splitlines()
    assert items and [json.loads(line) for line in lines] == items


def test_jsonl_to_a_file_counts_its_lines(cli, book, tmp_path: Path) -> None:
    out = tmp_path / "touches.jsonl"
    r = cli("export", "touches", "-f", "jsonl", "--output", str(out))
    n = len(out.read_text(encoding="utf-8").splitlines())
    assert n > 0 and f"Wrote {n} touches to {out}" in r.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_read_in_small_chunks_is_the_same(cli, book, monkeypatch, fmt: str) -> None:
    from khm.store import lists

    whole = {e: cli("export", e, "-f", fmt).stdout for e in ("accounts", "reps", "touches")}
    monkeypatch.setattr(lists, "CHUNK", 3)
    assert {e: cli("export", e, "-f", fmt).stdout for e in whole} == whole


def test_customer_since_survives_export_and_import(cli, tmp_path) -> None:
    """The customer's start (anniversaries count from it) goes out and comes back."""
    cli("init")
    cli("account", "add", "Z1", "--name", "Zeta", "--customer-since", "2021-03-04")
    text = cli("export", "accounts").stdout
    assert text.splitlines()[1].endswith(",false,2021-03-04")
    f = tmp_path / "e.csv"
    f.write_text(text, encoding="utf-8")
    other = str(tmp_path / "other.db")
    cli("--db", other, "import", "accounts", str(f))
    assert cli("--db", other, "export", "accounts").stdout == text
    acc = json.loads(cli("--db", other, "account", "show", "Z1", "-f", "json").stdout)
    assert acc["account"]["customer_since"] == "2021-03-04"
