"""Views of deals: ``khm deal list`` (table, JSON, JSON Lines, CSV; streamed) and the
deals section of ``account show``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from khm.core.records import DealRecord
from khm.render.table import Column

DEAL_COLUMNS = (
    Column("key"),
    Column("account"),
    Column("account_name", "account name"),
    Column("stage"),
    Column("status"),
    Column("value", justify="right"),
    Column("product"),
    Column("owner"),
    Column("created"),
    Column("closed"),
)
#: the columns of the deals section in ``account show``
ACCOUNT_DEAL_COLUMNS = (
    Column("key"),
    Column("stage"),
    Column("status"),
    Column("value", justify="right"),
    Column("product"),
    Column("owner"),
    Column("created"),
    Column("closed"),
)


def deal_row(d: DealRecord) -> dict[str, Any]:
    """The list columns of a deal, for tables and CSV (its JSON item has them all)."""
    doc = d.as_dict()
    doc.pop("source")
    return doc


def deal_list(records: Iterable[DealRecord], fmt: str, out: IO[str] | None = None) -> int:
    from khm.render.table import emit_rows

    shape = (lambda r: r.as_dict()) if fmt in ("json", "jsonl") else deal_row
    return emit_rows(map(shape, records), DEAL_COLUMNS, fmt, kind="deals", out=out)


def deals_section(deals: Sequence[DealRecord]) -> Any:
    """The ``account show`` table of an account's deals (or a line saying none)."""
    from khm.render.table import rich_table

    if not deals:
        return "Deals: none"
    n_open = sum(1 for d in deals if d.status == "open")
    return rich_table(
        [deal_row(d) for d in deals],
        list(ACCOUNT_DEAL_COLUMNS),
        title=f"Deals ({len(deals)}, {n_open} open)",
    )
