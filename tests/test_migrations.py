"""Migrations keep the data: a database made at an earlier revision, with rows in it,
upgrades to the newest schema with every row intact."""

from __future__ import annotations

from datetime import date, datetime


def test_0002_campaign_upgrades_a_0001_database_with_data(db_url):
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
    upgrade(engine, "0001_initial")
    stamp = datetime(2026, 11, 2, 8, 0)
    with engine.begin() as conn:
        assert current_revision(conn) == "0001_initial"
        assert "campaign" not in inspect(conn).get_table_names()
        conn.execute(
            text(
                "INSERT INTO rep (id, handle, name, role, capacity, active, created_at, updated_at)"
                " VALUES (1, 'ola', 'Ola Nordmann', 'any', 12, :t, :s, :s)"
            ),
            {"t": True, "s": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, owner, type, category,"
                " type_manual, category_manual, archived, created_at, updated_at)"
                " VALUES (1, 'ACME', 'Ærø Søfart', '[]', '{}', 'ola', 'keep', 'B', :f, :f, :f,"
                " :s, :s)"
            ),
            {"f": False, "s": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO touch (id, account_id, rep, kind, date, note, source, created_at)"
                " VALUES (7, 1, 'ola', 'newsletter', :d, 'Nov', 'manual', :s)"
            ),
            {"d": date(2026, 11, 2), "s": stamp},
        )
    engine.dispose()

    store = open_store(url)  # brings it to the newest revision
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
            insp = inspect(conn)
            assert "campaign" in insp.get_table_names()
            assert "campaign_id" in {c["name"] for c in insp.get_columns("touch")}
            assert "ix_touch_campaign_id" in {i["name"] for i in insp.get_indexes("touch")}
            row = conn.execute(
                text("SELECT id, account_id, rep, kind, date, note, campaign_id FROM touch")
            ).one()
            assert tuple(row)[:4] == (7, 1, "ola", "newsletter")
            assert str(row.date)[:10] == "2026-11-02" and row.note == "Nov"
            assert row.campaign_id is None
            acc = conn.execute(text("SELECT key, name, owner FROM account")).one()
            assert tuple(acc) == ("ACME", "Ærø Søfart", "ola")
            assert conn.execute(text("SELECT handle FROM rep")).scalar_one() == "ola"
    finally:
        store.dispose()


def test_a_campaign_can_be_logged_and_undone_on_an_upgraded_database(db_url, cli):
    from khm.store.db import make_engine, normalise_url, upgrade

    engine = make_engine(normalise_url(db_url))
    upgrade(engine, "0001_initial")
    engine.dispose()
    cli("rep", "add", "ola")
    cli("account", "add", "ACME", "--owner", "ola")
    cli("tag", "ACME", "--type", "keep", "--category", "B", "--reason", "test")
    out = cli("log", "--campaign", "newsletter", "--segment", "keep/B", "--today", "2026-11-23")
    assert "Logged newsletter for 1 account(s)" in out.stdout
    cli("touch", "delete", "--campaign", "1", "--yes")


def test_0008_stage_history_upgrades_a_0006_database_with_data(db_url, cli):
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
    upgrade(engine, "0006_import_batch")  # the revision before the stage history
    stamp = datetime(2026, 11, 2, 8, 0)
    with engine.begin() as conn:
        assert not inspect(conn).has_table("stage_change")
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, type_manual,"
                " category_manual, archived, created_at, updated_at, lifecycle_stage)"
                " VALUES (1, 'ACME', 'Ærø Søfart', '[]', '{}', :f, :f, :f, :s, :s, 'customer')"
            ),
            {"f": False, "s": stamp},
        )
    engine.dispose()
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
            insp = inspect(conn)
            assert insp.has_table("stage_change")
            assert {"ix_stage_change_account_date", "ix_stage_change_import_batch_id"} <= {
                i["name"] for i in insp.get_indexes("stage_change")
            }
            assert conn.execute(text("SELECT key, lifecycle_stage FROM account")).all() == [
                ("ACME", "customer")
            ]
            assert conn.execute(text("SELECT COUNT(*) FROM stage_change")).scalar_one() == 0
    finally:
        store.dispose()
    cli("stage", "ACME", "loyalty", "--date", "2026-11-20", "--today", "2026-12-01")
    out = cli("report", "funnel", "--period", "2026-11", "--today", "2026-12-01", "-f", "json")
    assert '"at_end": 1' in out.stdout
