"""Shared fixtures: every test runs against its own database and data dirs.

Set ``KHM_TEST_DATABASE_URL`` (a PostgreSQL URL) to run the whole suite against
PostgreSQL: each test then starts from an empty ``public`` schema in that database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

PG_URL = os.environ.get("KHM_TEST_DATABASE_URL", "")

# Property tests draw the same examples on every run by default, so a green suite stays
# green on CI; `KHM_HYPOTHESIS=explore pytest` (or `--hypothesis-seed=N`) draws new ones
# to hunt for counterexamples (README, Testing).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("KHM_HYPOTHESIS", "repeatable"))


_PG_ENGINES: dict[str, Any] = {}  # URL -> sqlalchemy Engine

#: anything in the public schema (tables, sequences, indexes, views, types): a test that
#: left nothing there (a core or property test) needs no DROP SCHEMA for the next one
_PG_SOMETHING = """
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public')
    OR EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = 'public')
"""


def _reset_postgres(url: str) -> None:
    """An empty ``public`` schema: dropped and made again when anything is in it. One
    engine per URL for the whole run (a connection per test, not an engine)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from khm.store.db import normalise_url

    engine = _PG_ENGINES.get(url)
    if engine is None:
        engine = _PG_ENGINES[url] = create_engine(normalise_url(url), poolclass=NullPool)
    with engine.begin() as conn:
        if conn.execute(text(_PG_SOMETHING)).scalar():
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh, empty database for this test (SQLite file, or the PostgreSQL test DB)."""
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    return str(tmp_path / "khm.db")


@pytest.fixture(scope="session", autouse=True)
def _isolate_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module- and session-scoped fixtures (the demo teams of tests/test_demo.py) run
    before the per-test isolation below: they too get data and config dirs of their own,
    so nothing (a holiday cache, a config file) lands in the user's real ones."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("session")
    mp.setenv("KHM_DATA_DIR", str(root / "data"))
    mp.setenv("KHM_CONFIG_DIR", str(root / "config"))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    """No test touches the user's real data or config dirs, or the clock-dependent env."""
    monkeypatch.setenv("KHM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KHM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("KHM_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("KHM_METHOD", "KHM_TODAY", "KHM_RAISE_ERRORS"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def store(db_url: str) -> Iterator[object]:
    from khm.store.db import normalise_url, open_store

    s = open_store(normalise_url(db_url))
    yield s
    s.dispose()


@pytest.fixture
def khm_db(db_url: str) -> str:
    """An empty khm database at ``db_url``, as ``khm init`` makes one: commands other than
    init, demo and import never create one (tests/test_cli_basics.py checks that)."""
    from khm.store.db import normalise_url, open_store

    open_store(normalise_url(db_url)).dispose()
    return db_url


class Cli:
    """Runs ``khm`` in-process through typer's CliRunner and checks the exit code."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        code: int | None = 0,
        env: dict[str, str] | None = None,
    ):
        from khm.cli.main import app

        result = self.runner.invoke(
            app, [str(a) for a in args], input=input, env=env, catch_exceptions=True
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if code is not None:
            assert result.exit_code == code, (
                f"khm {' '.join(map(str, args))}: exit {result.exit_code}, expected {code}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def snapshot_db(db_url: str) -> Callable[[], dict[str, list[tuple]]]:
    """Returns a function that reads every row of every khm table (to assert 'unchanged')."""

    def snap() -> dict[str, list[tuple]]:
        from sqlalchemy import create_engine, inspect, text

        from khm.store.db import normalise_url

        engine = create_engine(normalise_url(db_url))
        out: dict[str, list[tuple]] = {}
        with engine.connect() as conn:
            for table in (
                "rep",
                "account",
                "touch",
                "tag_change",
                "campaign",
                "deal",
                "nps_response",
                "stage_change",
            ):
                if inspect(conn).has_table(table):
                    out[table] = [
                        tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))
                    ]
        engine.dispose()
        return out

    return snap
