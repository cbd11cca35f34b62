"""The typed results of ``khm tag``: what a rule run or a manual tag changed, the manual
tags kept, the tag history of a period. Plain data: :mod:`khm.services.tag` fills them,
:mod:`khm.render.tag` shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(slots=True)
class FieldChange:
    """One changed field of one account (one row of the tag history)."""

    account: str
    name: str
    field: str  # type | category
    old: str | None
    new: str
    rule: str
    reason: str


@dataclass(frozen=True)
class ManualKept:
    """A manual tag the rule would set differently: "manual, rule says B"."""

    account: str
    name: str
    field: str
    value: str
    rule_value: str
    rule: str
    reason: str | None

    @property
    def note(self) -> str:
        return f"manual, rule says {self.rule_value}"


@dataclass
class TagResult:
    changes: list[FieldChange]
    manual_kept: list[ManualKept]  # manual tags that differ from the rule
    no_metric: list[tuple[str, str]]  # (key, name) of accounts without the metric
    counts: dict[str, dict[str, int]]  # type -> category -> active accounts (after)
    accounts: int  # active accounts looked at
    manual_fields: int  # manual type/category values kept (agreeing or not)
    manual_reset: int  # accounts whose manual tags were cleared
    dry_run: bool
    metric: str
    rule: str
    changed_accounts: int = 0
    today: date | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. type rules skipped (if_missing)


@dataclass
class HistoryResult:
    start: date
    end: date
    label: str
    rows: list[Any]  # khm.store.tagging.HistoryRow: changed_at, account, name, ...
