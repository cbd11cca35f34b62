"""Database failures a user can act on, as one clean line each.

:func:`known_failure` looks at an exception raised by SQLAlchemy, the sqlite3 module,
psycopg or the operating system and returns the :class:`~khm.errors.DatabaseError` that
explains it (the database locked by another program, a full disk, a read-only file, a
table missing) -- or ``None`` for anything else, which stays a bug and is raised as it
is. The store calls it when it opens the database; the CLI's single exit point calls it
for what a command raised later.
"""

from __future__ import annotations

import errno
import re

from khm.errors import DatabaseError

#: PostgreSQL SQLSTATEs -> the kind of failure (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_PG_STATES = {
    "55P03": "locked",  # lock_not_available
    "40P01": "locked",  # deadlock_detected
    "57014": "locked",  # query_canceled (statement_timeout / lock_timeout)
    "53100": "full",  # disk_full
    "25006": "readonly",  # read_only_sql_transaction
    "42P01": "missing",  # undefined_table
}

_SQLITE_MESSAGES = (
    ("database is locked", "locked"),
    ("database table is locked", "locked"),
    ("database or disk is full", "full"),
    ("attempt to write a readonly database", "readonly"),
    ("no such table", "missing"),
)


def _kind(exc: BaseException) -> tuple[str, str] | None:
    """(kind, the driver's message) for a failure we can explain, else None."""
    import sqlite3

    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        if exc.errno == errno.ENOSPC:
            return "full", exc.strerror or str(exc)
        if exc.errno == errno.EROFS:
            return "readonly", exc.strerror or str(exc)
        return None
    orig: BaseException | None = exc
    if type(exc).__module__.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
    if orig is None:
        return None
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig)
        for needle, kind in _SQLITE_MESSAGES:
            if needle in text:
                return kind, text
        return None
    state = getattr(orig, "sqlstate", None)
    if type(orig).__module__.startswith("psycopg") and state in _PG_STATES:
        return _PG_STATES[state], str(orig).strip().splitlines()[0]
    return None


def known_failure(exc: BaseException, where: str) -> DatabaseError | None:
    """The clean error for ``exc`` raised while using the database ``where`` (a path or
    a URL without its password), or None when ``exc`` is not a known database failure."""
    found = _kind(exc)
    if found is None:
        return None
    kind, text = found
    if kind == "locked":
        return DatabaseError(f"another khm or program holds the database {where}; try again")
    if kind == "full":
        return DatabaseError(
            f"{where}: the disk is full ({text}); nothing more was written: free some space "
            "and run the command again"
        )
    if kind == "readonly":
        return DatabaseError(
            f"{where}: the database is read-only ({text}); check the permissions of the "
            "file and its directory"
        )
    m = re.search(r'no such table: (?:main\.)?(\w+)|relation "([^"]+)" does not exist', text)
    table = next((g for g in m.groups() if g), "?") if m else "?"
    return drift_error(where, [table])


def drift_error(where: str, tables: list[str]) -> DatabaseError:
    names = ", ".join(tables)
    return DatabaseError(
        f"{where}: schema drift: table {names} missing though the schema revision says "
        "current; restore the database from a backup (khm never drops a table)"
    )
