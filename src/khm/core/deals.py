"""Deals (CRM opportunities): the status a stage gives, and the per-account fields khm
derives from them. Pure: plain values and "today" in, plain values out.

A stage matching one of the won words closes the deal as ``won``, one of the lost words
as ``lost`` (case-insensitive, surrounding spaces ignored); every other stage is ``open``.

The derived fields, per account, kept in its ``custom`` fields so that type rules,
category metrics, ``account list --where`` and JSON see them like any imported number:

* ``deals_open``: how many open deals;
* ``open_pipeline``: the value of the open deals;
* ``deals_won``: how many won deals;
* ``won_value``: the value of the won deals;
* ``won_12m``: the value of the deals won in the 12 months before today (closed after
  the same day a year earlier, up to and including today).

Once there are deals, every account has these fields (0 for an account without deals).

Won deals' products are added to the account's product lines (after the ones it has).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DEFAULT_WON: tuple[str, ...] = ("won", "closed won")
DEFAULT_LOST: tuple[str, ...] = ("lost", "closed lost")
STATUSES: tuple[str, ...] = ("open", "won", "lost")
#: The fields :func:`derive` gives every account that has deals (0 when none apply).
DERIVED_FIELDS: tuple[str, ...] = (
    "deals_open",
    "open_pipeline",
    "deals_won",
    "won_value",
    "won_12m",
)


def _norm(word: str) -> str:
    return " ".join(word.split()).casefold()


@dataclass(frozen=True)
class StageWords:
    """The words that close a deal (``--won`` / ``--lost`` add to the defaults)."""

    won: frozenset[str] = frozenset(DEFAULT_WON)
    lost: frozenset[str] = frozenset(DEFAULT_LOST)

    @classmethod
    def with_extra(cls, won: Iterable[str] = (), lost: Iterable[str] = ()) -> StageWords:
        w = {_norm(x) for x in (*DEFAULT_WON, *won) if x.strip()}
        lo = {_norm(x) for x in (*DEFAULT_LOST, *lost) if x.strip()}
        both = w & lo
        if both:
            raise ValueError(f"a stage cannot be both won and lost: {', '.join(sorted(both))}")
        return cls(frozenset(w), frozenset(lo))


def deal_status(stage: str, words: StageWords) -> str:
    """``won``, ``lost`` or ``open`` for a stage."""
    s = _norm(stage)
    if s in words.won:
        return "won"
    if s in words.lost:
        return "lost"
    return "open"


@dataclass(frozen=True, slots=True)
class DealFacts:
    """What the derivation needs of one deal."""

    account_id: int
    status: str
    value: float | None = None
    product: str | None = None
    closed: date | None = None


@dataclass
class Derived:
    """The derived fields of one account, and the products of its won deals (first won
    first, each once)."""

    fields: dict[str, float | int] = field(default_factory=dict)
    won_products: list[str] = field(default_factory=list)


def year_before(today: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


def _number(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(v, 2)


def derive(deals: Iterable[DealFacts], today: date) -> dict[int, Derived]:
    """Per account id with deals: its derived fields and won products."""
    since = year_before(today)
    acc: dict[int, list[float]] = {}
    products: dict[int, list[str]] = {}
    for d in deals:
        t = acc.get(d.account_id)
        if t is None:
            t = acc[d.account_id] = [0, 0.0, 0, 0.0, 0.0]
            products[d.account_id] = []
        v = d.value or 0.0
        if d.status == "open":
            t[0] += 1
            t[1] += v
        elif d.status == "won":
            t[2] += 1
            t[3] += v
            if d.closed is not None and since < d.closed <= today:
                t[4] += v
            p = (d.product or "").strip()
            if p and p not in products[d.account_id]:
                products[d.account_id].append(p)
    return {
        aid: Derived(dict(zip(DERIVED_FIELDS, (_number(x) for x in t), strict=True)), products[aid])
        for aid, t in acc.items()
    }


def account_changes(
    current: Mapping[str, Any], lines: Sequence[str], derived: Derived | None
) -> dict[str, Any]:
    """The ``custom`` and ``product_lines`` values an account should get (only those that
    change). An account without deals gets 0 in every derived field (the caller does
    this once there are deals at all), so ``deals_open = 0`` reads as "none"."""
    custom = dict(current or {})
    custom.update(derived.fields if derived is not None else dict.fromkeys(DERIVED_FIELDS, 0))
    out: dict[str, Any] = {}
    if custom != (current or {}):
        out["custom"] = custom
    if derived is not None:
        have = list(lines or [])
        new = have + [p for p in derived.won_products if p not in have]
        if new != have:
            out["product_lines"] = new
    return out
