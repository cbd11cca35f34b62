"""Fast, portable bulk loading of reps, accounts and touches.

SQLAlchemy Core ``INSERT`` with executemany, in chunks, inside ONE transaction: either
everything is written or nothing is. No dialect-specific SQL, so the same code loads a
SQLite file and a PostgreSQL database (psycopg 3 batches the rows itself).

Rows are plain dicts with the table's column names. Touch and tag-change rows name their
account by ``account_key`` (mapped to ``account_id`` after the accounts are in).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from khm.errors import ConflictError, InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from khm.store.db import Store

CHUNK = 20_000
_TABLES = ("rep", "account", "touch", "tag_change")


@dataclass(frozen=True)
class LoadResult:
    reps: int
    accounts: int
    touches: int
    tag_changes: int = 0


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def row_counts(store: Store) -> dict[str, int]:
    """Rows per khm table (0 for a table that does not exist yet)."""
    from sqlalchemy import func, inspect, select

    from khm.store.models import SQLModel

    out: dict[str, int] = {}
    with store.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        for name in _TABLES:
            if name not in names:
                out[name] = 0
                continue
            table = SQLModel.metadata.tables[name]
            out[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return out


def is_empty(store: Store) -> bool:
    return not any(row_counts(store).values())


def _clear(conn: Connection) -> None:
    from sqlalchemy import delete

    from khm.store.models import SQLModel

    for name in (
        "nps_response",
        "stage_change",
        "tag_change",
        "touch",
        "campaign",
        "account",
        "rep",
    ):  # children first
        conn.execute(delete(SQLModel.metadata.tables[name]))


def bulk_load(
    store: Store,
    *,
    reps: Iterable[Mapping[str, Any]] = (),
    accounts: Iterable[Mapping[str, Any]] = (),
    touches: Iterable[Mapping[str, Any]] = (),
    tag_changes: Iterable[Mapping[str, Any]] = (),
    nps: Iterable[Mapping[str, Any]] = (),
    stage_changes: Iterable[Mapping[str, Any]] = (),
    replace: bool = False,
    chunk_size: int = CHUNK,
) -> LoadResult:
    """Insert reps, then accounts, then touches, tag changes, NPS responses and stage
    changes in one transaction.

    ``replace`` first deletes every rep, account, touch and tag change (in the same
    transaction). Without it, existing rows stay and a duplicate key is a
    :class:`ConflictError`. A touch naming an account key that is neither loaded nor
    present is an :class:`InputError`.
    """
    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    from khm.store.models import Account, NpsResponse, Rep, StageChange, TagChange, Touch

    rep_t = Rep.__table__  # type: ignore[attr-defined]
    acc_t = Account.__table__  # type: ignore[attr-defined]
    touch_t = Touch.__table__  # type: ignore[attr-defined]
    change_t = TagChange.__table__  # type: ignore[attr-defined]
    nps_t = NpsResponse.__table__  # type: ignore[attr-defined]
    stage_t = StageChange.__table__  # type: ignore[attr-defined]
    n_reps = n_accounts = n_touches = n_changes = 0
    try:
        with store.engine.begin() as conn:
            if replace:
                _clear(conn)
            for chunk in _chunks((dict(r) for r in reps), chunk_size):
                conn.execute(insert(rep_t), chunk)
                n_reps += len(chunk)
            for chunk in _chunks((dict(a) for a in accounts), chunk_size):
                conn.execute(insert(acc_t), chunk)
                n_accounts += len(chunk)
            ids: dict[str, int] = {k: i for k, i in conn.execute(select(acc_t.c.key, acc_t.c.id))}
            for what, table, source in (
                ("touch", touch_t, touches),
                ("tag change", change_t, tag_changes),
                ("nps response", nps_t, nps),
                ("stage change", stage_t, stage_changes),
            ):
                done = 0
                for chunk in _chunks(source, chunk_size):  # type: ignore[arg-type]
                    rows = [
                        _with_account_id(dict(r), ids, what, done + i)
                        for i, r in enumerate(chunk, 1)
                    ]
                    conn.execute(insert(table), rows)
                    done += len(rows)
                if what == "touch":
                    n_touches = done
                elif what == "tag change":
                    n_changes = done
    except IntegrityError as exc:
        msg = str(exc.orig) if getattr(exc, "orig", None) is not None else str(exc)
        raise ConflictError(f"{_where(store)}: bulk load refused: {msg.strip()}") from None
    return LoadResult(reps=n_reps, accounts=n_accounts, touches=n_touches, tag_changes=n_changes)


def _with_account_id(row: dict[str, Any], ids: dict[str, int], what: str, n: int) -> dict[str, Any]:
    """``account_key`` → ``account_id``; an unknown key names the row."""
    key = row.pop("account_key", None)
    if key is not None:
        try:
            row["account_id"] = ids[key]
        except KeyError:
            raise InputError(f"{what} {n}: account_key: no account with key {key!r}") from None
    return row


def _where(store: Store) -> str:
    from khm.store.db import display_url

    return display_url(store.url)
