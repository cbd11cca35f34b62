from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from khm import __version__
from khm.cli.main import app


def test_version(cli):
    assert cli("--version").stdout.strip() == f"khm {__version__}"


def test_python_dash_m_runs():
    out = subprocess.run(
        [sys.executable, "-m", "khm", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in out.stdout


def _all_commands(cmd=None, prefix=()):
    """Every command of the tree, loading the lazy ones."""
    import typer
    import typer.main

    if cmd is None:
        cmd = typer.main.get_command(app)
    ctx = typer.Context(cmd, info_name="khm")
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        yield (*prefix, name), sub
        if hasattr(sub, "list_commands"):
            yield from _all_commands(sub, (*prefix, name))


def test_every_command_has_help_text(cli):
    commands = list(_all_commands())
    assert len(commands) >= 30
    for path, cmd in commands:
        assert cmd.help or cmd.short_help, f"khm {' '.join(path)} has no help text"
        result = cli(*path, "--help")
        assert "Usage" in result.stdout


def _first_sentence(text: str) -> str:
    import re

    return re.split(r"(?<=[.?!])\s", " ".join(text.split()), maxsplit=1)[0]


def test_the_root_help_lists_every_command_with_its_own_first_sentence(cli):
    from khm.cli.main import COMMANDS

    listed = cli("--help").stdout
    for path, cmd in _all_commands():
        if len(path) == 1:
            assert path[0] in COMMANDS, f"khm {path[0]} is not in khm.cli.main.COMMANDS"
            assert _first_sentence(COMMANDS[path[0]][1]) == _first_sentence(cmd.help), path
            assert path[0] in listed


def test_help_loads_no_command_module():
    code = (
        "import sys\n"
        "from khm.cli.main import run\n"
        "try:\n    run(['--help'])\nexcept SystemExit:\n    pass\n"
        "mods = [m for m in ('khm.cli.weekly', 'khm.cli.report', 'sqlalchemy', 'sqlmodel', 'holidays') if m in sys.modules]\n"
        "print('loaded:', mods)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "loaded: []" in out.stdout


def test_db_path_follows_flag_env_and_default(cli, tmp_path: Path, monkeypatch):
    assert cli("--db", str(tmp_path / "x.db"), "db", "path").stdout.strip() == str(
        tmp_path / "x.db"
    )
    monkeypatch.setenv("KHM_DATABASE_URL", str(tmp_path / "env.db"))
    assert cli("db", "path").stdout.strip() == str(tmp_path / "env.db")
    monkeypatch.delenv("KHM_DATABASE_URL")
    assert cli("db", "path").stdout.strip() == str(tmp_path / "data" / "khm.db")


def test_db_status_reports_current_schema(khm_db, cli):
    data = json.loads(cli("db", "status", "--format", "json").stdout)
    assert data["version"] == 1
    assert data["up_to_date"] is True
    assert data["counts"] == {"accounts": 0, "reps": 0, "touches": 0, "tag_changes": 0}


def test_sqlite_file_is_private_and_in_wal_mode(cli, tmp_path: Path):
    if os.environ.get("KHM_TEST_DATABASE_URL"):
        return
    db = tmp_path / "private.db"
    cli("--db", str(db), "init")
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    import sqlite3

    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_match_the_models(db_url):
    """The Alembic scripts, replayed on an empty database, build exactly the models' schema
    (which is what a fresh database gets directly)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import khm.store.models  # noqa: F401
    from khm.store.db import HEAD_REVISION, current_revision, make_engine, normalise_url, upgrade

    engine = make_engine(normalise_url(db_url))
    upgrade(engine)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD_REVISION
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_a_fresh_database_is_at_the_head_revision_and_matches_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from khm.store.db import HEAD_REVISION, current_revision

    with store.engine.connect() as conn:
        assert current_revision(conn) == HEAD_REVISION
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_head_revision_constant_matches_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from khm.store import db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == db.HEAD_REVISION


def test_init_writes_a_valid_commented_method_file(cli, tmp_path: Path):
    target = tmp_path / "team.toml"
    cli("--method", str(target), "init")
    text = target.read_text()
    assert text.startswith("# khm method file")
    cli("method", "check", str(target))
    # a second init refuses to overwrite
    r = cli("--method", str(target), "init", code=7)
    assert "exists" in r.stderr


def test_method_check_names_the_bad_key(cli, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'version = 1\n[activities.visit]\nmode = "human"\n[cadence.expand.A]\nvisit = "often"\n'
    )
    r = cli("method", "check", str(bad), code=4)
    assert "bad.toml" in r.stderr and "cadence.expand.A.visit" in r.stderr


def test_method_check_json_error_envelope(cli, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = [\n")
    r = cli("method", "check", str(bad), "--format", "json", code=4)
    data = json.loads(r.stdout)
    assert data["error"]["kind"] == "bad_method"
    assert data["error"]["code"] == 4


def test_bad_database_url_is_a_clean_error(cli):
    r = cli("--db", "nosuchdialect://x/y", "db", "status", code=6)
    assert "Error:" in r.stderr


def test_the_process_entry_sets_the_garbage_collector_policy_once(monkeypatch):
    import gc

    from khm.cli.main import run

    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("disable"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exc:
        run(["--help"])
    assert exc.value.code == 0
    assert calls == ["disable", "freeze"]  # off for the command, frozen at exit


# --------------------------------------------------------------------------- no accidental databases

MISSING_DB_COMMANDS = [
    ("weekly",),
    ("report", "coverage", "--fail-under", "80"),
    ("report", "all"),
    ("account", "list"),
    ("account", "add", "ACME"),
    ("rep", "add", "anna"),
    ("log", "ACME", "call"),
    ("tag",),
    ("assign",),
    ("capacity",),
    ("export", "accounts"),
    ("touch", "list"),
    ("db", "status"),
    ("db", "upgrade"),
]


@pytest.mark.parametrize("args", MISSING_DB_COMMANDS, ids=lambda a: " ".join(a))
def test_a_command_on_a_missing_database_is_an_error_and_creates_nothing(cli, tmp_path, args):
    from khm.errors import ExitCode

    if os.environ.get("KHM_TEST_DATABASE_URL"):
        r = cli(*args, code=int(ExitCode.DATABASE))  # an empty PostgreSQL database
        assert "no khm database at" in r.stderr and "run khm init" in r.stderr
        return
    before = sorted(p.name for p in tmp_path.iterdir())
    typo = tmp_path / "typo" / "teem.db"
    r = cli("--db", str(typo), *args, code=int(ExitCode.DATABASE))
    assert f"no khm database at {typo}: run khm init, or check --db / KHM_DATABASE_URL" in (
        r.stderr
    )
    assert not typo.parent.exists()
    # the default database (KHM_DATABASE_URL) is not there either
    env_db = tmp_path / "khm.db"
    r = cli(*args, code=int(ExitCode.DATABASE))
    assert str(env_db) in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not any(tmp_path.glob("*.db*"))


def test_a_missing_database_in_json_is_an_error_envelope(cli, tmp_path):
    if os.environ.get("KHM_TEST_DATABASE_URL"):
        return
    r = cli("--db", str(tmp_path / "nope.db"), "weekly", "-f", "json", code=6)
    assert json.loads(r.stdout)["error"]["kind"] == "database"
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize(
    "args",
    [("init",), ("import", "accounts", "ACCOUNTS"), ("demo", "--accounts", "60")],
    ids=["init", "import", "demo"],
)
def test_init_demo_and_import_create_the_database(cli, tmp_path, args):
    if os.environ.get("KHM_TEST_DATABASE_URL"):
        return
    csv = tmp_path / "a.csv"
    csv.write_text("key,name\nACME,Acme\n", encoding="utf-8")
    db = tmp_path / "new" / "khm.db"
    cli("--db", str(db), *[str(csv) if a == "ACCOUNTS" else a for a in args])
    assert db.exists()
    cli("--db", str(db), "db", "status")
