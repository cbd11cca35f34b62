"""Every import is a batch; ``khm import undo ID`` reverts exactly that batch."""

from __future__ import annotations

import json
from datetime import datetime

TODAY = "2026-11-23"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def _batches(cli):
    return json.loads(cli("import", "list", "-f", "json").stdout)["items"]


def test_undo_of_the_last_import_restores_export_accounts_byte_for_byte(cli, tmp_path):
    first = _write(
        tmp_path,
        "a.csv",
        "key,name,country,revenue,product_lines\nA1,Alpha,SE,100,Widgets\nA2,Beta,NO,50,\n",
    )
    second = _write(
        tmp_path,
        "b.csv",
        "key,name,country,revenue,custom.arr\nA1,Alpha AB,DK,120,7\nA3,Gamma,FI,5,1\n",
    )
    cli("import", "accounts", first)
    before = cli("export", "accounts").stdout
    before_json = cli("export", "accounts", "-f", "json").stdout
    r = json.loads(cli("import", "accounts", second, "-f", "json").stdout)
    assert (r["inserted"], r["updated"]) == (1, 1) and r["batch"] == 2
    assert cli("export", "accounts").stdout != before
    items = _batches(cli)
    assert [(b["id"], b["kind"], b["inserted"], b["updated"]) for b in items] == [
        (1, "accounts", 2, 0),
        (2, "accounts", 1, 1),
    ]
    assert items[1]["file"].endswith("b.csv") and items[1]["undone"] is None
    out = cli("import", "undo", "2").stdout
    assert "1 row(s) it inserted removed, 1 row(s) it updated restored" in out
    assert cli("export", "accounts").stdout == before
    assert cli("export", "accounts", "-f", "json").stdout == before_json
    assert _batches(cli)[1]["undone"] is not None
    assert "already undone" in cli("import", "undo", "2", code=7).stderr
    assert "no import batch 9" in cli("import", "undo", "9", code=5).stderr
    # the table and JSONL views list the same batches
    assert "b.csv" in cli("import", "list").stdout
    assert len(cli("import", "list", "-f", "jsonl").stdout.splitlines()) == 2


def test_undo_is_refused_when_later_changes_depend_on_it_unless_forced(cli, tmp_path):
    cli("import", "accounts", _write(tmp_path, "a.csv", "key,name\nA1,Alpha\nA2,Beta\n"))
    cli("import", "accounts", _write(tmp_path, "b.csv", "key,name\nA1,Alpha AB\n"))
    cli("import", "accounts", _write(tmp_path, "c.csv", "key,name\nA1,Alpha Corp\n"))
    r = cli("import", "undo", "2", code=7)
    assert "later changes depend on it" in r.stderr and "import batch 3 changed key A1" in r.stderr
    # a hand edit after the batch: its values are not overwritten silently
    cli("import", "undo", "3")
    cli("account", "edit", "A1", "--name", "Edited")
    r = cli("import", "undo", "2", code=7)
    assert "key A1: name changed since" in r.stderr
    cli("import", "undo", "2", "--force")
    rows = json.loads(cli("export", "accounts", "-f", "json").stdout)["items"]
    assert {a["key"]: a["name"] for a in rows} == {"A1": "Alpha", "A2": "Beta"}


def test_undo_of_accounts_with_later_touches_needs_force_and_touch_batches_undo(
    khm_db, cli, tmp_path
):
    cli("rep", "add", "anna", "--name", "Anna")
    cli("import", "accounts", _write(tmp_path, "a.csv", "key,name\nA1,Alpha\n"))
    touches = _write(tmp_path, "t.csv", "account,date,kind,rep\nA1,2026-11-02,call,anna\n")
    r = json.loads(cli("import", "touches", touches, "-f", "json").stdout)
    assert r["batch"] == 2
    assert "1 touch(es) logged or imported since" in cli("import", "undo", "1", code=7).stderr
    cli("import", "undo", "2")
    assert json.loads(cli("touch", "list", "-f", "json").stdout)["count"] == 0
    cli("log", "A1", "email", "--today", TODAY)
    cli("import", "undo", "1", code=7)
    cli("import", "undo", "1", "--force")
    assert json.loads(cli("export", "accounts", "-f", "json").stdout)["count"] == 0


def test_a_dry_run_or_a_refused_import_makes_no_batch(khm_db, cli, tmp_path):
    good = _write(tmp_path, "a.csv", "key,name\nA1,Alpha\n")
    cli("import", "accounts", good, "--dry-run")
    cli("import", "accounts", _write(tmp_path, "bad.csv", "key,revenue\nA1,lots\n"), code=3)
    assert _batches(cli) == []


def test_0006_import_batch_upgrades_a_0005_database_with_data(db_url):
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
    upgrade(engine, "0005_deal")  # the revision before the batches
    stamp = datetime(2026, 11, 2, 8, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, type_manual,"
                " category_manual, archived, created_at, updated_at)"
                " VALUES (1, 'ACME', 'Ærø Søfart', '[]', '{}', :f, :f, :f, :s, :s)"
            ),
            {"f": False, "s": stamp},
        )
        assert not inspect(conn).has_table("import_batch")
    engine.dispose()
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
            insp = inspect(conn)
            assert insp.has_table("import_batch") and insp.has_table("import_change")
            for table in ("account", "rep", "touch"):
                assert "import_batch_id" in {c["name"] for c in insp.get_columns(table)}
            assert conn.execute(text("SELECT key, name, import_batch_id FROM account")).all() == [
                ("ACME", "Ærø Søfart", None)
            ]
    finally:
        store.dispose()
