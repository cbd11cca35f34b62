"""The weekly planner: each rep's follow-up list for one ISO week. Pure.

In: the accounts (type, category, owner, country, anchor), the newest touch per
(account, kind), the tag history (for triggers), the reps (capacity, active), the method,
the week's Monday and "today". Out: a :class:`WeeklyPlan` (per rep: the listed items,
what was carried to the next week, what is paused by the calendar; plus the accounts that
cannot be planned). No database, no clock, no terminal. The rules (docs/weekly.md):

* **Listed when due.** An activity of the account's cadence is listed in week W when its
  due date (:mod:`khm.core.due`) is on or before W's Sunday. Only touches dated on or
  before that Sunday count. It is *overdue* when ``Due.is_overdue_on(ref)``, with ``ref``
  = today when today is inside W, else W's Monday.
* **Priority** (the order of the list): overdue first (trigger items rank as due); then,
  by the method's ``[capacity] overload`` policy, ``"protect"`` (the default): category
  A..D, then lateness (days past due / interval days, larger first), or ``"spread"``:
  lateness, then category; then type (expand first); then account key; then kind.
* **Covers.** When a kind and a kind covering it (a visit covers a call) are both due for
  the same account, one item is listed: the covering kind, marked as covering the other.
* **Human days.** A human item is planned only when the account has a human day in W
  (weekday, outside every no-human period, not a public holiday of its country). Items of
  accounts without one are *paused*: counted, not listed; they are still due next week.
* **Capacity.** Human items fill the rep's capacity for the week, in effort units:
  ``capacity x open weekdays / 5`` (open = human days of the rep's home country, the most
  common country of the rep's accounts, less the days the rep is away). Items are taken in *selection order* (work that
  was already due before this week first, then the priority above; under ``"protect"``
  category by category: A's earlier work, A's new work, then B's ...) and each one that
  fits is listed (first fit); the rest are *carried*: counted, listed in a later week.
  An item heavier than the rep's whole weekly capacity is listed on its own when it is
  first in selection order (it takes the week) rather than being stuck forever.
* **Nothing lost, nothing carried for ever.** A carried item is still due next week and
  was due before that week, so it ranks ahead of every item (of its category, under
  ``"protect"``) that became due in that week. Work that has waited more than one
  interval by the week's Monday is *skipped*: the cycle is dropped and planned again one
  interval on (:func:`khm.core.due.replan`); the week that drops it counts it
  (``RepPlan.skipped``), so the backlog stays bounded and no skip is silent.
  Under ``"protect"``, on the list of a rep whose cadence asks more than the capacity,
  the categories it cannot cover (:func:`khm.core.capacity.rep_yields`, from the
  accounts the rep owns; never A) *yield*: their work waits a week, not an interval.
* **Digital** items are always listed; they take no capacity.
* **Campaigns.** Items of a kind marked ``campaign = true`` (a newsletter, sent to a
  segment at once) are not listed: each rep's plan counts them per kind
  (:class:`CampaignCount`) and keeps them apart (``RepPlan.campaign_items``), so the
  listed items and the campaign items are exactly what would be listed without the flag.
* **Triggers** (:mod:`khm.core.triggers`) add items with their reason; a trigger for a
  kind that is also due merges into that item (both reasons). Trigger items are human or
  digital by their activity kind and compete for capacity like the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from khm.core.absence import open_days as open_days_of
from khm.core.absence import week_capacity
from khm.core.calendar import HolidayDates, human_days_in_week
from khm.core.capacity import load_groups_of, rep_yields, yield_wait
from khm.core.constants import TYPES
from khm.core.due import first_due, replan
from khm.core.fieldhistory import FieldChange
from khm.core.nps import ResponseFacts
from khm.core.period import week_label
from khm.core.triggers import Prefilter, TagEvent, TriggerFacts, TriggerHit, fire
from khm.method import Interval, Method

#: Overdue first; a trigger item ranks like a due one (lateness 0 unless merged with a
#: due item), so the list follows the stated priority exactly.
STATUS_RANK = {"overdue": 0, "trigger": 1, "due": 1}
TYPE_RANK = {t: i for i, t in enumerate(TYPES)}
_EPS = 1e-9


# --------------------------------------------------------------------------- input


@dataclass(slots=True)
class PlanAccount:
    key: str
    name: str
    type: str | None
    category: str | None
    owner: str | None
    country: str | None
    anchor: date  # when the account got its type and category (tagged_at), else created
    created: date | None = None  # a first value's date (threshold count_first); default: anchor
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    #: detractor NPS responses, oldest first (for detractor triggers)
    detractors: Sequence[ResponseFacts] = ()
    #: the numeric field changes threshold triggers read (khm.core.fieldhistory), oldest first
    field_changes: Sequence[FieldChange] = ()
    #: when the account became a customer (khm.core.triggers.customer_start): anniversaries
    customer_start: date | None = None
    customer_start_from: str | None = None


@dataclass(frozen=True)
class PlanRep:
    handle: str
    name: str = ""
    capacity: float = 10.0
    active: bool = True
    email: str | None = None
    away: frozenset[date] = frozenset()  # weekdays away (khm.core.absence): closed days


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class PlanItem:
    """One line of a rep's weekly list."""

    account: str
    name: str
    type: str | None
    category: str | None
    owner: str | None
    country: str | None
    kind: str
    label: str
    mode: str  # human | digital
    effort: float  # effort units (0 for digital items)
    status: str  # overdue | trigger | due
    due: date  # due date (for a trigger-only item: when it fired)
    days_overdue: int  # days past the due date when overdue, else 0
    last_touch: date | None  # newest touch of this kind or a kind covering it
    reasons: tuple[str, ...]
    tactic: str
    interval: str | None  # None for a trigger-only item
    lateness: float  # days past due / interval days on the reference day
    covers: tuple[str, ...] = ()  # kinds this item also takes care of (visit covers call)
    triggers: tuple[str, ...] = ()  # names of the triggers that fired
    backlog: bool = False  # already due before this week (carried or not done yet)
    day: date | None = None  # suggested day within the week
    oversize: bool = False  # heavier than the rep's whole weekly capacity
    skipped: bool = False  # a cycle that waited more than one interval: dropped, re-planned

    @property
    def activity(self) -> str:
        """The activity kind (the JSON field name)."""
        return self.kind

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def human(self) -> bool:
        return self.mode == "human"

    def sort_key(self) -> tuple[int, float, str, int, str, str]:
        """The stated priority of the list."""
        return (
            STATUS_RANK.get(self.status, 9),
            -self.lateness,
            self.category or "~",
            TYPE_RANK.get(self.type or "", 9),
            self.account,
            self.kind,
        )

    def protect_key(self) -> tuple[int, str, float, int, str, str]:
        """The priority under ``overload = "protect"``: category before lateness."""
        return (
            STATUS_RANK.get(self.status, 9),
            self.category or "~",
            -self.lateness,
            TYPE_RANK.get(self.type or "", 9),
            self.account,
            self.kind,
        )

    def selection_key(self) -> tuple[int, tuple[int, float, str, int, str, str]]:
        """Order in which human items get capacity under ``overload = "spread"``:
        earlier work first, then priority."""
        return (0 if self.backlog else 1, self.sort_key())

    def protect_selection_key(self) -> tuple[str, int, tuple[int, str, float, int, str, str]]:
        """Order in which human items get capacity under ``overload = "protect"``: by
        category (A before D), within it earlier work first, then priority."""
        return (self.category or "~", 0 if self.backlog else 1, self.protect_key())


@dataclass(frozen=True)
class CampaignCount:
    """A campaign kind on one rep's list: how many of the rep's accounts it is due for
    (this week or earlier; triggered ones included) and how many of those are overdue."""

    kind: str
    label: str
    due: int
    overdue: int

    @property
    def activity(self) -> str:
        """The activity kind (the JSON field name)."""
        return self.kind


@dataclass(frozen=True)
class RepPlan:
    handle: str
    name: str
    email: str | None
    capacity_full: float  # the rep's weekly capacity
    capacity: float  # this week's capacity (scaled by open weekdays)
    open_days: int  # weekdays open for human work (rep's home country, less days away)
    items: tuple[PlanItem, ...]  # listed, in priority order
    carried: tuple[PlanItem, ...] = ()  # human, due, did not fit: next week
    paused: tuple[PlanItem, ...] = ()  # human, due, no human day for the account
    campaigns: tuple[CampaignCount, ...] = ()  # per campaign kind of the method
    campaign_items: tuple[PlanItem, ...] = ()  # due campaign work, not listed (by account)
    away_days: int = 0  # human days of the week the rep is away
    #: cycles dropped this week (waited more than one interval; re-planned one interval on)
    skipped: tuple[PlanItem, ...] = ()

    @property
    def rep(self) -> str:
        """The rep's handle (the JSON field name)."""
        return self.handle

    @property
    def human_planned(self) -> float:
        return sum(i.effort for i in self.items if i.mode == "human")

    @property
    def carried_over(self) -> int:
        return len(self.carried)

    @property
    def carried_effort(self) -> float:
        return sum(i.effort for i in self.carried)

    @property
    def paused_effort(self) -> float:
        return sum(i.effort for i in self.paused)

    @property
    def from_earlier(self) -> int:
        """Listed human items that were already due before this week."""
        return sum(1 for i in self.items if i.mode == "human" and i.backlog)


@dataclass(frozen=True)
class UnassignedAccount:
    """An account the planner cannot give to a rep, and why."""

    key: str
    name: str
    type: str | None
    category: str | None
    owner: str | None
    problem: str
    items: tuple[PlanItem, ...] = ()  # what would be due this week


@dataclass(frozen=True)
class WeeklyPlan:
    week: str  # 2026-W48
    monday: date
    sunday: date
    today: date
    ref: date  # the day statuses are computed for
    reps: tuple[RepPlan, ...]
    unassigned: tuple[UnassignedAccount, ...] = ()

    def rep(self, handle: str) -> RepPlan:
        for r in self.reps:
            if r.handle == handle:
                return r
        raise KeyError(handle)


# --------------------------------------------------------------------------- planning


class _Calendar:
    """Human days per country for one week (:func:`khm.core.calendar.human_days_in_week`),
    computed once per country. ``holiday_dates`` (the same dates, e.g. from a cache)
    spares loading the holiday calendars."""

    def __init__(
        self, method: Method, monday: date, holiday_dates: HolidayDates | None = None
    ) -> None:
        self.method = method
        self.monday = monday
        self.holiday_dates = holiday_dates
        self._days: dict[str | None, tuple[date, ...]] = {}

    def days(self, country: str | None) -> tuple[date, ...]:
        got = self._days.get(country)
        if got is None:
            got = self._days[country] = tuple(
                human_days_in_week(self.monday, self.method.calendar, country, self.holiday_dates)
            )
        return got


def _last_source(kind: str, last: Mapping[str, date], method: Method) -> str | None:
    best: tuple[date, str] | None = None
    for k in sorted(method.covering(kind)):
        d = last.get(k)
        if d is not None and (best is None or d > best[0]):
            best = (d, k)
    return best[1] if best else None


def _label(method: Method, kind: str) -> str:
    act = method.activities.get(kind)
    return (act.label if act and act.label else kind) if act else kind


def _every(interval: object) -> str:
    text = str(interval)
    return text if text in ("quarterly", "yearly") else f"every {text}"


def _cadence_reason(rules: _Rules, step: _Step, lt: date | None, last: Mapping[str, date]) -> str:
    every = rules.every.get(step.interval) or _every(step.interval)
    if lt is None:
        return f"first {_label(rules.method, step.kind).lower()} ({every}, never done)"
    src = step.kind
    if len(step.covering) > 1 and last.get(step.kind) != lt:
        src = _last_source(step.kind, last, rules.method) or step.kind
    return f"{every}, last {_label(rules.method, src).lower()} {lt.isoformat()}"


@dataclass(frozen=True)
class _Step:
    """One activity kind of a cadence, with what the hot loop needs precomputed."""

    kind: str
    interval: Interval
    grace: int
    covering: tuple[str, ...]  # kinds whose touches reset this one (itself first)
    memo: dict[date, date]  # last touch -> due date (Interval.add_to is slow)
    single: bool = True  # covered by no other kind
    text: str = ""  # str(interval)
    days: float = 1.0  # interval.days
    # the item's texts and kind facts for this cadence's account type (kind_info)
    label: str = ""
    mode: str = "digital"
    effort: float = 0.0
    tactic: str = ""
    first_reason: str = ""  # the reason when never done
    last_reason: str = ""  # the reason when last done, less the date


def _after(step: _Step, day: date) -> date:
    """``step.interval.add_to(day)`` through the step's memo (the same function of a date
    whether the date is a last touch or a due date)."""
    got = step.memo.get(day)
    if got is None:
        got = step.memo[day] = step.interval.add_to(day)
    return got


def cutoff(interval: Interval, sunday: date) -> date:
    """The latest ``d`` with ``interval.add_to(d) <= sunday`` (``add_to`` is monotone)."""
    d = sunday - (interval.add_to(sunday) - sunday)
    one = timedelta(days=1)
    while interval.add_to(d + one) <= sunday:
        d += one
    while interval.add_to(d) > sunday:
        d -= one
    return d


class _Rules:
    """The method, precomputed for speed: covering kinds, cadences with grace, and a
    memo of ``Interval.add_to`` (a relativedelta per call is the planner's hot spot).
    Due dates follow :mod:`khm.core.due` exactly (a property test compares whole plans
    with :func:`khm.core.due.schedule`)."""

    def __init__(self, method: Method) -> None:
        self.method = method
        self.covering = {k: (k, *sorted(method.covering(k) - {k})) for k in method.activities}
        self.covered = {c for a in method.activities.values() for c in a.covers}
        # covered kind -> the other kinds covering it (a visit and a review cover a call)
        self.coverers = {
            c: frozenset(k for k, a in method.activities.items() if c in a.covers and k != c)
            for c in self.covered
        }
        self._cadence: dict[tuple[str | None, str | None], tuple[_Step, ...]] = {}
        self._memo: dict[Interval, dict[date, date]] = {}
        self.every: dict[Interval, str] = {}
        self._kind_info: dict[tuple[str, str | None], tuple[str, str, float, str]] = {}
        self._cutoffs: dict[date, dict[str, date]] = {}
        self._week_steps: dict[
            tuple[str | None, str | None, date],
            tuple[tuple[str, tuple[str, ...] | None, date, _Step], ...],
        ] = {}
        self._replans: dict[tuple[date, Interval, date, int | None], tuple[date, date | None]] = {}

    def replan(
        self, due: date, interval: Interval, monday: date, wait: int | None = None
    ) -> tuple[date, date | None]:
        """:func:`khm.core.due.replan` of human work, memoised: many accounts share a due
        date and an interval, and each skipped cycle costs a relativedelta and a count of
        closed days."""
        key = (due, interval, monday, wait)
        got = self._replans.get(key)
        if got is None:
            got = self._replans[key] = replan(
                due, interval, self.method.calendar, True, monday, wait
            )
        return got

    def cutoffs(self, sunday: date) -> dict[str, date]:
        """Per interval (by its text) of the method's cadences: the latest last touch whose due date
        (``Interval.add_to``) is on or before ``sunday``. ``add_to`` never decreases as
        its date grows, so a last touch is due by Sunday exactly when it is on or before
        the cutoff (a property test checks this)."""
        got = self._cutoffs.get(sunday)
        if got is None:
            got = {}
            for cats in self.method.cadence.values():
                for plan in cats.values():
                    for iv in plan.values():
                        if str(iv) not in got:
                            got[str(iv)] = cutoff(iv, sunday)
            self._cutoffs[sunday] = got
        return got

    def kind_info(self, kind: str, account_type: str | None) -> tuple[str, str, float, str]:
        """(label, mode, effort, default tactic) of an item of ``kind``."""
        key = (kind, account_type)
        got = self._kind_info.get(key)
        if got is None:
            act = self.method.activities.get(kind)
            human = act is not None and act.mode == "human"
            got = (
                _label(self.method, kind),
                "human" if human else "digital",
                self.method.effort(kind) if human else 0.0,
                act.tactic_for(account_type) if act else "",
            )
            self._kind_info[key] = got
        return got

    def cadence(self, account_type: str | None, category: str | None) -> tuple[_Step, ...]:
        key = (account_type, category)
        got = self._cadence.get(key)
        if got is None:
            steps = []
            for kind, iv in self.method.cadence_for(account_type, category).items():
                memo = self._memo.setdefault(iv, {})
                self.every.setdefault(iv, _every(iv))
                covering = self.covering.get(kind, (kind,))
                label, mode, effort, tactic = self.kind_info(kind, account_type)
                every = self.every[iv]
                low = _label(self.method, kind).lower()
                steps.append(
                    _Step(
                        kind,
                        iv,
                        self.method.grace.grace_days(iv),
                        covering,
                        memo,
                        len(covering) == 1,
                        str(iv),
                        iv.days,
                        label,
                        mode,
                        effort,
                        tactic,
                        f"first {low} ({every}, never done)",
                        f"{every}, last {low} ",
                    )
                )
            got = tuple(steps)
            self._cadence[key] = got
        return got

    def week_steps(
        self, account_type: str | None, category: str | None, sunday: date
    ) -> tuple[tuple[str, tuple[str, ...] | None, date, _Step], ...]:
        """The cadence of (type, category) for the week ending ``sunday``, flattened for
        the planner's hot loop: per step (kind, the kinds covering it or None when only
        the kind itself resets it, the step's cutoff for the week, the step)."""
        key = (account_type, category, sunday)
        got = self._week_steps.get(key)
        if got is None:
            cutoffs = self.cutoffs(sunday)
            flat = []
            for step in self.cadence(account_type, category):
                cut = cutoffs.get(step.text)
                if cut is None:
                    cut = cutoffs[step.text] = cutoff(step.interval, sunday)
                flat.append((step.kind, None if step.single else step.covering, cut, step))
            got = self._week_steps[key] = tuple(flat)
        return got


def account_items(
    acc: PlanAccount,
    last_raw: Mapping[str, date],
    tag_events: Sequence[TagEvent],
    method: Method,
    monday: date,
    ref: date,
    rules: _Rules | None = None,
    prefilter: Prefilter | None = None,
    sunday: date | None = None,
    wait: int | None = None,
) -> list[PlanItem]:
    """Everything due (or triggered) for one account by the week's Sunday, merged: one
    item per kind, and a covered kind folded into the item of the kind covering it.
    ``prefilter`` (:class:`khm.core.triggers.Prefilter` for the week) skips the trigger
    check for accounts where no trigger can fire; ``sunday`` is the week's Sunday (given
    by :func:`plan_week`, else computed); ``wait``: the days its human work may wait
    before it is skipped when its category yields (:func:`khm.core.capacity.yield_wait`;
    None: one interval)."""
    rules = rules or _Rules(method)
    if sunday is None:
        sunday = monday + timedelta(days=6)
    # The newest touch, once: it decides whether touches after Sunday must be dropped
    # and whether a silence trigger can fire.
    last = last_raw
    newest = max(last_raw.values()) if last_raw else None
    if newest is not None and newest > sunday:
        last = {k: d for k, d in last_raw.items() if d <= sunday}
        newest = max(last.values()) if last else None
    parts: dict[str, PlanItem] = {}
    skipped: list[PlanItem] = []
    for kind, covering, cut, step in rules.week_steps(acc.type, acc.category, sunday):
        # Not due this week when the last touch is after the step's cutoff (the latest
        # last touch whose due date is on or before Sunday): the common case, decided
        # without computing the due date.
        if covering is None:
            lt = last.get(kind)
        else:
            lt = None
            for k in covering:
                d = last.get(k)
                if d is not None and (lt is None or d > lt):
                    lt = d
        if lt is not None:
            if lt > cut:
                continue
            due = step.memo.get(lt)
            if due is None:
                due = step.memo[lt] = step.interval.add_to(lt)
        else:
            due = first_due(acc.anchor, acc.key, kind, step.interval)
            if due > sunday:
                continue
        if (
            due < monday
            and step.mode == "human"
            and (
                _after(step, due) < monday if wait is None else due + timedelta(days=wait) < monday
            )
        ):
            # it may have waited more than one interval (or ``wait`` days): the cycle
            # the week plans (khm.core.due.replan); a cycle dropped in the week before
            # is counted
            due, dropped = rules.replan(due, step.interval, monday, wait)
            if dropped is not None:
                skipped.append(_skipped_item(acc, kind, step, dropped, due, lt, ref, wait))
            if due > sunday:
                continue
        late = (ref - due).days
        overdue = late > step.grace
        if lt is None:
            reason = step.first_reason
        elif covering is None or last.get(kind) == lt:
            reason = step.last_reason + lt.isoformat()
        else:  # last done as a kind covering this one
            reason = _cadence_reason(rules, step, lt, last)
        parts[kind] = _new_item(
            {
                "account": acc.key,
                "name": acc.name,
                "type": acc.type,
                "category": acc.category,
                "owner": acc.owner,
                "country": acc.country,
                "kind": kind,
                "label": step.label,
                "mode": step.mode,
                "effort": step.effort,
                "status": "overdue" if overdue else "due",
                "due": due,
                "days_overdue": late if overdue else 0,
                "last_touch": lt,
                "reasons": (reason,),
                "tactic": step.tactic,
                "interval": step.text,
                "lateness": (late if late > 0 else 0) / step.days,
                "covers": (),
                "triggers": (),
                "backlog": due < monday,
                "day": None if step.mode == "human" else (ref if ref > due else due),
                "oversize": False,
                "skipped": False,
            }
        )
    if method.triggers and (
        prefilter is None
        or prefilter.may_fire_since(
            acc.anchor if newest is None else newest,
            tag_events,
            acc.metrics,
            acc.field_changes,
            acc.customer_start,
            acc.detractors,
        )
    ):
        facts = TriggerFacts(
            key=acc.key,
            name=acc.name,
            type=acc.type,
            category=acc.category,
            anchor=acc.anchor,
            created=acc.created or acc.anchor,
            metrics=acc.metrics,
            last_by_kind=last,
            tag_events=tag_events,
            monday=monday,
            sunday=sunday,
            covering=rules.covering,
            detractors=acc.detractors,
            field_changes=acc.field_changes,
            customer_start=acc.customer_start,
            customer_start_from=acc.customer_start_from,
        )
        for hit in fire(method, facts):
            _merge_trigger(parts, hit, acc, method, last, monday, ref, rules)
    # Fold only when a kind and a kind covering it are both listed (a call alone, or a
    # call with an e-mail, is the common case and needs nothing).
    if len(parts) < 2 or not any(
        rules.coverers[k].intersection(parts) for k in rules.covered.intersection(parts)
    ):
        out = list(parts.values())
    else:
        out = _fold_covered(parts, method)
    return out + skipped if skipped else out


def _skipped_item(
    acc: PlanAccount,
    kind: str,
    step: _Step,
    dropped: date,
    next_due: date,
    last_touch: date | None,
    ref: date,
    wait: int | None = None,
) -> PlanItem:
    """The cycle of ``kind`` due on ``dropped`` that waited more than one interval (or
    ``wait`` days, its category yielding): not listed, counted as skipped (the next cycle
    is due ``next_due``)."""
    late = max((ref - dropped).days, 0)
    waited = (
        f"waited more than {step.text}"
        if wait is None
        else f"{acc.category} yields on a short list: waited more than {wait} days"
    )
    return _new_item(
        {
            "account": acc.key,
            "name": acc.name,
            "type": acc.type,
            "category": acc.category,
            "owner": acc.owner,
            "country": acc.country,
            "kind": kind,
            "label": step.label,
            "mode": step.mode,
            "effort": step.effort,
            "status": "overdue",
            "due": dropped,
            "days_overdue": late,
            "last_touch": last_touch,
            "reasons": (
                f"{waited} since {dropped.isoformat()}: skipped, next due {next_due.isoformat()}",
            ),
            "tactic": step.tactic,
            "interval": step.text,
            "lateness": late / step.days,
            "covers": (),
            "triggers": (),
            "backlog": True,
            "day": None,
            "oversize": False,
            "skipped": True,
        }
    )


def _make_item(
    acc: PlanAccount,
    kind: str,
    method: Method,
    *,
    status: str,
    due: date,
    days_overdue: int,
    last_touch: date | None,
    reasons: tuple[str, ...],
    interval: str | None,
    lateness: float,
    backlog: bool,
    triggers: tuple[str, ...] = (),
    tactic: str | None = None,
    day: date | None = None,
    rules: _Rules | None = None,
) -> PlanItem:
    label, mode, effort, default_tactic = (rules or _Rules(method)).kind_info(kind, acc.type)
    return _new_item(
        {
            "account": acc.key,
            "name": acc.name,
            "type": acc.type,
            "category": acc.category,
            "owner": acc.owner,
            "country": acc.country,
            "kind": kind,
            "label": label,
            "mode": mode,
            "effort": effort,
            "status": status,
            "due": due,
            "days_overdue": days_overdue,
            "last_touch": last_touch,
            "reasons": reasons,
            "tactic": tactic if tactic else default_tactic,
            "interval": interval,
            "lateness": lateness,
            "covers": (),
            "triggers": triggers,
            "backlog": backlog,
            "day": None if mode == "human" else day,
            "oversize": False,
            "skipped": False,
        }
    )


def _new_item(values: dict[str, Any]) -> PlanItem:
    """A PlanItem from all its field values, without the frozen dataclass ``__init__``
    (which sets each of its 23 fields through ``object.__setattr__``: the planner makes
    one item per due activity, a hundred thousand on a big book). The same object as
    ``PlanItem(**values)``; ``values`` must name every field."""
    item = _object_new(PlanItem)
    _object_setattr(item, "__dict__", values)
    return item


def _with(item: PlanItem, **changes: Any) -> PlanItem:
    """``dataclasses.replace`` for PlanItem, without its per-call overhead."""
    values = dict(item.__dict__)
    values.update(changes)
    return _new_item(values)


_object_new = object.__new__
_object_setattr = object.__setattr__


def _merge_trigger(
    parts: dict[str, PlanItem],
    hit: TriggerHit,
    acc: PlanAccount,
    method: Method,
    last: Mapping[str, date],
    monday: date,
    ref: date,
    rules: _Rules | None = None,
) -> None:
    existing = parts.get(hit.activity)
    if existing is not None:
        parts[hit.activity] = _with(
            existing,
            status="overdue" if existing.status == "overdue" else "trigger",
            reasons=(*existing.reasons, hit.reason),
            triggers=(*existing.triggers, hit.name),
            tactic=hit.tactic or existing.tactic,
            backlog=existing.backlog or hit.since < monday,
        )
        return
    dates = [last[k] for k in method.covering(hit.activity) if k in last]
    parts[hit.activity] = _make_item(
        acc,
        hit.activity,
        method,
        status="trigger",
        due=hit.since,
        days_overdue=0,
        last_touch=max(dates) if dates else None,
        reasons=(hit.reason,),
        interval=None,
        lateness=0.0,
        backlog=hit.since < monday,
        triggers=(hit.name,),
        tactic=hit.tactic,
        day=max(ref, hit.since),
        rules=rules,
    )


def _fold_covered(parts: dict[str, PlanItem], method: Method) -> list[PlanItem]:
    """A kind due together with a kind covering it rides along with the covering item."""
    if len(parts) < 2:
        return list(parts.values())
    parent: dict[str, str] = {}
    for kind in parts:
        coverers = [
            parts[c]
            for c in parts
            if c != kind and c in method.activities and kind in method.activities[c].covers
        ]
        if coverers:
            parent[kind] = min(coverers, key=PlanItem.sort_key).kind
    if not parent:
        return list(parts.values())

    def root(k: str) -> str:
        seen = {k}
        while k in parent and parent[k] not in seen:
            k = parent[k]
            seen.add(k)
        return k

    merged: dict[str, PlanItem] = {k: v for k, v in parts.items() if root(k) == k}
    if not merged:  # a cycle of kinds covering each other: keep them all
        return list(parts.values())
    for kind in sorted(parts, key=lambda k: parts[k].sort_key()):
        top = root(kind)
        if top == kind or top not in merged:
            continue
        part = parts[kind]
        host = merged[top]
        note = f"also covers {part.label.lower()} ({_short_status(part)})"
        merged[top] = _with(
            host,
            covers=(*host.covers, kind, *part.covers),
            reasons=(*host.reasons, note, *(r for r in part.reasons if part.triggers)),
            triggers=(*host.triggers, *part.triggers),
            backlog=host.backlog or part.backlog,
        )
    return list(merged.values())


def _short_status(item: PlanItem) -> str:
    if item.status == "overdue":
        return f"overdue {item.days_overdue} days"
    if item.status == "trigger":
        return "trigger"
    return f"due {item.due.isoformat()}"


def _home_country(countries: list[str | None]) -> str | None:
    """The most common country of a rep's accounts (ties: the first by code)."""
    counts = Counter(countries)
    for falsy in (None, ""):
        counts.pop(falsy, None)
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _plan_rep(
    rep: PlanRep,
    items: list[PlanItem],
    cal: _Calendar,
    monday: date,
    ref: date,
    countries: list[str | None],
    method: Method,
) -> RepPlan:
    dropped = [i for i in items if i.skipped]
    if dropped:
        items = [i for i in items if not i.skipped]
    kinds = method.campaign_kinds
    if kinds:  # campaign work is counted, not listed (it takes no capacity either)
        campaign_items = sorted(
            (i for i in items if i.kind in kinds), key=lambda i: (i.account, i.kind)
        )
        items = [i for i in items if i.kind not in kinds]
    else:
        campaign_items = []
    home = _home_country(countries)
    days = open_days_of(cal.days(home), rep.away)
    open_days = len(days)
    capacity = week_capacity(rep.capacity, open_days)
    # One sort by priority (account and kind make every key unique, so the order is
    # total); selection order is then the backlog, then the rest, each in that order
    # (under "protect", per category: A's backlog, A's rest, B's backlog, ...).
    protect = method.capacity.overload == "protect"
    ordered = sorted(items, key=PlanItem.protect_key if protect else PlanItem.sort_key)
    digital: list[PlanItem] = []
    paused: list[PlanItem] = []
    backlog: list[PlanItem] = []
    fresh: list[PlanItem] = []
    for i in ordered:
        if i.mode != "human":
            digital.append(i)
        elif not cal.days(i.country):
            paused.append(i)
        elif i.backlog:
            backlog.append(i)
        else:
            fresh.append(i)
    selection = backlog + fresh  # PlanItem.selection_key
    if protect:  # PlanItem.protect_selection_key (a stable sort keeps the rest)
        selection.sort(key=lambda i: (i.category or "~", 0 if i.backlog else 1))
    listed: list[PlanItem] = []
    carried_ids: set[int] = set()
    used = 0.0
    for it in selection:
        if used + it.effort <= capacity + _EPS:
            listed.append(it)
            used += it.effort
        elif not listed and capacity > 0 and it.effort > rep.capacity:
            listed.append(_with(it, oversize=True))  # takes the whole week
            used += it.effort
        else:
            carried_ids.add(id(it))
    start = ref if monday <= ref <= monday + timedelta(days=6) else monday
    placed = {id(i): i for i in digital}
    placed.update(
        (id(orig), final)
        for orig, final in zip(
            [i for i in selection if id(i) not in carried_ids],
            _suggest_days(listed, cal, start, rep.away),
            strict=True,
        )
    )
    scheduled = [placed[id(i)] for i in ordered if id(i) in placed]
    carried = [i for i in ordered if id(i) in carried_ids]
    return RepPlan(
        handle=rep.handle,
        name=rep.name,
        email=rep.email,
        capacity_full=rep.capacity,
        capacity=round(capacity, 4),
        open_days=open_days,
        items=tuple(scheduled),
        carried=tuple(carried),
        paused=tuple(paused),
        campaigns=tuple(_campaign_count(k, method, campaign_items) for k in kinds),
        campaign_items=tuple(campaign_items),
        away_days=len(cal.days(home)) - open_days,
        skipped=tuple(sorted(dropped, key=lambda i: (i.account, i.kind))),
    )


def _campaign_count(kind: str, method: Method, items: Sequence[PlanItem]) -> CampaignCount:
    mine = [i for i in items if i.kind == kind]
    return CampaignCount(
        kind=kind,
        label=_label(method, kind),
        due=len(mine),
        overdue=sum(1 for i in mine if i.status == "overdue"),
    )


def _suggest_days(
    listed: list[PlanItem], cal: _Calendar, start: date, away: frozenset[date] = frozenset()
) -> list[PlanItem]:
    """Spread the listed human items over the week: each goes to the least loaded human
    day of its account on or after max(start, due date) (earliest on a tie), not a day
    the rep is away (unless the account has no other)."""
    load: dict[date, float] = {}
    out = []
    for it in listed:
        days = open_days_of(cal.days(it.country), away) or cal.days(it.country)
        options = (
            [d for d in days if d >= max(start, it.due)]
            or [d for d in days if d >= start]
            or list(days)
        )
        day = min(options, key=lambda d: (load.get(d, 0.0), d))
        load[day] = load.get(day, 0.0) + it.effort
        out.append(_with(it, day=day))
    return out


def _problem(acc: PlanAccount, reps: Mapping[str, PlanRep]) -> str | None:
    if not acc.type or not acc.category:
        missing = " and ".join(
            w for w, v in (("type", acc.type), ("category", acc.category)) if not v
        )
        return f"not tagged (no {missing}): run 'khm tag'"
    if not acc.owner:
        return "no owner: run 'khm assign'"
    rep = reps.get(acc.owner)
    if rep is None:
        return f"owner {acc.owner!r} is not a rep"
    if not rep.active:
        return f"owner {acc.owner!r} is inactive: reassign with 'khm assign'"
    return None


def _yields(
    accounts: Sequence[PlanAccount],
    per_rep: Mapping[str, object],
    by_handle: Mapping[str, PlanRep],
    method: Method,
    year: int,
    holiday_dates: HolidayDates | None,
) -> dict[str, frozenset[str]]:
    """:func:`khm.core.capacity.rep_yields` of the active reps over the accounts they own."""
    groups = load_groups_of(accounts, per_rep)
    caps = {h: by_handle[h].capacity for h in per_rep}
    return rep_yields(method, groups, caps, year=year, holidays=holiday_dates)


def plan_week(
    *,
    accounts: Iterable[PlanAccount],
    last_touches: Mapping[str, Mapping[str, date]],
    tag_events: Mapping[str, Sequence[TagEvent]] | None = None,
    reps: Sequence[PlanRep],
    method: Method,
    monday: date,
    today: date,
    holiday_dates: HolidayDates | None = None,
) -> WeeklyPlan:
    """Plan the ISO week starting ``monday`` for every active rep in ``reps``.

    ``last_touches`` maps account key -> kind -> newest touch date (touches after the
    week's Sunday are ignored). Accounts that cannot be planned (untagged, no owner, an
    owner that is not an active rep) come back in ``unassigned`` with their problem.
    ``holiday_dates`` optionally supplies the public holidays (see :class:`_Calendar`).
    """
    if monday.weekday() != 0:
        raise ValueError(f"{monday} is not a Monday")
    sunday = monday + timedelta(days=6)
    ref = today if monday <= today <= sunday else monday
    tag_events = tag_events or {}
    by_handle = {r.handle: r for r in reps}
    per_rep: dict[str, list[PlanItem]] = {r.handle: [] for r in reps if r.active}
    # the countries of each rep's accounts: the most common is the rep's home country,
    # whose working days scale the week's capacity
    countries: dict[str, list[str | None]] = {h: [] for h in per_rep}
    unassigned: list[UnassignedAccount] = []
    rules = _Rules(method)
    prefilter = Prefilter.for_week(method, sunday)
    no_touches: Mapping[str, date] = {}
    if method.capacity.overload == "protect":
        accounts = accounts if isinstance(accounts, Sequence) else list(accounts)
        yields = _yields(accounts, per_rep, by_handle, method, monday.year, holiday_dates)
    else:
        yields = {}
    for acc in accounts:
        # tagged and owned by an active rep: no problem (the common case, checked fast)
        planned = bool(acc.type and acc.category) and acc.owner in per_rep
        problem = None if planned else _problem(acc, by_handle)
        items = (
            account_items(
                acc,
                last_touches.get(acc.key, no_touches),
                tag_events.get(acc.key, ()),
                method,
                monday,
                ref,
                rules,
                prefilter,
                sunday,
                yield_wait(yields, acc.owner, acc.category) if yields else None,
            )
            if acc.type and acc.category
            else []
        )
        if problem is None and acc.owner is not None:
            per_rep[acc.owner].extend(items)
            countries[acc.owner].append(acc.country)
        else:
            unassigned.append(
                UnassignedAccount(
                    key=acc.key,
                    name=acc.name,
                    type=acc.type,
                    category=acc.category,
                    owner=acc.owner,
                    problem=problem or "",
                    items=tuple(sorted((i for i in items if not i.skipped), key=PlanItem.sort_key)),
                )
            )
    cal = _Calendar(method, monday, holiday_dates)
    rep_plans = tuple(
        _plan_rep(by_handle[h], per_rep[h], cal, monday, ref, countries[h], method)
        for h in sorted(per_rep)
    )
    return WeeklyPlan(
        week=week_label(monday),
        monday=monday,
        sunday=sunday,
        today=today,
        ref=ref,
        reps=rep_plans,
        unassigned=tuple(sorted(unassigned, key=lambda u: u.key)),
    )
