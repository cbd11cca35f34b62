"""The method history: keep each method version khm runs with, list the versions, and
give a report the method and tags in force on a past day (:mod:`khm.core.history`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from khm.core.history import MethodVersion, version_in_force, with_until
from khm.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from khm.method import Method
    from khm.store.db import Store

__all__ = [
    "InForce",
    "MethodVersion",
    "list_versions",
    "method_in_force",
    "record_method",
    "record_method_in",
    "version_text",
]


def _path_of(method: Method) -> str | None:
    return None if method.source.startswith("<") else method.source


def record_method_in(conn: Connection, method: Method, *, seen_at: datetime | None = None) -> bool:
    """Keep ``method``'s version in this transaction unless it is kept already (one
    primary-key probe); True when it was new."""
    from khm.store import history as q
    from khm.store.tables import utcnow

    return q.record_method(
        conn,
        hash=method.hash,
        text=method.text,
        name=method.name,
        path=_path_of(method),
        seen_at=seen_at or utcnow(),
    )


def record_method(store: Store, method: Method) -> None:
    """Keep the version a command runs with, in its own short transaction. A database
    that cannot take the row (read-only, locked past the busy timeout, another khm just
    wrote the same version) leaves the command alone: the version is kept next time."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    try:
        with store.begin() as conn:
            record_method_in(conn, method)
    except (IntegrityError, OperationalError):
        pass


def list_versions(store: Store, current: Method | None) -> list[MethodVersion]:
    """Every recorded version, oldest first, with when the next one took over and which
    one this command runs with."""
    from khm.store import history as q

    with store.engine.connect() as conn:
        versions = with_until(q.method_versions(conn))
    h = current.hash if current is not None else None
    return [replace(v, in_use=v.hash == h) for v in versions]


def version_text(store: Store, prefix: str) -> tuple[str, str]:
    """(hash, text) of the version whose hash starts with ``prefix`` (4+ hex digits)."""
    from khm.store import history as q

    p = prefix.strip().lower()
    if len(p) < 4 or any(ch not in "0123456789abcdef" for ch in p):
        raise UsageError(
            f"--version: {prefix!r} is not a method hash (4 to 64 hex digits, see "
            "'khm method history')"
        )
    with store.engine.connect() as conn:
        found = q.method_texts(conn, p)
    if not found:
        raise NotFoundError(f"--version: no method version {prefix!r} (see 'khm method history')")
    if len(found) > 1:
        raise UsageError(f"--version: {prefix!r} names more than one version: give more digits")
    return found[0]


@dataclass(frozen=True)
class InForce:
    """The method a report for a past day uses, and why."""

    method: Method
    version: MethodVersion | None  # None: nothing recorded, the method of this command
    current: bool  # the method this command runs with

    def as_dict(self) -> dict[str, object]:
        v = self.version
        return {
            "hash": self.method.hash,
            "name": self.method.name,
            "first_seen_at": v.first_seen_at if v else None,
            "path": v.path if v else None,
            "current": self.current,
        }


def method_in_force(conn: Connection, method: Method, day: date, today: date) -> InForce:
    """The method in force at the end of ``day``: ``method`` (this command's) when ``day``
    is today or later or nothing is recorded, else the recorded version in force then
    (:func:`khm.core.history.version_in_force`), read back from its kept text."""
    from khm.method import parse_method
    from khm.store import history as q

    if day >= today:
        return InForce(method, None, True)
    v = version_in_force(q.method_versions(conn), day, q.tag_run_methods(conn))
    if v is None or v.hash == method.hash:
        return InForce(method, v, True)
    ((h, text),) = q.method_texts(conn, v.hash)
    where = (
        f"method version {h[:12]} (first seen {v.first_seen_at:%Y-%m-%d}, {v.path or 'built-in'})"
    )
    return InForce(parse_method(text, where), v, False)
