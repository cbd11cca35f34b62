"""The typed records of accounts, reps and touches, as services return them and renderers
read them: plain dataclasses, no database and no output. ``as_dict`` is each record's JSON
shape (the versioned contract of ``--format json``); tables and columns live in
:mod:`khm.render.records`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from khm.core.absence import Absence
from khm.core.funnel import StageRecord


@dataclass(slots=True)  # not frozen: built 100k times per list, frozen init is slow
class AccountRecord:
    id: int
    key: str
    name: str
    country: str | None
    product_lines: list[str]
    revenue: float | None
    employees: float | None
    custom: dict[str, Any]
    owner: str | None
    type: str | None
    category: str | None
    type_manual: bool
    category_manual: bool
    manual_reason: str | None
    tagged_at: datetime | None
    lifecycle_stage: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime
    text: dict[str, str]  # imported text fields: sector, region (``text.NAME``)
    customer_since: date | None = None  # when it became a customer (anniversaries)

    @classmethod
    def of(cls, a: Any) -> AccountRecord:
        """From an ``Account`` or a row of its columns."""
        assert a.id is not None
        return cls(
            id=a.id,
            key=a.key,
            name=a.name,
            country=a.country,
            product_lines=list(a.product_lines or []),
            revenue=a.revenue,
            employees=a.employees,
            custom=dict(a.custom or {}),
            owner=a.owner,
            type=a.type,
            category=a.category,
            type_manual=bool(a.type_manual),
            category_manual=bool(a.category_manual),
            manual_reason=a.manual_reason,
            tagged_at=a.tagged_at,
            lifecycle_stage=a.lifecycle_stage,
            archived=bool(a.archived),
            created_at=a.created_at,
            updated_at=a.updated_at,
            text=dict(getattr(a, "text", None) or {}),
            customer_since=getattr(a, "customer_since", None),
        )

    @property
    def anchor(self) -> date:
        """Where never-touched kinds start their spread first due date."""
        return (self.tagged_at or self.created_at).date()

    def as_dict(self) -> dict[str, Any]:
        """Every field, for JSON."""
        return {
            "key": self.key,
            "name": self.name,
            "country": self.country,
            "product_lines": list(self.product_lines),
            "revenue": self.revenue,
            "employees": self.employees,
            "custom": dict(self.custom),
            "owner": self.owner,
            "type": self.type,
            "category": self.category,
            "type_manual": self.type_manual,
            "category_manual": self.category_manual,
            "manual_reason": self.manual_reason,
            "tagged_at": self.tagged_at,
            "lifecycle_stage": self.lifecycle_stage,
            "archived": self.archived,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "text": dict(self.text),
            "customer_since": self.customer_since,
        }


@dataclass(frozen=True)
class RepRecord:
    id: int
    handle: str
    name: str
    email: str | None
    role: str
    capacity: float
    active: bool
    created_at: datetime
    updated_at: datetime
    accounts: int = 0  # active accounts owned
    away: tuple[Absence, ...] = ()  # current and upcoming absences, by start

    @classmethod
    def of(cls, r: Any, accounts: int = 0, away: Sequence[Absence] = ()) -> RepRecord:
        assert r.id is not None
        return cls(
            id=r.id,
            handle=r.handle,
            name=r.name,
            email=r.email,
            role=r.role,
            capacity=r.capacity,
            active=bool(r.active),
            created_at=r.created_at,
            updated_at=r.updated_at,
            accounts=accounts,
            away=tuple(away),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "capacity": self.capacity,
            "active": self.active,
            "accounts": self.accounts,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "away": [a.as_dict() for a in self.away],
        }


@dataclass(slots=True)  # not frozen: built 100k times per list, frozen init is slow
class TouchRecord:
    id: int
    account: str  # account key
    account_name: str
    rep: str | None
    kind: str
    date: date
    note: str | None
    source: str
    created_at: datetime

    @classmethod
    def of(cls, t: Any, account_key: str, account_name: str) -> TouchRecord:
        assert t.id is not None
        return cls(
            id=t.id,
            account=account_key,
            account_name=account_name,
            rep=t.rep,
            kind=t.kind,
            date=t.date,
            note=t.note,
            source=t.source,
            created_at=t.created_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date,
            "account": self.account,
            "account_name": self.account_name,
            "kind": self.kind,
            "rep": self.rep,
            "note": self.note,
            "source": self.source,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class TagChangeRecord:
    id: int
    changed_at: datetime
    field: str
    old: str | None
    new: str | None
    who: str
    reason: str | None
    rule: str | None

    @classmethod
    def of(cls, t: Any) -> TagChangeRecord:
        assert t.id is not None
        return cls(t.id, t.changed_at, t.field, t.old, t.new, t.who, t.reason, t.rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed_at": self.changed_at,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "who": self.who,
            "reason": self.reason,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class DueLine:
    """One activity kind of an account's cadence, as ``account show`` and ``log`` print it."""

    kind: str
    label: str
    mode: str
    interval: str
    last_touch: date | None
    due: date
    overdue_from: date
    status: str  # ok | due | overdue
    days_late: int  # days past the due date (0 when not due)
    first: bool  # never touched: ``due`` is the spread first date

    @property
    def status_text(self) -> str:
        if self.status == "overdue":
            return f"overdue {self.days_late} day{'s' if self.days_late != 1 else ''}"
        return self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "mode": self.mode,
            "interval": self.interval,
            "last_touch": self.last_touch,
            "next_due": self.due,
            "overdue_from": self.overdue_from,
            "status": self.status,
            "days_late": self.days_late,
            "first": self.first,
        }


@dataclass(frozen=True)
class AccountDetail:
    account: AccountRecord
    owner_name: str | None
    owner_active: bool | None
    tagged: bool
    schedule: list[DueLine]
    touches: list[TouchRecord]
    touch_count: int
    history: list[TagChangeRecord]
    today: date
    deals: list[DealRecord] = field(default_factory=list)
    stages: list[StageRecord] = field(default_factory=list)  # the stage history, oldest first

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account.as_dict(),
            "owner_name": self.owner_name,
            "tagged": self.tagged,
            "today": self.today,
            "schedule": [d.as_dict() for d in self.schedule],
            "touch_count": self.touch_count,
            "recent_touches": [t.as_dict() for t in self.touches],
            "tag_history": [h.as_dict() for h in self.history],
            "deals": [d.as_dict() for d in self.deals],
            "stage_history": [h.as_dict() for h in self.stages],
        }


@dataclass(frozen=True, slots=True)
class DealRecord:
    """One deal (``khm deal list``, ``account show``)."""

    key: str
    account: str  # account key
    account_name: str
    stage: str
    status: str  # open | won | lost
    value: float | None
    product: str | None
    owner: str | None
    created: date | None
    closed: date | None
    source: str

    @classmethod
    def of(cls, d: Any) -> DealRecord:
        """From a deal row with ``account_key`` and ``account_name``."""
        return cls(
            key=d.key,
            account=d.account_key,
            account_name=d.account_name,
            stage=d.stage,
            status=d.status,
            value=d.value,
            product=d.product,
            owner=d.owner,
            created=d.created,
            closed=d.closed,
            source=d.source,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "account": self.account,
            "account_name": self.account_name,
            "stage": self.stage,
            "status": self.status,
            "value": self.value,
            "product": self.product,
            "owner": self.owner,
            "created": self.created,
            "closed": self.closed,
            "source": self.source,
        }


@dataclass(frozen=True)
class RepDetail:
    rep: RepRecord
    counts: dict[tuple[str | None, str | None], int]
    touches_recent: int
    recent_days: int
    last_touch: date | None
    today: date

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        matrix: dict[str, dict[str, int]] = {}
        for (t, c), n in sorted(self.counts.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
            matrix.setdefault(t or "untagged", {})[c or "untagged"] = n
        return {
            "rep": self.rep.as_dict(),
            "accounts_total": self.total,
            "accounts_by_type_category": matrix,
            "touches_recent": self.touches_recent,
            "recent_days": self.recent_days,
            "last_touch": self.last_touch,
            "today": self.today,
        }


@dataclass(frozen=True)
class LoggedTouch:
    touch: TouchRecord
    account: AccountRecord
    next_due: list[DueLine]  # the logged kind and the kinds it covers, that are in the cadence
    in_cadence: bool  # the logged kind is part of the account's cadence
    same_day: tuple[int, ...] = ()  # ids of other touches of this kind, account and date

    def as_dict(self) -> dict[str, Any]:
        return {
            "touch": self.touch.as_dict(),
            "account": {
                "key": self.account.key,
                "name": self.account.name,
                "type": self.account.type,
                "category": self.account.category,
            },
            "in_cadence": self.in_cadence,
            "same_day": list(self.same_day),
            "next_due": [d.as_dict() for d in self.next_due],
        }


@dataclass(frozen=True)
class CampaignRecord:
    """A campaign (``khm log --campaign``): one digital activity logged for many accounts
    in one transaction. ``id`` is None when the selection was empty and nothing was
    written."""

    id: int | None
    kind: str
    label: str
    date: date
    count: int  # touches written (one per account), or deleted
    selection: str  # how the accounts were chosen: "--due --segment keep/B"
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "activity": self.kind,
            "label": self.label,
            "date": self.date,
            "count": self.count,
            "selection": self.selection,
            "note": self.note,
        }


@dataclass
class ExportRows:
    """What ``khm export`` writes: the rows of one entity, streamed.

    ``rows`` are tuples of values in ``fields`` order, JSON-shaped (product lines a list,
    custom fields a dict); ``custom_fields`` names the custom fields the exported accounts
    have (filled when asked for, for a CSV header)."""

    kind: str  # accounts | reps | touches
    fields: tuple[str, ...]
    rows: Iterator[tuple[Any, ...]]
    custom_fields: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = ()  # the same for the text fields (``text.NAME``)
