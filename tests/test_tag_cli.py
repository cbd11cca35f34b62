"""``khm tag`` through the CLI, and the checks of issue 3 on a generated ~700-account book.

``seed_book`` (also used by test_assign.py and test_capacity.py) writes a small team and a
book of accounts straight into the database with SQLAlchemy Core.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

import pytest

TODAY = "2026-11-23"
COUNTRIES = ("SE", "NO", "DK", "FI")
LINES = ("Analytics", "Payroll", "Hosting")
STAGES = ("customer", "customer", "customer", "opportunity", "onboarding", None)
TEAM = (
    # handle, name, role, capacity, active
    ("anna", "Anna [ops] Åberg", "expand", 12.0, True),
    ("bo", "Bo Ørsted", "expand", 16.0, True),
    ("cecilie", "Cecilie Kjær", "keep", 20.0, True),
    ("dag", "Dag Põld", "keep", 14.0, True),
    ("eli", "Eli 🚀 Smith", "any", 10.0, True),
    ("former", "Former Rep", "keep", 12.0, False),
)


def seed_book(
    store,
    n: int = 700,
    *,
    seed: int = 3,
    team=TEAM,
    owners: bool = False,
    custom_pipeline: bool = True,
) -> None:
    """A realistic book: skewed revenue per country x product line, some accounts
    without revenue, a few archived, open pipeline on some; reps of every role."""
    from sqlalchemy import insert

    from khm.store.models import Account, Rep

    rng = random.Random(seed)
    now = datetime(2026, 1, 5, 9, 0)
    reps = [
        {
            "handle": h,
            "name": nm,
            "email": None,
            "role": role,
            "capacity": cap,
            "active": active,
            "created_at": now,
            "updated_at": now,
        }
        for h, nm, role, cap, active in team
    ]
    handles = [r["handle"] for r in reps]
    accounts = []
    for i in range(n):
        revenue = None if rng.random() < 0.03 else round(rng.lognormvariate(12, 1.4), 2)
        custom: dict = {}
        if custom_pipeline and rng.random() < 0.8:
            custom["open_pipeline"] = rng.choice([0, 0, 0, 25_000, 120_000])
        accounts.append(
            {
                "key": f"acc-{i:04d}",
                "name": f"Company {i} AS" if i % 50 else f'Tricky [bold]{i}[/bold], "Ltd" =1+1 æøå',
                "country": rng.choice(COUNTRIES),
                "product_lines": [rng.choice(LINES)],
                "revenue": revenue,
                "employees": float(rng.randint(1, 5000)),
                "custom": custom,
                "owner": rng.choice(handles) if owners and rng.random() < 0.7 else None,
                "type": None,
                "category": None,
                "type_manual": False,
                "category_manual": False,
                "manual_reason": None,
                "tagged_at": None,
                "lifecycle_stage": rng.choice(STAGES),
                "archived": rng.random() < 0.02,
                "created_at": now,
                "updated_at": now,
            }
        )
    with store.engine.begin() as conn:
        if reps:
            conn.execute(insert(Rep.__table__), reps)
        if accounts:
            conn.execute(insert(Account.__table__), accounts)


def rows(store, sql: str) -> list[tuple]:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def run_json(cli, *args, code=0):
    r = cli(*args, "--format", "json", "--today", TODAY, code=code)
    return json.loads(r.stdout)


# --------------------------------------------------------------------------- rule runs


def test_tag_run_writes_tags_history_and_a_second_run_changes_nothing(cli, store):
    seed_book(store, 120)
    first = run_json(cli, "tag")
    active = rows(store, "SELECT count(*) FROM account WHERE archived = false")[0][0]
    assert first["summary"]["accounts"] == active
    assert first["summary"]["changes"] == 2 * active  # every account got a type and a category
    untagged = rows(
        store,
        "SELECT count(*) FROM account WHERE archived = false AND (type IS NULL OR category IS NULL)",
    )[0][0]
    assert untagged == 0
    # archived accounts are left alone
    assert (
        rows(store, "SELECT count(*) FROM account WHERE archived = true AND type IS NOT NULL")[0][0]
        == 0
    )
    hist = rows(store, "SELECT field, who, reason, rule FROM tag_change")
    assert len(hist) == first["summary"]["changes"]
    assert {h[0] for h in hist} == {"type", "category"}
    assert all(h[1] == "khm" and h[2] == "rule run" and h[3] for h in hist)
    tagged_at = {r[0] for r in rows(store, "SELECT tagged_at FROM account WHERE type IS NOT NULL")}
    assert {str(t)[:19] for t in tagged_at} == {"2026-11-23 00:00:00"}
    # the counts add up
    assert sum(sum(c.values()) for c in first["counts"].values()) == active

    second = run_json(cli, "tag")
    assert second["summary"]["changes"] == 0 and second["changes"] == []
    assert len(rows(store, "SELECT id FROM tag_change")) == len(hist)


def test_tag_table_output_names_the_rule_and_lists_accounts_without_metric(cli, store):
    seed_book(store, 200)
    out = cli("tag", "--today", TODAY).stdout
    assert "old → new" in out and "share: top 50% of" in out
    assert "without revenue got the fallback category" in out
    assert "Accounts by type × category" in out
    data = run_json(cli, "tag", "--dry-run")
    assert data["changes"] == []


def test_dry_run_writes_nothing(cli, store, snapshot_db):
    seed_book(store, 80)
    before = snapshot_db()
    data = run_json(cli, "tag", "--dry-run")
    assert data["dry_run"] is True and data["summary"]["changes"] > 0
    assert snapshot_db() == before
    assert "Dry run: nothing written." in cli("tag", "--dry-run", "--today", TODAY).stdout


def test_csv_output_is_formula_safe_and_keeps_user_text(cli, store):
    seed_book(store, 60)
    out = cli("tag", "--format", "csv", "--today", TODAY).stdout
    assert out.splitlines()[0] == "account,name,field,old,new,rule,reason"
    assert '"Tricky [bold]0[/bold], ""Ltd"" =1+1 æøå"' in out
    table = cli("tag", "--history", "--today", TODAY).stdout
    assert "Tricky [bold]0[/bold]" in table


def test_jsonl_lists_the_same_changes_as_json_one_per_line(cli, store):
    seed_book(store, 90)
    data = run_json(cli, "tag", "--dry-run")
    out = cli("tag", "--dry-run", "--format", "jsonl", "--today", TODAY).stdout
    lines = out.splitlines()
    assert len(lines) == data["count"] == len(data["changes"]) > 0
    assert [json.loads(line) for line in lines] == data["changes"]
    assert "version" not in json.loads(lines[0])  # no envelope
    # the history lists as JSON Lines too
    cli("tag", "--today", TODAY)
    hist = cli("tag", "--history", "--format", "jsonl", "--today", TODAY).stdout.splitlines()
    assert len(hist) == len(data["changes"])
    assert {json.loads(h)["reason"] for h in hist} == {"rule run"}


def test_a_long_change_list_is_cut_in_the_terminal_with_a_hint(cli, store):
    from khm.render.tag import TABLE_LIMIT

    seed_book(store, 150)  # 2 changes per active account: more than the table shows
    data = run_json(cli, "tag", "--dry-run")
    assert data["count"] > TABLE_LIMIT
    out = cli("tag", "--dry-run", "--today", TODAY).stdout
    assert f"{data['count'] - TABLE_LIMIT} more changes not shown" in out
    assert f"Would change: {data['count']} field(s)" in out


# --------------------------------------------------------------------------- manual


def test_manual_tag_is_kept_by_rule_runs_until_reset(cli, store):
    seed_book(store, 60)
    cli("tag", "--today", TODAY)
    key, old_type, old_cat = rows(
        store, "SELECT key, type, category FROM account WHERE category = 'D' ORDER BY key"
    )[0]
    new_type = "expand" if old_type == "keep" else "keep"
    r = run_json(
        cli, "tag", key, "--type", new_type, "--category", "a", "--reason", "New CFO [wants] more"
    )
    assert {(c["field"], c["new"]) for c in r["changes"]} == {("type", new_type), ("category", "A")}
    acc = rows(
        store,
        f"SELECT type, category, type_manual, category_manual, manual_reason FROM account WHERE key = '{key}'",
    )[0]
    assert acc[:2] == (new_type, "A") and bool(acc[2]) and bool(acc[3])
    assert acc[4] == "New CFO [wants] more"
    hist = rows(
        store,
        "SELECT t.field, t.rule, t.reason FROM tag_change t JOIN account a ON a.id = t.account_id "
        f"WHERE a.key = '{key}' AND t.rule = 'manual'",
    )
    assert len(hist) == 2 and all(h[2] == "New CFO [wants] more" for h in hist)

    run = run_json(cli, "tag")
    assert run["summary"]["changes"] == 0
    kept = {m["field"]: m for m in run["manual_kept"] if m["account"] == key}
    assert kept["category"]["note"] == f"manual, rule says {old_cat}"
    assert kept["type"]["note"] == f"manual, rule says {old_type}"
    table = cli("tag", "--today", TODAY).stdout
    assert f"manual, rule says {old_cat}" in table

    # one account back to the rules
    back = run_json(cli, "tag", key, "--reset-manual")
    assert {(c["field"], c["new"]) for c in back["changes"]} == {
        ("type", old_type),
        ("category", old_cat),
    }
    acc = rows(
        store,
        f"SELECT type_manual, category_manual, manual_reason FROM account WHERE key = '{key}'",
    )[0]
    assert not acc[0] and not acc[1] and acc[2] is None


def test_reset_manual_for_everyone(cli, store):
    seed_book(store, 40)
    cli("tag", "--today", TODAY)
    keys = [
        r[0] for r in rows(store, "SELECT key FROM account WHERE archived = false ORDER BY key")
    ][:3]
    for k in keys:
        cli("tag", k, "--category", "A", "--reason", "pinned", "--today", TODAY)
    res = run_json(cli, "tag", "--reset-manual")
    assert res["summary"]["manual_reset"] == 3
    assert rows(store, "SELECT count(*) FROM account WHERE category_manual = true")[0][0] == 0
    assert run_json(cli, "tag")["summary"]["changes"] == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--type", "grow", "--reason", "x"], 2, "--type: 'grow' is not a type"),
        (["--category", "E", "--reason", "x"], 2, "--category: 'E' is not a category"),
        (["--category", "A"], 2, "--reason"),
        (["--category", "A", "--reason", "  "], 2, "--reason"),
    ],
)
def test_manual_tag_with_invalid_value_is_a_clean_error(
    cli, store, snapshot_db, args, code, message
):
    seed_book(store, 10)
    before = snapshot_db()
    r = cli("tag", "acc-0001", *args, "--today", TODAY, code=code)
    assert message in r.stderr
    assert snapshot_db() == before


def test_unknown_account_is_not_found(cli, store, snapshot_db):
    seed_book(store, 10)
    before = snapshot_db()
    r = cli("tag", "nope", "--type", "keep", "--reason", "x", code=5)
    assert "'nope' not found" in r.stderr
    cli("tag", "--history", "--account", "nope", code=5)
    assert snapshot_db() == before


def test_conflicting_options_are_refused(cli, store):
    cli("tag", "--history", "--dry-run", code=2)
    cli("tag", "--period", "last-month", code=2)
    cli("tag", "--type", "keep", "--reason", "x", code=2)  # no account
    cli("tag", "acc-1", code=2)  # an account but nothing to do
    cli("tag", "--reason", "why", code=2)


# --------------------------------------------------------------------------- method errors


def _method_file(tmp_path: Path, old: str, new: str) -> Path:
    from khm.method import DEFAULT_METHOD_TOML

    assert old in DEFAULT_METHOD_TOML
    p = tmp_path / "m.toml"
    p.write_text(DEFAULT_METHOD_TOML.replace(old, new), encoding="utf-8")
    return p


def test_unknown_metric_field_is_a_method_error_and_writes_nothing(
    cli, store, snapshot_db, tmp_path
):
    seed_book(store, 30)
    m = _method_file(tmp_path, 'metric = "revenue"', 'metric = "turnover"')
    before = snapshot_db()
    r = cli("--method", str(m), "tag", code=4)
    assert "categories.metric" in r.stderr and "turnover" in r.stderr
    assert snapshot_db() == before
    data = json.loads(cli("--method", str(m), "tag", "--format", "json", code=4).stdout)
    assert data["error"]["kind"] == "bad_method"


def test_type_rule_on_a_missing_field_is_a_method_error(cli, store, snapshot_db, tmp_path):
    seed_book(store, 30, custom_pipeline=False)
    before = snapshot_db()
    from khm.method import DEFAULT_METHOD_TOML

    strict = tmp_path / "strict.toml"  # the default deal rules, without if_missing
    strict.write_text(DEFAULT_METHOD_TOML.replace('if_missing = "skip"', ""), encoding="utf-8")
    r = cli("--method", str(strict), "tag", code=4)
    assert "types.rules[1].when[0]" in r.stderr and "deals_open" in r.stderr
    assert snapshot_db() == before


def test_employees_or_a_custom_field_as_metric_and_thresholds(cli, store, tmp_path):
    seed_book(store, 150)
    m = _method_file(tmp_path, 'metric = "revenue"', 'metric = "employees"')
    data = json.loads(cli("--method", str(m), "tag", "--format", "json", "--today", TODAY).stdout)
    assert data["summary"]["metric"] == "employees" and data["summary"]["no_metric"] == 0
    assert all("employees" in c["rule"] for c in data["changes"] if c["field"] == "category")
    t = _method_file(
        tmp_path,
        '\nrule = "share"\n',
        '\nrule = "thresholds"\nthresholds = { A = 1_000_000, B = 250_000, C = 50_000 }\n'
        'overrides = [{ country = "NO", thresholds = { A = 2_000_000, B = 500_000, C = 100_000 } }]\n',
    )
    data = json.loads(cli("--method", str(t), "tag", "--format", "json", "--today", TODAY).stdout)
    rules = {c["rule"] for c in data["changes"] if c["field"] == "category"}
    assert any(r.startswith("thresholds NO override: revenue") for r in rules)
    assert any(r.startswith("thresholds: revenue") for r in rules)
    assert "fallback D: no revenue" in rules


# --------------------------------------------------------------------------- history


def test_history_filters_by_period_account_and_field(cli, store):
    seed_book(store, 30)
    cli("tag", "--today", "2026-10-01")
    key = rows(store, "SELECT key FROM account WHERE category <> 'A' ORDER BY key")[0][0]
    cli("tag", key, "--category", "A", "--reason", "big deal", "--today", TODAY)
    last30 = run_json(cli, "tag", "--history")
    assert last30["kind"] == "tag_changes"
    assert [(i["account"], i["field"], i["new"]) for i in last30["items"]] == [
        (key, "category", "A")
    ]
    oct_ = run_json(cli, "tag", "--history", "--period", "2026-10")
    assert oct_["count"] > 0 and all(
        i["changed_at"].startswith("2026-10-01") for i in oct_["items"]
    )
    one = run_json(
        cli, "tag", "--history", "--period", "2026", "--account", key, "--field", "category"
    )
    assert len(one["items"]) == 2
    assert all(i["account"] == key and i["field"] == "category" for i in one["items"])
    assert one["items"][-1]["reason"] == "big deal" and one["items"][-1]["rule"] == "manual"
    csv = cli("tag", "--history", "--period", "2026", "--format", "csv", "--today", TODAY).stdout
    assert csv.splitlines()[0].startswith("changed_at,account,name,field,old,new,who,reason,rule")
    r = cli("tag", "--history", "--period", "someday", code=2)
    assert "--period" in r.stderr
    cli("tag", "--history", "--field", "colour", code=2)


# --------------------------------------------------------------------------- issue 3 checks


def _balance_ok(reps: list[dict], tolerance: float = 0.10) -> None:
    """Same-role reps within ±tolerance of their capacity-weighted mean utilisation."""
    for role in ("expand", "keep", "any"):
        group = [r for r in reps if r["role"] == role and r["capacity"]]
        if len(group) < 2:
            continue
        mean = sum(r["load"] for r in group) / sum(r["capacity"] for r in group)
        for r in group:
            assert abs(r["load"] / r["capacity"] - mean) <= tolerance * mean, (role, r, mean)


def test_issue_3_checks_on_a_generated_book_of_700_accounts(cli, store):
    seed_book(store, 700, owners=True)
    first = run_json(cli, "tag")
    assert first["summary"]["changes"] > 0
    assert run_json(cli, "tag")["summary"]["changes"] == 0  # tag twice: nothing the 2nd time

    res = run_json(cli, "assign", "--rebalance")
    assert res["summary"]["moves"] > 0
    owners = rows(
        store,
        "SELECT a.type, r.role, r.active FROM account a LEFT JOIN rep r ON r.handle = a.owner "
        "WHERE a.archived = false",
    )
    assert all(role is not None for _, role, _ in owners), "every active account has an owner"
    for t, role, active in owners:
        assert active and role in (t, "any")
    _balance_ok(res["reps"])
    assert run_json(cli, "assign", "--rebalance")["summary"]["moves"] == 0

    cap = run_json(cli, "capacity")
    team = cap["team"]
    assert sum(r["effort_per_week"] for r in cap["reps"]) == pytest.approx(team["effort_per_week"])
    assert sum(r["accounts"] for r in cap["reps"]) == team["accounts"]
    assert sum(r["touches_per_week"] for r in cap["reps"]) == pytest.approx(
        team["touches_per_week"]
    )
    assert cap["unowned"]["accounts"] == 0
    assert cap["verdict"].startswith(("fits", "does not fit"))


@pytest.mark.slow
def test_issue_3_checks_on_the_demo(cli, db_url):
    cli("demo", "--db", db_url, "--today", TODAY)
    assert run_json(cli, "tag")["summary"]["changes"] == 0  # the demo already ran khm tag
    res = run_json(cli, "assign", "--rebalance")
    _balance_ok(res["reps"])
    assert run_json(cli, "assign", "--rebalance")["summary"]["moves"] == 0
    cap = run_json(cli, "capacity")
    assert sum(r["effort_per_week"] for r in cap["reps"]) == pytest.approx(
        cap["team"]["effort_per_week"]
    )


def test_single_account_abc_groups_are_pointed_out(cli, store, tmp_path):
    seed_book(store, 8)
    method = tmp_path / "m.toml"
    from khm.method import DEFAULT_METHOD_TOML

    method.write_text(DEFAULT_METHOD_TOML.replace("min_group = 10", "min_group = 1"), "utf-8")
    data = run_json(cli, "--method", str(method), "tag", "--dry-run")
    s = data["summary"]
    assert s["group_by"] == ["country", "product_line"] and s["single_account_groups"] >= 1
    assert s["groups"] >= s["single_account_groups"] and s["merged_groups"] == {}
    out = cli("--method", str(method), "tag", "--dry-run", "--today", TODAY).stdout
    assert "hold a single account, which is A on its own" in out


def test_groups_under_min_group_are_merged_and_said_so(cli, store):
    seed_book(store, 8)
    s = run_json(cli, "tag", "--dry-run")["summary"]
    assert s["min_group"] == 10 and s["merged_groups"]
    assert s["single_account_groups"] == 0
    assert set(s["merged_groups"].values()) <= {
        "all",
        *{g.split("/")[0] for g in s["merged_groups"]},
    }
    out = cli("tag", "--dry-run", "--today", TODAY).stdout
    assert "under categories.min_group = 10 account(s) ranked within a wider one" in out
    assert "which is A on its own" not in out


def test_manual_tag_output_says_what_is_pinned(cli, store):
    seed_book(store, 10)
    cli("tag", "--today", TODAY)
    out = cli("tag", "acc-0002", "--category", "B", "--reason", "Board [seat]", "--today", TODAY)
    assert "acc-0002: category B is a manual tag (reason: Board [seat])" in out.stdout
    assert "khm tag acc-0002 --reset-manual" in out.stdout
    again = cli("tag", "acc-0002", "--category", "b", "--reason", "same", "--today", TODAY)
    assert "already these" in again.stdout


def test_hostile_names_survive_the_tag_json(cli, store):
    """A dry run and a real run write the same changes; user text (quotes, brackets, æøå,
    emoji) comes back untouched."""
    seed_book(store, 60)
    with store.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(
            text("UPDATE account SET name = :n WHERE id = (SELECT min(id) FROM account)"),
            {"n": 'Bø "[red]AS[/red]", 🚀 \\ tab\t'},
        )
    dry = json.loads(cli("tag", "--dry-run", "--format", "json", "--today", TODAY).stdout)
    fast = json.loads(cli("tag", "--format", "json", "--today", TODAY).stdout)
    assert fast["count"] == len(fast["changes"]) > 0
    dry["dry_run"] = dry["summary"]["dry_run"] = False
    assert fast == dry
    assert any(c["name"] == 'Bø "[red]AS[/red]", 🚀 \\ tab\t' for c in fast["changes"])


def test_a_rule_marked_if_missing_skip_is_reported_not_fatal(khm_db, cli, tmp_path):
    """The default method's deal rules (`deals_open > 0`, `open_pipeline > 0`) must not
    block a team without deals; a rule without `if_missing = "skip"` still fails (typo
    guard)."""
    cli("account", "add", "ACME", "--name", "Acme", "--country", "SE", "--revenue", "100")
    r = cli("tag", "--today", "2026-11-23")
    assert "types.rules[1] (open deal) skipped" in r.stdout
    assert "types.rules[2] (open pipeline) skipped" in r.stdout
    assert "khm import deals FILE derives it" in r.stdout
    strict = tmp_path / "strict.toml"
    from khm.method import DEFAULT_METHOD_TOML

    strict.write_text(DEFAULT_METHOD_TOML.replace('if_missing = "skip"', ""), encoding="utf-8")
    r = cli("--method", str(strict), "tag", "--today", "2026-11-23", "--dry-run", code=4)
    assert "types.rules[1].when[0]" in r.stderr
