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


def test_0008_method_history_upgrades_a_0007_database_and_its_tag_history_counts(db_url, cli):
    """The tag changes written before the revision are the history a report rewinds."""
    import json

    from sqlalchemy import inspect, text

    from khm.store.db import HEAD_REVISION, current_revision, make_engine, normalise_url, upgrade

    url = normalise_url(db_url)
    engine = make_engine(url)
    upgrade(engine, "0007_deal_batch")  # the revision before the method history
    stamp = datetime(2026, 6, 1, 8, 0)
    with engine.begin() as conn:
        assert not inspect(conn).has_table("tag_run")
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, text, type, category,"
                " type_manual, category_manual, tagged_at, archived, created_at, updated_at)"
                " VALUES (1, 'ACME', 'Ærø Søfart', '[]', '{}', '{}', 'keep', 'B', :f, :f, :n,"
                " :f, :s, :s)"
            ),
            {"f": False, "s": stamp, "n": datetime(2026, 11, 5)},
        )
        for field, old, new, at in (  # ids from the table's own sequence (PostgreSQL)
            ("type", None, "keep", stamp),
            ("category", None, "C", stamp),
            ("category", "C", "B", datetime(2026, 11, 5, 9)),
        ):
            conn.execute(
                text(
                    "INSERT INTO tag_change (account_id, field, old, new, changed_at, who)"
                    " VALUES (1, :f, :o, :n, :t, 'khm')"
                ),
                {"f": field, "o": old, "n": new, "t": at},
            )
    engine.dispose()

    def portfolio(period: str) -> list[dict]:
        out = cli("report", "portfolio", "--period", period, "--today", "2026-11-23", "-f", "json")
        rows = json.loads(out.stdout)["sections"]["portfolio"]["rows"]
        return [(r["type"], r["category"]) for r in rows if r["accounts"]]

    assert portfolio("2026-10") == [("keep", "C")]  # migrates on open, then rewinds
    assert portfolio("2026-11") == [("keep", "B")]
    engine = make_engine(url)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD_REVISION
        insp = inspect(conn)
        assert insp.has_table("method_version") and insp.has_table("tag_run")
        rows = conn.execute(
            text("SELECT field, old, new, tag_run_id FROM tag_change ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [
            ("type", None, "keep", None),
            ("category", None, "C", None),
            ("category", "C", "B", None),
        ]
    engine.dispose()
    cli("tag", "--today", "2026-11-23")  # a rule run on the upgraded database keeps its run
    cli("method", "history")


def test_0010_field_history_upgrades_a_0009_database_with_data(db_url):
    """The numeric field history and ``customer_since`` arrive empty; the accounts keep
    every value, and a threshold crossing can be recorded on the upgraded database."""
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
    upgrade(engine, "0009_nps")  # the revision before the field history
    with engine.begin() as conn:
        assert "field_change" not in inspect(conn).get_table_names()
        conn.execute(
            text(
                "INSERT INTO account (id, key, name, product_lines, custom, text, type_manual,"
                " category_manual, archived, created_at, updated_at, revenue) VALUES (1,"
                " 'ACME', 'Ærø Søfart', '[]', '{\"nps\": 7}', '{}', :f, :f, :f, :s, :s, 500)"
            ),
            {"f": False, "s": datetime(2026, 11, 2, 8, 0)},
        )
    engine.dispose()
    store = open_store(url)
    try:
        with store.engine.begin() as conn:
            assert current_revision(conn) == HEAD_REVISION
            insp = inspect(conn)
            assert "customer_since" in {c["name"] for c in insp.get_columns("account")}
            assert "ix_field_change_changed_on" in {
                i["name"] for i in insp.get_indexes("field_change")
            }
            row = conn.execute(text("SELECT key, revenue, customer_since FROM account")).one()
            assert tuple(row) == ("ACME", 500, None)
            assert conn.execute(text("SELECT COUNT(*) FROM field_change")).scalar_one() == 0
            conn.execute(
                text(
                    "INSERT INTO field_change (account_id, field, old, new, changed_on, source)"
                    " VALUES (1, 'revenue', 500, 1500, :d, 'edit')"
                ),
                {"d": date(2026, 11, 20)},
            )
    finally:
        store.dispose()


def test_0011_stage_history_upgrades_a_0010_database_with_data(db_url, cli):
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
    upgrade(engine, "0010_field_history")  # the revision before the stage history
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
