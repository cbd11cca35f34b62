"""Type (expand/keep) and category (A-D) of accounts, from the method's rules. Pure.

Category, two rules (``[categories]`` in the method file):

* ``thresholds``: fixed minimum values of the metric for A, B and C, with overrides per
  country and/or product line (:meth:`khm.method.CategoryRule.thresholds_for`);
* ``share`` (ABC analysis): within each group (by default country x product line) of at
  least ``min_group`` accounts (a smaller group is ranked within the same country, else
  within all accounts: :func:`merged_groups`), the
  accounts sorted by the metric, largest first; an account is A while the cumulative share
  *before* it is under the A cut (default 50 %), B under the B cut (80 %), C under the C
  cut (95 %), D after. So A holds at least the A share of the group's metric and at most
  the A share plus one account's share. Ties are broken by account key (deterministic).
  Accounts whose metric is zero or negative bring nothing in and are D.

An account's product line, for grouping and overrides, is its first (primary) one.
Accounts without the metric get the method's ``fallback`` category and are listed.

Type: the first rule of ``[types]`` whose conditions all hold decides, else the default.
A condition's field is looked up in the account's core fields first (``revenue``,
``employees``, ``country``, ``lifecycle_stage``, ``category`` — the category just computed
—, ...), then in its ``custom`` dict of imported numbers, then in its ``text`` dict of
imported text fields (``sector == 'Energy'``; ``text.sector`` names the same field).
``categories.group_by`` may name a text field too (``["country", "sector"]``). ``product_line`` /
``product_lines`` match when any of the account's product lines does (for ``!=`` and
``not in``: when all do).

Manual tags are kept: the result says what the rule would give, so the caller can show
"manual, rule says B".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from khm.core.deals import DERIVED_FIELDS
from khm.errors import MethodError
from khm.method import CategoryRule, Condition, Method, Thresholds, TypeRule

#: Numeric fields every account has (the metric may also be a custom imported field).
CORE_NUMERIC_FIELDS: tuple[str, ...] = ("revenue", "employees")
#: Every core field a type condition may name.
CORE_FIELDS: tuple[str, ...] = (
    "key",
    "name",
    "country",
    "product_line",
    "product_lines",
    "revenue",
    "employees",
    "lifecycle_stage",
    "owner",
    "category",
    "archived",
)
_LIST_FIELDS = ("product_line", "product_lines")
_NO_GROUP = "-"
_SCALARS = (str, int, float, bool, type(None))
_CORE_SET = frozenset(CORE_FIELDS) - {"product_lines"}


@dataclass(slots=True)
class AccountFacts:
    """What the classifier needs to know about one account."""

    key: str
    country: str | None = None
    product_lines: tuple[str, ...] = ()
    revenue: float | None = None
    employees: float | None = None
    custom: Mapping[str, Any] = field(default_factory=dict)
    lifecycle_stage: str | None = None
    name: str = ""
    owner: str | None = None
    archived: bool = False
    # the current tags
    type: str | None = None
    category: str | None = None
    type_manual: bool = False
    category_manual: bool = False
    text: Mapping[str, str] = field(default_factory=dict)  # imported text: sector, region

    @property
    def product_line(self) -> str | None:
        return self.product_lines[0] if self.product_lines else None

    def value(self, name: str) -> Any:
        """A field by name: core fields first, then the custom dict (None when absent)."""
        if name == "product_lines":
            return list(self.product_lines)
        if name in CORE_FIELDS:
            return getattr(self, name)
        return self.extra(name)

    def extra(self, name: str) -> Any:
        """An imported field: custom (numbers) first, then text (``text.NAME`` too)."""
        v = self.custom.get(name)
        if v is None and self.text:
            v = self.text.get(name[5:] if name.startswith("text.") else name)
        return v


@dataclass(frozen=True)
class Decision:
    """The value a rule gives one field of one account, and the rule that decided."""

    value: str
    rule: str


@dataclass(slots=True)
class Classification:
    """The result for one account: the values to keep and what the rules say."""

    key: str
    type: str  # the value to store (manual kept unless reset)
    category: str
    type_rule: Decision  # what the rules say
    category_rule: Decision
    type_manual: bool  # the stored value is a manual tag
    category_manual: bool
    no_metric: bool  # the metric was missing: the fallback category applied


# --------------------------------------------------------------------------- fields


def metric_value(facts: AccountFacts, metric: str) -> float | None:
    """The metric of an account as a number; None when missing or not a number."""
    raw = facts.value(metric)
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        v = float(raw)
    elif isinstance(raw, str):
        try:
            v = float(raw.strip().replace("\u00a0", "").replace(" ", ""))
        except ValueError:
            return None
    else:
        return None
    return v if math.isfinite(v) else None


def custom_fields(accounts: Iterable[AccountFacts]) -> set[str]:
    """The custom field names any account has. Readers share one dict between accounts
    with the same custom values, so each distinct dict is looked at once."""
    out: set[str] = set()
    distinct = {id(c): c for c in map(attrgetter("custom"), accounts)}
    for custom in distinct.values():
        out.update(custom.keys())
    texts = {id(t): t for t in map(attrgetter("text"), accounts) if t}
    for text in texts.values():
        out.update(text.keys())
        out.update(f"text.{k}" for k in text)
    return out


def check_rules(method: Method, accounts: Sequence[AccountFacts]) -> None:
    """Refuse a metric or a type-rule field that no account has (a typo would otherwise
    quietly put every account in the fallback or the default type)."""
    if not accounts:
        return
    known_custom = custom_fields(accounts)
    metric = method.categories.metric
    if metric not in CORE_NUMERIC_FIELDS:
        if metric in CORE_FIELDS:
            raise MethodError(
                f"{method.source}: categories.metric: {metric!r} is not a numeric field "
                f"(use {', '.join(CORE_NUMERIC_FIELDS)} or a numeric imported field)"
            )
        if metric not in known_custom:
            raise MethodError(
                f"{method.source}: categories.metric: no account has a field {metric!r} "
                f"(numeric fields: {_field_list(CORE_NUMERIC_FIELDS, known_custom)})"
            )
    for g in method.categories.group_by:
        if g not in ("country", "product_line") and g not in known_custom:
            raise MethodError(
                f"categories.group_by: no account has a text field {g!r} (import it with "
                f"--map text.{g.removeprefix('text.')}=COLUMN, or group by country, product_line)"
            )
    for i, rule in enumerate(method.types.rules):
        for j, cond in enumerate(rule.when):
            if cond.field not in CORE_FIELDS and cond.field not in known_custom:
                if rule.if_missing == "skip":
                    continue  # reported by skipped_rules()
                raise MethodError(
                    f"{method.source}: types.rules[{i}].when[{j}]: no account has a field {cond.field!r} "
                    f"in {cond.text!r} (fields: {_field_list(CORE_FIELDS, known_custom)}); "
                    f"change or remove the rule in the method file, or import the field "
                    f"with --map custom.{cond.field}=COLUMN"
                )


def skipped_rules(method: Method, accounts: Sequence[AccountFacts]) -> list[str]:
    """Type rules marked ``if_missing = "skip"`` whose field no account has: they cannot
    match, and the tag summary says so instead of failing."""
    if not accounts:
        return []
    known_custom = custom_fields(accounts)
    notes: list[str] = []
    for i, rule in enumerate(method.types.rules):
        missing = [
            c.field for c in rule.when if c.field not in CORE_FIELDS and c.field not in known_custom
        ]
        if missing and rule.if_missing == "skip":
            how = (
                "khm import deals FILE derives it"
                if missing[0] in DERIVED_FIELDS
                else f"import it with --map custom.{missing[0]}=COLUMN"
            )
            notes.append(
                f"types.rules[{i}] ({rule.label}) skipped: no account has "
                f"{', '.join(repr(f) for f in missing)} ({how})"
            )
    return notes


def _field_list(core: Iterable[str], custom: Iterable[str]) -> str:
    extra = sorted(custom)
    shown = ", ".join(list(core) + extra[:20])
    return shown + (f" and {len(extra) - 20} more" if len(extra) > 20 else "")


# --------------------------------------------------------------------------- numbers


def fmt_number(v: float) -> str:
    """2000000 → '2,000,000'; 1.5 → '1.5'."""
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _pct(v: float) -> str:
    return f"{v:g}%"


# --------------------------------------------------------------------------- category


def group_key(facts: AccountFacts, rule: CategoryRule) -> tuple[str, ...]:
    parts: list[str] = []
    for g in rule.group_by:
        if g == "country":
            parts.append((facts.country or _NO_GROUP).upper())
        elif g == "product_line":
            parts.append(facts.product_line or _NO_GROUP)
        else:  # a text field: groups by its value in any case
            v = facts.text.get(g[5:] if g.startswith("text.") else g)
            parts.append(v.strip().casefold() if v else _NO_GROUP)
    return tuple(parts)


def _group_key_fn(rule: CategoryRule) -> Callable[[AccountFacts], tuple[str, ...]]:
    by = tuple(rule.group_by)
    if by == ("country", "product_line"):
        return lambda f: (
            (f.country or _NO_GROUP).upper(),
            f.product_lines[0] if f.product_lines else _NO_GROUP,
        )
    if by == ("country",):
        return lambda f: ((f.country or _NO_GROUP).upper(),)
    return lambda f: group_key(f, rule)


def group_label(key: tuple[str, ...]) -> str:
    return "/".join(key) if key else "all"


def _override_scope(rule: CategoryRule, chosen: Thresholds) -> str:
    if chosen is rule.thresholds:
        return ""
    for o in rule.overrides:
        if o.thresholds is chosen:
            scope = "/".join(p for p in (o.country, o.product_line) if p)
            return f" {scope} override"
    return ""


def categorise_thresholds(
    accounts: Sequence[AccountFacts], rule: CategoryRule
) -> dict[str, Decision]:
    out: dict[str, Decision] = {}
    metric = rule.metric
    for a in accounts:
        value = metric_value(a, metric)
        if value is None:
            out[a.key] = Decision(rule.fallback, f"fallback {rule.fallback}: no {metric}")
            continue
        t = rule.thresholds_for(a.country, a.product_line)
        if t is None:  # pragma: no cover - the method model requires thresholds
            raise MethodError("categories.thresholds: missing for rule = 'thresholds'")
        cat = t.category_for(value)
        scope = _override_scope(rule, t)
        if cat == "D":
            text = f"thresholds{scope}: {metric} {fmt_number(value)} < {fmt_number(t.C)}"
        else:
            bound = {"A": t.A, "B": t.B, "C": t.C}[cat]
            text = f"thresholds{scope}: {metric} ≥ {fmt_number(bound)}"
        out[a.key] = Decision(cat, text)
    return out


def _rank(
    members: list[tuple[float, str]],
    glabel: str,
    rule: CategoryRule,
    out: dict[str, Decision],
    only: Collection[str] | None = None,
) -> None:
    """ABC within one group: ``members`` are (-value, key); ``only`` limits which
    accounts get the decision (the others are ranked in a group of their own)."""
    metric = rule.metric
    cuts = rule.share
    label = f"{glabel} {metric}"
    dec_a = Decision("A", f"share: top {_pct(cuts.A)} of {label}")
    dec_b = Decision("B", f"share: {_pct(cuts.A)}–{_pct(cuts.B)} of {label}")
    dec_c = Decision("C", f"share: {_pct(cuts.B)}–{_pct(cuts.C)} of {label}")
    dec_d = Decision("D", f"share: beyond {_pct(cuts.C)} of {label}")
    nothing = Decision("D", f"share: no {metric} (≤ 0) in {glabel}")
    members.sort()
    total = -sum(v for v, _ in members if v < 0)
    cum = 0.0
    cut_a, cut_b, cut_c = (total * c / 100.0 for c in (cuts.A, cuts.B, cuts.C))
    for neg, key in members:
        if total <= 0 or neg >= 0:  # value <= 0: brings nothing in
            dec = nothing
        elif cum < cut_a:
            dec = dec_a
        elif cum < cut_b:
            dec = dec_b
        elif cum < cut_c:
            dec = dec_c
        else:
            dec = dec_d
        if total > 0 and neg < 0:
            cum -= neg
        if only is None or key in only:
            out[key] = dec


def merged_groups(
    sizes: Mapping[tuple[str, ...], int], rule: CategoryRule
) -> dict[tuple[str, ...], tuple[str, ...]]:
    """The groups of fewer than ``categories.min_group`` accounts and the wider grouping
    each is ranked within: the same country (when ``group_by`` has more than the
    country), else all accounts (the first whose group is large enough; all accounts in
    the end)."""
    by = tuple(rule.group_by)
    small = [k for k, n in sizes.items() if n < rule.min_group]
    if not by or not small:
        return {}
    projections: list[Callable[[tuple[str, ...]], tuple[str, ...]]] = []
    if "country" in by and by != ("country",):
        i = by.index("country")
        projections.append(lambda k: (k[i],))
    projections.append(lambda k: ())
    wider: list[dict[tuple[str, ...], int]] = []
    for proj in projections:
        counts: dict[tuple[str, ...], int] = defaultdict(int)
        for k, n in sizes.items():
            counts[proj(k)] += n
        wider.append(counts)
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for k in small:
        for proj, counts in zip(projections, wider, strict=True):
            w = proj(k)
            if counts[w] >= rule.min_group or not w:
                out[k] = w
                break
    return out


def categorise_share(accounts: Sequence[AccountFacts], rule: CategoryRule) -> dict[str, Decision]:
    out: dict[str, Decision] = {}
    metric = rule.metric
    groups: dict[tuple[str, ...], list[tuple[float, str]]] = defaultdict(list)
    fallback = Decision(rule.fallback, f"fallback {rule.fallback}: no {metric}")
    keyfn = _group_key_fn(rule)
    core = metric in CORE_NUMERIC_FIELDS
    isfinite = math.isfinite
    for a in accounts:
        raw = getattr(a, metric) if core else a.custom.get(metric)
        # the usual finite float inline; anything else as metric_value reads it
        value = raw if raw.__class__ is float and isfinite(raw) else metric_value(a, metric)
        if value is None:
            out[a.key] = fallback
            continue
        groups[keyfn(a)].append((-value, a.key))  # sorts largest first, then by key
    merges = merged_groups({k: len(m) for k, m in groups.items()}, rule)
    for gkey, members in groups.items():
        if gkey not in merges:
            _rank(members, group_label(gkey), rule, out)
    # a group too small to rank: its accounts ranked among all of the wider group's
    wider: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for small, w in merges.items():
        wider[w].append(small)
    for w, smalls in wider.items():
        if w:  # the same country: the country part of the key
            i = list(rule.group_by).index("country")
            members = [m for k, ms in groups.items() if (k[i],) == w for m in ms]
        else:
            members = [m for ms in groups.values() for m in ms]
        only = {key for k in smalls for _, key in groups[k]}
        _rank(members, group_label(w), rule, out, only)
    return out


def share_group_sizes(
    accounts: Sequence[AccountFacts],
    rule: CategoryRule,
    has_metric: Sequence[bool] | None = None,
) -> dict[str, int]:
    """How many accounts with the metric each ABC group holds (label -> count).
    ``has_metric`` (parallel to ``accounts``) saves reading the metric again."""
    return {group_label(k): n for k, n in _share_sizes(accounts, rule, has_metric).items()}


def _share_sizes(
    accounts: Sequence[AccountFacts],
    rule: CategoryRule,
    has_metric: Sequence[bool] | None,
) -> dict[tuple[str, ...], int]:
    keyfn = _group_key_fn(rule)
    sizes: dict[tuple[str, ...], int] = defaultdict(int)
    for i, a in enumerate(accounts):
        ok = has_metric[i] if has_metric is not None else metric_value(a, rule.metric) is not None
        if ok:
            sizes[keyfn(a)] += 1
    return sizes


def share_merges(
    accounts: Sequence[AccountFacts],
    rule: CategoryRule,
    has_metric: Sequence[bool] | None = None,
) -> dict[str, str]:
    """Group label -> the wider group's label it is ranked within (:func:`merged_groups`)."""
    merges = merged_groups(_share_sizes(accounts, rule, has_metric), rule)
    return {group_label(k): group_label(w) for k, w in sorted(merges.items())}


def categorise(accounts: Sequence[AccountFacts], rule: CategoryRule) -> dict[str, Decision]:
    """The category the rule gives each account (by key)."""
    if rule.rule == "thresholds":
        return categorise_thresholds(accounts, rule)
    return categorise_share(accounts, rule)


# --------------------------------------------------------------------------- type


def condition_holds(cond: Condition, facts: AccountFacts) -> bool:
    if cond.field in _LIST_FIELDS:
        lines = list(facts.product_lines)
        if not lines:
            return False
        if cond.op in ("!=", "not in"):
            return all(cond.test(pl) for pl in lines)
        return any(cond.test(pl) for pl in lines)
    return cond.test(facts.value(cond.field))


def rule_label(rule: TypeRule) -> str:
    conds = " and ".join(c.text for c in rule.when)
    if rule.name:
        return f"rule {rule.name!r}: {conds}"
    return f"rule: {conds}"


class TypeDecider:
    """The type rules of a method, with each condition's result remembered per value
    (a book of 100k accounts has few distinct stages or pipeline figures)."""

    def __init__(self, method: Method) -> None:
        self.rules: list[tuple[Decision, list[tuple[Condition, int, str]]]] = []
        for r in method.types.rules:
            conds = []
            for c in r.when:
                if c.field in _LIST_FIELDS:
                    how = 0
                elif c.field == "category":
                    how = 1
                elif c.field in _CORE_SET:
                    how = 2
                else:
                    how = 3
                conds.append((c, how, c.field))
            self.rules.append((Decision(r.type, rule_label(r)), conds))
        self.default = Decision(method.types.default, f"default {method.types.default}")
        self._memo: dict[tuple[int, type, Any], bool] = {}
        # when no rule looks at the product lines, the decision depends only on a few
        # scalar fields: remember it per combination of their values
        fields = {(how, name) for _, conds in self.rules for _, how, name in conds}
        self._fields = sorted(fields) if all(how != 0 for how, _ in fields) else None
        self._whole: dict[tuple[Any, ...], Decision] = {}

    def decide(self, facts: AccountFacts, category: str | None = None) -> Decision:
        """The type the rules give; conditions on ``category`` see ``category`` when
        given (the category the account is about to get), else the account's own."""
        if self._fields is None:
            return self._decide(facts, category)
        cat = facts.category if category is None else category
        key: list[Any] = []
        for how, name in self._fields:
            if how == 1:
                v: Any = cat
            elif how == 2:
                v = getattr(facts, name)
            else:
                v = facts.extra(name)
            if not isinstance(v, _SCALARS):
                return self._decide(facts, category)
            key.append(v.__class__)
            key.append(v)
        hit = self._whole.get(tuple(key))
        if hit is None:
            hit = self._whole[tuple(key)] = self._decide(facts, category)
        return hit

    def _decide(self, facts: AccountFacts, category: str | None) -> Decision:
        memo = self._memo
        for decision, conds in self.rules:
            for cond, how, name in conds:
                if how == 0:
                    if not condition_holds(cond, facts):
                        break
                    continue
                if how == 1:
                    value: Any = facts.category if category is None else category
                elif how == 2:
                    value = getattr(facts, name)
                else:
                    value = facts.extra(name)
                if isinstance(value, _SCALARS):
                    key = (id(cond), value.__class__, value)
                    hit = memo.get(key)
                    if hit is None:
                        hit = memo[key] = cond.test(value)
                else:
                    hit = cond.test(value)
                if not hit:
                    break
            else:
                return decision
        return self.default


def type_for(facts: AccountFacts, method: Method) -> Decision:
    return TypeDecider(method).decide(facts)


# --------------------------------------------------------------------------- both


def classify(
    accounts: Sequence[AccountFacts], method: Method, *, reset_manual: bool = False
) -> list[Classification]:
    """Type and category of every account (pass the active accounts: ABC shares are taken
    within them). Manual tags are kept unless ``reset_manual``. Checks the rules first
    (:func:`check_rules`)."""
    check_rules(method, accounts)
    cats = categorise(accounts, method.categories)
    decider = TypeDecider(method)
    decide = decider.decide
    out: list[Classification] = []
    append = out.append
    no_metric: dict[int, bool] = {}
    for a in accounts:
        cat_rule = cats[a.key]
        keep_cat = bool(a.category_manual and not reset_manual and a.category)
        category: str = a.category if keep_cat and a.category else cat_rule.value
        # type conditions see the category the account ends up with
        type_rule = decide(a, category)
        keep_type = bool(a.type_manual and not reset_manual and a.type)
        account_type: str = a.type if keep_type and a.type else type_rule.value
        nm = no_metric.get(id(cat_rule))
        if nm is None:
            nm = no_metric[id(cat_rule)] = cat_rule.rule.startswith("fallback")
        append(
            Classification(
                a.key, account_type, category, type_rule, cat_rule, keep_type, keep_cat, nm
            )
        )
    return out
