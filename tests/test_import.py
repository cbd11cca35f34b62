"""``khm import accounts|reps|touches``: mapping, upsert, sniffing, the examples, and every
kind of bad input (message names file, row and field; exit code ≠ 0; database unchanged)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khm.core.importer import Existing, ImportContext
from khm.errors import InputError, UsageError
from khm.io.cells import AccountIndex, Lookups, RepIndex, parse_spec
from khm.io.parse import DEFAULT_NULLS
from khm.services.importing import plan_import

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

REPS_CSV = "handle,name,email,role,capacity\nanna,Anna Snelling,anna@example.se,expand,12\nbo,Bo Ek,,keep,8\n"
ACCOUNTS_CSV = (
    "key,name,country,product_lines,revenue,employees,owner,lifecycle_stage\n"
    "A1,Alfa AB,SE,Cloud;Support,1000000,10,anna,customer\n"
    "A2,Beta Oy,Finland,Cloud,500000,5,Bo Ek,opportunity\n"
)


def write(tmp_path: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> str:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_bytes(text.encode(encoding))
    return str(p)


@pytest.fixture
def seeded(cli, tmp_path: Path) -> None:
    """Two reps and two accounts in the database."""
    cli("import", "reps", write(tmp_path, "seed_reps.csv", REPS_CSV))
    cli("import", "accounts", write(tmp_path, "seed_accounts.csv", ACCOUNTS_CSV))


def report(cli, *args: str, code: int = 0) -> dict:
    out = cli(*args, "--format", "json", code=code).stdout
    return json.loads(out)


def accounts(cli) -> dict[str, dict]:
    data = json.loads(cli("export", "accounts", "--format", "json").stdout)
    return {a["key"]: a for a in data["items"]}


# --------------------------------------------------------------------------- the happy path


def test_accounts_import_maps_headers_by_name_and_upserts(cli, seeded, tmp_path: Path) -> None:
    got = accounts(cli)
    assert got["A1"]["product_lines"] == ["Cloud", "Support"]
    assert got["A1"]["owner"] == "anna"
    assert got["A2"]["country"] == "FI"
    assert got["A2"]["owner"] == "bo"  # the rep's name resolves to the handle
    again = report(cli, "import", "accounts", str(tmp_path / "seed_accounts.csv"))
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_changed_rows_are_updated_and_empty_cells_keep_the_old_value(
    cli, seeded, tmp_path: Path
) -> None:
    f = write(tmp_path, "upd.csv", "key,revenue,employees,country\nA1,2000000,,\nA3,1,,NO\n")
    r = report(cli, "import", "accounts", f)
    assert (r["inserted"], r["updated"], r["unchanged"], r["bad"]) == (1, 1, 0, 0)
    got = accounts(cli)
    assert got["A1"]["revenue"] == 2_000_000
    assert got["A1"]["employees"] == 10  # empty cell: unchanged
    assert got["A1"]["country"] == "SE"
    assert got["A3"]["name"] == "A3"  # no name column: the key


def test_header_matching_ignores_case_spaces_and_underscores(cli, tmp_path: Path) -> None:
    f = write(tmp_path, "a.csv", "KEY,Name,Lifecycle Stage,Product Lines\nX,Xylo,lead,GTX|MG\n")
    r = report(cli, "import", "accounts", f)
    assert r["auto_mapped"] == ["key", "name", "lifecycle_stage", "product_lines"]
    assert accounts(cli)["X"]["lifecycle_stage"] == "lead"


def test_map_set_scale_and_custom_fields(cli, tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "crm.csv",
        'id,Company,Turnover (MSEK),Seats,Score\n7,"Nord, Syd & Co",12.5,40,88\n8,Öst AB,0.75,3,\n',
    )
    r = report(
        cli,
        "import",
        "accounts",
        f,
        "--map",
        "key=id",
        "--map",
        "name=Company",
        "--map",
        "revenue=Turnover (MSEK)",
        "--map",
        "employees=seats",
        "--map",
        "custom.score=Score",
        "--scale",
        "revenue=1000000",
        "--set",
        "country=SE",
    )
    assert r["inserted"] == 2
    assert r["ignored_columns"] == []
    got = accounts(cli)
    assert got["7"]["name"] == "Nord, Syd & Co"
    assert got["7"]["revenue"] == 12_500_000
    assert got["8"]["revenue"] == 750_000
    assert got["7"]["custom"] == {"score": 88}
    assert got["8"]["custom"] == {}
    assert got["8"]["country"] == "SE"
    # a later import of another custom field keeps the first one
    f2 = write(tmp_path, "more.csv", "key,custom.nps\n7,42\n")
    cli("import", "accounts", f2)
    assert accounts(cli)["7"]["custom"] == {"score": 88, "nps": 42}


def test_key_name_uses_the_name_as_key(cli, tmp_path: Path) -> None:
    f = write(
        tmp_path, "a.csv", "account,office_location,revenue\nAcme Corp,United States,1100.04\n"
    )
    cli(
        "import",
        "accounts",
        f,
        "--key",
        "name",
        "--map",
        "name=account",
        "--map",
        "country=office_location",
        "--scale",
        "revenue=1000000",
    )
    got = accounts(cli)["Acme Corp"]
    assert got["name"] == "Acme Corp" and got["country"] == "US"
    assert got["revenue"] == pytest.approx(1_100_040_000)


def test_an_export_with_other_columns_imports_with_the_same_flags(cli, tmp_path: Path) -> None:
    """id column, quoted names with commas, employees instead of revenue, long country names."""
    f = write(
        tmp_path,
        "other.csv",
        "id,account,employees,office_location\n"
        '101,"Smith, Jones & Partners",250,United Kingdom of Great Britain and Northern Ireland\n'
        '102,"Bolivar, Inc.",12,"Bolivia, Plurinational State of"\n'
        "103,Seoul Soft,80,Korea\n",
    )
    r = report(
        cli, "import", "accounts", f, "--map", "key=id", "--map", "name=account",
        "--map", "country=office_location",
    )  # fmt: skip
    assert r["inserted"] == 3
    got = accounts(cli)
    assert got["101"]["name"] == "Smith, Jones & Partners" and got["101"]["country"] == "GB"
    assert got["102"]["country"] == "BO"
    assert got["103"]["country"] == "KR"
    assert got["101"]["employees"] == 250 and got["101"]["revenue"] is None
    assert any("Korea" in w for w in r["warnings"])


def test_misspelt_country_is_imported_with_a_warning_naming_the_row(cli, tmp_path: Path) -> None:
    f = write(tmp_path, "a.csv", "key,country\nB,Philipines\n")
    r = cli("import", "accounts", f)
    assert f"{f}:2: country: 'Philipines' read as PH" in r.stderr
    assert accounts(cli)["B"]["country"] == "PH"


def test_reps_handles_are_made_from_names(cli, tmp_path: Path) -> None:
    f = write(tmp_path, "team.csv", "sales_agent,manager\nAnna Snelling,X\nÅsa Ørn,Y\n")
    r = report(cli, "import", "reps", f, "--map", "name=sales_agent")
    assert r["inserted"] == 2
    data = json.loads(cli("export", "reps", "--format", "json").stdout)
    assert {(x["handle"], x["name"]) for x in data["items"]} == {
        ("anna.snelling", "Anna Snelling"),
        ("asa.orn", "Åsa Ørn"),
    }
    assert {x["capacity"] for x in data["items"]} == {12.0}  # the method's default
    again = report(cli, "import", "reps", f, "--map", "name=sales_agent")
    assert again["unchanged"] == 2


def test_touches_are_appended_and_a_second_import_changes_nothing(
    cli, seeded, tmp_path: Path, snapshot_db
) -> None:
    f = write(
        tmp_path,
        "t.csv",
        "account,date,stage,rep,note\n"
        "A1,2026-10-01,Won,anna,first\n"
        "A1,2026-10-01,Won,anna,first\n"  # repeated in the file: one touch
        'Beta Oy,02.10.2026,Lost,Bo Ek,"two\nlines"\n',
    )
    args = ("import", "touches", f, "--map", "kind=stage")
    args += ("--value-map", "kind:Won=visit", "--value-map", "kind:Lost=call")
    r = report(cli, *args)
    assert (r["inserted"], r["unchanged"]) == (2, 1)
    before = snapshot_db()
    r = report(cli, *args)
    assert (r["inserted"], r["unchanged"]) == (0, 3)
    assert snapshot_db() == before
    data = json.loads(cli("export", "touches", "--format", "json").stdout)["items"]
    assert {(t["account"], t["kind"], t["rep"], t["date"]) for t in data} == {
        ("A1", "visit", "anna", "2026-10-01"),
        ("A2", "call", "bo", "2026-10-02"),
    }
    assert {t["note"] for t in data} == {"first", "two\nlines"}
    assert {t["source"] for t in data} == {"import:t.csv"}


def test_touch_kind_as_a_constant(cli, seeded, tmp_path: Path) -> None:
    f = write(tmp_path, "t.csv", "account,engage_date,sales_agent\nA1,2016-10-20,Anna Snelling\n")
    r = report(
        cli, "import", "touches", f, "--map", "date=engage_date", "--map", "rep=sales_agent",
        "--set", "kind=meeting",
    )  # fmt: skip
    assert r["inserted"] == 1 and r["mapping"]["kind"] == "=meeting"


def test_dry_run_writes_nothing_and_says_what_would_happen(
    cli, seeded, tmp_path: Path, snapshot_db
) -> None:
    before = snapshot_db()
    f = write(tmp_path, "a.csv", "key,revenue\nA1,5\nNEW,1\n")
    r = cli("import", "accounts", f, "--dry-run")
    assert "Would import" in r.stdout and "inserted 1, updated 1" in r.stdout
    assert "nothing was written" in r.stdout
    assert snapshot_db() == before


def test_skip_bad_writes_the_good_rows_and_lists_the_bad(cli, seeded, tmp_path: Path) -> None:
    f = write(tmp_path, "a.csv", "key,revenue\nG1,1\nB1,lots\nG2,2\n,3\n")
    r = cli("import", "accounts", f, "--skip-bad")
    assert "inserted 2" in r.stdout
    assert "2 bad rows skipped" in r.stderr
    assert f"{f}:3: revenue: 'lots' is not a number" in r.stderr
    assert f"{f}:5: key: missing" in r.stderr
    assert {"G1", "G2"} <= set(accounts(cli)) and "B1" not in accounts(cli)


def test_more_than_twenty_bad_rows_are_counted(cli, seeded, tmp_path: Path, snapshot_db) -> None:
    before = snapshot_db()
    body = "".join(f"K{i},x{i}\n" for i in range(30))
    f = write(tmp_path, "a.csv", "key,revenue\n" + body)
    r = cli("import", "accounts", f, code=3)
    assert "30 bad rows of 30" in r.stderr
    assert f"{f}:21: revenue:" in r.stderr
    assert "... and 10 more" in r.stderr
    assert snapshot_db() == before


def test_json_error_envelope_lists_every_bad_row(cli, tmp_path: Path) -> None:
    f = write(tmp_path, "a.csv", "key,revenue\nA,x\nB,y\n")
    r = cli("import", "accounts", f, "--format", "json", code=3)
    err = json.loads(r.stdout)["error"]
    assert err["code"] == 3 and err["kind"] == "bad_input"
    assert err["details"] == [
        f"{f}:2: revenue: 'x' is not a number",
        f"{f}:3: revenue: 'y' is not a number",
    ]


def test_nordic_excel_file_with_decimal_commas(cli, tmp_path: Path) -> None:
    text = "Kundnr;Företag;Omsättning;Land\r\n1;Ærø ApS;1\u00a0234\u00a0567,50;Danmark\r\n2;Öland AB;12,5;SE\r\n"
    f = write(tmp_path, "a.csv", b"\xef\xbb\xbf" + text.encode())
    r = report(
        cli, "import", "accounts", f, "--map", "key=Kundnr", "--map", "name=Företag",
        "--map", "revenue=Omsättning", "--map", "country=Land",
    )  # fmt: skip
    assert (r["encoding"], r["delimiter"]) == ("utf-8-sig", "semicolon")
    got = accounts(cli)
    assert got["1"]["revenue"] == pytest.approx(1234567.5)
    assert got["2"]["revenue"] == 12.5
    assert got["1"]["name"] == "Ærø ApS"


def test_tab_separated_latin1_file(cli, tmp_path: Path) -> None:
    f = write(tmp_path, "a.tsv", "key\tname\nS\tSödra Älvsborg\n", encoding="latin-1")
    r = report(cli, "import", "accounts", f)
    assert (r["encoding"], r["delimiter"]) == ("cp1252", "tab")
    assert accounts(cli)["S"]["name"] == "Södra Älvsborg"


def test_user_text_survives_untouched(cli, tmp_path: Path) -> None:
    names = ['[Beta] "Nørre" Data', "Sunny 🌞 Oy, Ltd", "Õunapuu OÜ", "=cmd|' /C calc'!A0"]
    body = "".join(f'K{i},"{n.replace(chr(34), chr(34) * 2)}"\n' for i, n in enumerate(names))
    f = write(tmp_path, "a.csv", "key,name\n" + body)
    cli("import", "accounts", f)
    got = accounts(cli)
    assert [got[f"K{i}"]["name"] for i in range(len(names))] == names


def test_progress_bar_stays_off_when_not_a_terminal(cli, tmp_path: Path) -> None:
    body = "".join(f"K{i},{i}\n" for i in range(6000))
    r = cli("import", "accounts", write(tmp_path, "big.csv", "key,revenue\n" + body))
    assert "inserted 6000" in r.stdout
    assert r.stderr == ""


# --------------------------------------------------------------------------- examples/


def _import_examples(cli) -> None:
    cli("--method", str(EXAMPLES / "method.toml"), "import", "reps", str(EXAMPLES / "reps.csv"),
        "--map", "name=Namn", "--map", "email=E-post", "--map", "role=Roll",
        "--map", "capacity=Kapacitet")  # fmt: skip
    cli("--method", str(EXAMPLES / "method.toml"), "import", "accounts",
        str(EXAMPLES / "accounts.csv"), "--map", "key=Kundnr", "--map", "name=Företag",
        "--map", "country=Land", "--map", "product_lines=Produktlinjer",
        "--map", "revenue=Omsättning (SEK)", "--map", "employees=Anställda",
        "--map", "owner=Ansvarig säljare", "--map", "lifecycle_stage=Fas",
        "--map", "custom.nps=NPS")  # fmt: skip
    cli("--method", str(EXAMPLES / "method.toml"), "import", "touches",
        str(EXAMPLES / "touches.csv"), "--map", "kind=Activity",
        "--value-map", "kind:E-mail=email", "--value-map", "kind:Roadmap review=review")  # fmt: skip


def test_examples_import_through_the_cli(cli) -> None:
    _import_examples(cli)
    got = accounts(cli)
    assert len(got) == 30
    assert got["K-1003"]["name"] == "Berg, Holm & Søn A/S"
    assert got["K-1012"]["name"] == "Fjord; Hav og Land AS"
    assert got["K-1006"]["name"] == "[Beta] Nørrebro Data ApS"
    assert got["K-1007"]["name"] == "Sunny Side 🌞 Oy"
    assert got["K-1013"]["name"] == "+46 Telecom AB"
    assert got["K-1005"]["revenue"] == 22_600_000
    assert got["K-1002"]["revenue"] == 3_980_500.5
    assert got["K-1030"]["country"] == "IS"
    assert got["K-1008"]["owner"] == "juri.ounapuu"
    assert got["K-1001"]["custom"] == {"nps": 42}
    assert {a["country"] for a in got.values()} == {"SE", "NO", "DK", "FI", "EE", "IS"}
    reps = json.loads(cli("export", "reps", "--format", "json").stdout)["items"]
    assert {r["handle"] for r in reps} == {
        "asa.lindqvist", "erik.sjoberg", "mads.aeroe", "kari.nordmann", "juri.ounapuu",
    }  # fmt: skip
    touches = json.loads(cli("export", "touches", "--format", "json").stdout)["items"]
    assert len(touches) == 19  # one row of the file is a repeat
    assert {t["kind"] for t in touches} >= {"visit", "call", "email", "review", "webinar"}
    # the example method is valid and the imported book can be tagged with it
    cli("--method", str(EXAMPLES / "method.toml"), "method", "check")


def test_examples_import_script_runs(tmp_path: Path, db_url: str) -> None:
    if shutil.which("khm") is None or shutil.which("sh") is None:
        pytest.skip("khm or sh not on PATH")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    out = subprocess.run(
        ["sh", str(EXAMPLES / "import.sh"), db_url],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "Ærø Søfart ApS" in out.stdout
    assert "inserted 30" in out.stdout


# --------------------------------------------------------------------------- bad input
# Each: exit code ≠ 0, the message names the file (and row and field where there is one),
# and the database is exactly as before.


def assert_refused(cli, snapshot_db, args, *expected: str, code: int = 3):
    before = snapshot_db()
    r = cli(*args, code=None)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    for text in expected:
        assert text in r.stderr, f"{text!r} not in:\n{r.stderr}"
    assert snapshot_db() == before
    return r


def test_bad_binary_file(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "bin.csv", b"key,name\n\x00\x01\x02\x03")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:2: control character U+0000 (NUL)"
    )


def test_bad_xlsx_instead_of_csv(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "book.csv", b"PK\x03\x04\x14\x00\x06\x00")
    assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:", "xlsx")


def test_bad_empty_file(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "empty.csv", b"")
    assert_refused(cli, snapshot_db, ("import", "reps", f), f"{f}: the file is empty")


def test_bad_header_only(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "head.csv", "key,name\n")
    assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}: only a header")


def test_bad_ragged_row(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "rag.csv", "key,name\nA1,Alfa\nB,Beta,extra\nC\n")
    r = assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:3: (row): has 3 cells")
    assert f"{f}:4: (row): has 1 cells" in r.stderr


def test_bad_unknown_encoding(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "enc.csv", b"key,name\n" + bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 20)
    assert_refused(
        cli,
        snapshot_db,
        ("import", "accounts", f),
        f"{f}:2: control character U+0081 in column 'key'",
        "--encoding",
    )


def test_bad_explicit_encoding_that_does_not_fit(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "enc.csv", "key,name\nA,Åsa\n", encoding="latin-1")
    assert_refused(
        cli,
        snapshot_db,
        ("import", "accounts", f, "--encoding", "utf-8"),
        f"{f}:2: not valid utf-8",
    )


def test_bad_broken_quoting(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "q.csv", 'key,name\nA,"Alfa\nB,Beta\n')
    assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:", "broken CSV")


def test_bad_duplicate_key_in_the_file(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "dup.csv", "key,name\nN1,One\nN2,Two\nN1,Again\n")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:4: key: key 'N1' repeats row 2"
    )


def test_bad_duplicate_handle_in_the_file(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "dup.csv", "name\nÅsa Berg\nasa berg\n")
    assert_refused(
        cli, snapshot_db, ("import", "reps", f), f"{f}:3: name: handle 'asa.berg' repeats row 2"
    )


def test_bad_unknown_rep_in_touches(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(
        tmp_path,
        "t.csv",
        "account,date,kind,rep\nA1,2026-01-05,call,anna\nA1,2026-01-06,call,Zed Nobody\n",
    )
    assert_refused(
        cli, snapshot_db, ("import", "touches", f), f"{f}:3: rep: unknown rep 'Zed Nobody'"
    )


def test_bad_unknown_account_in_touches(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "t.csv", "account,date,kind\nNOPE,2026-01-05,call\n")
    assert_refused(
        cli, snapshot_db, ("import", "touches", f), f"{f}:2: account: unknown account 'NOPE'"
    )


def test_bad_unknown_activity_kind(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "t.csv", "account,date,deal_stage\nA1,2026-01-05,Prospecting\n")
    r = assert_refused(
        cli,
        snapshot_db,
        ("import", "touches", f, "--map", "kind=deal_stage"),
        f"{f}:2: kind: unknown activity kind 'Prospecting'",
    )
    assert "visit" in r.stderr and "--value-map kind:Prospecting=" in r.stderr


def test_bad_touch_without_account_cell(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "t.csv", "account,date,kind\nA1,2026-01-05,call\n,2026-01-06,call\n")
    assert_refused(cli, snapshot_db, ("import", "touches", f), f"{f}:3: account: missing")


def test_bad_number(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "n.csv", "key,revenue\nA1,100\nA9,12 apples\n")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:3: revenue: '12 apples' is not a number"
    )


def test_bad_negative_employees(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "n.csv", "key,employees\nA1,-4\n")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:2: employees: '-4' must not be negative"
    )


def test_bad_date(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "d.csv", "account,date,kind\nA1,2026-01-05,call\nA1,31.02.2026,call\n")
    assert_refused(
        cli, snapshot_db, ("import", "touches", f), f"{f}:3: date: '31.02.2026' is not a date"
    )


def test_bad_ambiguous_dates(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "d.csv", "account,date,kind\nA1,03/04/2026,call\n")
    assert_refused(
        cli, snapshot_db, ("import", "touches", f), f"{f}:2: date: '03/04/2026' is ambiguous",
        "--date-format",
    )  # fmt: skip


def test_bad_missing_date_cell(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "d.csv", "account,date,kind\nA1,,call\n")
    assert_refused(cli, snapshot_db, ("import", "touches", f), f"{f}:2: date: missing")


def test_bad_unknown_country_with_strict_countries(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "c.csv", "key,country\nA1,SE\nA2,Atlantis\n")
    assert_refused(
        cli,
        snapshot_db,
        ("import", "accounts", f, "--strict-countries"),
        f"{f}:3: country: unknown country 'Atlantis'",
    )


def test_bad_unknown_owner(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "o.csv", "key,owner\nA1,ghost\n")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:2: owner: unknown rep 'ghost'"
    )


def test_bad_rep_role_and_email_and_capacity(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "r.csv", "handle,role,email,capacity\ncid,boss,cid-at-example,-1\n")
    r = assert_refused(
        cli, snapshot_db, ("import", "reps", f), f"{f}:2: role: 'boss' is not one of"
    )
    assert f"{f}:2: email: 'cid-at-example' is not an e-mail address" in r.stderr
    assert f"{f}:2: capacity: '-1' must not be negative" in r.stderr


def test_bad_boolean(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "b.csv", "key,archived\nA1,maybe\n")
    assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:2: archived: 'maybe'")


def test_bad_key_too_long(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "k.csv", "key\n" + "K" * 201 + "\n")
    assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:2: key: too long")


def test_bad_map_to_a_column_not_in_the_file(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "m.csv", "Kundnr,Företag\n1,Alfa\n")
    assert_refused(
        cli,
        snapshot_db,
        ("import", "accounts", f, "--map", "key=Customer ID"),
        f"{f}:1: --map key=Customer ID: no column 'Customer ID'",
        "'Kundnr', 'Företag'",
    )


def test_bad_unknown_target_field(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "m.csv", "key\n1\n")
    assert_refused(
        cli,
        snapshot_db,
        ("import", "accounts", f, "--map", "turnover=key"),
        "--map: unknown accounts field 'turnover'",
        "key, name, country, product_lines, revenue",
        code=2,
    )


def test_bad_constant(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "m.csv", "key\n1\n")
    assert_refused(
        cli,
        snapshot_db,
        ("import", "accounts", f, "--set", "country=Narnia"),
        "--set country=Narnia: unknown country 'Narnia'",
        code=2,
    )


def test_bad_no_key_column(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "m.csv", "name,revenue\nAlfa,1\n")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:1: no column for the account key",
        "--key name",
    )  # fmt: skip


def test_bad_touches_without_kind(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "t.csv", "account,date\nA1,2026-01-05\n")
    assert_refused(
        cli, snapshot_db, ("import", "touches", f), f"{f}:1: no column for the touch kind",
        "--set kind=KIND",
    )  # fmt: skip


def test_bad_duplicate_header(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "h.csv", "key,name,Name\nA,B,C\n")
    assert_refused(
        cli, snapshot_db, ("import", "accounts", f), f"{f}:1: column 'Name' appears twice"
    )


def test_bad_file_not_found(cli, seeded, tmp_path, snapshot_db) -> None:
    f = str(tmp_path / "missing.csv")
    assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}: file not found")


def test_one_bad_row_among_good_ones_writes_nothing(cli, seeded, tmp_path, snapshot_db) -> None:
    good = "".join(f"G{i},{i}\n" for i in range(50))
    f = write(tmp_path, "mix.csv", "key,revenue\n" + good + "BAD,??\nA1,999\n")
    r = assert_refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:52: revenue:")
    assert "1 bad row of 52" in r.stderr and "--skip-bad" in r.stderr


def test_bad_rows_in_a_dry_run_also_fail(cli, seeded, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "d.csv", "key,revenue\nA1,x\n")
    assert_refused(cli, snapshot_db, ("import", "accounts", f, "--dry-run"), f"{f}:2: revenue:")


# --------------------------------------------------------------------------- the planner, directly


def test_core_plan_decides_insert_update_unchanged() -> None:
    now = datetime(2026, 11, 23, 12, 0)
    ctx = ImportContext(
        existing={
            "A": Existing(1, {"name": "Alfa", "revenue": 10.0, "custom": {}}),
            "B": Existing(2, {"name": "Beta", "revenue": 5.0, "custom": {}}),
        },
    )
    look = Lookups(reps=RepIndex.build([("anna", "Anna")]))
    rows = [(2, ["A", "Alfa", "10"]), (3, ["B", "Beta", "6"]), (4, ["C", "Gamma", ""])]
    plan = plan_import(
        parse_spec("accounts"), ["key", "name", "revenue"], rows, ctx, look, path="f.csv", now=now
    )
    assert (plan.inserted, plan.updated, plan.unchanged, plan.bad) == (1, 1, 1, 0)
    assert plan.updates == [(2, {"revenue": 6.0, "updated_at": now})]
    assert plan.inserts[0]["key"] == "C" and plan.inserts[0]["revenue"] is None


def test_core_a_repeated_account_row_is_read_once_and_a_different_one_is_bad() -> None:
    """The first row of a key becomes its insert row in place; a repeat is compared as
    the insert row it would make: an empty cell and a null token are the same default."""
    header = ["key", "name", "revenue", "product_lines"]
    rows = [
        (2, ["A", "Alfa", "", "Cloud"]),
        (3, ["A", "Alfa", "NULL", "Cloud"]),  # the same values: read once
        (4, ["a", "Alfa", "10", "Cloud"]),  # the same key folded, another revenue: bad
        (5, ["B", "", "", ""]),
        (6, ["B", "B", "n/a", "-"]),  # the name defaults to the key: the same row
    ]
    plan = plan_import(
        parse_spec("accounts"), header, rows, ImportContext(), Lookups(), path="f.csv",
        now=datetime(2026, 1, 1),
    )  # fmt: skip
    assert (plan.inserted, plan.unchanged, plan.bad_rows) == (2, 2, [4])
    assert [w.row for w in plan.warnings] == [3, 6]
    assert plan.errors[0].problem == "key 'a' repeats row 2"
    a, b = plan.inserts
    assert (a["key"], a["name"], a["revenue"], a["product_lines"]) == ("A", "Alfa", None, ["Cloud"])
    assert (b["key"], b["name"], b["revenue"], b["product_lines"]) == ("B", "B", None, [])
    assert set(a) == set(b)  # every insert row has the same columns


def test_core_touch_resolution_by_key_name_and_rep_name() -> None:
    look = Lookups(
        accounts=AccountIndex.build([(1, "K1", "Alfa AB"), (2, "K2", "Beta")]),
        reps=RepIndex.build([("anna.s", "Anna S")]),
        kinds=("call", "visit"),
    )
    spec = parse_spec("touches", sets=["kind=Call"])
    rows = [(2, ["alfa ab", "2026-01-02", "Anna S"]), (3, ["k2", "2026-01-03", "ANNA.S"])]
    plan = plan_import(
        spec,
        ["account", "date", "rep"],
        rows,
        ImportContext(),
        look,
        path="t.csv",
        now=datetime(2026, 1, 1),
    )
    assert plan.bad == 0
    assert [(t["account_id"], t["rep"], t["kind"]) for t in plan.inserts] == [
        (1, "anna.s", "call"),
        (2, "anna.s", "call"),
    ]


def test_core_spec_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="known: key, name"):
        parse_spec("accounts", maps=["nope=x"])
    with pytest.raises(UsageError, match="FIELD=VALUE"):
        parse_spec("accounts", sets=["country"])
    with pytest.raises(UsageError, match="also mapped"):
        parse_spec("accounts", maps=["country=x"], sets=["country=SE"])
    with pytest.raises(UsageError, match="only numeric"):
        parse_spec("accounts", scales=["name=2"])
    with pytest.raises(UsageError, match="keyed by key or name"):
        parse_spec("accounts", key="country")
    with pytest.raises(UsageError, match="kind:Won=visit"):
        parse_spec("touches", value_maps=["Won=visit"])


def test_core_missing_mapped_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="columns: 'a', 'b'"):
        plan_import(
            parse_spec("accounts", maps=["key=zzz"]),
            ["a", "b"],
            [(2, ["1", "2"])],
            ImportContext(),
            Lookups(),
            path="f.csv",
            now=datetime(2026, 1, 1),
        )


_cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s[:1] != "'" and s.casefold() not in DEFAULT_NULLS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            _cell_text,
            st.sampled_from(["SE", "Norge", "Danmark", "FI", "Eesti", ""]),
            st.lists(st.sampled_from(["Cloud", "Analytics", "Support"]), max_size=3),
            st.one_of(st.none(), st.floats(0, 1e12, allow_nan=False).map(lambda f: round(f, 2))),
        ),
        max_size=25,
        unique_by=lambda r: r[0].casefold(),
    )
)
def test_core_importing_the_same_rows_twice_changes_nothing(rows) -> None:
    """Whatever the values, a second import of the same rows is all unchanged."""
    header = ["key", "country", "product_lines", "revenue"]
    recs = [
        (i + 2, [k, c, "; ".join(pl), "" if rev is None else f"{rev:.2f}"])
        for i, (k, c, pl, rev) in enumerate(rows)
    ]
    now = datetime(2026, 1, 1)
    spec = parse_spec("accounts")
    first = plan_import(spec, header, recs, ImportContext(), Lookups(), path="f.csv", now=now)
    assert first.bad == 0 and first.inserted == len(rows)
    existing = {
        r["key"]: Existing(i, {k: v for k, v in r.items() if k != "key"})
        for i, r in enumerate(first.inserts)
    }
    second = plan_import(
        spec, header, recs, ImportContext(existing=existing), Lookups(), path="f.csv", now=now
    )
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, len(rows))


def test_reps_keyed_by_email_and_forced_delimiter_and_encoding(cli, tmp_path: Path) -> None:
    f = write(tmp_path, "r.txt", "mail|Namn\nkari.n@example.no|Kari Nordmann\n", "cp1252")
    r = report(
        cli, "import", "reps", f, "--key", "email", "--map", "email=mail", "--map", "name=Namn",
        "--delimiter", "pipe", "--encoding", "cp1252",
    )  # fmt: skip
    assert (r["delimiter"], r["encoding"], r["inserted"]) == ("pipe", "cp1252", 1)
    reps = json.loads(cli("export", "reps", "--format", "json").stdout)["items"]
    assert [(x["handle"], x["email"]) for x in reps] == [("kari.n", "kari.n@example.no")]


# --------------------------------------------------------------------------- bulk writes


def test_bulk_written_rows_read_back_through_the_orm_with_every_type(
    cli, store, tmp_path: Path
) -> None:
    """The fast insert binds plain values and writes constant columns once; the ORM must
    read back the same JSON lists and dicts, timestamps, booleans and defaults."""
    from sqlmodel import select

    from khm.store.models import Account, Rep, Touch

    cli("import", "reps", write(tmp_path, "r.csv", REPS_CSV), "--set", "active=yes")
    rows = "".join(
        f"K{i},Name {i} 'quoted',{'SE' if i % 2 else 'Norge'},{'Cloud;Support' if i % 3 else ''},"
        f"{i * 1.5 if i % 4 else ''},{i}\n"
        for i in range(1, 7)
    )
    path = write(tmp_path, "a.csv", "key,name,country,product_lines,revenue,custom_nps\n" + rows)
    cli("import", "accounts", path, "--set", "owner=anna", "--set", "lifecycle_stage=customer")
    touches = write(tmp_path, "t.csv", "account,date\nK1,2026-03-02\nK2,02.03.2026\n")
    cli("import", "touches", touches, "--set", "kind=meeting", "--set", "rep=bo")
    with store.transaction() as s:
        accs = {a.key: a for a in s.exec(select(Account))}
        reps = {r.handle: r for r in s.exec(select(Rep))}
        tch = sorted(s.exec(select(Touch)), key=lambda t: t.id)
    assert set(accs) == {f"K{i}" for i in range(1, 7)}
    a1, a3, a4 = accs["K1"], accs["K3"], accs["K4"]
    assert a1.name == "Name 1 'quoted'" and a1.country == "SE" and accs["K2"].country == "NO"
    assert a1.product_lines == ["Cloud", "Support"] and a3.product_lines == []
    assert a1.revenue == 1.5 and a4.revenue is None
    assert a1.custom == {"nps": 1.0} and a4.custom == {"nps": 4.0}
    assert a1.owner == "anna" and a1.lifecycle_stage == "customer"
    assert a1.archived is False and a1.type_manual is False and a1.type is None
    assert isinstance(a1.created_at, datetime) and a1.created_at == a1.updated_at
    assert a1.created_at == accs["K6"].created_at
    assert reps["anna"].active is True and reps["bo"].capacity == 8.0
    assert [(t.kind, t.rep, t.date) for t in tch] == [
        ("meeting", "bo", date(2026, 3, 2)),
        ("meeting", "bo", date(2026, 3, 2)),
    ]
    assert tch[0].source == "import:t.csv" and isinstance(tch[0].created_at, datetime)


def _index_names(store) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    with store.engine.connect() as conn:
        return {ix["name"] for ix in inspect(conn).get_indexes("account")}


def test_a_large_write_gets_a_larger_page_cache_then_its_own_again(store) -> None:
    """SQLite: a write of many rows runs with a page cache that holds the table, and the
    connection has its own cache again after it, even after a failure; PostgreSQL has
    nothing to set."""
    from khm.store.db import DEFER_INDEXES_AT, LOAD_CACHE_KIB, large_write

    with store.engine.begin() as conn:
        if conn.dialect.name != "sqlite":
            with large_write(conn, DEFER_INDEXES_AT):
                assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            return

        def cache() -> int:
            return int(conn.exec_driver_sql("PRAGMA cache_size").scalar())

        own = cache()
        with large_write(conn, DEFER_INDEXES_AT - 1):
            assert cache() == own  # a small write: as it was
        with large_write(conn, DEFER_INDEXES_AT):
            assert cache() == -LOAD_CACHE_KIB
        assert cache() == own
        with pytest.raises(RuntimeError), large_write(conn, DEFER_INDEXES_AT):
            raise RuntimeError("disk on fire")
        assert cache() == own


def test_a_large_load_into_an_empty_table_keeps_its_indexes_and_fails_whole(
    store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large loads build the non-unique indexes after the rows (SQLite); a failure half-way
    must roll back the rows and leave every index in place, and a success rebuilds them."""
    from khm.services.importing import import_file
    from khm.store import bulk
    from khm.store.lists import export_accounts

    monkeypatch.setattr(bulk, "DEFER_INDEXES_AT", 3)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    indexes = _index_names(store)
    assert {"ix_account_key", "ix_account_type_category", "ix_account_owner_archived"} <= indexes
    path = write(tmp_path, "a.csv", "key,revenue\n" + "".join(f"K{i},{i}\n" for i in range(7)))

    class Boom:
        writing = 0

        def start(self, total: int, label: str = "") -> None:
            self.phase = label

        def advance(self, n: int) -> None:
            if self.phase.startswith("Writing"):
                self.writing += 1
                if self.writing == 2:  # after the first chunk (and the index drop)
                    raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        import_file(store, None, parse_spec("accounts"), path, progress=Boom())
    assert _index_names(store) == indexes
    with store.engine.connect() as conn:
        assert list(export_accounts(conn)) == []
    rep = import_file(store, None, parse_spec("accounts"), path)
    assert rep.inserted == 7 and _index_names(store) == indexes
    with store.engine.connect() as conn:
        assert [a.key for a in export_accounts(conn)] == [f"K{i}" for i in range(7)]


def test_an_accounts_file_without_a_stage_column_reads_no_method(cli, tmp_path: Path) -> None:
    """The method gives an accounts import only its lifecycle stages: a file without a
    lifecycle_stage column imports under a broken method file (which is not read, nor
    recorded); a file with one is refused, naming the method file, and writes nothing."""
    from khm.errors import ExitCode

    bad = tmp_path / "method.toml"
    bad.write_text("[cadence\n", encoding="utf-8")  # not TOML
    plain = write(tmp_path, "a.csv", "key,name\nA1,Alfa\n")
    r = cli("--method", str(bad), "import", "accounts", plain)
    assert "inserted 1" in r.stdout
    staged = write(tmp_path, "b.csv", "key,name,lifecycle_stage\nA2,Beta,customer\n")
    r = cli("--method", str(bad), "import", "accounts", staged, code=ExitCode.BAD_METHOD)
    assert str(bad) in r.stderr and "Traceback" not in r.stderr
    keys = [a["key"] for a in json.loads(cli("account", "list", "-f", "json").stdout)["items"]]
    assert keys == ["A1"]
    doc = json.loads(cli("method", "history", "-f", "json").stdout)
    assert doc["count"] == 0  # neither import recorded a method version
