"""The lifecycle funnel: accounts per stage, the moves between stages, the conversion of
each step. Pure: plain stage changes and the period in, dataclasses out.

The definitions (also in docs/reports.md):

* An account's **stage on a day** is the stage of its latest stage change dated on or
  before that day (the same day: the one recorded last); none before its first change.
* **At start**: the stage on the day before the period starts; **at end**: the stage on
  its last day. A change dated inside the period is a **move** (from the stage the
  account was in, or from none: it entered the funnel); a change to the stage it was
  already in is no move.
* **In the stage** (for stage S): the accounts in S at the start, and those that entered
  S during the period. **Moved on**: those of them with a move from S to a later stage
  during the period (skipping stages counts). **conversion_rate** = moved on ÷ in the
  stage (a fraction, 0.5 = 1 in 2); none for the last stage or when no account was in S.
* **median_days**: the median length in days of the stays in S that ended in the period
  (from the day the account entered S, even before the period, to the day it left);
  **median_age_days**: the median days since the accounts in S at the end entered it
  (to the period's last day, or today when the period has not ended).

Deals move an account forward only (:func:`deal_changes`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Any

from khm.core.period import Period
from khm.core.reports import UNASSIGNED, AccountFacts, _seg_order

NONE = "(none)"  # the "from" of an account's first stage


@dataclass(frozen=True, slots=True)
class StageFact:
    """One stage change: from ``day`` on the account is in ``stage``; ``seq`` orders the
    changes of one day (the row id)."""

    account_id: int
    stage: str
    day: date
    seq: int = 0


@dataclass
class StageRow:
    stage: str
    at_start: int = 0
    entered: int = 0
    in_stage: int = 0
    moved_on: int = 0
    moved_back: int = 0
    left: int = 0
    at_end: int = 0
    conversion_rate: float | None = None
    median_days: float | None = None
    median_age_days: float | None = None
    _stays: list[int] = field(default_factory=list, repr=False)
    _ages: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "at_start": self.at_start,
            "entered": self.entered,
            "in_stage": self.in_stage,
            "moved_on": self.moved_on,
            "moved_back": self.moved_back,
            "left": self.left,
            "at_end": self.at_end,
            "conversion_rate": self.conversion_rate,
            "median_days": self.median_days,
            "median_age_days": self.median_age_days,
        }


@dataclass(frozen=True)
class StageMove:
    from_stage: str  # a stage, or NONE for an account's first stage
    to_stage: str
    direction: str  # forward | back | first
    moves: int
    accounts: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_stage,
            "to": self.to_stage,
            "direction": self.direction,
            "moves": self.moves,
            "accounts": self.accounts,
        }


@dataclass(frozen=True)
class FunnelGroup:
    """The funnel of one rep (``rep``) or one type × category (``type``, ``category``)."""

    rep: str | None
    type: str | None
    category: str | None
    accounts: int
    rows: list[StageRow]


@dataclass
class FunnelReport:
    stages: list[str]
    accounts: int  # live accounts in scope
    without_stage_at_start: int
    without_stage_at_end: int
    accounts_moved: int  # accounts with at least one move in the period
    totals: list[StageRow]
    moves: list[StageMove]
    by_rep: list[FunnelGroup]
    by_segment: list[FunnelGroup]


@dataclass
class _Walk:
    """One account's funnel facts for the period."""

    start: str | None
    end: str | None
    in_stage: set[str]
    entered: set[str]
    moved_on: set[str]
    moved_back: set[str]
    left: set[str]
    stays: list[tuple[str, int]]  # (stage, days) of the stays that ended in the period
    age: int | None  # days in the end stage at the period's end
    moves: list[tuple[str, str]]


def _walk(
    changes: Sequence[StageFact], period: Period, order: Mapping[str, int], as_of: date
) -> _Walk:
    """``changes`` of one account in (day, seq) order, stages of the method only."""
    current: str | None = None
    since: date | None = None
    w = _Walk(None, None, set(), set(), set(), set(), set(), [], None, [])
    started = False
    for ch in changes:
        if ch.day > period.end:
            break
        if not started and ch.day >= period.start:
            started = True
            w.start = current
            if current is not None:
                w.in_stage.add(current)
        if ch.stage == current:
            continue
        if started:
            frm = current if current is not None else NONE
            w.moves.append((frm, ch.stage))
            w.entered.add(ch.stage)
            w.in_stage.add(ch.stage)
            if current is not None:
                w.left.add(current)
                if since is not None:
                    w.stays.append((current, (ch.day - since).days))
                if order[ch.stage] > order[current]:
                    w.moved_on.add(current)
                else:
                    w.moved_back.add(current)
        current, since = ch.stage, ch.day
    if not started:
        w.start = current
        if current is not None:
            w.in_stage.add(current)
    w.end = current
    if current is not None and since is not None:
        w.age = max(0, (as_of - since).days)
    return w


#: the walk of an account with no stage change up to the period's end (most of a book
#: that has just started to record stages): shared, never changed, counts nowhere
_NO_WALK = _Walk(None, None, set(), set(), set(), set(), set(), [], None, [])


def _rows(stages: Sequence[str], walks: Iterable[_Walk]) -> list[StageRow]:
    rows = {s: StageRow(s) for s in stages}
    for w in walks:
        if w is _NO_WALK:
            continue
        if w.start is not None:
            rows[w.start].at_start += 1
        if w.end is not None:
            rows[w.end].at_end += 1
            if w.age is not None:
                rows[w.end]._ages.append(w.age)
        for s in w.entered:
            rows[s].entered += 1
        for s in w.in_stage:
            rows[s].in_stage += 1
        for s in w.moved_on:
            rows[s].moved_on += 1
        for s in w.moved_back:
            rows[s].moved_back += 1
        for s in w.left:
            rows[s].left += 1
        for s, days in w.stays:
            rows[s]._stays.append(days)
    last = stages[-1]
    for r in rows.values():
        if r.stage != last and r.in_stage:
            r.conversion_rate = round(r.moved_on / r.in_stage, 4)
        r.median_days = round(float(median(r._stays)), 1) if r._stays else None
        r.median_age_days = round(float(median(r._ages)), 1) if r._ages else None
    return [rows[s] for s in stages]


def funnel_report(
    stages: Sequence[str],
    accounts: Sequence[AccountFacts],
    changes: Iterable[StageFact],
    period: Period,
    as_of: date | None = None,
) -> FunnelReport:
    """The funnel of ``accounts`` over ``period`` from their stage ``changes`` (any order;
    changes to a stage the method does not name are left out). ``as_of`` (default: the
    period's end; a report passes min(end, today)) is the day ages are measured to."""
    as_of = period.end if as_of is None else min(as_of, period.end)
    order = {s: i for i, s in enumerate(stages)}
    by_acc: dict[int, list[StageFact]] = defaultdict(list)
    for ch in changes:
        if ch.stage in order:
            by_acc[ch.account_id].append(ch)
    walks: dict[int, _Walk] = {}
    for acc in accounts:
        chs = by_acc.get(acc.id)
        if not chs:
            walks[acc.id] = _NO_WALK
            continue
        chs.sort(key=lambda c: (c.day, c.seq))
        walks[acc.id] = _walk(chs, period, order, as_of)
    move_n: dict[tuple[str, str], int] = defaultdict(int)
    move_acc: dict[tuple[str, str], set[int]] = defaultdict(set)
    for aid, w in walks.items():
        for mv in w.moves:
            move_n[mv] += 1
            move_acc[mv].add(aid)

    def direction(frm: str, to: str) -> str:
        if frm == NONE:
            return "first"
        return "forward" if order[to] > order[frm] else "back"

    def move_key(mv: tuple[str, str]) -> tuple[int, int]:
        return (order.get(mv[0], -1), order[mv[1]])

    moves = [
        StageMove(f, t, direction(f, t), move_n[(f, t)], len(move_acc[(f, t)]))
        for f, t in sorted(move_n, key=move_key)
    ]
    # each group's accounts counted, and the walks that count somewhere kept
    reps: dict[str, list[_Walk]] = defaultdict(list)
    segs: dict[tuple[str | None, str | None], list[_Walk]] = defaultdict(list)
    n_rep: Counter[str] = Counter()
    n_seg: Counter[tuple[str | None, str | None]] = Counter()
    for acc in accounts:
        rep, seg = acc.owner or UNASSIGNED, (acc.type, acc.category)
        n_rep[rep] += 1
        n_seg[seg] += 1
        w = walks[acc.id]
        if w is not _NO_WALK:
            reps[rep].append(w)
            segs[seg].append(w)
    by_rep = [
        FunnelGroup(rep, None, None, n_rep[rep], _rows(stages, reps[rep]))
        for rep in sorted(n_rep, key=lambda r: (r == UNASSIGNED, r))
    ]
    by_segment = [
        FunnelGroup(None, t, c, n_seg[(t, c)], _rows(stages, segs[(t, c)]))
        for t, c in sorted(n_seg, key=lambda tc: _seg_order(*tc))
    ]
    return FunnelReport(
        stages=list(stages),
        accounts=len(accounts),
        without_stage_at_start=sum(1 for w in walks.values() if w.start is None),
        without_stage_at_end=sum(1 for w in walks.values() if w.end is None),
        accounts_moved=sum(1 for w in walks.values() if w.moves),
        totals=_rows(stages, walks.values()),
        moves=moves,
        by_rep=by_rep,
        by_segment=by_segment,
    )


@dataclass(frozen=True, slots=True)
class StageRecord:
    """One row of an account's stage history (``account show``, ``khm stage``)."""

    date: date
    stage: str
    source: str  # manual | import | deal
    text: str | None  # the word given, when it was not the stage itself
    note: str | None
    batch: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "stage": self.stage,
            "source": self.source,
            "text": self.text,
            "note": self.note,
            "batch": self.batch,
        }


@dataclass(frozen=True)
class StageResult:
    key: str
    name: str
    stage: str
    text: str
    date: date
    changed: bool
    previous: StageRecord | None
    history: list[StageRecord]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "stage": self.stage,
            "date": self.date,
            "changed": self.changed,
            "previous": self.previous.as_dict() if self.previous else None,
            "history": [h.as_dict() for h in self.history],
        }


# --------------------------------------------------------------------------- deals


@dataclass(frozen=True, slots=True)
class DealFact:
    key: str
    status: str  # open | won | lost
    created: date | None
    closed: date | None


def deal_changes(
    stages: Sequence[str],
    rules: Mapping[str, str],
    deals: Iterable[DealFact],
    history: Sequence[tuple[date, str]],
) -> list[tuple[date, str, str]]:
    """The stage changes one account's deals give, as (day, stage, deal key), that its
    ``history`` ((day, stage) in order) does not have yet. ``rules``: the stage of an
    ``open`` deal (on its created day; a won or lost deal was open then too), of the
    ``first_won`` deal and of every later ``won`` deal (on its closed day); "" for none.

    Deals only move an account forward: a deal's stage is kept when it is later in
    ``stages`` than the account's stage on that day (so a new deal of a loyal customer
    changes nothing, and importing the same deals again adds nothing)."""
    order = {s: i for i, s in enumerate(stages)}
    wanted: list[tuple[date, str, str]] = []
    won = sorted(
        (d for d in deals if d.status == "won" and d.closed is not None),
        key=lambda d: (d.closed, d.key),
    )
    for d in deals:
        if d.created is not None and rules.get("open"):
            wanted.append((d.created, rules["open"], d.key))
    for i, d in enumerate(won):
        stage = rules.get("first_won" if i == 0 else "won")
        if stage and d.closed is not None:
            wanted.append((d.closed, stage, d.key))
    wanted.sort(key=lambda w: (w[0], order.get(w[1], -1), w[2]))
    timeline = sorted(((day, s) for day, s in history if s in order), key=lambda x: x[0])
    out: list[tuple[date, str, str]] = []
    for day, stage, key in wanted:
        if stage not in order:
            continue
        current = _stage_on(timeline, day)
        if current is not None and order[stage] <= order[current]:
            continue
        out.append((day, stage, key))
        timeline.append((day, stage))
        timeline.sort(key=lambda x: x[0])
    return out


def _stage_on(timeline: Sequence[tuple[date, str]], day: date) -> str | None:
    current = None
    for d, s in timeline:
        if d > day:
            break
        current = s
    return current
