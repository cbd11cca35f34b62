"""Onboarding another CRM's export with ``--map`` only (issue 11, items 1, 2, 5, 9): empty
tokens, scientific notation, every country name pycountry knows, text fields (import,
rules, group_by, ``--where``, show, JSON, export round trip), future touches, and the
0004_text migration. Small CSVs written in tmp_path; no shared data set needed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khm.errors import ExitCode
from khm.io.parse import DEFAULT_NULLS, CellError, parse_country, parse_number
from khm.method import DEFAULT_METHOD_TOML


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def accounts(cli) -> dict[str, dict]:
    data = json.loads(cli("export", "accounts", "--format", "json").stdout)
    return {a["key"]: a for a in data["items"]}


@pytest.fixture
def seeded(cli, tmp_path) -> None:
    """A database with one account, so that "unchanged" compares rows."""
    cli("import", "accounts", write(tmp_path, "seed.csv", "key\nZ0\n"))


def refused(cli, snapshot_db, args, *expected: str, code: int = ExitCode.BAD_INPUT):
    before = snapshot_db()
    r = cli(*args, code=None)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    for text in expected:
        assert text in r.stderr, f"{text!r} not in:\n{r.stderr}"
    assert snapshot_db() == before
    return r


# --------------------------------------------------------------------------- empty values

CRM_EXPORT = (
    "Account ID,Account Name,Billing Country,Annual Revenue,Employees,Sector,Billing Address\n"
    '001,Acme,United States,1.39E8,#N/A,Energy,"1 Main St\nSuite 4\nSpringfield"\n'
    "002,Globex,NULL,N/A,-,NULL,n/a\n"
    "003,Initech,Cape Verde,None,nan,#N/A,\n"
    "003,Initech,Cape Verde,None,nan,#N/A,\n"
    "004,Umbrella,Atlantis,2.5e6,12,Retail,NA\n"
)
CRM_MAPS = (
    "--map", "key=Account ID", "--map", "name=Account Name", "--map", "country=Billing Country",
    "--map", "revenue=Annual Revenue", "--map", "text.sector=Sector",
    "--map", "text.address=Billing Address",
)  # fmt: skip


def test_a_crm_export_with_empty_tokens_imports_with_map_only(cli, tmp_path) -> None:
    """#N/A, NULL, N/A, -, None, nan, NA read as empty; 1.39E8 reads; a multi-line quoted
    address survives; the repeated row is read once; every account with a key is kept."""
    f = write(tmp_path, "crm.csv", CRM_EXPORT)
    r = cli("import", "accounts", f, *CRM_MAPS)
    assert "inserted 4, updated 0, unchanged 1, bad 0" in r.stdout
    assert f"{f}:7: key: key '003' repeats row 6 with the same values: read once" in r.stderr
    got = accounts(cli)
    assert set(got) == {"001", "002", "003", "004"}
    acme, globex, initech, umbrella = (got[k] for k in ("001", "002", "003", "004"))
    assert (acme["country"], acme["revenue"], acme["employees"]) == ("US", 139_000_000, None)
    assert acme["text"] == {"sector": "Energy", "address": "1 Main St\nSuite 4\nSpringfield"}
    assert (globex["country"], globex["revenue"], globex["employees"], globex["text"]) == (
        None, None, None, {},
    )  # fmt: skip
    assert (initech["country"], initech["revenue"], initech["text"]) == ("CV", None, {})
    assert (umbrella["country"], umbrella["revenue"]) == (None, 2_500_000)
    assert umbrella["text"] == {"sector": "Retail"}  # "NA" is empty: Namibia is NAM


def test_an_unknown_country_is_a_warning_naming_row_and_value(cli, tmp_path) -> None:
    f = write(tmp_path, "crm.csv", CRM_EXPORT)
    data = json.loads(cli("import", "accounts", f, *CRM_MAPS, "--format", "json").stdout)
    assert any(
        w.startswith(f"{f}:8: country: unknown country 'Atlantis'") and "without a country" in w
        for w in data["warnings"]
    ), data["warnings"]


def test_strict_countries_refuses_the_row_and_writes_nothing(
    cli, seeded, tmp_path, snapshot_db
) -> None:
    f = write(tmp_path, "crm.csv", CRM_EXPORT)
    refused(
        cli, snapshot_db, ("import", "accounts", f, *CRM_MAPS, "--strict-countries"),
        f"{f}:8: country: unknown country 'Atlantis'", "nothing was written",
    )  # fmt: skip


def test_a_key_repeated_with_other_values_is_still_a_bad_row(
    cli, seeded, tmp_path, snapshot_db
) -> None:
    f = write(tmp_path, "a.csv", "key,revenue\nA1,10\nA1,20\n")
    refused(cli, snapshot_db, ("import", "accounts", f), f"{f}:3: key: key 'A1' repeats row 2")


def test_null_adds_a_token_and_no_default_nulls_turns_the_set_off(
    cli, seeded, tmp_path, snapshot_db
) -> None:
    f = write(tmp_path, "a.csv", "key,revenue,country\nA1,unknown,SE\nA2,N/A,NULL\n")
    refused(
        cli, snapshot_db, ("import", "accounts", f),
        f"{f}:2: revenue: 'unknown' is not a number",
    )  # fmt: skip
    cli("import", "accounts", f, "--null", "Unknown")
    assert accounts(cli)["A1"]["revenue"] is None
    g = write(tmp_path, "b.csv", "key,revenue,country\nB1,N/A,SE\nB2,5,NULL\n")
    refused(
        cli, snapshot_db, ("import", "accounts", g, "--no-default-nulls"),
        f"{g}:2: revenue: 'N/A' is not a number",
    )  # fmt: skip
    r = cli("import", "accounts", g, "--no-default-nulls", "--null", "N/A")
    assert "unknown country 'NULL'" in r.stderr  # NULL is a value again: a warning
    got = accounts(cli)
    assert (got["B1"]["revenue"], got["B2"]["country"]) == (None, None)


def test_an_empty_null_token_is_a_usage_error(cli, tmp_path) -> None:
    f = write(tmp_path, "a.csv", "key\nA1\n")
    r = cli("import", "accounts", f, "--null", " ", code=ExitCode.USAGE)
    assert "--null" in r.stderr


def test_scientific_notation_in_a_decimal_comma_file(cli, tmp_path) -> None:
    f = write(tmp_path, "a.csv", "key;revenue\nA1;1,39E8\nA2;12,5\nA3;2E3\n")
    cli("import", "accounts", f)
    got = accounts(cli)
    assert [got[k]["revenue"] for k in ("A1", "A2", "A3")] == [139_000_000, 12.5, 2000]


# --------------------------------------------------------------------------- countries

COUNTRY_NAMES = [
    ("Cape Verde", "CV"),
    ("Micronesia", "FM"),
    ("United States Virgin Islands", "VI"),
    ("Svalbard & Jan Mayen Islands", "SJ"),
    ("Netherlands Antilles", "AN"),
    ("Bouvet Island (Bouvetoya)", "BV"),
    ("Slovakia (Slovak Republic)", "SK"),
    ("British Indian Ocean Territory (Chagos Archipelago)", "IO"),
    ("Antarctica (the territory South of 60 deg S)", "AQ"),
    ("Libyan Arab Jamahiriya", "LY"),
    ("Saint Helena", "SH"),
    ("St. Kitts & Nevis", "KN"),
    ("Korea, South", "KR"),
    ("The Bahamas", "BS"),
    ("Zaire", "CD"),
    ("Burma", "MM"),
    ("East Timor", "TL"),
    ("Upper Volta", "BF"),
    ("Yugoslavia", "YU"),
    ("USSR", "SU"),
    ("German Democratic Republic", "DE"),
    ("Côte d'Ivoire", "CI"),
    ("cote d ivoire", "CI"),
    ("Tyskland", "DE"),
    ("Storbritannien", "GB"),
    ("Österreich", "AT"),
    ("Vereinigte Staaten", "US"),
    ("Færøerne", "FO"),
    ("Schweden", "SE"),
]


def test_long_historic_and_local_country_names_import(cli, tmp_path) -> None:
    rows = "".join(f'K{i},"{name}"\n' for i, (name, _) in enumerate(COUNTRY_NAMES))
    f = write(tmp_path, "c.csv", "key,country\n" + rows)
    r = cli("import", "accounts", f, "--strict-countries")
    assert "Warning" not in r.stderr, r.stderr
    got = accounts(cli)
    assert [got[f"K{i}"]["country"] for i in range(len(COUNTRY_NAMES))] == [
        code for _, code in COUNTRY_NAMES
    ]


def test_korea_stays_a_warning(cli, tmp_path) -> None:
    f = write(tmp_path, "c.csv", "key,country\nK1,Korea\n")
    r = cli("import", "accounts", f, "--strict-countries")
    assert f"{f}:2: country: 'Korea' read as KR" in r.stderr
    assert accounts(cli)["K1"]["country"] == "KR"


def _every_pycountry_name() -> list[tuple[str, str]]:
    import pycountry

    out = []
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if getattr(c, attr, None):
                out.append((str(getattr(c, attr)), str(c.alpha_2)))
    return out


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_every_pycountry_name()), st.sampled_from([str.upper, str.lower, str]))
def test_every_pycountry_name_maps_to_its_code_in_any_case(name_code, case) -> None:
    name, code = name_code
    assert parse_country(case(name)) == (code, None)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(DEFAULT_NULLS - {""})), st.sampled_from([str.upper, str.lower]))
def test_a_null_token_in_any_case_is_empty_in_every_field(token, case) -> None:
    from khm.core.importer import ImportContext
    from khm.io.cells import Lookups, parse_spec
    from khm.services.importing import plan_import

    header = ["key", "country", "revenue", "archived", "text.sector", "custom.nps"]
    cell = f" {case(token)} "
    rows = [(2, ["A1", cell, cell, cell, cell, cell])]
    plan = plan_import(
        parse_spec("accounts"), header, rows, ImportContext(), Lookups(),
        path="f.csv", now=datetime(2026, 1, 1),
    )  # fmt: skip
    assert plan.bad == 0 and not plan.warnings
    row = plan.inserts[0]
    assert (row["country"], row["revenue"], row["archived"], row["text"], row["custom"]) == (
        None, None, False, {}, {},
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-6, max_value=1e15, allow_nan=False, allow_infinity=False))
def test_scientific_notation_reads_as_the_number(x) -> None:
    for text in (f"{x:E}", f"{x:e}", f"{x:.3E}"):
        assert parse_number(text) == pytest.approx(float(text))
        assert parse_number(text.replace(".", ","), ",") == pytest.approx(float(text))


def test_a_misspelt_scientific_number_is_still_refused() -> None:
    with pytest.raises(CellError):
        parse_number("1.39E")


# --------------------------------------------------------------------------- text fields

TEXT_METHOD = (
    DEFAULT_METHOD_TOML.replace('group_by = ["country", "product_line"]', 'group_by = ["sector"]')
    .replace(
        "min_group = 10",
        "min_group = 1",  # a few accounts per sector: rank each sector alone
    )
    .replace(
        """when = ["lifecycle_stage in ['opportunity', 'onboarding']"]""",
        """when = ["sector == 'Energy'", "region in ['North', 'South']"]""",
    )
)
BOOK = (
    "key,name,revenue,Sector,Region\n"
    "E1,Oil One,900,Energy,North\n"
    "E2,Oil Two,100,energy,West\n"
    "R1,Shop One,50,Retail,South\n"
    "R2,Shop Two,40,Retail,North\n"
    "N1,No Sector,10,,\n"
)


@pytest.fixture
def book(cli, tmp_path) -> Path:
    f = write(tmp_path, "book.csv", BOOK)
    cli("import", "accounts", f, "--map", "text.sector=Sector", "--map", "text.Region=Region")
    m = tmp_path / "method.toml"
    m.write_text(TEXT_METHOD, encoding="utf-8")
    return m


def test_text_fields_drive_type_rules_and_group_by(cli, book) -> None:
    cli("--method", str(book), "tag", "--today", "2026-11-23")
    got = accounts(cli)
    assert {k: a["type"] for k, a in got.items()} == {
        "E1": "expand", "E2": "keep", "R1": "keep", "R2": "keep", "N1": "keep",
    }  # fmt: skip
    # grouped by sector (any case): E1 is A among the energy accounts, R1 among retail
    assert {k: a["category"] for k, a in got.items()} == {
        "E1": "A", "E2": "C", "R1": "A", "R2": "B", "N1": "A",
    }  # fmt: skip


def test_group_by_a_text_field_no_account_has_is_a_method_error(cli, book) -> None:
    book.write_text(TEXT_METHOD.replace('group_by = ["sector"]', 'group_by = ["segment"]'))
    r = cli("--method", str(book), "tag", code=ExitCode.BAD_METHOD)
    assert "categories.group_by: no account has a text field 'segment'" in r.stderr


def test_account_list_where_is_exact_and_case_insensitive(cli, book) -> None:
    def keys(*where: str) -> list[str]:
        args = [a for w in where for a in ("--where", w)]
        out = json.loads(cli("account", "list", *args, "--format", "json").stdout)
        return [a["key"] for a in out["items"]]

    assert keys("sector=ENERGY") == ["E1", "E2"]
    assert keys("sector=energy", "region=north") == ["E1"]
    assert keys("text.sector=Retail", "Region=North") == ["R2"]
    assert keys("sector=Ener") == []
    r = cli("account", "list", "--where", "sector", code=ExitCode.USAGE)
    assert "--where 'sector': use FIELD=TEXT" in r.stderr


def test_text_fields_in_show_json_and_export_round_trip(cli, book, tmp_path, monkeypatch) -> None:
    shown = cli("account", "show", "E1").stdout
    assert "sector:" in shown and "Energy" in shown and "region:" in shown
    detail = json.loads(cli("account", "show", "E1", "--format", "json").stdout)
    assert detail["version"] == 1
    assert detail["account"]["text"] == {"sector": "Energy", "region": "North"}
    first = cli("export", "accounts").stdout
    assert first.splitlines()[0].endswith(",text.region,text.sector")
    out = write(tmp_path, "export.csv", first)
    monkeypatch.setenv("KHM_DATABASE_URL", str(tmp_path / "fresh.db"))
    cli("import", "accounts", out)
    again = cli("export", "accounts").stdout
    assert again == first


def test_a_bad_text_field_name_is_a_usage_error(cli, tmp_path) -> None:
    f = write(tmp_path, "a.csv", "key,Sector\nA1,x\n")
    r = cli("import", "accounts", f, "--map", "text.my sector=Sector", code=ExitCode.USAGE)
    assert "a text field's name is a word" in r.stderr


def test_an_empty_text_cell_keeps_the_stored_text(cli, book, tmp_path) -> None:
    f = write(tmp_path, "u.csv", "key,text.sector,text.tier\nE1,,gold\n")
    cli("import", "accounts", f)
    assert accounts(cli)["E1"]["text"] == {"sector": "Energy", "region": "North", "tier": "gold"}


# --------------------------------------------------------------------------- future touches


@pytest.fixture
def one_account(cli, tmp_path) -> None:
    cli("import", "accounts", write(tmp_path, "a.csv", "key\nA1\n"))


def test_a_touch_dated_in_the_future_is_refused(cli, one_account, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "t.csv", "account,date,kind\nA1,2026-11-20,call\nA1,2099-01-05,visit\n")
    refused(
        cli, snapshot_db, ("import", "touches", f, "--today", "2026-11-23"),
        f"{f}:3: date: 2099-01-05 is in the future (today is 2026-11-23)", "--allow-future",
    )  # fmt: skip


def test_today_moves_the_limit(cli, one_account, tmp_path) -> None:
    f = write(tmp_path, "t.csv", "account,date,kind\nA1,2026-11-25,call\n")
    r = cli("import", "touches", f, "--today", "2026-11-23", code=ExitCode.BAD_INPUT)
    assert "2026-11-25 is in the future" in r.stderr
    cli("import", "touches", f, "--today", "2026-11-25")


def test_allow_future_imports_booked_meetings(cli, one_account, tmp_path) -> None:
    f = write(tmp_path, "t.csv", "account,date,kind\nA1,2099-01-05,visit\n")
    r = cli("import", "touches", f, "--allow-future", "--format", "json")
    assert json.loads(r.stdout)["inserted"] == 1


def test_allow_future_is_only_for_touches(cli, tmp_path) -> None:
    f = write(tmp_path, "a.csv", "key\nA1\n")
    r = cli("import", "accounts", f, "--allow-future", code=ExitCode.USAGE)
    assert "--allow-future: only touches" in r.stderr


def test_a_booked_meeting_resets_no_timer_before_its_week(tmp_path) -> None:
    """The planner reads touches dated up to the end of the planned week: a meeting booked
    for a later week leaves this week's due dates as they were."""
    from datetime import date

    from sqlalchemy import insert

    from khm.store.db import open_store
    from khm.store.models import Account, Touch
    from khm.store.planning import last_touches_by_id

    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        now = datetime(2026, 1, 1)
        with store.engine.begin() as conn:
            conn.execute(
                insert(Account).values(
                    id=1, key="A1", name="A1", product_lines=[], custom={}, text={},
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
            for d in (date(2026, 11, 2), date(2027, 3, 1)):
                conn.execute(
                    insert(Touch).values(
                        account_id=1, kind="visit", date=d, source="t", created_at=now
                    )
                )
        with store.engine.connect() as conn:
            assert last_touches_by_id(conn, until=date(2026, 11, 29)) == {
                1: {"visit": date(2026, 11, 2)}
            }
            assert last_touches_by_id(conn, until=date(2027, 3, 7)) == {
                1: {"visit": date(2027, 3, 1)}
            }
    finally:
        store.dispose()


# --------------------------------------------------------------------------- migration


def test_0004_text_upgrades_a_0003_database_with_data(db_url) -> None:
    from sqlalchemy import inspect, text

    from khm.store.db import current_revision, make_engine, normalise_url, open_store, upgrade

    url = normalise_url(db_url)
    engine = make_engine(url)
    upgrade(engine, "0003_absence")
    stamp = datetime(2026, 11, 2, 8, 0)
    with engine.begin() as conn:
        assert "text" not in {c["name"] for c in inspect(conn).get_columns("account")}
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, type, category,"
                " type_manual, category_manual, archived, created_at, updated_at)"
                " VALUES (1, 'ACME', 'Ærø Søfart', '[\"Cloud\"]', '{\"nps\": 40}', 'keep', 'B',"
                " :f, :f, :f, :s, :s)"
            ),
            {"f": False, "s": stamp},
        )
    engine.dispose()
    store = open_store(url)  # migrates on open
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) != "0003_absence"
            row = conn.execute(
                text("SELECT key, name, product_lines, custom, category, text FROM account")
            ).one()
            assert tuple(row)[:2] == ("ACME", "Ærø Søfart")
            custom = json.loads(row.custom) if isinstance(row.custom, str) else row.custom
            assert custom == {"nps": 40}
            assert row.category == "B"
            assert row.text in ("{}", {})
    finally:
        store.dispose()


def test_an_upgraded_database_takes_text_fields(cli, db_url, tmp_path) -> None:
    from khm.store.db import make_engine, normalise_url, upgrade

    engine = make_engine(normalise_url(db_url))
    upgrade(engine, "0003_absence")
    engine.dispose()
    cli("import", "accounts", write(tmp_path, "a.csv", "key,text.sector\nA1,Energy\n"))
    assert accounts(cli)["A1"]["text"] == {"sector": "Energy"}
