"""The method file: TOML validated by pydantic models.

A team lead writes the method down once. This module turns that file into a typed,
immutable :class:`Method` and refuses anything wrong with a message naming the file and
the key (``cadence.expand.A.visit: ...``). The commented default lives in
``DEFAULT_METHOD_TOML`` and is also what ``khm init`` writes, so the documented default
and the built-in default cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from khm.errors import MethodError

AccountType = Literal["expand", "keep"]
Category = Literal["A", "B", "C", "D"]
Mode = Literal["human", "digital"]
METHOD_VERSION = 1

# --------------------------------------------------------------------------- intervals

_NAMED_INTERVALS = {
    "daily": (1, "d"),
    "weekly": (1, "w"),
    "biweekly": (2, "w"),
    "fortnightly": (2, "w"),
    "monthly": (1, "m"),
    "bimonthly": (2, "m"),
    "quarterly": (3, "m"),
    "half-yearly": (6, "m"),
    "semiannual": (6, "m"),
    "yearly": (1, "y"),
    "annual": (1, "y"),
    "annually": (1, "y"),
}
_UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 365.25 / 12, "y": 365.25}
_INTERVAL_RE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Interval:
    """A cadence interval such as ``2w``, ``1m``, ``quarterly`` (3m) or ``yearly``."""

    count: int
    unit: str  # d, w, m, y

    @classmethod
    def parse(cls, text: str) -> Interval:
        raw = str(text).strip().lower()
        if raw in _NAMED_INTERVALS:
            count, unit = _NAMED_INTERVALS[raw]
            return cls(count, unit)
        m = _INTERVAL_RE.match(raw)
        if not m:
            raise ValueError(
                f"invalid interval {text!r} (use e.g. 10d, 2w, 1m, 6m, 1y, monthly, quarterly, yearly)"
            )
        count = int(m.group(1))
        if count <= 0:
            raise ValueError(f"interval {text!r} must be positive")
        return cls(count, m.group(2).lower())

    @property
    def days(self) -> float:
        """Nominal length in days (a month is 365.25/12 days)."""
        return self.count * _UNIT_DAYS[self.unit]

    @property
    def per_year(self) -> float:
        """How many times a year this interval recurs."""
        return 365.25 / self.days

    def add_to(self, d: date, times: int = 1) -> date:
        n = self.count * times
        if self.unit == "d":
            return d + timedelta(days=n)
        if self.unit == "w":
            return d + timedelta(weeks=n)
        if self.unit == "m":
            out: date = d + relativedelta(months=n)
            return out
        out = d + relativedelta(years=n)
        return out

    def __str__(self) -> str:
        for name, spec in _NAMED_INTERVALS.items():
            if spec == (self.count, self.unit) and name in ("quarterly", "yearly"):
                return name
        return f"{self.count}{self.unit}"


def _interval(v: Any) -> Interval:
    if isinstance(v, Interval):
        return v
    if not isinstance(v, str):
        raise ValueError(f"an interval must be a string such as '2w' or 'quarterly', got {v!r}")
    return Interval.parse(v)


IntervalField = Annotated[Interval, BeforeValidator(_interval)]

# --------------------------------------------------------------------------- month-day

_MD_RE = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*$")


@dataclass(frozen=True, order=True)
class MonthDay:
    month: int
    day: int

    @classmethod
    def parse(cls, text: str) -> MonthDay:
        m = _MD_RE.match(str(text))
        if not m:
            raise ValueError(f"invalid month-day {text!r} (use MM-DD, e.g. 07-01)")
        month, day = int(m.group(1)), int(m.group(2))
        try:
            date(2024, month, day)  # leap year: allows 02-29
        except ValueError as exc:
            raise ValueError(f"invalid month-day {text!r}: {exc}") from None
        return cls(month, day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


def _monthday(v: Any) -> MonthDay:
    if isinstance(v, MonthDay):
        return v
    return MonthDay.parse(v)


MonthDayField = Annotated[MonthDay, BeforeValidator(_monthday)]

# --------------------------------------------------------------------------- conditions

_COND_RE = re.compile(
    r"^\s*(?P<field>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>==|!=|>=|<=|>|<|=|\bnot in\b|\bin\b)\s*(?P<value>.+?)\s*$"
)


def _parse_literal(text: str) -> Any:
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        inner = t[1:-1].strip()
        return [] if not inner else [_parse_literal(p) for p in _split_list(inner)]
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        pass
    return t  # bare word: a string


def _split_list(inner: str) -> list[str]:
    parts, buf, quote = [], "", ""
    for ch in inner:
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf += ch
        elif ch == ",":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    if buf.strip():
        parts.append(buf)
    return parts


@dataclass(frozen=True)
class Condition:
    """``field op value``, e.g. ``open_pipeline > 0`` or ``stage in ['lead', 'opportunity']``."""

    field: str
    op: str
    value: Any
    text: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        m = _COND_RE.match(text)
        if not m:
            raise ValueError(
                f"invalid condition {text!r} (use 'FIELD OP VALUE', e.g. \"open_pipeline > 0\", "
                "with OP one of == != > >= < <= in, not in)"
            )
        op = m.group("op")
        op = "==" if op == "=" else op
        value = _parse_literal(m.group("value"))
        if op in ("in", "not in") and not isinstance(value, list):
            raise ValueError(f"condition {text!r}: '{op}' needs a list, e.g. ['a', 'b']")
        if op in (">", ">=", "<", "<=") and not isinstance(value, int | float):
            raise ValueError(f"condition {text!r}: '{op}' needs a number")
        return cls(m.group("field"), op, value, text.strip())

    def test(self, actual: Any) -> bool:
        """Evaluate against a value; a missing value (None) never matches."""
        if actual is None:
            return False
        v = self.value
        try:
            if self.op == "==":
                return _eq(actual, v)
            if self.op == "!=":
                return not _eq(actual, v)
            if self.op == "in":
                return any(_eq(actual, x) for x in v)
            if self.op == "not in":
                return not any(_eq(actual, x) for x in v)
            a = float(actual)
            b = float(v)
            if self.op == ">":
                return a > b
            if self.op == ">=":
                return a >= b
            if self.op == "<":
                return a < b
            return a <= b
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return self.text


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    if isinstance(b, int | float) and not isinstance(b, bool):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _condition(v: Any) -> Condition:
    if isinstance(v, Condition):
        return v
    if not isinstance(v, str):
        raise ValueError(f"a condition must be a string such as 'open_pipeline > 0', got {v!r}")
    return Condition.parse(v)


ConditionField = Annotated[Condition, BeforeValidator(_condition)]

# --------------------------------------------------------------------------- models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Thresholds(_Strict):
    """Minimum metric value for categories A, B and C; anything below C is D."""

    A: float
    B: float
    C: float

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not (self.A > self.B > self.C):
            raise ValueError(
                f"thresholds overlap: need A > B > C, got A={self.A:g}, B={self.B:g}, C={self.C:g}"
            )
        return self

    def category_for(self, value: float) -> str:
        if value >= self.A:
            return "A"
        if value >= self.B:
            return "B"
        if value >= self.C:
            return "C"
        return "D"


class ShareCuts(_Strict):
    """Cumulative share (percent of the group's metric) where A, B and C end."""

    A: float = 50.0
    B: float = 80.0
    C: float = 95.0

    @model_validator(mode="after")
    def _ordered(self) -> ShareCuts:
        if not (0 < self.A < self.B < self.C <= 100):
            raise ValueError(
                f"share cut points must rise within 0..100: A < B < C, got A={self.A:g}, B={self.B:g}, C={self.C:g}"
            )
        return self


class ThresholdOverride(_Strict):
    country: str | None = None
    product_line: str | None = None
    thresholds: Thresholds

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.strip().upper() if v else v

    @model_validator(mode="after")
    def _some_scope(self) -> ThresholdOverride:
        if not self.country and not self.product_line:
            raise ValueError("an override needs a country, a product_line or both")
        return self


#: ``country``, ``product_line`` or an imported text field (``sector``, ``text.sector``)
GroupKey = str
_DEFAULT_GROUP_BY: tuple[GroupKey, ...] = ("country", "product_line")
_GROUP_KEY = re.compile(r"^(?:text\.)?[a-z_][a-z0-9_]*$")


class CategoryRule(_Strict):
    rule: Literal["share", "thresholds"] = "share"
    metric: str = "revenue"
    group_by: list[GroupKey] = Field(default_factory=lambda: list(_DEFAULT_GROUP_BY))
    #: ABC ranks only within groups of at least this many accounts (khm.core.classify)
    min_group: int = Field(default=10, ge=1)
    share: ShareCuts = Field(default_factory=ShareCuts)
    thresholds: Thresholds | None = None
    overrides: list[ThresholdOverride] = Field(default_factory=list)
    fallback: Category = "D"

    @field_validator("group_by")
    @classmethod
    def _group_keys(cls, value: list[str]) -> list[str]:
        for g in value:
            if not _GROUP_KEY.match(g):
                raise ValueError(
                    f"{g!r}: group by country, product_line or a text field of the accounts "
                    "(a-z, 0-9, _; imported with --map text.NAME=COLUMN)"
                )
        if len(set(value)) != len(value):
            raise ValueError("a field is named twice")
        return value

    @model_validator(mode="after")
    def _needs_thresholds(self) -> CategoryRule:
        if self.rule == "thresholds" and self.thresholds is None:
            raise ValueError("rule = 'thresholds' needs a [categories.thresholds] table (A, B, C)")
        return self

    def thresholds_for(self, country: str | None, product_line: str | None) -> Thresholds | None:
        """The most specific override for (country, product line), else the default."""
        best: tuple[int, Thresholds] | None = None
        for o in self.overrides:
            if o.country and o.country != (country or "").upper():
                continue
            if o.product_line and o.product_line.casefold() != (product_line or "").casefold():
                continue
            score = (2 if o.country else 0) + (1 if o.product_line else 0)
            if best is None or score > best[0]:
                best = (score, o.thresholds)
        return best[1] if best else self.thresholds


class TypeRule(_Strict):
    type: AccountType
    when: list[ConditionField]
    name: str | None = None
    # A rule on a field that no account has is an error (a typo would quietly make it
    # never match); "skip" turns that into a warning, for rules on optional imported fields.
    if_missing: Literal["error", "skip"] = "error"

    @field_validator("when", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("when")
    @classmethod
    def _nonempty(cls, v: list[Condition]) -> list[Condition]:
        if not v:
            raise ValueError("a type rule needs at least one condition")
        return v

    @property
    def label(self) -> str:
        return self.name or " and ".join(c.text for c in self.when)


class TypeRules(_Strict):
    default: AccountType = "keep"
    rules: list[TypeRule] = Field(default_factory=list)


class Tactic(_Strict):
    expand: str = ""
    keep: str = ""


class Activity(_Strict):
    mode: Mode
    label: str = ""
    effort: float = Field(default=1.0, gt=0)
    covers: list[str] = Field(default_factory=list)
    tactic: Tactic = Field(default_factory=Tactic)
    #: sent to a segment at once (a newsletter): counted on the weekly list, not listed
    #: per account, logged with ``khm log --campaign KIND``
    campaign: bool = False

    @model_validator(mode="after")
    def _campaign_is_digital(self) -> Activity:
        if self.campaign and self.mode != "digital":
            raise ValueError('campaign = true needs mode = "digital" (a rep does human work)')
        return self

    @field_validator("tactic", mode="before")
    @classmethod
    def _tactic_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"expand": v, "keep": v}
        return v

    def tactic_for(self, account_type: str | None) -> str:
        if account_type == "expand":
            return self.tactic.expand or self.tactic.keep
        return self.tactic.keep or self.tactic.expand


class NoHumanPeriod(_Strict):
    name: str = ""
    start: MonthDayField = Field(alias="from")
    end: MonthDayField = Field(alias="to")

    def contains(self, d: date) -> bool:
        md = MonthDay(d.month, d.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end  # wraps the new year (20 Dec - 6 Jan)


class CalendarRules(_Strict):
    no_human_periods: list[NoHumanPeriod] = Field(default_factory=list)
    holidays: str = "account"  # "account", "none", or an ISO country code for everyone

    @field_validator("holidays")
    @classmethod
    def _source(cls, v: str) -> str:
        s = v.strip()
        if s.lower() in ("account", "none"):
            return s.lower()
        if re.fullmatch(r"[A-Za-z]{2}", s):
            return s.upper()
        raise ValueError(
            f"holidays must be 'account', 'none' or a two-letter country code, got {v!r}"
        )

    @cached_property
    def periods(self) -> tuple[tuple[MonthDay, MonthDay], ...]:
        """(start, end) of every no-human period: the key of the day tables below."""
        return tuple((p.start, p.end) for p in self.no_human_periods)

    def in_no_human_period(self, d: date) -> bool:
        if not self.no_human_periods:
            return False
        table = closed_before(self.periods, d.year)
        i = (d - date(d.year, 1, 1)).days
        return table[i + 1] != table[i]


@lru_cache(maxsize=256)
def closed_before(periods: tuple[tuple[MonthDay, MonthDay], ...], year: int) -> tuple[int, ...]:
    """``out[i]``: how many of ``year``'s first ``i`` days are in one of the no-human
    ``periods`` (:meth:`NoHumanPeriod.contains` decides each day, once per year)."""
    rules = [NoHumanPeriod.model_validate({"from": str(a), "to": str(b)}) for a, b in periods]
    out = [0]
    jan1 = date(year, 1, 1)
    for i in range((date(year, 12, 31) - jan1).days + 1):  # (no day past 9999-12-31)
        d = jan1 + timedelta(days=i)
        out.append(out[-1] + any(r.contains(d) for r in rules))
    return tuple(out)


class GraceRule(_Strict):
    fraction: float = Field(default=0.25, ge=0, le=1)
    minimum: IntervalField = Field(default_factory=lambda: Interval(1, "w"))

    def grace_days(self, interval: Interval) -> int:
        return max(round(interval.days * self.fraction), round(self.minimum.days))


#: how a week's human capacity is shared when the due work does not fit (docs/weekly.md)
OverloadPolicy = Literal["protect", "spread"]


class CapacityRule(_Strict):
    default: float = Field(default=10.0, ge=0)
    #: "protect": category first (A before D), then lateness; "spread": lateness first
    overload: OverloadPolicy = "protect"


class SilenceTrigger(_Strict):
    kind: Literal["silence"]
    name: str = "silence"
    days: int = Field(gt=0)
    activity: str
    reason: str = "No touch of any kind for {days} days"
    tactic: str | None = None


class TagChangeTrigger(_Strict):
    kind: Literal["tag_change"]
    name: str = "tag_change"
    field: Literal["type", "category"]
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    direction: Literal["up", "down", "any"] = "any"
    within_days: int = Field(default=28, gt=0)
    activity: str
    reason: str = "Tag moved: {field} {old} → {new}"
    tactic: str | None = None


class ThresholdTrigger(_Strict):
    kind: Literal["threshold"]
    name: str = "threshold"
    metric: str
    above: float | None = None
    below: float | None = None
    #: how long after the crossing the item shows (unless the activity is done first)
    within_days: int = Field(default=28, gt=0)
    #: a first value (none before) on the far side counts as a crossing
    count_first: bool = False
    activity: str
    reason: str = "{metric} crossed {bound:g} on {on}: now {value:g}"
    tactic: str | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> ThresholdTrigger:
        if self.above is None and self.below is None:
            raise ValueError("a threshold trigger needs 'above' or 'below'")
        return self


class AnniversaryTrigger(_Strict):
    kind: Literal["anniversary"]
    name: str = "anniversary"
    every: IntervalField = Field(default_factory=lambda: Interval(1, "y"))
    #: how long after the anniversary the item shows (unless the activity is done first)
    within_days: int = Field(default=28, gt=0)
    activity: str
    reason: str = "Time to say thanks and ask for feedback"
    tactic: str | None = None


class DetractorTrigger(_Strict):
    """An NPS response of 0-6: a follow-up ``activity`` within ``within_days`` of the
    answer, with the score and the comment in its reason."""

    kind: Literal["detractor"]
    name: str = "detractor"
    activity: str
    within_days: int = Field(default=7, gt=0)
    reason: str = "NPS {score}: {comment}"
    tactic: str | None = None


Trigger = Annotated[
    SilenceTrigger | TagChangeTrigger | ThresholdTrigger | AnniversaryTrigger | DetractorTrigger,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- lifecycle

#: The customer lifecycle of the method, in order (``[lifecycle] stages``).
DEFAULT_STAGES: tuple[str, ...] = ("reach", "acquisition", "conversion", "retention", "loyalty")
#: Other words for the default stages (imported stage texts, CRM words), used when a
#: method gives no ``[lifecycle.map]`` (entries whose stage the method lacks are left out).
DEFAULT_STAGE_MAP: dict[str, str] = {
    "prospect": "reach",
    "target": "reach",
    "suspect": "reach",
    "lead": "acquisition",
    "qualified": "acquisition",
    "opportunity": "acquisition",
    "proposal": "acquisition",
    "negotiation": "acquisition",
    "trial": "acquisition",
    "onboarding": "conversion",
    "won": "conversion",
    "new customer": "conversion",
    "customer": "retention",
    "active": "retention",
    "at-risk": "retention",
    "dormant": "retention",
    "renewal": "loyalty",
    "renewed": "loyalty",
    "loyal": "loyalty",
    "advocate": "loyalty",
    "promoter": "loyalty",
    "ambassador": "loyalty",
    "reference": "loyalty",
}
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def stage_word(text: str) -> str:
    """How a stage text is compared: spaces squeezed, case folded."""
    return " ".join(str(text).split()).casefold()


class DealStages(_Strict):
    """Which stage a deal moves its account to (``[lifecycle.deals]``; "" = none): an
    open deal, the account's first won deal, and every later won deal. Deals only move an
    account forward (khm.core.funnel.deal_changes)."""

    open: str = "acquisition"
    first_won: str = "conversion"
    won: str = "retention"


class Lifecycle(_Strict):
    stages: list[str] = Field(default_factory=lambda: list(DEFAULT_STAGES))
    map: dict[str, str] | None = None
    deals: DealStages = Field(default_factory=DealStages)

    @field_validator("stages")
    @classmethod
    def _stage_names(cls, v: list[str]) -> list[str]:
        if len(v) < 2:
            raise ValueError("name at least two stages, in order")
        for s in v:
            if not _STAGE_NAME.match(s):
                raise ValueError(f"{s!r}: stage names are lower-case words (a-z, 0-9, _ and -)")
        if len(set(v)) != len(v):
            raise ValueError("a stage is named twice")
        return v

    @model_validator(mode="after")
    def _known_targets(self) -> Lifecycle:
        stages = set(self.stages)
        if self.map is None:
            kept = {w: s for w, s in DEFAULT_STAGE_MAP.items() if s in stages}
            object.__setattr__(self, "map", kept)
            return self._check_deals()
        folded: dict[str, str] = {}
        for word, stage in self.map.items():
            w = stage_word(word)
            if not w:
                raise ValueError("map: an empty word")
            if stage not in stages:
                raise ValueError(
                    f"map.{word}: {stage!r} is not a stage (stages: {', '.join(self.stages)})"
                )
            if w in stages and w != stage:
                raise ValueError(f"map.{word}: a stage's own name cannot map to another stage")
            if w in folded and folded[w] != stage:
                raise ValueError(f"map.{word}: the word is mapped twice (case is ignored)")
            folded[w] = stage
        object.__setattr__(self, "map", folded)
        return self._check_deals()

    def _check_deals(self) -> Lifecycle:
        for key in ("open", "first_won", "won"):
            v = getattr(self.deals, key)
            if v and v not in self.stages:
                raise ValueError(
                    f"deals.{key}: {v!r} is not a stage (stages: {', '.join(self.stages)}; "
                    '"" for none)'
                )
        return self

    def stage_of(self, text: str | None) -> str | None:
        """The stage a text names (a stage or a word of the map, any case), else None."""
        if text is None:
            return None
        w = stage_word(text)
        if w in self.stages:
            return w
        return (self.map or {}).get(w)

    def index(self, stage: str) -> int:
        return self.stages.index(stage)


class Method(_Strict):
    version: Literal[1] = 1
    name: str = "khm default method"
    categories: CategoryRule = Field(default_factory=CategoryRule)
    types: TypeRules = Field(default_factory=TypeRules)
    activities: dict[str, Activity]
    cadence: dict[AccountType, dict[Category, dict[str, IntervalField]]]
    calendar: CalendarRules = Field(default_factory=CalendarRules)
    grace: GraceRule = Field(default_factory=GraceRule)
    capacity: CapacityRule = Field(default_factory=CapacityRule)
    triggers: list[Trigger] = Field(default_factory=list)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    #: where the method was read from, for errors found later (``categories.metric``)
    _source: str = PrivateAttr(default="the built-in method")
    #: the text it was parsed from (kept by content hash in the method history)
    _text: str = PrivateAttr(default="")
    _hash: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        return self._source

    @property
    def text(self) -> str:
        return self._text

    @property
    def hash(self) -> str:
        """SHA-256 of the text (UTF-8), hex: names this version in the method history."""
        if not self._hash:
            self._hash = hashlib.sha256(self._text.encode("utf-8")).hexdigest()
        return self._hash

    @model_validator(mode="after")
    def _references(self) -> Method:
        kinds = set(self.activities)
        if not kinds:
            raise ValueError("[activities] must define at least one activity kind")
        for kind, act in self.activities.items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind):
                raise ValueError(
                    f"activities.{kind}: kind names are lower-case words (a-z, 0-9, _ and -)"
                )
            for c in act.covers:
                if c not in kinds:
                    raise ValueError(f"activities.{kind}.covers: unknown activity kind {c!r}")
                if c == kind:
                    raise ValueError(f"activities.{kind}.covers: a kind cannot cover itself")
        for t, cats in self.cadence.items():
            for cat, plan in cats.items():
                for kind in plan:
                    if kind not in kinds:
                        raise ValueError(
                            f"cadence.{t}.{cat}.{kind}: unknown activity kind {kind!r} "
                            f"(known: {', '.join(sorted(kinds))})"
                        )
        for i, trig in enumerate(self.triggers):
            if trig.activity not in kinds:
                raise ValueError(f"triggers[{i}].activity: unknown activity kind {trig.activity!r}")
        return self

    # ---- helpers used across the core

    def cadence_for(self, account_type: str | None, category: str | None) -> dict[str, Interval]:
        if account_type is None or category is None:
            return {}
        return dict(self.cadence.get(account_type, {}).get(category, {}))  # type: ignore[call-overload]

    def covering(self, kind: str) -> set[str]:
        """The kinds whose touches reset ``kind``'s timer: itself and every kind covering it."""
        return {kind} | {k for k, a in self.activities.items() if kind in a.covers}

    @property
    def campaign_kinds(self) -> tuple[str, ...]:
        """The activity kinds marked ``campaign = true``, in the method's order."""
        return tuple(k for k, a in self.activities.items() if a.campaign)

    def is_human(self, kind: str) -> bool:
        act = self.activities.get(kind)
        return act is not None and act.mode == "human"

    def effort(self, kind: str) -> float:
        act = self.activities.get(kind)
        return act.effort if act else 1.0


# --------------------------------------------------------------------------- loading


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on ``parts`` (used to spread first due dates)."""
    h = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-before", "function-after") or str(part).startswith(
            ("function-", "tagged-union")
        ):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(exc: ValidationError, source: str) -> MethodError:
    lines = []
    for err in exc.errors():
        loc = _loc(tuple(err.get("loc", ())))
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key"
        msg = msg.removeprefix("Value error, ")
        lines.append(f"{source}: {loc}: {msg}")
    first = lines[0] if lines else f"{source}: invalid method file"
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return MethodError(first + more, details=lines)


def parse_method(text: str, source: str = "<method>") -> Method:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MethodError(f"{source}: not valid TOML: {exc}") from None
    _check_texts(data, (), source)
    try:
        method = Method.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None
    method._source = source
    method._text = text
    return method


def _check_texts(value: Any, loc: tuple[Any, ...], source: str) -> None:
    """Every text of the file (keys too) by the one text rule
    (:func:`khm.io.parse.check_text`): a tactic must not hold ESC any more than a name."""
    from khm.io.parse import CellError, check_text

    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    elif isinstance(value, str):
        try:
            check_text(value)
        except CellError as exc:
            raise MethodError(f"{source}: {_loc(loc)}: {exc}") from None
    for k, v in items:
        if isinstance(k, str):
            try:
                check_text(k, one_line=True)
            except CellError as exc:
                raise MethodError(f"{source}: {_loc((*loc, repr(k)))}: {exc}") from None
        _check_texts(v, (*loc, k), source)


def load_method(path: Path | str | None) -> Method:
    """Load and validate a method file; ``None`` gives the built-in default."""
    if path is None:
        return default_method()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MethodError(f"{p}: method file not found (create one with 'khm init')") from None
    except UnicodeDecodeError as exc:
        raise MethodError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise MethodError(f"{p}: cannot read method file: {exc.strerror}") from None
    return parse_method(text, str(p))


_DEFAULT: Method | None = None


def default_method() -> Method:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = parse_method(DEFAULT_METHOD_TOML, "<built-in default method>")
    return _DEFAULT


DEFAULT_METHOD_TOML = """\
# khm method file — the team's customer-handling method, written down once.
# Every key is documented in docs/method.md. Check it with: khm method check
version = 1
name = "Default method"

# ---------------------------------------------------------------- 2. category A-D
# rule = "share":      ABC analysis within each group (share.A/B/C are the cumulative
#                      percentages of the group's metric where A, B and C end).
# rule = "thresholds": fixed minimum values of the metric (needs [categories.thresholds]).
# metric: any numeric account field: revenue, employees or a custom imported field.
[categories]
rule = "share"
metric = "revenue"
group_by = ["country", "product_line"]   # or ["country"], ["product_line"], []
min_group = 10                           # a smaller group is ranked within its country,
                                         # else within all accounts
fallback = "D"                           # for accounts without the metric

[categories.share]
A = 50
B = 80
C = 95

# [categories.thresholds]                # minimum metric value for A, B and C
# A = 1_000_000
# B = 250_000
# C = 50_000
#
# [[categories.overrides]]               # other thresholds for a country / product line
# country = "NO"
# thresholds = { A = 2_000_000, B = 500_000, C = 100_000 }

# ---------------------------------------------------------------- 1. type expand / keep
# The first rule whose conditions all hold decides; otherwise the default.
# Conditions: FIELD OP VALUE with OP one of == != > >= < <= in, not in.
[types]
default = "keep"

[[types.rules]]
name = "open opportunity"
type = "expand"
when = ["lifecycle_stage in ['opportunity', 'onboarding']"]

[[types.rules]]
name = "open deal"
type = "expand"
when = ["deals_open > 0"]      # how many open deals (khm import deals), with or without a value
if_missing = "skip"            # no deals imported yet: skip the rule, do not fail

[[types.rules]]
name = "open pipeline"
type = "expand"
when = ["open_pipeline > 0"]   # value of open deals, or --map custom.open_pipeline=COL
if_missing = "skip"

# ---------------------------------------------------------------- 4. activities
# mode: human (needs the rep's time, counted against capacity in effort units)
#       or digital (runs all year, no capacity).
# covers: a touch of this kind also resets the timer of the kinds listed.
[activities.visit]
mode = "human"
label = "On-site visit"
effort = 3
covers = ["call"]
tactic.expand = "Meet the decision makers on site: map next year's plans and find the next product or team that could use us."
tactic.keep = "Show the value they get: walk through their results with us; listen for a reason to expand."

[activities.review]
mode = "human"
label = "Roadmap review"
effort = 2
covers = ["call"]
tactic.expand = "Present our roadmap against their goals; agree on a concrete next step for a new product line."
tactic.keep = "Review their roadmap with ours; show what is coming that they already pay for."

[activities.meeting]
mode = "human"
label = "In-depth meeting"
effort = 2
covers = ["call"]
tactic.expand = "Work through one opportunity in depth: needs, budget, timing, who decides."
tactic.keep = "Go deep on how they use us today; find friction to remove and a reason to grow."

[activities.call]
mode = "human"
label = "Call"
effort = 1
tactic.expand = "Move the open opportunity one step: confirm needs, timing and the next meeting."
tactic.keep = "Check in: are they getting the value they expect? Ask what would make us more useful."

[activities.email]
mode = "digital"
label = "Personal e-mail"
tactic.expand = "Send something useful for their next step (case, offer, invitation), written for them."
tactic.keep = "Share a tip or result relevant to how they use us."

# campaign = true: sent to a segment at once. The weekly list counts the accounts where
# it is due instead of listing each one; log it for all of them with
# khm log --campaign newsletter --due (or --segment keep/B). Digital kinds only.
[activities.newsletter]
mode = "digital"
label = "Newsletter"
campaign = true
tactic = "Make sure they receive the newsletter; note what they click."

[activities.webinar]
mode = "digital"
label = "Webinar invitation"
campaign = true
tactic.expand = "Invite them to the webinar on the product they do not have yet."
tactic.keep = "Invite them to the webinar that helps them get more out of what they have."

# ---------------------------------------------------------------- 3. frequency
# For each (type, category): activity kind -> interval (10d, 2w, 1m, quarterly, 6m, yearly).
[cadence.expand.A]
visit = "quarterly"
review = "6m"
call = "1m"
email = "2w"
newsletter = "1m"
webinar = "quarterly"

[cadence.expand.B]
visit = "6m"
call = "2m"
email = "1m"
newsletter = "1m"
webinar = "quarterly"

[cadence.expand.C]
visit = "yearly"
call = "quarterly"
email = "1m"
newsletter = "1m"

[cadence.expand.D]
call = "6m"
email = "quarterly"
newsletter = "1m"

[cadence.keep.A]
visit = "6m"
review = "yearly"
call = "quarterly"
email = "1m"
newsletter = "1m"

[cadence.keep.B]
visit = "yearly"
call = "quarterly"
email = "2m"
newsletter = "1m"

[cadence.keep.C]
call = "6m"
email = "quarterly"
newsletter = "1m"

[cadence.keep.D]
call = "yearly"
newsletter = "1m"

# ---------------------------------------------------------------- calendar
# Human activities pause in these periods (MM-DD, a period may wrap the new year) and on
# public holidays: holidays = "account" (the account's country), "none", or e.g. "SE".
[calendar]
holidays = "account"
no_human_periods = [
  { name = "Summer", from = "07-01", to = "07-31" },
  { name = "Christmas", from = "12-20", to = "01-06" },
]

# An activity is overdue when its due date is more than the grace period ago:
# grace = max(fraction x interval, minimum).
[grace]
fraction = 0.25
minimum = "1w"

# Weekly capacity, in effort units, for reps added without one.
# overload: when the due human work does not fit a rep's week, who gets the time:
#   "protect" (A before B before C before D, the most late first within a category) or
#   "spread" (the most late first, whatever the category). Either way, work that has
#   waited more than one interval is skipped for this cycle and planned again one
#   interval later (counted as skipped, never silently).
[capacity]
default = 12
overload = "protect"

# ---------------------------------------------------------------- lifecycle
# The customer lifecycle, in order: khm stage ACCOUNT STAGE, the stage history and
# khm report funnel use these names. [lifecycle.map] maps other words (imported stage
# texts, any case) onto them; without it a built-in map of common words applies
# (docs/method.md). [lifecycle.deals]: the stage an open deal, an account's first won
# deal and a later won deal move it to ("" for none; deals only move an account forward).
[lifecycle]
stages = ["reach", "acquisition", "conversion", "retention", "loyalty"]

# [lifecycle.map]
# prospect = "reach"
# opportunity = "acquisition"
# onboarding = "conversion"
# customer = "retention"
# renewal = "loyalty"

# [lifecycle.deals]
# open = "acquisition"
# first_won = "conversion"
# won = "retention"

# ---------------------------------------------------------------- triggers
# Extra items with their own reason. kinds: silence, tag_change, threshold, anniversary,
# detractor (an NPS answer of 0-6: khm nps, khm import nps).
[[triggers]]
kind = "silence"
name = "silent account"
days = 120
activity = "call"
reason = "No touch of any kind for {days} days"

[[triggers]]
kind = "tag_change"
name = "became expand"
field = "type"
from = "keep"
to = "expand"
activity = "meeting"
reason = "Moved keep → expand: plan an expansion meeting"

[[triggers]]
kind = "tag_change"
name = "category moved"
field = "category"
direction = "any"
activity = "call"
reason = "Category moved {old} → {new}"

# Close the loop: call a detractor back within a week ({score}, {comment}, {contact},
# {date} and {due} fill the reason). A touch of the activity after the answer ends it.
[[triggers]]
kind = "detractor"
name = "detractor"
activity = "call"
within_days = 7
reason = "NPS {score}: {comment} (call back by {due})"
"""
