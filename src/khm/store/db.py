"""Where the data lives and how it is opened.

One function, :func:`resolve_url`, decides the database: ``--db`` (a path or any
SQLAlchemy URL), then ``KHM_DATABASE_URL``, then ``khm.db`` in the user's data dir.
:func:`open_store` creates the engine (SQLite: WAL, busy timeout, foreign keys, file
mode 0600; PostgreSQL through psycopg 3) and brings the schema to the newest Alembic
revision. Checking the revision is one cheap query; Alembic itself is imported only when
there is something to migrate.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from khm.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

#: The newest migration; ``khm.store.migrations.versions`` must end here (tested).
HEAD_REVISION = "0011_stage_history"
ENV_URL = "KHM_DATABASE_URL"
BUSY_TIMEOUT_MS = 10_000


def data_dir() -> Path:
    import platformdirs

    return Path(
        os.environ.get("KHM_DATA_DIR") or platformdirs.user_data_dir("khm", appauthor=False)
    )


def default_db_path() -> Path:
    return data_dir() / "khm.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """``--db`` value, else ``KHM_DATABASE_URL``, else the default file."""
    raw = str(db) if db is not None else os.environ.get(ENV_URL) or ""
    if not raw:
        return path_to_url(default_db_path())
    return normalise_url(raw)


def path_to_url(path: Path | str) -> str:
    return "sqlite:///" + str(Path(path).expanduser().resolve())


def normalise_url(raw: str) -> str:
    if "://" not in raw:
        return path_to_url(raw)
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        # psycopg 3 is the driver we ship with (the [postgres] extra).
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def display_url(url: str) -> str:
    """The URL with any password hidden, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    rest = rest.split("?", 1)[0]
    if rest.startswith("file:"):  # a SQLite URI (?uri=true), e.g. mode=ro
        rest = rest[len("file:") :]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


@dataclass
class Store:
    """An open database: the engine plus helpers for sessions and transactions."""

    url: str
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        from sqlmodel import Session

        return Session(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction for one command: committed on success, rolled back on any error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """One SQLAlchemy Core transaction (no ORM session, so no sqlmodel import):
        committed on success, rolled back on any error or when the caller already rolled
        it back (a dry run)."""
        with self.engine.connect() as conn:
            trans = conn.begin()
            try:
                yield conn
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
            if trans.is_active:
                trans.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def _create_sqlite_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot create the database file: {exc.strerror}") from None


def _unicode_lower(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    return None if value is None else str(value).lower()


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    try:
        if url.startswith("sqlite"):
            path = sqlite_path(url)
            if path is not None:
                _create_sqlite_file(path)
            engine = create_engine(
                url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            )

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                if path is not None:
                    cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()
                # SQLite's own lower() folds ASCII only: "ÆRØ" would not find "ærø".
                # Python's str.lower gives lower() the Unicode folding PostgreSQL has, so
                # the portable lower(...) in the queries searches the same on both.
                dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)

            return engine
        return create_engine(url, pool_pre_ping=True)
    except DatabaseError:
        raise
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"no driver for {display_url(url)}: {exc} (for PostgreSQL: pip install 'khm[postgres]')"
        ) from None
    except Exception as exc:
        raise DatabaseError(f"cannot open {display_url(url)}: {exc}") from None


#: A write of this many rows is a large one: from here, a load into an empty table builds
#: its non-unique indexes after the rows (:func:`khm.store.bulk.insert_rows`), and SQLite
#: gets a larger page cache for it (:func:`large_write`).
DEFER_INDEXES_AT = 20_000
#: SQLite's page cache during a large write
LOAD_CACHE_KIB = 65_536


@contextlib.contextmanager
def large_write(conn: Connection, rows: int) -> Iterator[None]:
    """On SQLite, for a write of at least :data:`DEFER_INDEXES_AT` rows: a page cache
    that holds the table and its indexes while they change (the default of 2 MiB spills
    dirty pages to the WAL half-way: docs/benchmarks.md), then the connection's own
    again. Elsewhere (PostgreSQL) nothing."""
    if rows < DEFER_INDEXES_AT or conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={-LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache or -2000)}")


def current_revision(conn: Connection) -> str | None:
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        _begin_ddl(conn)
        command.upgrade(_alembic_config(conn), revision)


def _has_khm_tables(names: set[str]) -> bool:
    return bool(names & {"account", "rep", "touch", "tag_change"})


def create_fresh(engine: Engine) -> None:
    """A new, empty database: create the newest schema in one go and record its revision.

    This is Alembic's documented recipe for building an up-to-date database from scratch
    (create_all, then stamp head); a test checks that the migration scripts build exactly
    the same schema. It skips importing Alembic and replaying every migration. It is one
    transaction (:func:`_begin_ddl`): a failure half-way leaves the file as it was, and a
    second khm creating the same database at the same moment waits, then finds it made.
    """
    from sqlalchemy import Column, MetaData, String, Table, insert
    from sqlmodel import SQLModel

    import khm.store.models  # noqa: F401  (registers the tables)

    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), primary_key=True, nullable=False),
    )
    with engine.begin() as conn:
        _begin_ddl(conn)
        if current_revision(conn) is not None:
            return  # another process created it while this one waited for the lock
        SQLModel.metadata.create_all(conn)
        version.create(conn)
        conn.execute(insert(version).values(version_num=HEAD_REVISION))


def _begin_ddl(conn: Connection) -> None:
    """Put the DDL that follows inside the transaction. The sqlite3 module opens a
    transaction only before INSERT/UPDATE/DELETE, so a CREATE TABLE would commit on its
    own and survive a rollback; an explicit BEGIN IMMEDIATE makes SQLite's transactional
    DDL apply (PostgreSQL's DDL is transactional already)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def known_revisions() -> set[str]:
    """The revisions this khm's migrations know (a file per revision, named after it)."""
    versions = Path(__file__).parent / "migrations" / "versions"
    return {p.stem for p in versions.glob("[0-9]*.py")}


def where(url: str) -> str:
    """The database for a message: its file path, or its URL without a password."""
    path = sqlite_path(url)
    return str(path) if path is not None else display_url(url)


def _table_names(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def _check_schema(url: str, names: set[str], rev: str | None, *, adopt: bool) -> None:
    """Refuse what khm must not touch: another application's database (tables, none of
    them khm's: unless ``adopt``), one made by a newer khm, and one whose revision says
    current while a table is missing."""
    from khm.store.failures import drift_error
    from khm.store.tables import TABLES

    expected = {t.name for t in TABLES}  # every table of the models
    if rev is None and not names & expected:
        foreign = sorted(names - {"alembic_version"})
        if foreign and not adopt:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise DatabaseError(
                f"{where(url)}: not a khm database (it has other tables: {shown}); khm "
                "leaves it alone: give --db a new file or khm's own database"
            )
        return
    if rev is not None and rev not in known_revisions():
        raise DatabaseError(
            f"{where(url)}: made by a newer khm (revision {rev}; this khm knows up to "
            f"{HEAD_REVISION}): upgrade khm"
        )
    if rev == HEAD_REVISION and expected - names:
        raise drift_error(where(url), sorted(expected - names))


def missing_database(url: str) -> DatabaseError:
    """The error of a command (not ``init``, ``demo`` or ``import``) given no khm database."""
    return DatabaseError(
        f"no khm database at {where(url)}: run khm init, or check --db / KHM_DATABASE_URL"
    )


def require_existing(url: str) -> None:
    """Only ``init``, ``demo`` and ``import`` create a database: a SQLite file that does
    not exist is an error before anything (file, directory, -wal/-shm) is made."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise missing_database(url)


def open_store(
    url: str, *, migrate: bool = True, adopt: bool = False, create: bool = True
) -> Store:
    """Open the database at ``url``; bring its schema up to date unless ``migrate`` is off.

    A database of another application (its own tables, none of khm's) is refused unless
    ``adopt`` (``khm demo --force``); so is one of a newer khm, or one missing a table.
    With ``create`` off, a database that does not exist (or holds no khm tables) is a
    :class:`DatabaseError` and nothing is created (:func:`require_existing`)."""
    from sqlalchemy.exc import SQLAlchemyError

    if not create:
        require_existing(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = _table_names(conn)
            rev = current_revision(conn) if "alembic_version" in names else None
        _check_schema(url, names, rev, adopt=adopt)
        empty = rev is None and not _has_khm_tables(names)
        if empty and not create:
            engine.dispose()
            raise missing_database(url)
        if migrate and empty:
            create_fresh(engine)
        elif migrate and rev != HEAD_REVISION:
            upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        from khm.store.failures import known_failure

        known = known_failure(exc, where(url))
        if known is not None:
            raise known from None
        msg = str(exc.orig) if getattr(exc, "orig", None) is not None else str(exc)
        raise DatabaseError(f"cannot open {display_url(url)}: {msg.strip()}") from None
    except BaseException:
        engine.dispose()
        raise
    return Store(url=url, engine=engine)


def status(store: Store) -> dict[str, Any]:
    """What ``khm db status`` shows: where, which schema revision, row counts."""
    from sqlalchemy import func, select

    from khm.store.models import Account, Rep, TagChange, Touch

    with store.engine.connect() as conn:
        rev = current_revision(conn)
        counts = {
            name: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in (
                ("accounts", Account),
                ("reps", Rep),
                ("touches", Touch),
                ("tag_changes", TagChange),
            )
        }
    path = sqlite_path(store.url)
    return {
        "url": display_url(store.url),
        "dialect": store.dialect,
        "path": str(path) if path else None,
        "revision": rev,
        "head": HEAD_REVISION,
        "up_to_date": rev == HEAD_REVISION,
        "counts": counts,
    }
