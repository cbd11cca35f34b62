"""Report maths: did the team keep the method? Pure: plain data and "today" in, dataclasses out.

The definitions (also in docs/reports.md):

* **Due events.** For every account (not archived, with a type and a category) and every
  activity kind of its cadence, the due dates of the kind are replayed through the period
  from the touch history with the rules of :mod:`khm.core.due`: the first due date is
  ``interval`` after the last touch of the kind, or of a kind covering it, before the
  period (or the spread first due date when the kind was never touched). A human kind due
  inside a no-human period is due on the first day after that period.
* **Asked.** Each due date ``d`` inside the period is one activity *asked*.
* **Outcome.** Let ``t`` be the first covering touch on or after ``d``:
  *on time* when ``t <= d + grace``; *late* when ``d + grace < t``, ``t`` is inside the
  period and before the next due date of the chain (``d + interval``); *open* when there
  is no touch yet and the grace period has not ended (``today <= d + grace``); *missed*
  otherwise.
* **Next due.** A touch before the due date resets the timer (no event: done early). After
  a touch the next due date is ``touch + interval``; after a miss it is the next date of
  the chain, ``base + k x interval`` (no drift when months have different lengths).
* **Skipped** (a part of *missed*, human kinds): a missed due date that nothing answered
  before the next date of its chain, once that date has come: work that waited more than
  one interval, which the weekly planner drops for its cycle (:func:`khm.core.due.replan`).
* **Coverage %** = on time / (asked - open) x 100 (events still open are not judged yet;
  for a period that ended more than a grace period ago there are none).
"""

from __future__ import annotations

import calendar as _cal
import hashlib
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from khm.core.constants import CATEGORIES, TYPES
from khm.core.period import Period, week_label
from khm.method import CalendarRules, Interval, Method

REPORT_KINDS: tuple[str, ...] = (
    "coverage",
    "neglected",
    "portfolio",
    "workload",
    "movement",
    "funnel",
)
STATUSES: tuple[str, ...] = ("on_time", "late", "missed", "open")
UNASSIGNED = "(unassigned)"

# --------------------------------------------------------------------------- input facts


@dataclass(slots=True)
class AccountFacts:  # not frozen: a report builds 100 000s of them and frozen init is slow
    id: int
    key: str
    name: str
    owner: str | None
    type: str | None
    category: str | None
    country: str | None
    revenue: float | None
    anchor: date  # when the account got its tags (tagged_at), else when it was created


@dataclass(frozen=True)
class RepFacts:
    handle: str
    name: str
    capacity: float
    active: bool = True


@dataclass(frozen=True)
class TagChangeFact:
    account_id: int
    field: str
    old: str | None
    new: str | None
    changed_at: datetime
    who: str
    reason: str | None
    rule: str | None


# --------------------------------------------------------------------------- date arithmetic on ordinals


@lru_cache(maxsize=65536)
def _add_months(ordinal: int, months: int) -> int:
    d = date.fromordinal(ordinal)
    y, m0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m0 + 1
    day = min(d.day, _cal.monthrange(year, month)[1])
    return date(year, month, day).toordinal()


def add_interval(ordinal: int, interval: Interval, times: int = 1) -> int:
    """``Interval.add_to`` on date ordinals (same clipping of month ends), cached."""
    n = interval.count * times
    if interval.unit == "d":
        return ordinal + n
    if interval.unit == "w":
        return ordinal + 7 * n
    if interval.unit == "m":
        return _add_months(ordinal, n)
    return _add_months(ordinal, 12 * n)


def count_chain(base: int, interval: Interval, k0: int, lo: int, hi: int) -> int:
    """How many ``k >= k0`` have ``lo <= base + k x interval <= hi`` (O(1))."""
    if hi < lo:
        return 0

    def last_k_at_most(limit: int) -> int:  # largest k with add(base, k) <= limit, or -1
        if limit < base:
            return -1
        if interval.unit in ("d", "w"):
            step = interval.count * (7 if interval.unit == "w" else 1)
            return (limit - base) // step
        per = interval.count * (12 if interval.unit == "y" else 1)
        b, lim = date.fromordinal(base), date.fromordinal(limit)
        k = ((lim.year - b.year) * 12 + lim.month - b.month) // per
        while k >= 0 and add_interval(base, interval, k) > limit:
            k -= 1
        return k

    upper = last_k_at_most(hi)
    lower = max(k0, last_k_at_most(lo - 1) + 1)
    return max(0, upper - lower + 1)


def no_human_shift(rules: CalendarRules) -> Callable[[int], int]:
    """Moves an ordinal inside a no-human period to the first weekday after it (cached):
    the work comes back in the first week with human days, as in the weekly planner."""
    cache: dict[int, int] = {}

    def shift(ordinal: int) -> int:
        out = cache.get(ordinal)
        if out is None:
            d = date.fromordinal(ordinal)
            if rules.in_no_human_period(d):
                steps = 0
                while (rules.in_no_human_period(d) or d.weekday() >= 5) and steps < 400:
                    d += timedelta(days=1)
                    steps += 1
            out = cache[ordinal] = d.toordinal()
        return out

    return shift


# --------------------------------------------------------------------------- the due-event simulation


def simulate(
    interval: Interval,
    grace_days: int,
    last_before: int | None,
    first: int,
    touches: Sequence[int],
    start: int,
    end: int,
    today: int,
    shift: Callable[[int], int] | None = None,
    events: list[tuple[int, str]] | None = None,
    skipped: list[int] | None = None,
) -> list[int]:
    """Replays one (account, kind) through ``[start, end]`` (date ordinals).

    ``touches``: sorted ordinals of covering touches after ``last_before`` (in the period
    and up to a grace period after it). Returns counts ``[on_time, late, missed, open]``
    of due dates inside the period; when ``events`` is a list, every event in the period
    is appended as ``(due, status)`` too (needed for human kinds, whose planned effort is
    spread over weeks). Digital chains with no touch left are counted arithmetically.
    When ``skipped`` is a list (human kinds), ``skipped[0]`` grows by the missed due
    dates of the period that were skipped (nothing answered them before the chain's
    next date, and that date is on or before ``today``).
    """
    counts = [0, 0, 0, 0]
    # add_interval inlined: days and weeks are integer steps, months go straight to the
    # cached month arithmetic (this loop runs for ~300 000 chains in a big report)
    if interval.unit in ("d", "w"):
        step, months = interval.count * (7 if interval.unit == "w" else 1), 0
    else:
        step, months = 0, interval.count * (12 if interval.unit == "y" else 1)
    add_months = _add_months
    if last_before is not None:
        base, k = last_before, 1
    else:
        base, k = first, 0
    i, n = 0, len(touches)
    known = -1  # the due date of (base, k) when the previous step already computed it
    while True:
        if known >= 0:
            d = known
        else:
            raw = base + step * k if step else add_months(base, months * k)
            d = shift(raw) if shift is not None else raw
        known = -1
        if d > end:
            break
        # touches before the due date: done early, the timer restarts from the touch
        while i < n and touches[i] < d:
            base, k = touches[i], 1
            i += 1
            while i < n and touches[i] <= base:
                i += 1
            raw = base + step * k if step else add_months(base, months * k)
            d = shift(raw) if shift is not None else raw
        if d > end:
            break
        if i >= n and shift is None and events is None:
            # no touch left: the rest of the chain is missed (or open near today)
            judged_until = min(end, today - grace_days - 1)
            missed = count_chain(base, interval, k, max(d, start), judged_until)
            opened = count_chain(base, interval, k, max(d, start, judged_until + 1), end)
            counts[2] += missed
            counts[3] += opened
            break
        t = touches[i] if i < n else None
        raw_next = base + step * (k + 1) if step else add_months(base, months * (k + 1))
        d_next = shift(raw_next) if shift is not None else raw_next
        in_period = d >= start
        if t is not None and t <= d + grace_days:
            status = 0
        elif t is not None and t < d_next and t <= end:
            status = 1
        elif t is None and today <= d + grace_days:
            status = 3
        else:
            status = 2
        if in_period:
            counts[status] += 1
            if events is not None:
                events.append((d, STATUSES[status]))
            if (
                skipped is not None
                and status == 2
                and (d_next <= t if t is not None else d_next <= today)
            ):
                skipped[0] += 1
        if t is not None and t < d_next:
            # the touch answers this due date (on time, late, or after the period):
            # the next due date follows the touch
            base, k = t, 1
            i += 1
            while i < n and touches[i] <= base:
                i += 1
        else:
            k += 1  # missed (or still open): the chain goes on
            known = d_next
    return counts


# --------------------------------------------------------------------------- coverage and planned work


@dataclass
class Tally:
    """Due events of the period by outcome."""

    asked: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    open: int = 0
    skipped: int = 0  # of the missed: waited more than an interval (the planner dropped them)

    def add_counts(self, counts: Sequence[int]) -> None:
        self.on_time += counts[0]
        self.late += counts[1]
        self.missed += counts[2]
        self.open += counts[3]
        self.asked += counts[0] + counts[1] + counts[2] + counts[3]

    def merge(self, other: Tally) -> None:
        self.add_counts((other.on_time, other.late, other.missed, other.open))
        self.skipped += other.skipped

    @property
    def judged(self) -> int:
        """Asked events whose outcome is known (asked - open)."""
        return self.asked - self.open

    @property
    def coverage_pct(self) -> float | None:
        """On time / judged x 100, rounded to 0.1; None when nothing was judged."""
        return round(100.0 * self.on_time / self.judged, 1) if self.judged else None

    def as_dict(self) -> dict[str, object]:
        return {
            "asked": self.asked,
            "on_time": self.on_time,
            "late": self.late,
            "missed": self.missed,
            "open": self.open,
            "coverage_pct": self.coverage_pct,
            "skipped": self.skipped,
        }


@dataclass
class Line:
    """One row of a grouped report: its key fields and its tally."""

    keys: dict[str, str | None]
    tally: Tally = field(default_factory=Tally)

    def as_dict(self) -> dict[str, object]:
        return {**self.keys, **self.tally.as_dict()}


@dataclass
class CoverageReport:
    detail: list[Line]  # one per (rep, type, category, kind): the CSV grain
    by_segment: list[Line]
    by_rep: list[Line]
    by_mode: list[Line]
    by_kind: list[Line]
    totals: Tally
    accounts: int


@dataclass
class WorkloadWeek:
    rep: str
    week: str  # 2026-W48
    monday: date
    planned_effort: float = 0.0
    planned_touches: int = 0
    done_effort: float = 0.0
    done_touches: int = 0
    capacity: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "rep": self.rep,
            "week": self.week,
            "monday": self.monday,
            "planned_effort": round(self.planned_effort, 2),
            "planned_touches": self.planned_touches,
            "done_effort": round(self.done_effort, 2),
            "done_touches": self.done_touches,
            "capacity": round(self.capacity, 2),
        }


@dataclass
class WorkloadReport:
    weeks: list[WorkloadWeek]  # per rep per ISO week: the CSV grain
    by_rep: list[WorkloadWeek]  # per rep over the period (week = period label)
    totals: WorkloadWeek


def _monday(ordinal: int) -> int:
    return ordinal - (ordinal - 1) % 7  # date.fromordinal(1) is a Monday


@dataclass
class _SimOut:
    tallies: dict[tuple[str | None, str, str, str], list[int]]
    planned: dict[tuple[str | None, int], list[float]]  # (owner, monday) -> [effort, count]
    #: (owner, type, category, kind) -> the skipped due dates among the missed ones
    skipped: dict[tuple[str | None, str, str, str], int] = field(default_factory=dict)


def simulate_accounts(
    *,
    method: Method,
    period: Period,
    today: date,
    accounts: Sequence[AccountFacts],
    last_before: Mapping[int, Mapping[str, int]],
    touches: Mapping[int, Mapping[str, Sequence[int]]],
) -> _SimOut:
    """Runs :func:`simulate` for every account and cadence kind.

    ``last_before[account_id][kind]``: ordinal of the last touch of that kind before the
    period. ``touches[account_id][kind]``: sorted ordinals of the touches of that kind from
    the period start up to one grace period after its end.

    Why a memo: what :func:`simulate` returns depends only on the kind's interval, grace
    and mode, where the chain starts (``base``, ``k``) and the covering touches after it,
    not on the account. Over a big book many chains share all of these (the same first due
    date, a newsletter sent to everyone on the same days): in the 100 000-account
    benchmark 312 000 chains are 116 000 distinct ones, so each distinct chain is replayed
    once and the others reuse its counts. The planned effort is still added event by
    event, in the same order as before, so its float sums do not change either.
    """
    start, end, today_o = period.start.toordinal(), period.end.toordinal(), today.toordinal()
    shift = no_human_shift(method.calendar)
    tallies: dict[tuple[str | None, str, str, str], list[int]] = {}
    planned: dict[tuple[str | None, int], list[float]] = {}
    empty_i: dict[str, int] = {}
    empty_t: dict[str, Sequence[int]] = {}
    # per (type, category): one _PlanKind per kind of the cadence
    plans: dict[tuple[str, str], list[_PlanKind]] = {}
    # (interval, grace, human) -> a small number: the part of a memo key that names the rules
    rule_ids: dict[tuple[Interval, int, bool], int] = {}
    # (owner, type, category) -> one [on time, late, missed, open] per kind of the plan
    groups: dict[tuple[str | None, str, str], list[list[int]]] = {}
    # (owner, type, category) -> the skipped count per kind of the plan
    group_skips: dict[tuple[str | None, str, str], list[int]] = {}
    # (rule id, k, base, touches) -> (on time, late, missed, open, mondays of the events)
    memo: dict[
        tuple[int, int, int, tuple[int, ...]], tuple[int, int, int, int, tuple[int, ...], int]
    ]
    memo = {}
    spans: dict[tuple[int, int], int] = {}  # (anchor, rule id) -> days of the first interval
    blake2b, from_bytes, floor = hashlib.blake2b, int.from_bytes, math.floor
    for acc in accounts:
        if acc.type is None or acc.category is None:
            continue
        seg = (acc.type, acc.category)
        plan = plans.get(seg)
        if plan is None:
            plan = plans[seg] = []
            for kind, interval in method.cadence_for(acc.type, acc.category).items():
                grace = method.grace.grace_days(interval)
                human = method.is_human(kind)
                rule = rule_ids.setdefault((interval, grace, human), len(rule_ids))
                plan.append(
                    _PlanKind(
                        kind,
                        interval,
                        grace,
                        tuple(sorted(method.covering(kind))),
                        human,
                        method.effort(kind),
                        ("\x1f" + kind).encode("utf-8"),
                        rule,
                    )
                )
        gkey = (acc.owner, acc.type, acc.category)
        group = groups.get(gkey)
        if group is None:
            group = groups[gkey] = [[0, 0, 0, 0] for _ in plan]
            group_skips[gkey] = [0] * len(plan)
        skips = group_skips[gkey]
        anchor = acc.anchor.toordinal()
        key_bytes = acc.key.encode("utf-8")
        lb = last_before.get(acc.id, empty_i)
        tt = touches.get(acc.id, empty_t)
        owner = acc.owner
        for j, (
            (_kind, interval, grace, cov, human, effort, kind_bytes, rule),
            cell_counts,
        ) in enumerate(zip(plan, group, strict=True)):
            last: int | None = None
            stream: Sequence[int] = ()
            for c in cov:
                if lb:
                    v = lb.get(c)
                    if v is not None and (last is None or v > last):
                        last = v
                if tt:
                    lst = tt.get(c)
                    if lst:
                        stream = sorted([*stream, *lst]) if stream else lst
            if last is not None and stream and stream[0] <= last:
                stream = [x for x in stream if x > last]
            if last is None:
                # khm.core.due.first_due inlined on ordinals (stable_fraction of (key,
                # kind), the span of the first interval after the anchor cached)
                span = spans.get((anchor, rule))
                if span is None:
                    span = spans[(anchor, rule)] = add_interval(anchor, interval) - anchor
                h = blake2b(key_bytes + kind_bytes, digest_size=8).digest()
                base, k = anchor + floor(from_bytes(h, "big") / 2**64 * span), 0
            else:
                base, k = last, 1
            mkey = (rule, k, base, tuple(stream))
            res = memo.get(mkey)
            if res is None:
                res = memo[mkey] = _replay_chain(
                    interval, grace, human, last, base, k, mkey[3], start, end, today_o, shift
                )
            cell_counts[0] += res[0]
            cell_counts[1] += res[1]
            cell_counts[2] += res[2]
            cell_counts[3] += res[3]
            skips[j] += res[5]
            if human:
                for monday in res[4]:
                    wk = (owner, monday)
                    cell = planned.get(wk)
                    if cell is None:
                        planned[wk] = [effort, 1.0]
                    else:
                        cell[0] += effort
                        cell[1] += 1.0
    skipped: dict[tuple[str | None, str, str, str], int] = {}
    for (owner, t, c), group in groups.items():
        for pk, cell_counts, n in zip(
            plans[(t, c)], group, group_skips[(owner, t, c)], strict=True
        ):
            tallies[(owner, t, c, pk.kind)] = cell_counts
            skipped[(owner, t, c, pk.kind)] = n
    return _SimOut(tallies, planned, skipped)


class _PlanKind(NamedTuple):
    """One kind of a (type, category) cadence, with what the replay loop needs of it."""

    kind: str
    interval: Interval
    grace: int
    covering: tuple[str, ...]
    human: bool
    effort: float
    kind_bytes: bytes  # "\x1f" + kind, UTF-8: the second half of stable_fraction's input
    rule: int  # names (interval, grace, human) in memo keys


def _replay_chain(
    interval: Interval,
    grace: int,
    human: bool,
    last: int | None,
    base: int,
    k: int,
    stream: Sequence[int],
    start: int,
    end: int,
    today: int,
    shift: Callable[[int], int],
) -> tuple[int, int, int, int, tuple[int, ...], int]:
    """One chain's counts ``(on time, late, missed, open)``, for a human kind the
    Mondays of its events' weeks (one per event, in order), and the skipped count."""
    if not stream and not human:
        # nothing done: every due date of the chain is missed, or open near today
        judged_until = min(end, today - grace - 1)
        return (
            0,
            0,
            count_chain(base, interval, k, start, judged_until),
            count_chain(base, interval, k, max(start, judged_until + 1), end),
            (),
            0,
        )
    skipped = [0] if human else None
    events: list[tuple[int, str]] | None = [] if human else None
    counts = simulate(
        interval,
        grace,
        last,
        base,
        stream,
        start,
        end,
        today,
        shift if human else None,
        events,
        skipped,
    )
    mondays = tuple(_monday(d) for d, _status in events) if events else ()
    return (counts[0], counts[1], counts[2], counts[3], mondays, skipped[0] if skipped else 0)


def _rep_label(rep: str | None) -> str:
    return rep if rep is not None else UNASSIGNED


def _seg_order(t: str | None, c: str | None) -> tuple[int, int, str, str]:
    ti = TYPES.index(t) if t in TYPES else len(TYPES)
    ci = CATEGORIES.index(c) if c in CATEGORIES else len(CATEGORIES)
    return (ti, ci, t or "", c or "")


def coverage_report(method: Method, sim: _SimOut, accounts: int) -> CoverageReport:
    kind_order = {k: i for i, k in enumerate(method.activities)}
    detail: list[Line] = []
    seg: dict[tuple[str, str], Tally] = defaultdict(Tally)
    rep: dict[str, Tally] = defaultdict(Tally)
    mode: dict[str, Tally] = defaultdict(Tally)
    kind: dict[str, Tally] = defaultdict(Tally)
    totals = Tally()
    for (owner, t, c, k), counts in sorted(
        sim.tallies.items(),
        key=lambda kv: (
            _rep_label(kv[0][0]),
            _seg_order(kv[0][1], kv[0][2]),
            kind_order.get(kv[0][3], 99),
        ),
    ):
        m = "human" if method.is_human(k) else "digital"
        line = Line({"rep": _rep_label(owner), "type": t, "category": c, "kind": k, "mode": m})
        line.tally.add_counts(counts)
        line.tally.skipped = sim.skipped.get((owner, t, c, k), 0)
        if line.tally.asked == 0:
            continue
        detail.append(line)
        for bucket in (seg[(t, c)], rep[_rep_label(owner)], mode[m], kind[k], totals):
            bucket.merge(line.tally)
    return CoverageReport(
        detail=detail,
        by_segment=[
            Line({"type": t, "category": c}, seg[(t, c)])
            for t, c in sorted(seg, key=lambda tc: _seg_order(*tc))
        ],
        by_rep=[Line({"rep": r}, rep[r]) for r in sorted(rep)],
        by_mode=[Line({"mode": m}, mode[m]) for m in ("human", "digital") if m in mode],
        by_kind=[
            Line({"kind": k, "mode": "human" if method.is_human(k) else "digital"}, kind[k])
            for k in sorted(kind, key=lambda x: kind_order.get(x, 99))
        ],
        totals=totals,
        accounts=accounts,
    )


def _open_weekdays(monday: date, start: date, end: date, rules: CalendarRules) -> int:
    out = 0
    for i in range(5):
        d = monday + timedelta(days=i)
        if start <= d <= end and not rules.in_no_human_period(d):
            out += 1
    return out


def workload_report(
    *,
    method: Method,
    period: Period,
    sim: _SimOut,
    reps: Sequence[RepFacts],
    done: Iterable[tuple[str | None, str, int, int]],
    only_rep: str | None = None,
) -> WorkloadReport:
    """Planned (from the due events) vs done human effort per rep per ISO week.

    ``done``: (rep, kind, ordinal, count) of the touches made in the period (the touch's
    rep, or the account's owner when the touch has none). Capacity of a week = the rep's weekly
    capacity x open weekdays of the week inside the period / 5 (no-human periods closed).
    """
    from khm.core.calendar import WEEKDAYS

    start, end = period.start, period.end
    mondays: list[int] = []
    m = _monday(start.toordinal())
    while m <= end.toordinal():
        mondays.append(m)
        m += 7
    open_days = {
        mo: _open_weekdays(date.fromordinal(mo), start, end, method.calendar) for mo in mondays
    }
    capacity = {r.handle: r.capacity for r in reps}
    cells: dict[tuple[str, int], WorkloadWeek] = {}
    names: set[str] = {r.handle for r in reps if r.active or only_rep == r.handle}

    def cell(rep: str, monday: int) -> WorkloadWeek:
        c = cells.get((rep, monday))
        if c is None:
            md = date.fromordinal(monday)
            c = cells[(rep, monday)] = WorkloadWeek(rep, week_label(md), md)
        return c

    for (owner, monday), (effort, count) in sim.planned.items():
        c = cell(_rep_label(owner), monday)
        c.planned_effort += effort
        c.planned_touches += int(count)
        names.add(_rep_label(owner))
    s_o, e_o = start.toordinal(), end.toordinal()
    for rep, kind, d, n in done:
        if not (s_o <= d <= e_o) or not method.is_human(kind):
            continue
        label = _rep_label(rep)
        if only_rep is not None and label != only_rep:
            continue
        c = cell(label, _monday(d))
        c.done_effort += method.effort(kind) * n
        c.done_touches += n
        names.add(label)
    if only_rep is not None:
        names = {only_rep}
    weeks: list[WorkloadWeek] = []
    by_rep: list[WorkloadWeek] = []
    totals = WorkloadWeek("total", period.label, start)
    for rep in sorted(names):
        summary = WorkloadWeek(rep, period.label, start)
        for mo in mondays:
            c = cell(rep, mo)
            c.capacity = capacity.get(rep, 0.0) * open_days[mo] / WEEKDAYS
            weeks.append(c)
            for agg in (summary, totals):
                agg.planned_effort += c.planned_effort
                agg.planned_touches += c.planned_touches
                agg.done_effort += c.done_effort
                agg.done_touches += c.done_touches
                agg.capacity += c.capacity
        by_rep.append(summary)
    return WorkloadReport(weeks=weeks, by_rep=by_rep, totals=totals)


# --------------------------------------------------------------------------- neglected


@dataclass(frozen=True)
class NeglectedAccount:
    key: str
    name: str
    owner: str | None
    type: str
    category: str
    last_touch: date | None
    silent_since: date  # the last touch, or the anchor when never touched
    days_silent: int
    allowed_days: int  # longest interval + its grace, in days from silent_since
    longest: str  # e.g. "call yearly"

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "owner": self.owner,
            "type": self.type,
            "category": self.category,
            "last_touch": self.last_touch,
            "silent_since": self.silent_since,
            "days_silent": self.days_silent,
            "allowed_days": self.allowed_days,
            "longest": self.longest,
        }


def last_touch_until(
    until: int,
    last_before: Mapping[int, Mapping[str, int]],
    touches: Mapping[int, Mapping[str, Sequence[int]]],
) -> dict[int, date]:
    """The newest touch of any kind on or before ``until`` per account, from the data the
    due replay already holds: ``last_before`` (each kind's last touch before the period
    start) and ``touches`` (every touch from the period start on, each list sorted), when
    ``until`` is on or after the day before the period start and the touches reach it.

    Why: ``neglected`` needs exactly this, and reading it from the database again is a
    second ``GROUP BY`` over the whole touch table (a quarter of a second on 1M touches)."""
    out: dict[int, int] = {}
    for account_id, kinds in last_before.items():
        if kinds:
            out[account_id] = max(kinds.values())
    for account_id, streams in touches.items():
        best = -1
        for lst in streams.values():
            if not lst or lst[0] > until:
                continue
            v = lst[-1] if lst[-1] <= until else lst[bisect_right(lst, until) - 1]
            if v > best:
                best = v
        if best >= 0:  # a touch from the period start on is newer than any before it
            out[account_id] = best
    days: dict[int, date] = {}
    result: dict[int, date] = {}
    for account_id, o in out.items():
        d = days.get(o)
        if d is None:
            d = days[o] = date.fromordinal(o)
        result[account_id] = d
    return result


def neglected_report(
    *,
    method: Method,
    as_of: date,
    accounts: Sequence[AccountFacts],
    last_any: Mapping[int, date],
) -> list[NeglectedAccount]:
    """Accounts silent (no touch of any kind) for longer than their longest cadence
    interval plus its grace, on ``as_of``; longest silence first, then key."""
    out: list[NeglectedAccount] = []
    as_of_o = as_of.toordinal()
    # per (type, category): its longest kind and interval, with the ordinal limit per
    # silent-since day (a few hundred distinct days for 100 000 accounts)
    segments: dict[tuple[str, str], tuple[str, Interval, dict[date, int]] | None] = {}
    for acc in accounts:
        t, c = acc.type, acc.category
        if t is None or c is None:
            continue
        if (t, c) not in segments:
            plan = method.cadence_for(t, c)
            segments[(t, c)] = None
            if plan:
                kind, interval = max(plan.items(), key=lambda kv: (kv[1].days, kv[0]))
                segments[(t, c)] = (kind, interval, {})
        seg = segments[(t, c)]
        if seg is None:
            continue
        last = last_any.get(acc.id)
        since = last if last is not None else acc.anchor
        if since > as_of:
            continue
        kind, interval, limits = seg
        limit_o = limits.get(since)
        if limit_o is None:
            since_o = since.toordinal()
            grace = method.grace.grace_days(interval)
            limit_o = limits[since] = add_interval(since_o, interval) + grace
        if as_of_o <= limit_o:
            continue
        since_o = since.toordinal()
        out.append(
            NeglectedAccount(
                key=acc.key,
                name=acc.name,
                owner=acc.owner,
                type=t,
                category=c,
                last_touch=last,
                silent_since=since,
                days_silent=as_of_o - since_o,
                allowed_days=limit_o - since_o,
                longest=f"{kind} {interval}",
            )
        )
    out.sort(key=lambda n: (-n.days_silent, n.key))
    return out


# --------------------------------------------------------------------------- portfolio


@dataclass
class PortfolioCell:
    type: str | None
    category: str | None
    accounts: int = 0
    revenue: float = 0.0
    revenue_share_pct: float = 0.0
    account_share_pct: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.type,
            "category": self.category,
            "accounts": self.accounts,
            "revenue": round(self.revenue, 2),
            "revenue_share_pct": self.revenue_share_pct,
            "account_share_pct": self.account_share_pct,
        }


@dataclass
class PortfolioReport:
    cells: list[PortfolioCell]  # every type x category (and untagged accounts, if any)
    by_type: list[PortfolioCell]
    by_category: list[PortfolioCell]
    totals: PortfolioCell


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def portfolio_report(accounts: Sequence[AccountFacts]) -> PortfolioReport:
    """The type x category matrix of live accounts: count, revenue, shares of the total."""
    cells: dict[tuple[str | None, str | None], PortfolioCell] = {
        (t, c): PortfolioCell(t, c) for t in TYPES for c in CATEGORIES
    }
    totals = PortfolioCell(None, None)
    for acc in accounts:
        key = (acc.type, acc.category)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = PortfolioCell(acc.type, acc.category)
        cell.accounts += 1
        cell.revenue += acc.revenue or 0.0
        totals.accounts += 1
        totals.revenue += acc.revenue or 0.0
    by_type: dict[str | None, PortfolioCell] = {}
    by_cat: dict[str | None, PortfolioCell] = {}
    for (t, c), cell in cells.items():
        for agg, k, mk in ((by_type, t, "type"), (by_cat, c, "category")):
            a = agg.get(k)
            if a is None:
                a = agg[k] = PortfolioCell(t if mk == "type" else None, c if mk != "type" else None)
            a.accounts += cell.accounts
            a.revenue += cell.revenue
    for cell in [*cells.values(), *by_type.values(), *by_cat.values(), totals]:
        cell.revenue_share_pct = _pct(cell.revenue, totals.revenue)
        cell.account_share_pct = _pct(cell.accounts, totals.accounts)
    return PortfolioReport(
        cells=[cells[k] for k in sorted(cells, key=lambda tc: _seg_order(*tc))],
        by_type=[by_type[k] for k in sorted(by_type, key=lambda t: _seg_order(t, None))],
        by_category=[by_cat[k] for k in sorted(by_cat, key=lambda c: _seg_order(None, c))],
        totals=totals,
    )


# --------------------------------------------------------------------------- movement


@dataclass(frozen=True)
class Movement:
    changed_at: datetime
    key: str
    name: str
    owner: str | None
    field: str
    old: str | None
    new: str | None
    direction: str  # to_expand | to_keep | up | down | first_tag | cleared
    who: str
    reason: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "changed_at": self.changed_at,
            "key": self.key,
            "name": self.name,
            "owner": self.owner,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "direction": self.direction,
            "who": self.who,
            "reason": self.reason,
        }


MOVEMENT_DIRECTIONS: tuple[str, ...] = (
    "to_expand",
    "to_keep",
    "up",
    "down",
    "first_tag",
    "cleared",
    "other",
)


def direction_of(field_name: str, old: str | None, new: str | None) -> str:
    """keep → expand is ``to_expand``; category D → A is ``up`` (A is the top)."""
    if old is None:
        return "first_tag"
    if new is None:
        return "cleared"
    if field_name == "type":
        if new == "expand":
            return "to_expand"
        if new == "keep":
            return "to_keep"
        return "other"
    if old in CATEGORIES and new in CATEGORIES:
        return "up" if CATEGORIES.index(new) < CATEGORIES.index(old) else "down"
    return "other"


@dataclass
class MovementReport:
    changes: list[Movement]
    counts: dict[str, int]


def movement_report(
    changes: Iterable[TagChangeFact], accounts: Mapping[int, AccountFacts]
) -> MovementReport:
    """Type and category changes in the period, oldest first, with counts per direction."""
    out: list[Movement] = []
    counts = dict.fromkeys(MOVEMENT_DIRECTIONS, 0)
    for ch in changes:
        if ch.field not in ("type", "category") or ch.old == ch.new:
            continue
        acc = accounts.get(ch.account_id)
        if acc is None:
            continue
        d = direction_of(ch.field, ch.old, ch.new)
        counts[d] += 1
        out.append(
            Movement(
                ch.changed_at,
                acc.key,
                acc.name,
                acc.owner,
                ch.field,
                ch.old,
                ch.new,
                d,
                ch.who,
                ch.reason,
            )
        )
    out.sort(key=lambda m: (m.changed_at, m.key, m.field))
    return MovementReport(out, counts)
