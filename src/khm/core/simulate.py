"""``khm simulate``: the method run forward N weeks on a copy of the book. Pure.

In: the book as the weekly planner reads it (accounts, newest touch per (account, kind),
tag history, reps with their days away), the method, the first Monday, the number of
weeks, the share of each list the team does and a seed. Each week the planner
(:func:`khm.core.planner.plan_week`, through its public function: whatever order and
capacity rules it has, the simulation follows) plans every rep's list; the listed items
are done on their suggested days by the listed rep (with ``percent`` < 100 each item is
done with that probability, drawn from ``random.Random(seed)`` in a fixed order), the
campaign work is done when due, and the touches feed the next week's plan. Nothing is
written anywhere: the copy lives in memory.

Out: a :class:`SimulationResult`: per category the compliance, the share of pairs that
kept their interval, the gap violations and the skipped work; per week the backlog; per
rep the load. The judgement (docs/simulate.md):

* **Compliance.** A pair (account, activity of its cadence) is *in compliance* on a day
  when the time since its last touch (of the kind or of a kind covering it) is at most
  the interval + the grace + a week (the list is weekly), plus, for a human kind, the
  days of the no-human periods the wait spans: the time since a touch, as a script
  reading the touch export can judge it. A pair is judged from the window's start, or
  from its first touch when it had none before; a pair touched neither before nor in the
  window has no wait to judge and is counted apart (``never_touched``). The compliance
  of a category is the share of the judged (pair, day) in compliance.
* **Kept its interval.** A pair touched in the window kept its interval when it is in
  compliance on every day from its first touch in the window to the window's end; each
  wait after that first touch that outgrew the allowance is a *gap violation*.
* **Backlog** of a week: the human items already due before the week's Monday (listed,
  carried or paused), as the planner marks them (``PlanItem.backlog``).
* **Skipped**: work the planner drops for a cycle (``RepPlan.skipped``); a planner that
  does not skip (the bench's reference planners) gives None and ``skipped_counted`` is
  False.

The bench (bench/simulate.py) runs other planners through the same loop: anything that
turns (accounts, touches, reps, Monday) into :class:`RepWeek` rows (:data:`WeekPlanner`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from khm.core.calendar import HolidayDates
from khm.core.constants import CATEGORIES
from khm.core.period import week_label
from khm.core.planner import PlanAccount, PlanItem, PlanRep, RepPlan, plan_week
from khm.core.triggers import TagEvent
from khm.method import Interval, Method

#: the slack the weekly rhythm adds: work due on a Tuesday is listed the Monday before
#: and may be done any day of that week
WEEK_SLACK_DAYS = 7

# --------------------------------------------------------------------------- in/out


@dataclass(frozen=True, slots=True)
class Work:
    """One piece of work of a rep's week: done on ``day`` when the team does it."""

    account: str
    kind: str
    day: date
    effort: float  # effort units (0 for digital work)
    category: str | None


@dataclass(frozen=True)
class RepWeek:
    """What a planner gives one rep for one week."""

    handle: str
    listed: tuple[Work, ...]  # the rep's list: done (all of it, or a drawn share)
    campaigns: tuple[Work, ...] = ()  # campaign work due: done when due
    backlog: int = 0  # human items already due before the week's Monday
    carried: int = 0  # human items due that did not fit (listed in a later week)
    skipped: tuple[Work, ...] | None = None  # dropped for this cycle; None: not counted


#: (accounts, newest touch per account and kind, the week's reps, Monday) -> the week
WeekPlanner = Callable[
    [Sequence[PlanAccount], Mapping[str, Mapping[str, date]], Sequence[PlanRep], date],
    Sequence[RepWeek],
]


@dataclass(frozen=True)
class CategoryFigures:
    category: str  # A..D, or "all"
    accounts: int
    pairs: int  # (account, activity) pairs judged
    compliance: float | None  # % of (pair, day) in compliance
    pairs_touched: int  # pairs touched at least once in the window
    kept_interval: float | None  # % of the touched pairs that kept their interval
    gap_violations: int
    done: int  # pieces of work done in the window (listed and campaign)
    skipped: int
    never_touched: int = 0  # pairs with no touch before or in the window (not judged)


@dataclass(frozen=True)
class WeekFigures:
    week: str
    monday: date
    backlog: int
    carried: int
    skipped: int
    listed: int
    done: int
    effort: float  # human effort done


@dataclass(frozen=True)
class RepLoad:
    handle: str
    capacity: float  # weekly capacity (full week)
    mean: float  # human effort done per week, mean over the window
    max: float
    max_week: str | None  # the first week of the maximum
    done: int


@dataclass(frozen=True)
class SimulationResult:
    today: date
    start: date  # the first Monday
    end: date  # the last Sunday
    weeks: int
    percent: float
    seed: int
    rep: str | None  # one rep's book, or None for the team
    categories: tuple[CategoryFigures, ...]  # A..D
    total: CategoryFigures  # "all"
    per_week: tuple[WeekFigures, ...]
    reps: tuple[RepLoad, ...]
    skipped_counted: bool  # the planner reports skipped work
    unplanned_accounts: int  # tagged accounts without an active owner: not judged

    @property
    def backlog_start(self) -> int:
        return self.per_week[0].backlog if self.per_week else 0

    @property
    def backlog_end(self) -> int:
        return self.per_week[-1].backlog if self.per_week else 0

    @property
    def backlog_peak(self) -> int:
        return max((w.backlog for w in self.per_week), default=0)

    @property
    def peak_weeks(self) -> tuple[str, ...]:
        """The week(s) when the backlog is largest."""
        top = self.backlog_peak
        return tuple(w.week for w in self.per_week if w.backlog == top) if self.per_week else ()

    @property
    def skipped(self) -> int:
        return self.total.skipped


# --------------------------------------------------------------------------- planners


def _work(item: PlanItem, monday: date) -> Work:
    return Work(item.account, item.kind, item.day or monday, item.effort, item.category)


def _skipped_of(plan: RepPlan, monday: date) -> tuple[Work, ...]:
    """The work the planner dropped for this cycle (it waited more than one interval)."""
    return tuple(_work(i, monday) for i in plan.skipped)


def rep_week(plan: RepPlan, monday: date) -> RepWeek:
    """One rep's :class:`RepPlan` as the simulation reads it."""
    return RepWeek(
        handle=plan.handle,
        listed=tuple(_work(i, monday) for i in plan.items),
        campaigns=tuple(_work(i, monday) for i in plan.campaign_items),
        backlog=sum(1 for i in (*plan.items, *plan.carried, *plan.paused) if i.human and i.backlog),
        carried=len(plan.carried),
        skipped=_skipped_of(plan, monday),
    )


def khm_planner(
    method: Method,
    *,
    tag_events: Mapping[str, Sequence[TagEvent]] | None = None,
    holiday_dates: HolidayDates | None = None,
) -> WeekPlanner:
    """The weekly planner of khm (:func:`khm.core.planner.plan_week`), "today" = Monday."""

    def plan(
        accounts: Sequence[PlanAccount],
        touches: Mapping[str, Mapping[str, date]],
        reps: Sequence[PlanRep],
        monday: date,
    ) -> Sequence[RepWeek]:
        got = plan_week(
            accounts=accounts,
            last_touches=touches,
            tag_events=tag_events,
            reps=reps,
            method=method,
            monday=monday,
            today=monday,
            holiday_dates=holiday_dates,
        )
        return [rep_week(r, monday) for r in got.reps]

    return plan


# --------------------------------------------------------------------------- running


def simulate(
    *,
    accounts: Sequence[PlanAccount],
    last_touches: Mapping[str, Mapping[str, date]],
    reps: Sequence[PlanRep],
    method: Method,
    start: date,
    weeks: int,
    today: date,
    percent: float = 100.0,
    seed: int = 0,
    rep: str | None = None,
    planner: WeekPlanner | None = None,
    tag_events: Mapping[str, Sequence[TagEvent]] | None = None,
    holiday_dates: HolidayDates | None = None,
) -> SimulationResult:
    """Run ``weeks`` weeks from the Monday ``start``; see the module text. ``reps`` carry
    every day away in the window (``PlanRep.away``); each week's plan gets that week's.
    ``planner`` defaults to :func:`khm_planner`. ``last_touches`` is not changed."""
    if start.weekday() != 0:
        raise ValueError(f"{start} is not a Monday")
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if not 0 <= percent <= 100:
        raise ValueError("percent must be within 0..100")
    plan = planner or khm_planner(method, tag_events=tag_events, holiday_dates=holiday_dates)
    state: dict[str, dict[str, date]] = {k: dict(v) for k, v in last_touches.items()}
    done_at: dict[tuple[str, str], list[date]] = {}
    rng = random.Random(seed)
    share = percent / 100.0
    per_week: list[WeekFigures] = []
    loads: dict[str, list[float]] = {r.handle: [] for r in reps if r.active}
    done_by_rep: dict[str, int] = dict.fromkeys(loads, 0)
    done_by_cat: dict[str | None, int] = {}
    skipped_by_cat: dict[str | None, int] = {}
    skipped_counted = False
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        sunday = monday + timedelta(days=6)
        week_reps = [
            replace(r, away=frozenset(d for d in r.away if monday <= d <= sunday)) if r.away else r
            for r in reps
        ]
        backlog = carried = skipped = listed = done = 0
        effort_week = 0.0
        for rw in plan(accounts, state, week_reps, monday):
            effort = 0.0
            backlog += rw.backlog
            carried += rw.carried
            listed += len(rw.listed)
            if rw.skipped is not None:
                skipped_counted = True
                skipped += len(rw.skipped)
                for s in rw.skipped:
                    skipped_by_cat[s.category] = skipped_by_cat.get(s.category, 0) + 1
            todo = (
                rw.listed if share >= 1.0 else tuple(x for x in rw.listed if rng.random() < share)
            )
            for x in (*todo, *rw.campaigns):
                _touch(state, done_at, x)
                effort += x.effort
                done_by_cat[x.category] = done_by_cat.get(x.category, 0) + 1
            n = len(todo) + len(rw.campaigns)
            done += n
            if rw.handle in loads:
                loads[rw.handle].append(effort)
                done_by_rep[rw.handle] += n
            effort_week += effort
        per_week.append(
            WeekFigures(
                week=week_label(monday),
                monday=monday,
                backlog=backlog,
                carried=carried,
                skipped=skipped,
                listed=listed,
                done=done,
                effort=round(effort_week, 4),
            )
        )
    end = start + timedelta(weeks=weeks, days=-1)
    active = {r.handle for r in reps if r.active}
    judged = [a for a in accounts if a.type and a.category and a.owner in active]
    cats, total = judge(
        judged, last_touches, done_at, method, start, end, done_by_cat, skipped_by_cat
    )
    capacity = {r.handle: r.capacity for r in reps}
    rep_loads = tuple(_rep_load(h, capacity[h], loads[h], start, done_by_rep[h]) for h in loads)
    return SimulationResult(
        today=today,
        start=start,
        end=end,
        weeks=weeks,
        percent=percent,
        seed=seed,
        rep=rep,
        categories=cats,
        total=total,
        per_week=tuple(per_week),
        reps=rep_loads,
        skipped_counted=skipped_counted,
        unplanned_accounts=sum(1 for a in accounts if a.type and a.category) - len(judged),
    )


def _touch(
    state: dict[str, dict[str, date]], done_at: dict[tuple[str, str], list[date]], x: Work
) -> None:
    kinds = state.get(x.account)
    if kinds is None:
        kinds = state[x.account] = {}
    old = kinds.get(x.kind)
    if old is None or x.day > old:
        kinds[x.kind] = x.day
    done_at.setdefault((x.account, x.kind), []).append(x.day)


def _rep_load(handle: str, capacity: float, efforts: list[float], start: date, n: int) -> RepLoad:
    top = max(efforts, default=0.0)
    first = next((i for i, e in enumerate(efforts) if e == top), None)
    return RepLoad(
        handle=handle,
        capacity=capacity,
        mean=round(sum(efforts) / len(efforts), 4) if efforts else 0.0,
        max=round(top, 4),
        max_week=week_label(start + timedelta(weeks=first)) if first is not None else None,
        done=n,
    )


# --------------------------------------------------------------------------- judging


class _Allowance:
    """When a wait that started on ``since`` (a touch) falls out of compliance. The no-human days are counted from a running
    total per day (one pass over the calendar), not day by day per wait."""

    def __init__(self, method: Method) -> None:
        self.method = method
        self._lo: int | None = None  # ordinal of the first day counted
        self._upto: list[int] = []  # no-human days in lo..lo + i

    def _count(self, d: date) -> int:
        """No-human days from the first counted day up to ``d``."""
        o = d.toordinal()
        if self._lo is None or o < self._lo:
            self._lo, self._upto = o, []  # restart from the earliest day asked
        upto = self._upto
        closed = self.method.calendar.in_no_human_period
        while len(upto) <= o - self._lo:
            n = upto[-1] if upto else 0
            upto.append(n + closed(date.fromordinal(self._lo + len(upto))))
        return upto[o - self._lo]

    def last_day(self, since: date, due: date, grace: int, human: bool) -> date:
        """The last day in compliance: ``due`` + grace + a week, plus (human kinds) one
        day for each no-human day after ``since`` up to that last day (grown until it
        holds)."""
        base = due + timedelta(days=grace + WEEK_SLACK_DAYS)
        if not human:
            return base
        before = self._count(since)  # the days after ``since`` count (``base`` is later)
        last = base
        while True:
            grown = base + timedelta(days=self._count(last) - before)
            if grown == last:
                return last
            last = grown


def judge(
    accounts: Sequence[PlanAccount],
    before: Mapping[str, Mapping[str, date]],
    done_at: Mapping[tuple[str, str], Sequence[date]],
    method: Method,
    start: date,
    end: date,
    done_by_cat: Mapping[str | None, int] | None = None,
    skipped_by_cat: Mapping[str | None, int] | None = None,
) -> tuple[tuple[CategoryFigures, ...], CategoryFigures]:
    """Compliance, kept intervals and gap violations per category (see the module text)
    for ``accounts`` over ``start``..``end``: ``before`` is the newest touch per (account,
    kind) at the start, ``done_at`` the touch dates in the window per (account, kind)."""
    allow = _Allowance(method)
    covering = {k: tuple(sorted(method.covering(k))) for k in method.activities}
    add_memo: dict[tuple[Interval, date], date] = {}

    def add(iv: Interval, d: date) -> date:
        got = add_memo.get((iv, d))
        if got is None:
            got = add_memo[(iv, d)] = iv.add_to(d)
        return got

    tallies = {
        c: [0, 0, 0, 0, 0, 0, 0] for c in CATEGORIES
    }  # accounts, pairs, ok, days judged, touched, kept, never touched
    gaps = dict.fromkeys(CATEGORIES, 0)
    for acc in accounts:
        cat = acc.category or ""
        if cat not in tallies:
            continue
        t = tallies[cat]
        t[0] += 1
        prior = before.get(acc.key, {})
        for kind, iv in method.cadence_for(acc.type, acc.category).items():
            kinds = covering.get(kind, (kind,))
            grace = method.grace.grace_days(iv)
            human = method.is_human(kind)
            olds = [d for k in kinds if (d := prior.get(k)) is not None and d < start]
            last = max(olds) if olds else None
            touches = sorted({d for k in kinds for d in done_at.get((acc.key, k), ())})
            t[1] += 1
            if last is None and not touches:
                t[6] += 1  # never touched: no wait to judge (counted apart)
                continue
            ok = 0
            # judged from the window's start, or from the first touch of a pair that had none
            seg_start = start if last is not None else touches[0]
            judged = (end - seg_start).days + 1
            violated = 0
            for i in range(len(touches) + 1):
                seg_end = touches[i] - timedelta(days=1) if i < len(touches) else end
                if last is not None and seg_end >= seg_start:
                    limit = allow.last_day(last, add(iv, last), grace, human)
                    ok += max(0, (min(seg_end, limit) - seg_start).days + 1)
                    if i > 0 and limit < seg_end:
                        violated += 1
                if i < len(touches):
                    last = seg_start = touches[i]
            t[2] += ok
            t[3] += judged
            if touches:
                t[4] += 1
                t[5] += 0 if violated else 1
                gaps[cat] += violated
    done = done_by_cat or {}
    skipped = skipped_by_cat or {}
    cats = tuple(
        _figures(c, tallies[c], gaps[c], done.get(c, 0), skipped.get(c, 0)) for c in CATEGORIES
    )
    sums = [sum(tallies[c][i] for c in CATEGORIES) for i in range(7)]
    total = _figures("all", sums, sum(gaps.values()), sum(done.values()), sum(skipped.values()))
    return cats, total


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _figures(cat: str, t: Sequence[int], gaps: int, done: int, skipped: int) -> CategoryFigures:
    return CategoryFigures(
        category=cat,
        accounts=t[0],
        pairs=t[1],
        compliance=_pct(t[2], t[3]),
        pairs_touched=t[4],
        kept_interval=_pct(t[5], t[4]),
        gap_violations=gaps,
        done=done,
        skipped=skipped,
        never_touched=t[6],
    )
