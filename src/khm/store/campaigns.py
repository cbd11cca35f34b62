"""Queries for campaigns (``khm log --campaign``, ``khm touch delete --campaign``).

The one place that selects a campaign's accounts, writes its row and touches, and
deletes them again. Each function takes an open Connection inside the caller's
transaction; portable SQLAlchemy Core (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, false, func, insert, select

from khm.store import tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

Account: Any = tables.Columns(tables.ACCOUNT)
Touch: Any = tables.Columns(tables.TOUCH)
Campaign: Any = tables.Columns(tables.CAMPAIGN)

CHUNK = 5000


@dataclass(frozen=True)
class Target:
    """An account a campaign goes to: its id and owner (the touch's rep)."""

    id: int
    key: str
    owner: str | None


def select_accounts(
    conn: Connection,
    *,
    type_: str | None = None,
    category: str | None = None,
    country: str | None = None,
    owner: str | None = None,
    keys: Collection[str] | None = None,
) -> list[Target]:
    """Active (not archived) accounts matching every filter given, in key order; ``keys``
    keeps only those account keys."""
    q = select(Account.id, Account.key, Account.owner).where(Account.archived == false())
    if type_ is not None:
        q = q.where(Account.type == type_)
    if category is not None:
        q = q.where(Account.category == category)
    if country is not None:
        q = q.where(Account.country == country)
    if owner is not None:
        q = q.where(Account.owner == owner)
    rows = [Target(int(i), k, o) for i, k, o in conn.execute(q.order_by(Account.key))]
    if keys is not None:
        wanted = set(keys)
        rows = [r for r in rows if r.key in wanted]
    return rows


def insert_campaign(
    conn: Connection,
    *,
    kind: str,
    on: date,
    selection: str,
    note: str | None,
    created: datetime,
    targets: list[Target],
) -> int:
    """The campaign's row and one touch per target; returns the campaign's id."""
    from khm.store.models import Campaign as CampaignModel
    from khm.store.models import Touch as TouchModel

    result = conn.execute(
        insert(CampaignModel.__table__).values(  # type: ignore[attr-defined]
            kind=kind, date=on, selection=selection, note=note, created_at=created
        )
    )
    campaign_id = int(result.inserted_primary_key[0])
    touch_t = TouchModel.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "account_id": t.id,
            "rep": t.owner,
            "kind": kind,
            "date": on,
            "note": note,
            "source": "campaign",
            "created_at": created,
            "campaign_id": campaign_id,
        }
        for t in targets
    ]
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(touch_t), rows[start : start + CHUNK])
    return campaign_id


def get_campaign(conn: Connection, campaign_id: int) -> tuple[Any, int] | None:
    """(the campaign's row, how many touches it has), or None."""
    row = conn.execute(select(Campaign.__table__).where(Campaign.id == campaign_id)).first()
    if row is None:
        return None
    n = conn.execute(
        select(func.count()).select_from(Touch.__table__).where(Touch.campaign_id == campaign_id)
    ).scalar_one()
    return row, int(n)


def delete_campaign(conn: Connection, campaign_id: int) -> int:
    """Delete the campaign's touches and its row; returns how many touches went."""
    from khm.store.models import Campaign as CampaignModel
    from khm.store.models import Touch as TouchModel

    touch_t = TouchModel.__table__  # type: ignore[attr-defined]
    gone = conn.execute(delete(touch_t).where(touch_t.c.campaign_id == campaign_id)).rowcount
    campaign_t = CampaignModel.__table__  # type: ignore[attr-defined]
    conn.execute(delete(campaign_t).where(campaign_t.c.id == campaign_id))
    return int(gone)
