"""``khm export accounts|reps|touches``: rows out of the database as CSV or JSON.

The CSV is made to be imported again: its headers are the import field names (custom
numeric fields as ``custom.NAME``, product lines joined with ``; ``), so
``khm export accounts > a.csv`` then ``khm import accounts a.csv`` into another database
gives the same accounts. Every text cell goes through :func:`khm.render.csv_cell`
(spreadsheet formulas neutralised). ``type`` and ``category`` are exported for reading;
they come from ``khm tag``, so an import ignores them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from khm.render import Column, emit_rows

if TYPE_CHECKING:
    from khm.store.db import Store

ENTITIES = ("accounts", "reps", "touches")

ACCOUNT_COLUMNS = (
    "key",
    "name",
    "country",
    "product_lines",
    "revenue",
    "employees",
    "owner",
    "type",
    "category",
    "lifecycle_stage",
    "archived",
)
REP_COLUMNS = ("handle", "name", "email", "role", "capacity", "active")
TOUCH_COLUMNS = ("id", "account", "date", "kind", "rep", "note", "source")


@dataclass
class Export:
    kind: str
    columns: list[str]
    rows: list[dict[str, Any]]  # JSON-shaped: lists and dicts kept

    def csv_rows(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            row = dict(r)
            if "product_lines" in row:
                row["product_lines"] = "; ".join(row["product_lines"] or [])
            custom = row.pop("custom", None) or {}
            for k, v in custom.items():
                row[f"custom.{k}"] = v
            out.append(row)
        return out

    def render(self, fmt: str) -> str:
        buf = io.StringIO()
        if fmt == "json":
            emit_rows(self.rows, [], "json", kind=self.kind, out=buf)
        else:
            cols = [Column(c) for c in self.columns]
            emit_rows(self.csv_rows(), cols, "csv", kind=self.kind, out=buf)
        return buf.getvalue()


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
) -> Export:
    from khm.store import bulk

    with store.engine.connect() as conn:
        if entity == "accounts":
            rows = bulk.export_accounts(
                conn,
                type_=type_,
                category=category,
                owner=rep,
                country=country.upper() if country else None,
                include_archived=include_archived,
            )
            customs = sorted({k for r in rows for k in (r.get("custom") or {})})
            for r in rows:
                r["product_lines"] = list(r["product_lines"] or [])
                r["custom"] = dict(r["custom"] or {})
            return Export("accounts", [*ACCOUNT_COLUMNS, *(f"custom.{k}" for k in customs)], rows)
        if entity == "reps":
            return Export(
                "reps", list(REP_COLUMNS), bulk.export_reps(conn, active_only=active_only)
            )
        return Export(
            "touches",
            list(TOUCH_COLUMNS),
            bulk.export_touches(
                conn, rep=rep, account_key=account, kind=kind, since=since, until=until
            ),
        )
