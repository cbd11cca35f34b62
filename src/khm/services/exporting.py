"""``khm export accounts|reps|touches``: rows out of the database, streamed.

The rows keep the import field names (:mod:`khm.store.lists` ``*_EXPORT_FIELDS``), so
``khm export accounts > a.csv`` then ``khm import accounts a.csv`` into another database
gives the same accounts; :mod:`khm.render.export` writes them as CSV, JSON or JSONL.
``type`` and ``category`` are exported for reading; they come from ``khm tag``, so an
import ignores them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from khm.core.records import ExportRows

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from khm.store.db import Store


def _streamed(store: Store, rows: Callable[[Connection], Iterator[Any]]) -> Iterator[Any]:
    with store.engine.connect() as conn:
        yield from rows(conn)


def _account_values(r: Any) -> tuple[Any, ...]:
    """An account row with its product lines as a list and its custom and text fields
    (the last column) as dicts."""
    return (*r[:3], list(r[3] or []), r[4], r[5], dict(r[6] or {}), *r[7:-1], dict(r[-1] or {}))


def export(
    store: Store,
    entity: str,
    *,
    type_: str | None = None,
    category: str | None = None,
    rep: str | None = None,
    country: str | None = None,
    account: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    include_archived: bool = True,
    active_only: bool = False,
    custom_fields: bool = False,
) -> ExportRows:
    """The rows of ``entity`` (filters applied in SQL), read while the caller iterates.
    With ``custom_fields`` the accounts' custom field names are read first (one pass over
    that column)."""
    from khm.store import lists

    if entity == "accounts":
        filters: dict[str, Any] = {
            "type_": type_,
            "category": category,
            "owner": rep,
            "country": country.upper() if country else None,
            "include_archived": include_archived,
        }
        names: set[str] = set()
        text_names: set[str] = set()
        if custom_fields:
            with store.engine.connect() as conn:
                cols = ("custom", "text")
                for custom, text in lists.export_accounts(conn, fields=cols, **filters):
                    names.update(custom or ())
                    text_names.update(text or ())
        return ExportRows(
            "accounts",
            lists.ACCOUNT_EXPORT_FIELDS,
            _streamed(store, lambda c: map(_account_values, lists.export_accounts(c, **filters))),
            tuple(sorted(names)),
            tuple(sorted(text_names)),
        )
    if entity == "reps":
        return ExportRows(
            "reps",
            lists.REP_EXPORT_FIELDS,
            _streamed(store, lambda c: lists.export_reps(c, active_only=active_only)),
        )
    return ExportRows(
        "touches",
        lists.TOUCH_EXPORT_FIELDS,
        _streamed(
            store,
            lambda c: lists.export_touches(
                c, rep=rep, account_key=account, kind=kind, since=since, until=until
            ),
        ),
    )
