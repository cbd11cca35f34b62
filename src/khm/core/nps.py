"""NPS (Net Promoter Score): responses, the score, the report. Pure: plain values and
"today" in, plain values out.

A response is a 0-10 answer of one customer contact on one day. Promoters answer 9 or 10,
passives 7 or 8, detractors 0 to 6, and

    NPS = % promoters − % detractors   (of the responses; −100 … 100, one decimal)

so responses 10, 9 and 3 give 2/3 − 1/3 = 33.3. Every response counts (two contacts of
one account are two voices), and a period with no response has no NPS (``None``).

The account's ``nps`` field is its latest response's score (the newest date, then the
last recorded); an account without responses keeps the ``nps`` it was imported with
(``--map custom.nps=COLUMN``), so a book moves from the imported number to responses one
account at a time (:func:`nps_field_changes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from khm.core.deals import year_before
from khm.core.period import Period

SCORE_MIN, SCORE_MAX = 0, 10
PROMOTER_MIN = 9  # 9-10
DETRACTOR_MAX = 6  # 0-6
#: the account field the latest score is kept in (``custom``), as type rules, triggers,
#: ``account list --where`` and JSON see it
FIELD = "nps"
GROUPS: tuple[str, ...] = ("promoter", "passive", "detractor")
UNASSIGNED = "(unassigned)"


def group_of(score: int) -> str:
    """``promoter`` (9-10), ``passive`` (7-8) or ``detractor`` (0-6)."""
    if score >= PROMOTER_MIN:
        return "promoter"
    return "detractor" if score <= DETRACTOR_MAX else "passive"


def is_detractor(score: int) -> bool:
    return score <= DETRACTOR_MAX


def check_score(score: int) -> int:
    """The score when it is a whole number 0-10, else ``ValueError`` saying why."""
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError(f"{score!r} is not a whole number 0-10")
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"{score} is outside 0-10")
    return score


def nps_of(promoters: int, detractors: int, responses: int) -> float | None:
    """% promoters − % detractors, one decimal; None without responses."""
    if responses <= 0:
        return None
    return round(100.0 * (promoters - detractors) / responses, 1)


@dataclass
class Tally:
    """Counts of one group of responses, and their NPS."""

    responses: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    def add(self, score: int) -> None:
        self.responses += 1
        g = group_of(score)
        if g == "promoter":
            self.promoters += 1
        elif g == "detractor":
            self.detractors += 1
        else:
            self.passives += 1

    @property
    def nps(self) -> float | None:
        return nps_of(self.promoters, self.detractors, self.responses)

    def as_dict(self) -> dict[str, Any]:
        return {
            "responses": self.responses,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "nps": self.nps,
        }


def tally(scores: Iterable[int]) -> Tally:
    t = Tally()
    for s in scores:
        t.add(s)
    return t


# --------------------------------------------------------------------------- the field


@dataclass(frozen=True, slots=True)
class ResponseFacts:
    """What the report and the field need of one response."""

    account_id: int
    score: int
    on: date
    id: int = 0  # recording order: the later of two answers on one day wins
    contact: str | None = None
    comment: str | None = None


def latest_scores(responses: Iterable[ResponseFacts]) -> dict[int, int]:
    """Per account id: the score of its latest response (newest date, then highest id)."""
    best: dict[int, tuple[date, int, int]] = {}
    for r in responses:
        cur = best.get(r.account_id)
        if cur is None or (r.on, r.id) > (cur[0], cur[1]):
            best[r.account_id] = (r.on, r.id, r.score)
    return {aid: v[2] for aid, v in best.items()}


def nps_field_changes(
    current: Mapping[str, Any] | None, latest: int | None, fallback: Any = None
) -> dict[str, Any] | None:
    """The account's new ``custom`` dict when its ``nps`` field must change, else None.
    With a latest score, the field is that score; without one (no response, or the last
    was undone), the ``fallback`` (the value it had before its first response; None: the
    field as it is)."""
    custom = dict(current or {})
    want = latest if latest is not None else fallback
    if want is None or custom.get(FIELD) == want:
        return None
    custom[FIELD] = want
    return custom


# --------------------------------------------------------------------------- khm nps


@dataclass(frozen=True)
class RecordedResponse:
    id: int
    key: str
    name: str
    owner: str | None
    score: int
    date: date
    contact: str | None
    comment: str | None
    nps_before: Any  # the account's nps field before
    nps: Any  # ... and now

    @property
    def group(self) -> str:
        return group_of(self.score)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.key,
            "name": self.name,
            "owner": self.owner,
            "score": self.score,
            "group": self.group,
            "date": self.date,
            "contact": self.contact,
            "comment": self.comment,
            "nps_before": self.nps_before,
            "nps": self.nps,
        }


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class NpsAccount:
    """An account as the report sees it (its current owner and tags)."""

    id: int
    key: str
    name: str
    owner: str | None
    type: str | None
    category: str | None


@dataclass
class NpsRow:
    """One row of a breakdown: its key values and its tally."""

    keys: dict[str, Any]
    tally: Tally

    def as_dict(self) -> dict[str, Any]:
        return {**self.keys, **self.tally.as_dict()}


@dataclass(frozen=True)
class NotAsked:
    key: str
    name: str
    owner: str | None
    type: str | None
    category: str | None
    last_asked: date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "owner": self.owner,
            "type": self.type,
            "category": self.category,
            "last_asked": self.last_asked,
        }


@dataclass
class NpsReport:
    totals: Tally
    previous: Period
    previous_totals: Tally
    by_segment: list[NpsRow] = field(default_factory=list)
    by_rep: list[NpsRow] = field(default_factory=list)
    by_month: list[NpsRow] = field(default_factory=list)
    not_asked: list[NotAsked] = field(default_factory=list)
    not_asked_since: date | None = None  # accounts last asked before this day are listed
    responses: list[dict[str, Any]] = field(default_factory=list)  # the period's, newest first

    @property
    def change(self) -> float | None:
        """The NPS change against the previous period (None when either has none)."""
        now, before = self.totals.nps, self.previous_totals.nps
        if now is None or before is None:
            return None
        return round(now - before, 1)


def _months(period: Period) -> list[str]:
    out: list[str] = []
    y, m = period.start.year, period.start.month
    while (y, m) <= (period.end.year, period.end.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def nps_report(
    *,
    period: Period,
    previous: Period,
    as_of: date,
    accounts: Sequence[NpsAccount],
    responses: Iterable[ResponseFacts],
    last_asked: Mapping[int, date],
) -> NpsReport:
    """The NPS of ``period`` (responses dated in it), by segment (type × category), rep
    (the account's owner) and month, against ``previous``; and the accounts not asked in
    the year up to ``as_of`` (last response on or before the same day a year earlier, or
    never), longest ago first. ``responses`` may hold more than the two periods (ignored)
    and accounts not in ``accounts`` (archived, other reps: ignored)."""
    by_id = {a.id: a for a in accounts}
    totals, prev = Tally(), Tally()
    seg: dict[tuple[str, str], Tally] = {}
    rep: dict[str, Tally] = {}
    month: dict[str, Tally] = {m: Tally() for m in _months(period)}
    rows: list[tuple[date, int, dict[str, Any]]] = []
    for r in responses:
        a = by_id.get(r.account_id)
        if a is None:
            continue
        if previous.contains(r.on):
            prev.add(r.score)
            continue
        if not period.contains(r.on):
            continue
        totals.add(r.score)
        seg.setdefault((a.type or "-", a.category or "-"), Tally()).add(r.score)
        rep.setdefault(a.owner or UNASSIGNED, Tally()).add(r.score)
        month[f"{r.on.year}-{r.on.month:02d}"].add(r.score)
        rows.append(
            (
                r.on,
                r.id,
                {
                    "date": r.on,
                    "key": a.key,
                    "name": a.name,
                    "owner": a.owner,
                    "score": r.score,
                    "group": group_of(r.score),
                    "contact": r.contact,
                    "comment": r.comment,
                },
            )
        )
    since = year_before(as_of)
    not_asked = [
        NotAsked(a.key, a.name, a.owner, a.type, a.category, last_asked.get(a.id))
        for a in accounts
        if last_asked.get(a.id) is None or last_asked[a.id] <= since
    ]
    not_asked.sort(key=lambda n: (n.last_asked is not None, n.last_asked or as_of, n.key))
    rows.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return NpsReport(
        totals=totals,
        previous=previous,
        previous_totals=prev,
        by_segment=[NpsRow({"type": t, "category": c}, v) for (t, c), v in sorted(seg.items())],
        by_rep=[NpsRow({"rep": k}, v) for k, v in sorted(rep.items())],
        by_month=[NpsRow({"month": k}, v) for k, v in month.items()],
        not_asked=not_asked,
        not_asked_since=since,
        responses=[x[2] for x in rows],
    )
