"""Triggers: extra weekly items with their own reason. Pure.

Each trigger kind of the method file (``[[triggers]] kind = ...``) has one function in
:data:`TRIGGERS`. A function gets the trigger's settings and one account's facts
(:class:`TriggerFacts`) and returns a :class:`TriggerHit` when the trigger fires for the
week, else ``None``. Adding a trigger kind is one model in ``khm.method`` and one entry
here; the planner does not change.

Every trigger is quieted by doing its activity: a touch of the trigger's activity kind (or
a kind covering it) after the triggering event ends it, so a fired trigger stays on the
list, week after week, until it is handled (nothing is lost), and never comes back for
the same event. The events are data the planner is given: the tag history, the history
of numeric fields (a threshold fires on a crossing, :mod:`khm.core.fieldhistory`), the
customer's start (an anniversary counts from it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from khm.core.fieldhistory import FieldChange, beyond, crossed, with_first_value
from khm.core.nps import ResponseFacts
from khm.method import (
    AnniversaryTrigger,
    DetractorTrigger,
    Method,
    SilenceTrigger,
    TagChangeTrigger,
    ThresholdTrigger,
)

_TYPE_RANK = {"keep": 0, "expand": 1}  # keep -> expand is "up"


@dataclass(frozen=True)
class TagEvent:
    """One change of an account's type or category (from the tag history)."""

    field: str  # "type" | "category"
    old: str | None
    new: str | None
    on: date


@dataclass(slots=True)
class TriggerFacts:
    """What a trigger may look at for one account in one week."""

    key: str
    name: str
    type: str | None
    category: str | None
    anchor: date  # when the account got its type and category (else created)
    created: date
    metrics: Mapping[str, float | None]  # revenue, employees and custom numeric fields
    last_by_kind: Mapping[str, date]  # newest touch per kind, dated <= the week's Sunday
    tag_events: Sequence[TagEvent]  # oldest first
    monday: date
    sunday: date
    #: kind -> the kinds covering it (itself included), as ``Method.covering``; given by
    #: the planner so a trigger does not recompute it per account
    covering: Mapping[str, Collection[str]] | None = None
    #: the account's detractor NPS responses (0-6) dated by the week's Sunday, oldest first
    detractors: Sequence[ResponseFacts] = ()
    #: changes of the numeric fields threshold triggers watch, oldest first: from the
    #: start of the longest threshold window on (later ones too when planning a past week)
    field_changes: Sequence[FieldChange] = ()
    #: when the account became a customer (:func:`customer_start`), None: not known
    customer_start: date | None = None
    customer_start_from: str | None = None  # customer_since | first won deal | first touch


@dataclass(frozen=True)
class TriggerHit:
    """A fired trigger: the activity it asks for, why, and since when."""

    name: str
    activity: str
    reason: str
    since: date  # when the triggering event happened (orders carried work)
    tactic: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_reason(template: str, **values: Any) -> str:
    """Fill a reason template; unknown or malformed placeholders are left as written."""
    try:
        return template.format_map(_SafeDict(values))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


def last_touch_any(facts: TriggerFacts) -> date | None:
    return max(facts.last_by_kind.values()) if facts.last_by_kind else None


def last_touch_of(kind: str, facts: TriggerFacts, method: Method) -> date | None:
    """Newest touch of ``kind`` or of a kind covering it."""
    covering = facts.covering.get(kind) if facts.covering is not None else None
    if covering is None:
        covering = method.covering(kind)
    dates = [facts.last_by_kind[k] for k in covering if k in facts.last_by_kind]
    return max(dates) if dates else None


# --------------------------------------------------------------------------- one per kind


def silence(trigger: Any, facts: TriggerFacts, method: Method) -> TriggerHit | None:
    """No touch of any kind for ``days`` days by the week's Sunday (counted from the
    anchor for an account never touched)."""
    t: SilenceTrigger = trigger
    last = last_touch_any(facts)
    start = last if last is not None else facts.anchor
    silent = (facts.sunday - start).days
    if silent < t.days:
        return None
    reason = format_reason(
        t.reason,
        days=t.days,
        silent_days=silent,
        last_touch=last.isoformat() if last else "never",
        name=t.name,
    )
    return TriggerHit(
        t.name,
        t.activity,
        reason,
        start + timedelta(days=t.days),
        t.tactic,
        {"silent_days": silent},
    )


def _direction(field_name: str, old: str, new: str) -> str:
    if field_name == "category":  # A is the top: D -> A is up
        return "up" if new < old else "down" if new > old else "none"
    o, n = _TYPE_RANK.get(old, -1), _TYPE_RANK.get(new, -1)
    return "up" if n > o else "down" if n < o else "none"


def tag_change(trigger: Any, facts: TriggerFacts, method: Method) -> TriggerHit | None:
    """The account's type or category moved within ``within_days`` before the week's
    end, matching ``from``/``to``/``direction``, and the trigger's activity was not done
    since. A first tagging (nothing before) is not a move."""
    t: TagChangeTrigger = trigger
    if not facts.tag_events:
        return None
    earliest = facts.sunday - timedelta(days=t.within_days - 1)
    done = last_touch_of(t.activity, facts, method)
    for ev in reversed(facts.tag_events):  # newest first: the latest matching move counts
        if ev.field != t.field or not (earliest <= ev.on <= facts.sunday):
            continue
        if not ev.old or not ev.new or ev.old == ev.new:
            continue
        if t.from_ is not None and ev.old.casefold() != t.from_.casefold():
            continue
        if t.to is not None and ev.new.casefold() != t.to.casefold():
            continue
        if t.direction != "any" and _direction(t.field, ev.old, ev.new) != t.direction:
            continue
        if done is not None and done >= ev.on:
            return None  # handled since the move
        reason = format_reason(
            t.reason, field=t.field, old=ev.old, new=ev.new, on=ev.on.isoformat(), name=t.name
        )
        return TriggerHit(
            t.name, t.activity, reason, ev.on, t.tactic, {"old": ev.old, "new": ev.new}
        )
    return None


def threshold(trigger: Any, facts: TriggerFacts, method: Method) -> TriggerHit | None:
    """A numeric field crossed its bound (:func:`khm.core.fieldhistory.crossed`: below →
    above for ``above``, above → below for ``below``) within ``within_days`` before the
    week's end, stayed beyond it since, and the activity was not done since: once per
    crossing (a value back on the near side, or cleared, ends it for good). A level never fires by itself, and a
    first value only with ``count_first`` (dated when the account was created)."""
    t: ThresholdTrigger = trigger
    changes = [c for c in facts.field_changes if c.field == t.metric]
    if t.count_first:
        changes = with_first_value(changes, t.metric, facts.metrics.get(t.metric), facts.created)
    if not changes:
        return None
    changes.sort(key=lambda c: c.on)  # stable: a first value stays first on its day
    earliest = facts.sunday - timedelta(days=t.within_days - 1)
    now: float | None = None  # the value at the week's end
    for ch in reversed(changes):
        if ch.on > facts.sunday:
            continue
        if now is None:
            now = ch.new
        if not beyond(ch.new, above=t.above, below=t.below):
            return None  # on the near side (or no value) since any older crossing
        if ch.on < earliest:
            return None
        bound = crossed(ch, above=t.above, below=t.below, count_first=t.count_first)
        if bound is None:
            continue  # beyond before too: look for the crossing
        done = last_touch_of(t.activity, facts, method)
        if done is not None and done >= ch.on:
            return None  # handled since the crossing
        reason = format_reason(
            t.reason,
            metric=t.metric,
            value=now,
            old=ch.old,
            bound=bound,
            on=ch.on.isoformat(),
            name=t.name,
        )
        details = {"old": ch.old, "new": ch.new, "bound": bound, "on": ch.on.isoformat()}
        return TriggerHit(t.name, t.activity, reason, ch.on, t.tactic, details)
    return None


def customer_start(
    customer_since: date | None, first_won: date | None, first_touch: date | None
) -> tuple[date, str] | None:
    """When the account became a customer, and from what: its ``customer_since`` field,
    else its first won deal, else its first touch; None when none is known (never the
    day it was imported or created in khm)."""
    for d, what in (
        (customer_since, "customer_since"),
        (first_won, "first won deal"),
        (first_touch, "first touch"),
    ):
        if d is not None:
            return d, what
    return None


def anniversary(trigger: Any, facts: TriggerFacts, method: Method) -> TriggerHit | None:
    """Every ``every`` since the customer's start (``facts.customer_start``:
    :func:`customer_start`): fires from the anniversary on, for ``within_days`` days or
    until the activity is done (a touch on or after the anniversary). Without a known
    start it never fires."""
    t: AnniversaryTrigger = trigger
    start = facts.customer_start
    if start is None:
        return None
    n, last_ann = 1, None
    while True:
        d = t.every.add_to(start, n)
        if d > facts.sunday:
            break
        last_ann, n = d, n + 1
        if n > 10_000:  # a 1d interval over decades: still bounded
            break
    if last_ann is None or (facts.sunday - last_ann).days >= t.within_days:
        return None  # none yet, or its window has passed
    done = last_touch_of(t.activity, facts, method)
    if done is not None and done >= last_ann:
        return None
    reason = format_reason(
        t.reason,
        every=str(t.every),
        years=n - 1,
        since=start.isoformat(),
        since_from=facts.customer_start_from or "",
        name=t.name,
    )
    details = {"customer_start": start.isoformat(), "from": facts.customer_start_from}
    return TriggerHit(t.name, t.activity, reason, last_ann, t.tactic, details)


def detractor(trigger: Any, facts: TriggerFacts, method: Method) -> TriggerHit | None:
    """A detractor response (NPS 0-6) not yet followed up: fires from the day of the
    answer until the activity is done (a touch of its kind, or a kind covering it, on or
    after that day), once per response. Every open response is in the reason (newest
    first, with its comment); the item dates from the oldest, due ``within_days`` after."""
    t: DetractorTrigger = trigger
    if not facts.detractors:
        return None
    done = last_touch_of(t.activity, facts, method)
    open_ = [r for r in facts.detractors if r.on <= facts.sunday and (done is None or done < r.on)]
    if not open_:
        return None
    first = min(r.on for r in open_)
    due = first + timedelta(days=t.within_days)
    reasons = [
        format_reason(
            t.reason,
            score=r.score,
            comment=r.comment or "no comment",
            contact=r.contact or "no contact named",
            date=r.on.isoformat(),
            due=(r.on + timedelta(days=t.within_days)).isoformat(),
            within_days=t.within_days,
            name=t.name,
        )
        for r in sorted(open_, key=lambda r: (r.on, r.id), reverse=True)
    ]
    details = {"scores": [r.score for r in open_], "due": due, "responses": len(open_)}
    return TriggerHit(t.name, t.activity, "; ".join(reasons), first, t.tactic, details)


TriggerFn = Callable[[Any, TriggerFacts, Method], TriggerHit | None]

#: trigger ``kind`` in the method file -> the function deciding whether it fires.
TRIGGERS: dict[str, TriggerFn] = {
    "silence": silence,
    "tag_change": tag_change,
    "threshold": threshold,
    "anniversary": anniversary,
    "detractor": detractor,
}


def fire(method: Method, facts: TriggerFacts) -> list[TriggerHit]:
    """Every trigger of the method that fires for this account and week, in file order."""
    hits: list[TriggerHit] = []
    for trig in method.triggers:
        fn = TRIGGERS.get(trig.kind)
        if fn is None:
            continue
        hit = fn(trig, facts, method)
        if hit is not None:
            hits.append(hit)
    return hits


# --------------------------------------------------------------------------- prefilter


@dataclass(frozen=True)
class Prefilter:
    """A cheap, exact "can any trigger fire for this account?" for one week, so the
    planner builds :class:`TriggerFacts` and calls :func:`fire` only for the few accounts
    where a trigger may fire (most accounts of a book have none).

    It never says no when :func:`fire` would return a hit: silence fires only when the
    newest touch (else the anchor) is on or before ``silence_before``; tag_change only
    with tag events; threshold only with a change of one of ``changed`` (or, with
    ``count_first``, a value of one of ``metrics``); anniversary only with a known
    customer start; detractor only with detractor responses (``detractors``). Any other
    kind (a kind added later without an entry here) sets ``always``.
    """

    always: bool
    silence_before: date | None  # latest start (last touch or anchor) a silence fires on
    tag_events: bool
    metrics: tuple[str, ...]  # threshold metrics with count_first: a value may fire
    changed: tuple[str, ...] = ()  # threshold metrics: a change may fire
    anniversary: bool = False
    detractors: bool = False

    @classmethod
    def for_week(cls, method: Method, sunday: date) -> Prefilter:
        always = False
        silence_before: date | None = None
        tag_events = anniv = False
        metrics: list[str] = []
        detractors = False
        changed: list[str] = []
        for trig in method.triggers:
            if trig.kind not in TRIGGERS:
                continue  # fire() skips it
            if isinstance(trig, SilenceTrigger):
                cut = sunday - timedelta(days=trig.days)
                silence_before = cut if silence_before is None else max(silence_before, cut)
            elif isinstance(trig, TagChangeTrigger):
                tag_events = True
            elif isinstance(trig, ThresholdTrigger):
                changed.append(trig.metric)
                if trig.count_first:
                    metrics.append(trig.metric)
            elif isinstance(trig, AnniversaryTrigger):
                anniv = True
            elif isinstance(trig, DetractorTrigger):
                detractors = True
            else:
                always = True
        return cls(
            always, silence_before, tag_events, tuple(metrics), tuple(changed), anniv, detractors
        )

    def may_fire(
        self,
        last_by_kind: Mapping[str, date],
        anchor: date,
        tag_events: Sequence[TagEvent],
        metrics: Mapping[str, float | None],
        field_changes: Sequence[FieldChange] = (),
        customer_start: date | None = None,
    ) -> bool:
        start = max(last_by_kind.values()) if last_by_kind else anchor
        return self.may_fire_since(start, tag_events, metrics, field_changes, customer_start)

    def may_fire_since(
        self,
        start: date,
        tag_events: Sequence[TagEvent],
        metrics: Mapping[str, float | None],
        field_changes: Sequence[FieldChange] = (),
        customer_start: date | None = None,
        detractors: Sequence[ResponseFacts] = (),
    ) -> bool:
        """:meth:`may_fire` given ``start``: the account's newest touch, else its anchor
        (the planner has the newest touch at hand)."""
        if self.always or (self.tag_events and tag_events) or (self.detractors and detractors):
            return True
        if self.anniversary and customer_start is not None:
            return True
        if self.silence_before is not None and start <= self.silence_before:
            return True
        if field_changes and any(c.field in self.changed for c in field_changes):
            return True
        return any(metrics.get(m) is not None for m in self.metrics)
