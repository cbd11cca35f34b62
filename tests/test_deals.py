"""Deals: ``khm import deals`` (stages, upsert, bad input), the derived account fields
(khm.core.deals), ``khm deal list``, ``account show``, ``assign --from-history``, the
0005 migration, and the acceptance run on a synthetic set shaped like the public CRM
sample (sales_pipeline.csv)."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from khm.core.assign import AssignAccount, AssignRep, HistoryCount, history_owners
from khm.core.deals import DealFacts, StageWords, account_changes, deal_status, derive

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = "2026-11-23"
SAMPLE_MAP = (
    "--map", "key=opportunity_id", "--map", "owner=sales_agent", "--map", "stage=deal_stage",
    "--map", "created=engage_date", "--map", "closed=close_date", "--map", "value=close_value",
)  # fmt: skip


# --------------------------------------------------------------------------- core


def test_won_and_lost_words_close_a_deal_and_every_other_stage_is_open():
    w = StageWords()
    assert [deal_status(s, w) for s in ("Won", " closed  WON ", "Lost", "Closed Lost")] == [
        "won",
        "won",
        "lost",
        "lost",
    ]
    assert {deal_status(s, w) for s in ("Prospecting", "Engaging", "", "Won?")} == {"open"}
    more = StageWords.with_extra(won=["Signed"], lost=["Dead"])
    assert deal_status("signed", more) == "won" and deal_status("DEAD", more) == "lost"
    with pytest.raises(ValueError, match="both won and lost"):
        StageWords.with_extra(won=["Lost"])


def test_derived_fields_count_open_and_won_deals_and_the_last_12_months():
    today = date(2026, 11, 23)
    deals = [
        DealFacts(1, "open", 100.0, "A"),
        DealFacts(1, "open", None, "B"),
        DealFacts(1, "won", 50.0, "Cloud", date(2026, 1, 5)),
        DealFacts(1, "won", 70.0, "Cloud", date(2025, 11, 23)),  # a year ago: out
        DealFacts(1, "lost", 999.0, "Lost product", date(2026, 6, 1)),
        DealFacts(2, "lost", 10.0, None, date(2026, 6, 1)),
    ]
    d = derive(deals, today)
    assert d[1].fields == {
        "deals_open": 2,
        "open_pipeline": 100,
        "deals_won": 2,
        "won_value": 120,
        "won_12m": 50,
    }
    assert d[1].won_products == ["Cloud"]
    assert d[2].fields["deals_open"] == 0 and d[2].won_products == []
    ch = account_changes({"nps": 42}, ["Cloud", "Hosting"], d[1])
    assert ch["custom"]["nps"] == 42 and ch["custom"]["deals_open"] == 2
    assert "product_lines" not in ch  # Cloud is already there
    assert account_changes({}, [], None)["custom"]["deals_open"] == 0


def test_history_owner_is_the_fitting_rep_with_most_deals_and_touches_ties_most_recent():
    accs = [AssignAccount("a", "expand", 1.0), AssignAccount("b", "keep", 1.0)]
    reps = [
        AssignRep("e", "expand", 10),
        AssignRep("k", "keep", 10),
        AssignRep("k2", "keep", 10),
        AssignRep("gone", "any", 10, active=False),
    ]
    counts = [
        HistoryCount("a", "k", 9, date(2026, 1, 1)),  # most, but keep does not take expand
        HistoryCount("a", "e", 2, date(2026, 1, 1)),
        HistoryCount("b", "k", 3, date(2026, 3, 1)),
        HistoryCount("b", "k2", 3, date(2026, 5, 1)),  # tie: the most recent wins
        HistoryCount("b", "gone", 5, date(2026, 6, 1)),  # inactive
    ]
    got = history_owners(accs, reps, counts)
    assert got == {
        "a": ("e", "history: 2 of 11 deals/touches"),
        "b": ("k2", "history: 3 of 11 deals/touches"),
    }


# --------------------------------------------------------------------------- CLI


def _book(cli, tmp_path: Path) -> None:
    method = ("--method", str(EXAMPLES / "method.toml"))
    cli(*method, "import", "reps", str(EXAMPLES / "reps.csv"), "--map", "name=Namn",
        "--map", "email=E-post", "--map", "role=Roll", "--map", "capacity=Kapacitet")  # fmt: skip
    cli(*method, "import", "accounts", str(EXAMPLES / "accounts.csv"), "--map", "key=Kundnr",
        "--map", "name=Företag", "--map", "country=Land", "--map", "product_lines=Produktlinjer",
        "--map", "revenue=Omsättning (SEK)", "--map", "custom.nps=NPS")  # fmt: skip


def test_example_deals_import_with_map_and_skip_bad(cli, tmp_path: Path) -> None:
    _book(cli, tmp_path)
    f = str(EXAMPLES / "deals.csv")
    r = cli("import", "deals", f, *SAMPLE_MAP, "--today", TODAY, code=3)
    assert "deals.csv:7: account: missing (required)" in r.stderr
    r = cli("import", "deals", f, *SAMPLE_MAP, "--skip-bad", "--today", TODAY)
    assert "inserted 5, updated 0, unchanged 0, bad 1" in r.stdout
    again = cli("import", "deals", f, *SAMPLE_MAP, "--skip-bad", "--today", TODAY)
    assert "inserted 0, updated 0, unchanged 5, bad 1" in again.stdout

    acc = json.loads(cli("account", "show", "K-1001", "-f", "json", "--today", TODAY).stdout)
    assert acc["account"]["custom"] == {
        "nps": 42,
        "deals_open": 1,
        "open_pipeline": 0,
        "deals_won": 1,
        "won_value": 125000,
        "won_12m": 125000,
    }
    assert acc["account"]["product_lines"] == ["Cloud", "Analytics", "Analytics Pro"]
    assert [d["key"] for d in acc["deals"]] == ["OPP-1002", "OPP-1001"]
    assert acc["deals"][1]["owner"] == "asa.lindqvist" and acc["deals"][1]["status"] == "won"
    text = cli("account", "show", "K-1001", "--today", TODAY).stdout
    assert "Deals (2, 1 open)" in text and "Analytics Pro" in text
    # an account with no deals reads 0 once there are deals
    other = json.loads(cli("account", "show", "K-1002", "-f", "json").stdout)
    assert other["account"]["custom"]["deals_open"] == 0 and other["deals"] == []
    # found by its exact name; Closed Won closes
    berg = json.loads(cli("deal", "list", "--account", "K-1003", "-f", "json").stdout)
    assert [(d["key"], d["status"], d["owner"]) for d in berg["items"]] == [
        ("OPP-1005", "open", "juri.ounapuu"),
        ("OPP-1004", "lost", "mads.aeroe"),
    ]


def test_deal_list_filters_and_formats(cli, tmp_path: Path) -> None:
    _book(cli, tmp_path)
    cli("import", "deals", str(EXAMPLES / "deals.csv"), *SAMPLE_MAP, "--skip-bad")
    won = cli("deal", "list", "--stage", "won", "-f", "jsonl").stdout.splitlines()
    assert sorted(json.loads(x)["key"] for x in won) == ["OPP-1001", "OPP-1003"]
    rows = list(csv.DictReader(cli("deal", "list", "--rep", "mads.aeroe", "-f", "csv").stdout
                               .splitlines()))  # fmt: skip
    assert [r["key"] for r in rows] == ["OPP-1004", "OPP-1003"]
    assert "OPP-1002" in cli("deal", "list", "--stage", "OPEN").stdout
    r = cli("deal", "list", "--stage", "pending", code=None)
    assert r.exit_code != 0 and "open, won, lost" in r.stderr
    r = cli("deal", "list", "--account", "NOPE", code=None)
    assert r.exit_code != 0 and "not found" in r.stderr


def test_won_words_and_upsert_by_key(cli, tmp_path: Path) -> None:
    _book(cli, tmp_path)
    f = tmp_path / "d.csv"
    f.write_text("key,account,stage,value\nX1,K-1001,Signed,10\nX2,K-1001,Dead,5\n", "utf-8")
    cli("import", "deals", str(f), "--won", "Signed", "--lost", "dead")
    st = {
        d["key"]: d["status"] for d in json.loads(cli("deal", "list", "-f", "json").stdout)["items"]
    }
    assert st == {"X1": "won", "X2": "lost"}
    f.write_text("key,account,stage,value\nX1,K-1001,Signed,12\n", "utf-8")
    r = cli("import", "deals", str(f), "--won", "Signed")
    assert "inserted 0, updated 1, unchanged 0" in r.stdout
    acc = json.loads(cli("account", "show", "K-1001", "-f", "json").stdout)["account"]
    assert acc["custom"]["won_value"] == 12
    r = cli("import", "accounts", str(f), "--won", "x", code=None)
    assert r.exit_code == 2  # no such option for accounts


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("key,account,stage,value\nX1,K-1001,Won,lots\n", "d.csv:2: value: "),
        ("key,account,stage\nX1,NOPE,Won\n", "d.csv:2: account: unknown account 'NOPE'"),
        ("key,account,stage,owner\nX1,K-1001,Won,nobody\n", "d.csv:2: owner: unknown rep"),
        (
            "key,account,stage\nX1,K-1001,Won\nX1,K-1001,Lost\n",
            "d.csv:3: key: deal key 'X1' repeats row 2",
        ),
        ("key,account,stage,closed\nX1,K-1001,Won,2026-13-45\n", "d.csv:2: closed: "),
        ("key,account\nX1,K-1001\n", "d.csv:1: no column for the deal stage"),
    ],
)
def test_bad_deal_rows_are_refused_and_nothing_changes(
    cli, tmp_path: Path, snapshot_db, body: str, expected: str
) -> None:
    _book(cli, tmp_path)
    f = tmp_path / "d.csv"
    f.write_text(body, "utf-8")
    before = snapshot_db()
    r = cli("import", "deals", str(f), code=3)
    assert expected in r.stderr, r.stderr
    assert snapshot_db() == before


def test_dry_run_writes_nothing(cli, tmp_path: Path, snapshot_db) -> None:
    _book(cli, tmp_path)
    before = snapshot_db()
    r = cli("import", "deals", str(EXAMPLES / "deals.csv"), *SAMPLE_MAP, "--skip-bad", "--dry-run")
    assert "inserted 5" in r.stdout
    assert snapshot_db() == before


# --------------------------------------------------------------------------- migration


def test_0005_deal_upgrades_a_0004_database_with_data(db_url):
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
    upgrade(engine, "0004_text")  # the revision before the deals
    with engine.begin() as conn:
        assert "deal" not in inspect(conn).get_table_names()
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, type_manual,"
                " category_manual, archived, created_at, updated_at) VALUES (1, 'ACME',"
                " 'Ærø Søfart', '[\"Cloud\"]', '{\"nps\": 7}', :f, :f, :f, :s, :s)"
            ),
            {"f": False, "s": "2026-11-02 08:00:00"},
        )
    engine.dispose()
    store = open_store(url)
    try:
        with store.engine.begin() as conn:
            assert current_revision(conn) == HEAD_REVISION  # 0005_deal and any later
            insp = inspect(conn)
            assert "deal" in insp.get_table_names()
            assert {"ix_deal_account_status", "ix_deal_owner"} <= {
                i["name"] for i in insp.get_indexes("deal")
            }
            assert tuple(conn.execute(text("SELECT key, name FROM account")).one()) == (
                "ACME",
                "Ærø Søfart",
            )
    finally:
        store.dispose()


def test_0007_deal_batch_upgrades_a_0006_database_and_refuses_undo_of_older_deal_imports(
    db_url, cli
):
    """A deals import made before deals kept their batch id cannot be told apart: its undo
    is a clean refusal after the upgrade; the deal and the account stay."""
    from sqlalchemy import inspect, text

    from khm.store.db import HEAD_REVISION, current_revision, make_engine, normalise_url, upgrade

    url = normalise_url(db_url)
    engine = make_engine(url)
    upgrade(engine, "0006_import_batch")  # the revision before deals kept batch ids
    s = "2026-11-02 08:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, type_manual,"
                " category_manual, archived, created_at, updated_at) VALUES (1, 'ACME',"
                " 'Ærø Søfart', '[]', '{}', :f, :f, :f, :s, :s)"
            ),
            {"f": False, "s": s},
        )
        conn.execute(
            text(
                "INSERT INTO import_batch (id, kind, file, created_at, inserted, updated,"
                " unchanged, skipped) VALUES (1, 'deals', 'old.csv', :s, 1, 0, 0, 0)"
            ),
            {"s": s},
        )
        conn.execute(
            text(
                "INSERT INTO deal (id, key, account_id, stage, status, source, created_at,"
                " updated_at) VALUES (1, 'D-1', 1, 'Won', 'won', 'import', :s, :s)"
            ),
            {"s": s},
        )
    with engine.connect() as conn:
        assert "import_batch_id" not in {c["name"] for c in inspect(conn).get_columns("deal")}
    engine.dispose()
    r = cli("--db", url, "import", "undo", "1", code=7)
    assert "before khm kept batch ids on deals" in r.stderr
    engine = make_engine(url)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD_REVISION  # 0007 and any later
        assert "import_batch_id" in {c["name"] for c in inspect(conn).get_columns("deal")}
        assert conn.execute(text("SELECT key, import_batch_id FROM deal")).all() == [("D-1", None)]
    engine.dispose()


# --------------------------------------------------------------------------- acceptance

AGENTS = [f"Agent {n:02d}" for n in range(12)]
STAGES = ("Prospecting", "Engaging", "Won", "Lost")


def _sample(tmp: Path, seed: int = 11) -> dict[str, object]:
    """A small set shaped like the public sample: sales_teams.csv, accounts.csv (account
    names as keys, revenue in millions), sales_pipeline.csv with open deals lacking dates
    and values, deals without an account; each account has one main agent."""
    rnd = random.Random(seed)
    today = date.fromisoformat(TODAY)
    with open(tmp / "sales_teams.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sales_agent", "manager", "regional_office"])
        for a in AGENTS:
            w.writerow([a, "Boss", rnd.choice(["Central", "East", "West"])])
    accounts = [f"Company {n:02d}" for n in range(40)]
    with open(tmp / "accounts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account", "sector", "year_established", "revenue", "employees",
                    "office_location", "subsidiary_of"])  # fmt: skip
        for acc in accounts:
            w.writerow([acc, "technolgy", 1990, round(rnd.uniform(5, 5000), 2),
                        rnd.randint(10, 9000), "United States", ""])  # fmt: skip
    main = {acc: rnd.choice(AGENTS) for acc in accounts}
    rows = []
    for i in range(600):
        acc = rnd.choice(accounts[:34])  # the last 6 accounts never had a deal
        agent = main[acc] if rnd.random() < 0.7 else rnd.choice(AGENTS)
        stage = rnd.choices(STAGES, weights=(1, 3, 8, 5))[0]
        if rnd.random() < 0.1:
            acc = ""  # no account: --skip-bad
        created = today - timedelta(days=rnd.randint(20, 700))
        closed = created + timedelta(days=rnd.randint(5, 19))
        if stage == "Prospecting":
            rows.append([f"O{i:05d}", agent, "GTXPro", acc, stage, "", "", ""])
        elif stage == "Engaging":
            rows.append([f"O{i:05d}", agent, "MG Special", acc, stage, created, "", ""])
        else:
            value = rnd.randint(40, 5000) if stage == "Won" else 0
            rows.append([f"O{i:05d}", agent, "GTX Basic", acc, stage, created, closed, value])
    with open(tmp / "sales_pipeline.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["opportunity_id", "sales_agent", "product", "account", "deal_stage",
                    "engage_date", "close_date", "close_value"])  # fmt: skip
        w.writerows(rows)
    return {"rows": rows, "accounts": accounts}


def test_sample_shaped_export_reaches_types_and_owners_from_deals(cli, tmp_path: Path) -> None:
    data = _sample(tmp_path)
    method = tmp_path / "method.toml"
    cli("--method", str(method), "init")
    text = method.read_text("utf-8")
    method.write_text(
        text.replace('when = ["open_pipeline > 0"]', 'when = ["deals_open > 0"]'), "utf-8"
    )
    m = ("--method", str(method))
    cli(*m, "import", "reps", str(tmp_path / "sales_teams.csv"), "--map", "name=sales_agent")
    cli(*m, "import", "accounts", str(tmp_path / "accounts.csv"), "--map", "key=account",
        "--scale", "revenue=1000000")  # fmt: skip
    r = cli(*m, "import", "deals", str(tmp_path / "sales_pipeline.csv"), *SAMPLE_MAP,
            "--skip-bad", "--today", TODAY)  # fmt: skip
    rows: list[list] = data["rows"]  # type: ignore[assignment]
    no_account = sum(1 for x in rows if not x[3])
    assert f"bad {no_account}" in r.stdout
    cli(*m, "tag", "--today", TODAY)

    accounts = {a["key"]: a for a in map(json.loads, cli(*m, "account", "list", "-f", "jsonl").stdout.splitlines())}  # fmt: skip
    with_open = {x[3] for x in rows if x[3] and x[4] in ("Prospecting", "Engaging")}
    assert with_open and len(with_open) < len(accounts)
    assert {k for k, a in accounts.items() if a["type"] == "expand"} == with_open

    res = json.loads(cli(*m, "assign", "--from-history", "--today", TODAY, "-f", "json").stdout)
    assert any(mv["why"].startswith("history: ") for mv in res["moves"])
    since = date.fromisoformat(TODAY) - timedelta(days=365)
    recent: dict[str, Counter[str]] = {}
    for x in rows:
        day = x[6] or x[5]
        if x[3] and day and since < day <= date.fromisoformat(TODAY):
            recent.setdefault(x[3], Counter())[x[1]] += 1
    owners = {
        a["key"]: a["owner"]
        for a in map(json.loads, cli(*m, "account", "list", "-f", "jsonl").stdout.splitlines())
    }
    hits = 0
    for acc, c in recent.items():
        top = max(c.values())
        handles = {name.lower().replace(" ", ".") for name, n in c.items() if n == top}
        hits += owners[acc] in handles
    assert recent and hits / len(recent) >= 0.8, (hits, len(recent))
    assert all(owners.values())  # the balance filled the rest


def test_undo_of_a_deals_import_restores_export_accounts_and_removes_its_deals(
    cli, tmp_path: Path
) -> None:
    """The deals batch's deals go, the product lines its won deals added go back, and the
    derived deal fields leave the accounts: ``export accounts`` is what it was before."""
    _book(cli, tmp_path)
    before = cli("export", "accounts").stdout
    before_json = cli("export", "accounts", "-f", "json").stdout
    f = str(EXAMPLES / "deals.csv")
    cli("import", "deals", f, *SAMPLE_MAP, "--skip-bad", "--today", TODAY)
    assert cli("export", "accounts").stdout != before
    batches = json.loads(cli("import", "list", "-f", "json").stdout)["items"]
    (deal_batch,) = [b for b in batches if b["kind"] == "deals"]
    r = json.loads(
        cli("import", "undo", str(deal_batch["id"]), "-f", "json", "--today", TODAY).stdout
    )
    assert r["deleted"] == 5 and not r["forced"]
    assert cli("export", "accounts").stdout == before
    assert cli("export", "accounts", "-f", "json").stdout == before_json
    assert json.loads(cli("deal", "list", "-f", "json").stdout)["items"] == []
    # undone once: a second undo is refused, nothing changes
    cli("import", "undo", str(deal_batch["id"]), code=7)


def test_undo_of_the_second_deals_import_keeps_the_first_ones_fields(cli, tmp_path: Path) -> None:
    _book(cli, tmp_path)
    first = tmp_path / "d1.csv"
    first.write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "D-1,Åsa Lindqvist,Analytics Pro,K-1001,Won,2026-02-03,2026-04-20,100\n",
        encoding="utf-8",
    )
    second = tmp_path / "d2.csv"
    second.write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "D-1,Åsa Lindqvist,Analytics Pro,K-1001,Won,2026-02-03,2026-04-20,150\n"
        "D-2,Åsa Lindqvist,Cloud Backup,K-1001,Won,2026-05-03,2026-06-20,50\n",
        encoding="utf-8",
    )
    cli("import", "deals", str(first), *SAMPLE_MAP, "--today", TODAY)
    after_first = cli("export", "accounts", "-f", "json").stdout
    r = json.loads(cli("import", "deals", str(second), *SAMPLE_MAP, "-f", "json",
                       "--today", TODAY).stdout)  # fmt: skip
    assert (r["inserted"], r["updated"]) == (1, 1)
    acc = json.loads(cli("account", "show", "K-1001", "-f", "json").stdout)["account"]
    assert acc["custom"]["won_value"] == 200 and "Cloud Backup" in acc["product_lines"]
    cli("import", "undo", str(r["batch"]), "--today", TODAY)
    assert cli("export", "accounts", "-f", "json").stdout == after_first
    (deal,) = json.loads(cli("deal", "list", "-f", "json").stdout)["items"]
    assert deal["value"] == 100


def test_undo_of_accounts_with_later_deals_is_refused_then_forced(cli, tmp_path: Path) -> None:
    _book(cli, tmp_path)
    cli("import", "deals", str(EXAMPLES / "deals.csv"), *SAMPLE_MAP, "--skip-bad", "--today", TODAY)
    batches = json.loads(cli("import", "list", "-f", "json").stdout)["items"]
    (accounts,) = [b for b in batches if b["kind"] == "accounts"]
    r = cli("import", "undo", str(accounts["id"]), code=7)
    assert "deal(s) imported since" in r.stderr
    r = json.loads(cli("import", "undo", str(accounts["id"]), "--force", "-f", "json").stdout)
    assert r["forced"] and r["dependents_dropped"] >= 5
    assert json.loads(cli("deal", "list", "-f", "json").stdout)["items"] == []
