"""Failures a user can meet, each a clean line and a named exit code; files that do not
collide; concurrent writers that lose nothing; an import killed at any point is never half.

The cases of issue 12 (items 2, 5, 6, 7, 8): ``--out-dir`` names, the database locked,
of a newer khm, full, read-only, drifted, another application's, a failed first open,
output file modes, ``import reps`` handles.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from khm.errors import ExitCode

PG = bool(os.environ.get("KHM_TEST_DATABASE_URL"))
sqlite_only = pytest.mark.skipif(PG, reason="a SQLite file case")
SRC = str(Path(__file__).resolve().parents[1] / "src")


def sqlite_file(db_url: str) -> Path:
    return Path(db_url)


def one_line(result) -> str:
    """stderr of a failed command: exactly one line, no traceback."""
    err = result.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


# --------------------------------------------------------------------------- --out-dir


def _rep_with_work(store, handles: list[str]) -> None:
    from datetime import date, datetime

    from khm.store.models import Account, Rep, Touch

    with store.transaction() as s:
        for i, h in enumerate(handles):
            s.add(Rep(handle=h, name=f"Rep {i}", capacity=12, email=f"r{i}@example.com"))
            s.flush()
            acc = Account(
                key=f"K{i}",
                name=f"Account of {h[:20]}",
                type="expand",
                category="A",
                owner=h,
                country="NO",
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(acc)
            s.flush()
            s.add(Touch(account_id=acc.id, rep=h, kind="call", date=date(2026, 6, 2)))


#: a 300-character handle as another client can store it in SQLite (PostgreSQL's column
#: holds 64, khm's own limit)
LONG_HANDLE = "x" * (64 if os.environ.get("KHM_TEST_DATABASE_URL") else 300)
HOSTILE_HANDLES = ["anna", "anna.", "anna_", "Anna", "a/b", LONG_HANDLE]
WEEKLY = ("weekly", "--week", "2026-W48", "--today", "2026-11-23")


def test_out_dir_gives_every_rep_its_own_file(cli, store, tmp_path: Path) -> None:
    _rep_with_work(store, HOSTILE_HANDLES)
    out = tmp_path / "out"
    res = cli(*WEEKLY, "-f", "json", "--out-dir", str(out))
    files = sorted(out.iterdir())
    assert len(files) == len(HOSTILE_HANDLES), res.stdout
    import json

    owners = {json.loads(f.read_text())["reps"][0]["rep"] for f in files}
    assert owners == set(HOSTILE_HANDLES)
    assert all(len(f.name) < 80 for f in files)
    assert (out / "anna-2026-W48.json").exists() and (out / "anna_-2026-W48.json").exists()
    # stable: the next run writes the same names
    cli(*WEEKLY, "-f", "json", "--out-dir", str(out))
    assert sorted(out.iterdir()) == files


def test_out_dir_names_never_repeat_within_a_run(tmp_path: Path) -> None:
    from khm.render.files import OutDir

    out = OutDir(tmp_path)
    names = [out.file(h, "-2026-W48.ics") for h in [*HOSTILE_HANDLES, "anna-2026-w48"]]
    names += [out.file(h, ".ics") for h in [*HOSTILE_HANDLES, "anna-2026-w48"]]
    assert len({n.name.casefold() for n in names}) == len(names)
    assert OutDir(tmp_path).file("a/b", ".ics") == out.path / "a_b-c14cddc0.ics"


def test_ics_subscriptions_and_weekly_files_do_not_collide(cli, store, tmp_path: Path) -> None:
    _rep_with_work(store, ["anna", "anna-2026-w48"])
    out = tmp_path / "out"
    cli(*WEEKLY, "-f", "ics", "--out-dir", str(out))
    assert len({p.name.casefold() for p in out.iterdir()}) == 4


def test_mail_dry_run_names_are_unique_per_rep(
    cli, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KHM_SMTP_FROM", "khm@example.com")
    _rep_with_work(store, ["anna", "anna.", "anna_"])
    out = tmp_path / "mail"
    cli(*WEEKLY, "--mail-dry-run", "--out-dir", str(out))
    assert len(list(out.glob("*.eml"))) == 3


def test_a_file_that_cannot_be_written_is_reported_and_the_others_are_written(
    cli, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from khm.render import files

    _rep_with_work(store, ["anna", "bert", "cara"])
    real = files.atomic_write_text

    def flaky(path, text, **kw):
        if "bert" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, text, **kw)

    monkeypatch.setattr(files, "atomic_write_text", flaky)
    out = tmp_path / "out"
    res = cli(*WEEKLY, "-f", "markdown", "--out-dir", str(out), code=ExitCode.BAD_INPUT)
    assert sorted(p.name for p in out.iterdir()) == ["anna-2026-W48.md", "cara-2026-W48.md"]
    err = res.stderr.strip().splitlines()
    assert "1 file(s) not written" in err[0]
    assert err[1].strip().endswith("bert-2026-W48.md: cannot write: No space left on device")
    assert "Traceback" not in res.stderr


# --------------------------------------------------------------------------- file modes


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_output_over_an_existing_file_keeps_its_mode(cli, tmp_path: Path) -> None:
    target = tmp_path / "accounts.csv"
    target.write_text("old")
    target.chmod(0o600)
    cli("export", "accounts", "-o", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() != "old"


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_a_new_output_file_follows_the_umask(cli, tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        cli("export", "accounts", "-o", str(tmp_path / "new.csv"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


# --------------------------------------------------------------------------- import reps


@pytest.mark.parametrize("bad", ["../evil", "a/b"])
def test_import_reps_refuses_what_rep_add_refuses(cli, tmp_path: Path, bad: str) -> None:
    f = tmp_path / "reps.csv"
    f.write_text(f"handle,name\n{bad},Someone\n")
    res = cli("import", "reps", str(f), code=ExitCode.BAD_INPUT)
    assert f"'{bad}' is not a handle" in res.stderr
    assert cli("rep", "add", bad, "--name", "Someone", code=None).exit_code != 0
    assert "No reps" in cli("rep", "list").stdout


def test_two_rows_onto_one_rep_is_an_error_naming_both(cli, tmp_path: Path) -> None:
    f = tmp_path / "reps.csv"
    f.write_text("name,email\nAsa/Lindqvist,a@example.com\nasa.lindqvist,b@example.com\n")
    res = cli("import", "reps", str(f), code=ExitCode.BAD_INPUT)
    assert "reps.csv:3" in res.stderr and "repeats row 2" in res.stderr
    assert "No reps" in cli("rep", "list").stdout


# --------------------------------------------------------------------------- database


@sqlite_only
@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_locked_past_the_busy_timeout_is_one_line(
    cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("account", "add", "K1", "--name", "K")
    monkeypatch.setattr("khm.store.db.BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db_url, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        res = cli("log", "K1", "call", code=ExitCode.DATABASE)
    finally:
        holder.rollback()
        holder.close()
    assert one_line(res) == (
        f"Error: another khm or program holds the database {Path(db_url).resolve()}; try again"
    )


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_a_database_of_a_newer_khm_is_refused(cli, db_url: str) -> None:
    from sqlalchemy import create_engine, text

    from khm.store.db import normalise_url

    cli("account", "add", "K1", "--name", "K")
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    res = cli("account", "list", code=ExitCode.DATABASE)
    assert "made by a newer khm (revision 0099_future" in one_line(res)
    assert "upgrade khm" in res.stderr


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_schema_drift_names_the_missing_table(cli, db_url: str) -> None:
    from sqlalchemy import create_engine, text

    from khm.store.db import normalise_url

    cli("account", "add", "K1", "--name", "K")
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE absence"))
    engine.dispose()
    res = cli("account", "list", code=ExitCode.DATABASE)
    assert "schema drift: table absence missing" in one_line(res)


def test_a_table_missing_mid_command_is_drift_too() -> None:
    from sqlalchemy.exc import OperationalError

    from khm.store.failures import known_failure

    exc = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: touch"))
    err = known_failure(exc, "/x/khm.db")
    assert err is not None and "schema drift: table touch missing" in err.message


def test_disk_full_during_import_is_one_line_and_writes_nothing(
    cli, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot_db
) -> None:
    from sqlalchemy.exc import OperationalError

    from khm.store import bulk

    before = snapshot_db()

    def full(*_a, **_k):
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(bulk, "insert_rows", full)
    f = tmp_path / "a.csv"
    f.write_text("key,name\nK1,One\nK2,Two\n")
    res = cli("import", "accounts", str(f), code=ExitCode.DATABASE)
    assert "the disk is full (database or disk is full)" in one_line(res)
    assert snapshot_db() == before


def test_os_level_disk_full_maps_too() -> None:
    import errno

    from khm.store.failures import known_failure

    err = known_failure(OSError(errno.ENOSPC, "No space left on device"), "/x/khm.db")
    assert err is not None and err.exit_code == ExitCode.DATABASE
    assert known_failure(OSError(errno.EACCES, "Permission denied"), "/x") is None


@sqlite_only
@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_a_read_only_database_is_one_line(cli, db_url: str) -> None:
    # tests run as root, which ignores file modes: open the file read-only through SQLite
    cli("account", "add", "K1", "--name", "K")
    ro = f"sqlite:///file:{Path(db_url).resolve()}?mode=ro&uri=true"
    assert "K1" in cli("--db", ro, "account", "list").stdout
    res = cli("--db", ro, "log", "K1", "call", code=ExitCode.DATABASE)
    assert "the database is read-only" in one_line(res)


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_a_real_bug_still_raises(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from khm.store.failures import known_failure

    other = OperationalError("SELECT", {}, sqlite3.OperationalError("near 'x': syntax error"))
    assert known_failure(other, "/x") is None
    assert known_failure(ValueError("bug"), "/x") is None

    def boom(*_a, **_k):
        raise other

    monkeypatch.setattr("khm.store.db.status", boom)
    with pytest.raises(OperationalError):
        cli("db", "status", code=None)


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_known_failures_raise_with_khm_raise_errors(
    cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def locked(*_a, **_k):
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr("khm.store.db.status", locked)
    res = cli("db", "status", code=ExitCode.DATABASE)
    assert "another khm or program holds the database" in one_line(res)
    monkeypatch.setenv("KHM_RAISE_ERRORS", "1")
    with pytest.raises(OperationalError):
        cli("db", "status", code=None)


@pytest.mark.parametrize("kind", ["locked", "full", "readonly", "missing"])
def test_psycopg_failures_map_by_sqlstate(kind: str) -> None:
    from sqlalchemy.exc import OperationalError

    from khm.store.failures import _PG_STATES, known_failure

    state = next(s for s, k in _PG_STATES.items() if k == kind)
    orig = type("Error", (Exception,), {"__module__": "psycopg.errors", "sqlstate": state})(
        'relation "touch" does not exist'
    )
    err = known_failure(OperationalError("SELECT", {}, orig), "postgresql://khm@h/db")
    assert err is not None and err.exit_code == ExitCode.DATABASE


# --------------------------------------------------------------------------- adoption


@sqlite_only
@pytest.mark.parametrize(
    "args", [("account", "list"), ("init",), ("log", "K", "call"), ("db", "status")]
)
def test_another_applications_sqlite_file_is_refused(cli, db_url: str, args) -> None:
    conn = sqlite3.connect(db_url)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    res = cli(*args, code=ExitCode.DATABASE)
    assert "not a khm database (it has other tables: invoices)" in one_line(res)
    conn = sqlite3.connect(db_url)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert names == {"invoices"}


@sqlite_only
def test_a_failed_first_open_leaves_the_file_as_it_was(
    cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import MetaData

    real = MetaData.create_all

    def half(self, bind, *a, **k):
        real(self, bind, *a, **k)  # every table created ...
        raise OSError(5, "Input/output error")  # ... then the disk goes away

    with monkeypatch.context() as patched:
        patched.setattr(MetaData, "create_all", half)
        with pytest.raises(OSError):
            cli("init", code=None)
    conn = sqlite3.connect(db_url)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert names == []
    cli("init")  # the next init builds the schema in the (still empty) file
    cli("account", "add", "K1", "--name", "K")


# --------------------------------------------------------------------------- concurrency

WRITER = """
import sys
from khm.cli.main import app
n, key, url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(n):
    app(["--db", url, "log", key, "call", "--note", f"{key}-{i}"], standalone_mode=False)
"""

READER = """
import sys, time
from khm.cli.main import app
url, stop = sys.argv[1], sys.argv[2]
import os
while not os.path.exists(stop):
    app(["--db", url, "touch", "list", "-f", "json"], standalone_mode=False)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "KHM_TODAY": "2026-11-23"}


@pytest.mark.slow
@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_four_writers_and_a_reader_lose_nothing(cli, db_url: str, tmp_path: Path) -> None:
    """4 processes x 200 ``khm log`` (each a full command: open, write, commit, close)
    with a reader listing all the time: 800 touches, no failure. The commands run in
    four long-lived processes rather than 800 (each start costs ~0.8 s of imports, not
    database work)."""
    for i in range(4):
        cli("account", "add", f"W{i}", "--name", f"Writer {i}")
    stop = tmp_path / "stop"
    env = _env()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, db_url, str(stop)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, "200", f"W{i}", db_url],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(4)
    ]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    stop.touch()
    reader_err = reader.communicate(timeout=60)[1]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], errors
    assert reader.returncode == 0, reader_err
    import json

    listed = json.loads(cli("touch", "list", "-f", "json", "--limit", "100000").stdout)
    notes = sorted(t["note"] for t in listed["items"])
    assert notes == sorted(f"W{i}-{n}" for i in range(4) for n in range(200))


@pytest.mark.usefixtures("khm_db")  # only init, demo and import create a database
def test_khm_log_through_python_m_khm(db_url: str, tmp_path: Path) -> None:
    """The same command as a real process: ``python -m khm`` logs, exits 0."""
    env = _env()
    run = [sys.executable, "-m", "khm", "--db", db_url]
    subprocess.run([*run, "account", "add", "K1", "--name", "K"], env=env, check=True)
    done = subprocess.run([*run, "log", "K1", "call"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- kill -9


def _count(url: str) -> int:
    from sqlalchemy import create_engine, inspect, text

    from khm.store.db import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("account"):
                return 0
            return conn.execute(text("SELECT count(*) FROM account")).scalar_one()
    finally:
        engine.dispose()


def _fresh(url: str) -> None:
    """An empty khm database at ``url`` (PostgreSQL: an empty schema first)."""
    from sqlalchemy import create_engine, text

    from khm.store.db import normalise_url, open_store

    if url.startswith("postgres"):
        engine = create_engine(normalise_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    open_store(normalise_url(url)).dispose()


@pytest.mark.slow
def test_an_import_killed_at_any_point_is_never_half(tmp_path: Path) -> None:
    n = 60_000
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("key,name,country\n")
        fh.writelines(f"K{i:06d},Company {i} AS,NO\n" for i in range(n))
    env = _env()
    pg = os.environ.get("KHM_TEST_DATABASE_URL")
    for point, delay in enumerate((0.3, 0.7, 1.1, 1.5, 2.0)):
        url = pg or str(tmp_path / f"kill{point}.db")
        _fresh(url)
        cmd = [sys.executable, "-m", "khm", "--db", url, "import", "accounts", str(big)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _count(url) in (0, n), f"kill at {delay}s: half an import"
        if not pg:
            conn = sqlite3.connect(url)
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            conn.close()
        again = subprocess.run(cmd, env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert _count(url) == n
