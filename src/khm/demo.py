"""A realistic demo team, generated: reps, Nordic B2B accounts and a year of touches.

Pure apart from reading the installed ``holidays`` data: a seed, "today",
sizes and the method go in; plain records (:class:`DemoData`) come out. The same inputs
give the same records, byte for byte. :mod:`khm.store.loading` writes them; ``khm demo``
and ``bench/make_bench_db.py`` are the two callers.

How the data is made, so the method has something real to work on:

* **Accounts** spread over SE, NO, DK, FI, IS and EE and three product lines. Revenue (what
  the account brings in, EUR a year) is log-normal with a heavy tail, so the top fifth of
  the accounts holds about three quarters of the revenue; employees follow revenue with
  noise. Lifecycle stages, a custom ``open_pipeline`` (> 0 for about a fifth of the
  accounts, always for open opportunities) and an ``nps`` score for the surveyed ones
  feed the default method's type rules. A few accounts carry names that break naive
  tools (rich markup, quotes and commas, an emoji, æøå, õü, a leading ``=``).
* **Type and category** are computed the way the method's rules tag them (type rules on
  the fields, an ABC analysis of revenue within country × product line; a test checks
  this against ``khm tag``). The team adopted the method a year ago: a tag history goes
  with the book (first tags, keep → expand and back, categories up and down, three manual
  tags with a reason), and since the last rule run a few accounts moved again, so the
  demo's own ``khm tag`` has real work and the tag-change triggers fire.
* **Owners**: reps own accounts of their role, balanced by the weekly human load the
  cadence implies (:class:`khm.core.capacity.LoadTable`) relative to their capacity, so
  the reps who keep up sit at about 70-95 % of capacity; about 5 % of the accounts have
  no owner. One rep is behind (``BEHIND_REP``): she took over more accounts than she has
  time for (``BEHIND_UTILISATION`` of her capacity), so ``khm capacity`` shows her over
  100 % and ``khm assign --rebalance`` has something to even out. The demo team is one
  expand rep, two reps who take either type (role ``any``) and two keep reps: for a book
  of 700 accounts that keeps each weekly list near 20-30 items.
* **Touches**: the team follows the lists khm would have given it. An activity never
  done before is first done where khm's planner spreads it; then most are done in the
  week they fall due, a few carried days to weeks, very few a whole cycle late, so
  each rep's first list holds this week's work and a few items overdue by days or weeks.
  The rep behind does her human work late by weeks to months (her e-mails go out) and
  let some accounts slide for months (some of them get nothing at all, not even the
  newsletter): ``khm report neglected`` and the coverage report show it. Accounts nobody
  owns are kept by whoever has time, late by weeks. Generated teams (``reps=N``, for
  benchmarks) have no rep behind and about 10 % of the accounts neglected throughout.
  Human touches fall on working days of the account's country (no weekends, no public
  holidays, nothing in the method's no-human periods such as July and Christmas); work
  that falls due in a no-human period is done in the weeks before it or after it.
  Newsletters and webinar invitations go out on fixed dates to everyone on the list;
  personal e-mails follow their cadence on weekdays all year.
"""

from __future__ import annotations

import bisect
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from khm.core.constants import CATEGORIES, TYPES
from khm.core.due import first_due
from khm.demo_names import NameGenerator
from khm.method import Lifecycle, Method, default_method

if TYPE_CHECKING:
    from khm.core.planner import WeeklyPlan

DEFAULT_SEED = 42
DEFAULT_ACCOUNTS = 700
HISTORY_DAYS = 365
SOURCE = "demo"

PRODUCT_LINES: tuple[str, ...] = ("Analytics", "Payroll", "Field Service")
_PRODUCT_WEIGHTS = (0.45, 0.35, 0.20)


@dataclass(frozen=True)
class _Country:
    code: str  # an ISO code; its names come from khm.demo_names.PARTS
    weight: float
    revenue_scale: float


COUNTRIES: tuple[_Country, ...] = (
    _Country("SE", 0.31, 1.0),
    _Country("NO", 0.21, 1.15),
    _Country("DK", 0.20, 1.05),
    _Country("FI", 0.18, 0.95),
    _Country("IS", 0.05, 0.8),
    _Country("EE", 0.05, 0.6),
)
_COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}

#: Lifecycle stages and their shares (churned accounts are archived).
STAGES: tuple[tuple[str, float], ...] = (
    ("customer", 0.62),
    ("renewal", 0.06),
    ("opportunity", 0.12),
    ("onboarding", 0.05),
    ("at-risk", 0.07),
    ("dormant", 0.06),
    ("churned", 0.04),
)

#: The demo team: handle, name, e-mail, role, weekly capacity in effort units. Expand
#: accounts ask for more items per unit of load (e-mails every two weeks or month), so two
#: reps take either type and the lists come out even (each near 20-30 items).
DEMO_REPS: tuple[tuple[str, str, str, str, float], ...] = (
    ("asa", "Åsa Lindqvist", "asa.lindqvist@example.com", "expand", 14.0),
    ("bjorn", "Bjørn Østergaard", "bjorn.ostergaard@example.com", "any", 17.0),
    ("paivi", "Päivi Mäkinen", "paivi.makinen@example.com", "any", 15.0),
    ("mette", "Mette Kjær", "mette.kjaer@example.com", "keep", 18.0),
    ("sigga", "Sigríður Þórsdóttir", "sigga.thorsdottir@example.com", "keep", 13.0),
)

#: The rep who is behind: she took over a colleague's book and carries more load than her
#: capacity (``BEHIND_UTILISATION`` of it), so she keeps the method worse (``_BEHIND``):
#: more overdue, more carried, the neglected accounts. ``khm capacity`` shows her over
#: 100 %, ``khm assign --rebalance`` would even it out.
BEHIND_REP = "sigga"
BEHIND_UTILISATION = 1.15

#: Accounts whose names break naive tools: key, name, country, product line.
TRICKY_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("brackets-ab", "[bold]Brackets[/bold] AB", "SE", "Analytics"),
    ("quoted-inc", '"Quoted, Inc."', "NO", "Payroll"),
    ("norrsken-oy", "Norrsken 🚀 Oy", "FI", "Analytics"),
    ("aero-ol", "Ærø Øl & Å", "DK", "Field Service"),
    ("ounapuu-ou", "Õunapuu OÜ", "EE", "Payroll"),
    ("equals-as", "=Equals Rådgivning AS", "NO", "Analytics"),
)

#: tricky names whose human work slipped a few weeks ago, so they show up overdue
_OVERDUE_TRICKY = frozenset({"brackets-ab", "aero-ol", "equals-as"})

_NOTES: dict[str, tuple[str, ...]] = {
    "visit": (
        "Visited HQ, met the CFO and the team lead",
        "On-site visit; walked through this year's results",
        "Visit: toured the new warehouse, mapped their plans",
        "Met the board sponsor on site",
        "Lunch visit with the operations manager",
    ),
    "review": (
        "Roadmap review with their IT lead",
        "Reviewed next year's plans against our roadmap",
        "Roadmap session; agreed on a follow-up",
    ),
    "meeting": (
        "Deep dive on their reporting needs",
        "Workshop on how they use us today",
        "Budget and timing talk with the buyer",
    ),
    "call": (
        "Check-in call, all fine",
        "Call: asked about the renewal",
        "Called the main contact; follow-up agreed",
        "Short call, they want a demo of the new module",
        "Call about an open support case",
        "Left a voicemail, then a good talk",
    ),
    "email": (
        "Sent a customer case from their industry",
        "Shared a tip on the new export feature",
        "Personal note after the release",
        "Sent an invitation to the user day",
    ),
    "webinar": ("Webinar invitation sent",),
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class DemoRep:
    handle: str
    name: str
    email: str | None
    role: str  # expand | keep | any
    capacity: float
    active: bool = True


@dataclass(slots=True)
class DemoAccount:
    key: str
    name: str
    country: str
    product_lines: list[str]
    revenue: float
    employees: float
    custom: dict[str, float]
    lifecycle_stage: str
    archived: bool
    created: date
    owner: str | None = None
    #: the tags the account has now: the method's rules, or a manual tag (drives the history)
    expected_type: str = "keep"
    expected_category: str = "D"
    #: the tags as the last rule run left them (the demo loads these; its own run of
    #: ``khm tag`` then finds what moved since), and manual tags with their reason
    type: str | None = None
    category: str | None = None
    tagged_on: date | None = None
    first_tagged: date | None = None  # when the team first tagged it (adopted the method)
    type_manual: bool = False
    category_manual: bool = False
    manual_reason: str | None = None


@dataclass(frozen=True, slots=True)
class DemoTouch:
    account_key: str
    rep: str | None
    kind: str
    date: date
    note: str | None
    source: str = SOURCE


@dataclass(frozen=True, slots=True)
class DemoTagChange:
    account_key: str
    field: str  # type | category
    old: str | None
    new: str | None
    on: date
    who: str
    reason: str
    rule: str | None


@dataclass(frozen=True)
class DemoResponse:
    """One NPS answer (``khm nps``): the surveyed accounts answered once to three times in
    the year, the latest answer being their ``nps`` field."""

    account_key: str
    score: int
    date: date
    contact: str
    comment: str | None


@dataclass
class DemoData:
    seed: int
    today: date
    reps: list[DemoRep]
    accounts: list[DemoAccount]
    touches: list[DemoTouch]
    history_start: date
    neglected: set[str] = field(default_factory=set)
    tag_changes: list[DemoTagChange] = field(default_factory=list)
    nps_responses: list[DemoResponse] = field(default_factory=list)
    _stream: tuple[Any, int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def touch_count(self) -> int:
        return self._stream[2] if self._stream is not None else len(self.touches)

    def iter_touches(self) -> Iterator[DemoTouch]:
        """The touches: from memory, or simulated again account by account (``lazy``)."""
        if self._stream is None:
            yield from self.touches
            return
        sim, total, n = self._stream
        all_touches = (t for a in self.accounts for t in sim.touches(a))
        count = 0
        for t in _select(all_touches, total, n, sim.seed_text) if n < total else all_touches:
            count += 1
            yield t
        if count != n:  # the accounts were changed after generate(): not the same touches
            raise RuntimeError(f"lazy touches: {count} streamed, {n} counted")

    # ---- rows for :func:`khm.store.loading.bulk_load`

    def rep_rows(self) -> Iterator[dict[str, Any]]:
        stamp = _stamp(self.today - timedelta(days=HISTORY_DAYS + 30))
        for r in self.reps:
            yield {
                "handle": r.handle,
                "name": r.name,
                "email": r.email,
                "role": r.role,
                "capacity": r.capacity,
                "active": r.active,
                "created_at": stamp,
                "updated_at": stamp,
            }

    def account_rows(self, *, tags: str = "history") -> Iterator[dict[str, Any]]:
        """``tags``: "history" = as the last rule run left them (with manual tags), the
        state the demo loads; "current" = as ``khm tag`` today leaves them (benchmarks
        skip the tagging step); "none" = untagged."""
        if tags not in ("history", "current", "none"):
            raise ValueError(f"tags must be history, current or none, not {tags!r}")
        now = datetime.combine(self.today, time())
        for a in self.accounts:
            created = _stamp(a.created)
            if tags == "history":
                t, c, on = a.type, a.category, a.tagged_on
                tagged_at = datetime.combine(on, time()) if on else None
                manual = (a.type_manual, a.category_manual, a.manual_reason)
            elif tags == "current":
                # as ``khm tag`` today would leave it: moved tags stamped today
                t, c = a.expected_type, a.expected_category
                tagged_at = now
                if (t, c) == (a.type, a.category) and a.tagged_on is not None:
                    tagged_at = datetime.combine(a.tagged_on, time())
                manual = (a.type_manual, a.category_manual, a.manual_reason)
            else:
                t = c = tagged_at = None
                manual = (False, False, None)
            yield {
                "key": a.key,
                "name": a.name,
                "country": a.country,
                "product_lines": list(a.product_lines),
                "revenue": a.revenue,
                "employees": a.employees,
                "custom": dict(a.custom),
                "owner": a.owner,
                "type": t,
                "category": c,
                "type_manual": manual[0],
                "category_manual": manual[1],
                "manual_reason": manual[2],
                "tagged_at": tagged_at,
                "lifecycle_stage": a.lifecycle_stage,
                "archived": a.archived,
                "created_at": created,
                "updated_at": max(created, tagged_at) if tagged_at else created,
            }

    def tag_change_rows(self, *, tags: str = "history") -> Iterator[dict[str, Any]]:
        """The tag history; with ``tags="current"`` also today's rule-run changes (the
        history that goes with ``account_rows(tags="current")``)."""
        changes = list(self.tag_changes)
        if tags == "current":
            for a in self.accounts:
                for fld, old, new in (
                    ("type", a.type, a.expected_type),
                    ("category", a.category, a.expected_category),
                ):
                    if old != new:
                        changes.append(
                            DemoTagChange(a.key, fld, old, new, self.today, "khm", _RULE_RUN, None)
                        )
        for c in changes:
            yield {
                "account_key": c.account_key,
                "field": c.field,
                "old": c.old,
                "new": c.new,
                "changed_at": _stamp(c.on, 6),
                "who": c.who,
                "reason": c.reason,
                "rule": c.rule,
            }

    def nps_rows(self) -> Iterator[dict[str, Any]]:
        for r in self.nps_responses:
            yield {
                "account_key": r.account_key,
                "score": r.score,
                "date": r.date,
                "contact": r.contact,
                "comment": r.comment,
                "source": SOURCE,
                "created_at": _stamp(r.date, 12),
            }

    def stage_change_rows(self, lifecycle: Lifecycle) -> Iterator[dict[str, Any]]:
        """A plausible stage history per live account, ending in the stage its
        lifecycle_stage names (:meth:`Lifecycle.stage_of`; none when it names none): the
        stages before it in order, each held for a typical while (some start at the second
        stage; dormant accounts were loyal once and fell back). Its own random stream per
        account, so the rest of the demo does not change with it."""
        stages = lifecycle.stages
        for a in self.accounts:
            final = lifecycle.stage_of(a.lifecycle_stage)
            if a.archived or final is None:
                continue
            rng = random.Random(f"khm-demo-stages:{self.seed}:{self.today}:{a.key}")
            k = stages.index(final)
            path = list(stages[: k + 1])
            if k >= 1 and rng.random() < 0.4:
                path = path[1:]  # came in as a lead: no reach stage
            fell_back = a.lifecycle_stage == "dormant" and k + 1 < len(stages)
            if fell_back:
                path += [stages[k + 1], final]
            age = max(30, (self.today - a.created).days)
            if a.lifecycle_stage == "onboarding":
                held = max(1, (self.today - a.created).days - rng.randint(0, 10))
            elif k + 1 == len(stages) or k >= 3:
                held = rng.randint(20, max(21, min(age, 1100)))
            else:
                held = rng.randint(5, 200)
            day = self.today - timedelta(days=held)
            rows = [(day, path[-1])]
            for stage in reversed(path[:-1]):
                i = stages.index(stage)
                lo, hi = ((15, 120), (20, 150), (30, 120), (180, 900))[min(i, 3)]
                day -= timedelta(days=rng.randint(lo, hi))
                rows.append((day, stage))
            for n, (on, stage) in enumerate(reversed(rows)):
                last = n == len(rows) - 1
                yield {
                    "account_key": a.key,
                    "stage": stage,
                    "date": on,
                    "source": "import",
                    "text": a.lifecycle_stage if last and a.lifecycle_stage != stage else None,
                    "note": "demo",
                    "created_at": _stamp(on, 9),
                    "import_batch_id": None,
                }

    def touch_rows(self) -> Iterator[dict[str, Any]]:
        for t in self.iter_touches():
            yield {
                "account_key": t.account_key,
                "rep": t.rep,
                "kind": t.kind,
                "date": t.date,
                "note": t.note,
                "source": t.source,
                "created_at": _stamp(t.date, 17),
            }


def _stamp(d: date, hour: int = 8) -> datetime:
    return datetime.combine(d, time(hour, 0))


# --------------------------------------------------------------------------- the demo run

# What ``khm demo`` did with the generated data (:func:`khm.services.demo.build_demo`),
# for :mod:`khm.render.demo`: plain values, so the renderer needs no service.


@dataclass(frozen=True, slots=True)
class DemoRepCount:
    """A rep of the built team with the active accounts it owns (``handle`` None: the
    accounts nobody owns)."""

    handle: str | None
    name: str
    role: str
    capacity: float | None
    accounts: int


@dataclass(frozen=True, slots=True)
class DemoTagMove:
    """A tag the demo's rule run moved: ``name`` is the account's name (or key)."""

    name: str
    field: str  # type | category
    old: str
    new: str
    rule: str


@dataclass
class DemoRun:
    """The built demo: where, what was loaded, what tag and assign did, the weekly list."""

    location: str  # the database: its file path, or its URL without a password
    seed: int
    today: date
    seconds: float
    reps: int
    accounts: int
    archived: int
    touches: int
    first_touch: date | None
    last_touch: date | None
    team: list[DemoRepCount]
    #: active accounts per type ("(untagged)" when none) and category ("-" when none)
    matrix: dict[str, dict[str, int]]
    tag_changes: int
    manual_kept: int
    tag_moves: list[DemoTagMove]
    owner_moves: int
    balanced: bool
    weekly: WeeklyPlan
    rep: str  # whose weekly list to show
    example_key: str  # an account to try commands on


# --------------------------------------------------------------------------- helpers

_TRANSLIT = str.maketrans(
    {"æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ß": "ss"}
)


def slugify(text: str, max_len: int = 40) -> str:
    """ASCII key from a company name: ``Bjørn Ærø A/S`` → ``bjorn-aero-a-s``."""
    t = text.translate(_TRANSLIT)
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii").lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return (t[:max_len].rstrip("-")) or "account"


def _weighted(rng: random.Random, items: tuple[Any, ...], weights: tuple[float, ...]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _field_value(acc: DemoAccount, name: str) -> Any:
    if name in ("revenue", "employees", "country", "lifecycle_stage", "key", "name"):
        return getattr(acc, name)
    if name in ("product_line", "product_lines"):
        return acc.product_lines[0] if acc.product_lines else None
    return acc.custom.get(name)


def expected_type(acc: DemoAccount, method: Method) -> str:
    """The type the method's rules give (category conditions are not evaluated here)."""
    return _type_rule(acc, method)[0]


def _type_rule(acc: DemoAccount, method: Method) -> tuple[str, str]:
    for rule in method.types.rules:
        if all(c.field != "category" and c.test(_field_value(acc, c.field)) for c in rule.when):
            return rule.type, rule.label
    return method.types.default, "default"


def expected_categories(accounts: list[DemoAccount], method: Method) -> dict[str, str]:
    """Category per account key as the method's category rule gives it: the classifier's
    own :func:`khm.core.classify.categorise` (one home for the ABC rule and min_group)."""
    from khm.core.classify import AccountFacts, categorise

    facts = [
        AccountFacts(
            key=a.key,
            country=a.country,
            product_lines=tuple(a.product_lines),
            revenue=a.revenue,
            employees=a.employees,
            custom=a.custom,
        )
        for a in accounts
        if not a.archived
    ]
    return {k: d.value for k, d in categorise(facts, method.categories).items()}


# --------------------------------------------------------------------------- names

# Company and person names come from khm.demo_names (name parts of our own, seeded).


# --------------------------------------------------------------------------- calendar


class _Days:
    """Fast day lookups over [start, end]: next/previous human day per country, weekdays."""

    def __init__(self, start: date, end: date, method: Method, countries: set[str]) -> None:
        from khm.core.calendar import is_human_day

        self.base = start.toordinal()
        n = end.toordinal() - self.base + 1
        self.n = n
        days = [start + timedelta(days=i) for i in range(n)]
        self.next_human: dict[str, list[int]] = {}
        self.prev_human: dict[str, list[int]] = {}
        for c in countries:
            ok = [is_human_day(d, method.calendar, c) for d in days]
            nxt = [n] * (n + 1)
            for i in range(n - 1, -1, -1):
                nxt[i] = i if ok[i] else nxt[i + 1]
            prv = [-1] * n
            last = -1
            for i in range(n):
                if ok[i]:
                    last = i
                prv[i] = last
            self.next_human[c] = nxt
            self.prev_human[c] = prv
        wk = [d.weekday() < 5 for d in days]
        nxt_wk = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            nxt_wk[i] = i if wk[i] else nxt_wk[i + 1]
        self.next_weekday = nxt_wk


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _broadcast_dates(start: date, end: date, weekday: int, nth: int) -> list[int]:
    """The nth ``weekday`` of every month in [start, end), as offsets from ``start``."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) < end:
        d = _nth_weekday(y, m, weekday, nth)
        if start <= d < end:
            out.append((d - start).days)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class _Diligence:
    """How a rep keeps the cadence: the share of touches done in the week they fall due
    (as khm's list gives them), the share done late by ``late_days`` after the due date
    (carried a week or more), the rest a whole cycle late; and how many of the rep's
    accounts slid for months (``neglect``, times the base share)."""

    on_time: float
    late: float
    late_days: tuple[int, int]
    neglect: float = 0.0
    human_only: bool = False  # digital work is kept as by the first of _DILIGENCE


#: the reps who follow their lists, in turn: late means carried a few days to three weeks
_DILIGENCE = (
    _Diligence(0.97, 0.028, (3, 14)),
    _Diligence(0.96, 0.035, (3, 14)),
    _Diligence(0.975, 0.022, (3, 10)),
    _Diligence(0.96, 0.035, (3, 14)),
    _Diligence(0.955, 0.04, (3, 21)),
)
#: the rep who is behind (BEHIND_REP): her human work late by weeks to months, a cycle
#: missed now and then; she gets her e-mails out like the others
_BEHIND = _Diligence(0.62, 0.35, (7, 56), neglect=0.6, human_only=True)
#: accounts nobody owns: whoever has time, late by weeks (``khm assign`` gives them
#: owners, who find some of them overdue)
_UNOWNED = _Diligence(0.85, 0.14, (7, 28))


def generate(
    *,
    seed: int = DEFAULT_SEED,
    today: date,
    accounts: int = DEFAULT_ACCOUNTS,
    reps: int | None = None,
    touches: int | None = None,
    method: Method | None = None,
    tricky: bool = True,
    unowned_share: float = 0.05,
    neglected_share: float = 0.10,
    lazy: bool = False,
    owners: str = "balanced",
) -> DemoData:
    """Generate a team. ``reps=None`` gives the five demo reps; ``touches`` caps the touch
    count (the history is shortened so about that many fall in it, then trimmed exactly).
    ``lazy`` keeps the touches out of memory: :meth:`DemoData.iter_touches` simulates them
    again while they are written (the same touches, for large benchmark databases).
    ``owners``: "balanced" (by the cadence's load relative to capacity) or "round-robin"
    (among the reps of the account's role; quick and plain, for benchmarks)."""
    if owners not in ("balanced", "round-robin"):
        raise ValueError(f"owners must be 'balanced' or 'round-robin', not {owners!r}")
    if accounts < 0:
        raise ValueError("accounts must be >= 0")
    if reps is not None and reps < 1:
        raise ValueError("reps must be >= 1")
    method = method or default_method()
    rng = random.Random(f"khm-demo:{seed}:{today.isoformat()}")
    names = NameGenerator(seed, slug=slugify)
    team = _make_reps(rng, names, reps)
    accs = _make_accounts(rng, names, accounts, today, tricky)

    # estimate the tags the method will give, then owners by role and load
    cats = expected_categories(accs, method)
    for a in accs:
        a.expected_type = expected_type(a, method)
        a.expected_category = cats.get(a.key, method.categories.fallback)
    history_start = today - timedelta(days=HISTORY_DAYS)
    tag_changes = _tag_history(rng, accs, method, today, history_start)
    behind = BEHIND_REP if reps is None and any(r.handle == BEHIND_REP for r in team) else None
    _assign_owners(rng, team, accs, method, unowned_share, behind)
    if owners == "round-robin":
        _round_robin(team, accs)

    # how far back the history goes: a year, or less when a touch count is asked for
    history_days = HISTORY_DAYS
    if touches is not None and accs:
        per_year = _expected_touches_per_year(accs, method)
        if per_year > 0:
            history_days = max(
                30, min(3 * HISTORY_DAYS, math.ceil(HISTORY_DAYS * 1.3 * touches / per_year))
            )
    diligence = _team_diligence(team, behind)
    neglected = _pick_neglected(rng, accs, neglected_share, diligence)
    seed_text = f"khm-demo:{seed}:{today.isoformat()}"
    out: list[DemoTouch] = []
    for _attempt in range(4):  # lengthen the history until the asked touch count fits
        history_start = today - timedelta(days=history_days)
        sim = _Sim(seed_text, team, accs, method, history_start, today, neglected, diligence)
        if lazy:
            total = sum(len(sim.touches(a)) for a in accs)
        else:
            out = [t for a in accs for t in sim.touches(a)]
            total = len(out)
        if touches is None or total >= touches or history_days >= 3 * HISTORY_DAYS:
            break
        history_days = min(
            3 * HISTORY_DAYS, math.ceil(history_days * 1.1 * touches / max(total, 1))
        )
    data = DemoData(
        seed=seed,
        today=today,
        reps=team,
        accounts=accs,
        touches=out,
        history_start=history_start,
        neglected=neglected,
        tag_changes=tag_changes,
        nps_responses=_nps_responses(seed_text, accs, today, _followed_up(out, method)),
    )
    n = total if touches is None else min(touches, total)
    if lazy:
        # counted now, simulated again while loading: memory stays flat for big benchmarks
        data._stream = (sim, total, n)
    elif n < total:
        data.touches = list(_select(out, total, n, seed_text))
    return data


_NPS_CONTACTS = ("CFO", "CEO", "Head of IT", "Purchasing manager", "Operations lead")
_NPS_COMMENTS = {
    "promoter": (
        "Great support, quick answers",
        "The roadmap review was really useful",
        "Easy to work with",
        None,
        None,
    ),
    "passive": ("Works fine, invoicing is clunky", "Good, but pricey", None, None),
    "detractor": (
        "Support takes days to answer",
        "Price went up without notice",
        "Onboarding of new users is slow",
        "Nobody has called us since the contract was signed",
        "We lost data in the last upgrade",
    ),
}


def _weekday_before(day: date) -> date:
    """``day``, or the Friday before when it is a weekend day."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _followed_up(touches: list[DemoTouch], method: Method) -> dict[str, list[date]]:
    """Per account: the dates of its calls (or kinds covering a call), in order."""
    kinds = method.covering("call") if "call" in method.activities else set()
    out: dict[str, list[date]] = {}
    for t in touches:
        if t.kind in kinds:
            out.setdefault(t.account_key, []).append(t.date)
    for dates in out.values():
        dates.sort()
    return out


def _nps_responses(
    seed_text: str, accs: list[DemoAccount], today: date, calls: dict[str, list[date]]
) -> list[DemoResponse]:
    """NPS answers of the surveyed accounts (those with an ``nps`` field): one to three
    in the year before today, on weekdays, scores near the latest (which is the field),
    so ``khm report nps`` has every month and the field reads the same as before. The
    team called its detractors back: an answer of 0-6 older than three weeks is dated a
    few days before one of the account's calls (``calls``) when there is one after it,
    so the detractor trigger lists the recent ones. A random stream of its own: the rest
    of the demo is what it was without them."""
    from khm.core.nps import group_of

    rng = random.Random(f"{seed_text}:nps")
    out: list[DemoResponse] = []
    for a in accs:
        if "nps" not in a.custom or a.archived:
            continue
        latest = int(a.custom["nps"])
        n = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        backs = sorted(rng.sample(range(1, HISTORY_DAYS), n), reverse=True)  # oldest first
        after = calls.get(a.key, [])
        answers: list[tuple[date, int]] = []
        for i, back in enumerate(backs):
            day = _weekday_before(today - timedelta(days=back))
            score = latest if i == n - 1 else min(10, max(0, latest + rng.randint(-2, 2)))
            if score <= 6 and back > 21:
                j = bisect.bisect_left(after, day)
                if j < len(after):  # called back: the answer came a few days before
                    day = _weekday_before(after[j] - timedelta(days=rng.randint(1, 4)))
                elif after:
                    day = _weekday_before(after[-1] - timedelta(days=rng.randint(1, 4)))
                elif i < n - 1:
                    score = 7  # never called: only its latest answer may be a detractor
            answers.append((day, score))
        newest = max(d for d, _ in answers)
        answers[-1] = (max(answers[-1][0], newest), answers[-1][1])  # the field's answer
        for day, score in answers:
            comment = rng.choice(_NPS_COMMENTS[group_of(score)])
            out.append(DemoResponse(a.key, score, day, rng.choice(_NPS_CONTACTS), comment))
    return out


def _select(items: Iterable[DemoTouch], total: int, n: int, seed_text: str) -> Iterator[DemoTouch]:
    """Exactly ``n`` of ``total`` items, each equally likely, in order (Knuth's algorithm S)."""
    rng = random.Random(f"{seed_text}:select")
    left, need = total, n
    for item in items:
        if need and rng.random() * left < need:
            need -= 1
            yield item
        left -= 1


_MANUAL_TAGS: tuple[tuple[str, str, str], ...] = (
    ("type", "expand", "Strategic: their parent group is consolidating suppliers"),
    ("type", "expand", "New CFO asked for a proposal on the payroll module"),
    ("category", "A", "Reference customer: we use them in every Nordic pitch"),
)
_RULE_RUN = "rule run"


def _neighbour(rng: random.Random, category: str) -> str:
    """A category one step up or down."""
    i = CATEGORIES.index(category) if category in CATEGORIES else 3
    steps = [j for j in (i - 1, i + 1) if 0 <= j <= 3]
    return CATEGORIES[rng.choice(steps)]


def _tag_history(
    rng: random.Random,
    accs: list[DemoAccount],
    method: Method,
    today: date,
    start: date,
) -> list[DemoTagChange]:
    """A year of tagging: the team adopted the method a year ago (every account tagged
    then), tags moved during the year (keep → expand and back, categories up and down), a
    few accounts carry a manual tag, and since the last rule run some accounts moved again
    (a pipeline opened, revenue shifted): the demo's own ``khm tag`` finds those.

    Sets each account's loaded state (``type``, ``category``, ``tagged_on``, manual flags)
    and its ``expected_*`` (the tags it has after today's run, manual ones included)."""
    out: list[DemoTagChange] = []
    adopted = start  # so every touch since the first tags lies in the history
    cat_rule = method.categories.rule
    candidates = [
        a
        for a in accs
        if not a.archived and a.expected_type == "keep" and a.expected_category in ("B", "C")
    ]
    manual: dict[str, tuple[str, str, str]] = {}
    if len(candidates) > 3 * len(_MANUAL_TAGS):
        picks = rng.sample(candidates, len(_MANUAL_TAGS))
        manual = {a.key: spec for a, spec in zip(picks, _MANUAL_TAGS, strict=True)}

    def change(a: DemoAccount, fld: str, old: str | None, new: str, on: date, rule: str) -> None:
        out.append(DemoTagChange(a.key, fld, old, new, on, "khm", _RULE_RUN, rule))

    def label(t: str, rule_type: str, rule_label: str) -> str:
        if t == rule_type:
            return rule_label
        if t == method.types.default:
            return "default"
        return next((r.label for r in method.types.rules if r.type == t), "default")

    for a in accs:
        rule_type, rule_label = _type_rule(a, method)
        first = max(adopted, a.created + timedelta(days=1))
        a.first_tagged = first
        rule_t, rule_c = a.expected_type, a.expected_category
        spec = manual.get(a.key)
        if spec is not None:
            # tagged by the rules at first, then by hand (kept by every later rule run)
            fld, value, reason = spec
            change(a, "type", None, rule_t, first, rule_label)
            change(a, "category", None, rule_c, first, cat_rule)
            on = today - timedelta(days=rng.randint(40, 200))
            was = rule_t if fld == "type" else rule_c
            out.append(DemoTagChange(a.key, fld, was, value, on, "mette", reason, "manual"))
            if fld == "type":
                a.type_manual, a.expected_type = True, value
            else:
                a.category_manual, a.expected_category = True, value
            a.manual_reason = reason
            a.type, a.category, a.tagged_on = a.expected_type, a.expected_category, on
            continue
        # t1/c1: what the last rule run (a few weeks ago) left; today's run finds the rest
        t1, c1 = rule_t, rule_c
        if not a.archived:
            u = rng.random()
            if rule_t == "expand" and u < 0.03:
                t1 = "keep"  # the pipeline opened after the last rule run
            elif rule_t == "keep" and u < 0.006:
                t1 = "expand"  # the opportunity closed since
            if rng.random() < 0.012:
                c1 = _neighbour(rng, rule_c)  # revenue shifted since
        # t0/c0: the first tags; a tenth of the accounts moved once during the year
        t0, c0 = t1, c1
        moved_on: date | None = None
        span = (today - timedelta(days=35) - first).days
        if not a.archived and span > 60 and rng.random() < 0.10:
            moved_on = first + timedelta(days=rng.randint(30, span))
            if rng.random() < 0.5:
                t0 = "keep" if t1 == "expand" else "expand"
            else:
                c0 = _neighbour(rng, c1)
        change(a, "type", None, t0, first, label(t0, rule_type, rule_label))
        change(a, "category", None, c0, first, cat_rule)
        last = first
        if moved_on is not None:
            if t0 != t1:
                change(a, "type", t0, t1, moved_on, label(t1, rule_type, rule_label))
            if c0 != c1:
                change(a, "category", c0, c1, moved_on, cat_rule)
            last = moved_on
        a.type, a.category, a.tagged_on = t1, c1, last
    return out


def _make_reps(rng: random.Random, names: NameGenerator, n: int | None) -> list[DemoRep]:
    if n is None:
        return [DemoRep(h, nm, em, role, cap) for h, nm, em, role, cap in DEMO_REPS]
    out: list[DemoRep] = []
    n_expand = max(1, round(n * 0.4)) if n > 1 else 0
    seen: set[str] = set()
    for i in range(n):
        country = COUNTRIES[i % len(COUNTRIES)]
        name = names.person(country.code)
        base = slugify(name.split()[0], 20)
        handle = base
        k = 2
        while handle in seen:
            handle = f"{base}{k}"
            k += 1
        seen.add(handle)
        role = "any" if n == 1 else "expand" if i < n_expand else "keep"
        out.append(
            DemoRep(
                handle=handle,
                name=name,
                email=f"{slugify(name, 60).replace('-', '.')}@example.com",
                role=role,
                capacity=float(rng.choice((10, 12, 12, 14, 16, 18, 20))),
            )
        )
    return out


def _make_accounts(
    rng: random.Random, names: NameGenerator, n: int, today: date, tricky: bool
) -> list[DemoAccount]:
    out: list[DemoAccount] = []
    keys: set[str] = set()
    weights = tuple(c.weight for c in COUNTRIES)
    stage_names = tuple(s for s, _ in STAGES)
    stage_weights = tuple(w for _, w in STAGES)
    tricky_rows = list(TRICKY_ACCOUNTS) if tricky and n >= 50 else []
    # spread the tricky accounts through the book (deterministic positions)
    tricky_at = {
        round((i + 1) * n / (len(tricky_rows) + 1)): row for i, row in enumerate(tricky_rows)
    }
    for i in range(n):
        row = tricky_at.get(i)
        if row is not None:
            key, name, code, line = row
            country = _COUNTRY_BY_CODE[code]
            lines = [line]
        else:
            country = _weighted(rng, COUNTRIES, weights)
            name = names.company(country.code)
            key = slugify(name)
            lines = [_weighted(rng, PRODUCT_LINES, _PRODUCT_WEIGHTS)]
            if rng.random() < 0.22:
                other = _weighted(rng, PRODUCT_LINES, _PRODUCT_WEIGHTS)
                if other != lines[0]:
                    lines.append(other)
        base = key
        k = 2
        while key in keys:
            key = f"{base}-{k}"
            k += 1
        keys.add(key)

        revenue = rng.lognormvariate(math.log(60_000 * country.revenue_scale), 1.45)
        if row is not None:
            revenue = max(revenue, 400_000 + (150_000 * len(out)) % 900_000)
        revenue = float(min(max(round(revenue, -2), 1_000.0), 60_000_000.0))
        employees = float(
            max(1, round(math.exp(0.75 * math.log(revenue) - 4.3 + rng.gauss(0, 0.6))))
        )
        stage = _weighted(rng, stage_names, stage_weights)
        if row is not None:
            stage = "opportunity" if row[0] in ("brackets-ab", "norrsken-oy") else "customer"
        custom: dict[str, float] = {}
        pipeline = 0.0
        if stage == "opportunity" or (stage in ("customer", "renewal") and rng.random() < 0.12):
            pipeline = float(round(revenue * rng.uniform(0.08, 0.6), -2))
        custom["open_pipeline"] = pipeline
        if rng.random() < 0.45:
            nps = rng.choices(range(11), weights=(2, 1, 1, 2, 2, 4, 6, 10, 14, 12, 8))[0]
            if stage == "at-risk":
                nps = min(nps, rng.randint(0, 6))
            custom["nps"] = float(nps)
        if stage == "onboarding":
            created = today - timedelta(days=rng.randint(20, 160))
        else:
            created = today - timedelta(days=rng.randint(HISTORY_DAYS + 30, 8 * 365))
        out.append(
            DemoAccount(
                key=key,
                name=name,
                country=country.code,
                product_lines=lines,
                revenue=revenue,
                employees=employees,
                custom=custom,
                lifecycle_stage=stage,
                archived=stage == "churned",
                created=created,
            )
        )
    return out


def _assign_owners(
    rng: random.Random,
    team: list[DemoRep],
    accs: list[DemoAccount],
    method: Method,
    unowned_share: float,
    behind: str | None = None,
) -> None:
    """Each account to a rep of its role with the lowest load/capacity; some stay unowned.
    The ``behind`` rep is given ``_OVERLOAD`` times the load of the others."""
    if not team:
        return
    by_role: dict[str, list[DemoRep]] = {
        role: [r for r in team if r.role in (role, "any")] for role in TYPES
    }
    from khm.core.capacity import LoadTable

    load = {r.handle: 0.0 for r in team}
    loads = LoadTable(method)  # the load khm capacity and khm assign state
    weighted = []
    for a in accs:
        if a.archived or rng.random() < unowned_share:
            continue
        weighted.append((loads.load(a.expected_type, a.expected_category, None), a))
    room = {r.handle: max(r.capacity, 1.0) for r in team}
    if behind is not None:
        # the team's utilisation, then as much room for the rep behind as puts her there
        team_load = sum(w for w, _ in weighted)
        others = sum(room[h] for h in room if h != behind)
        u = team_load / (others + room[behind] * BEHIND_UTILISATION) if team_load else 1.0
        room[behind] *= BEHIND_UTILISATION / max(u, 0.1)
    weighted.sort(key=lambda x: (-x[0], x[1].key))
    for w, a in weighted:
        cands = by_role.get(a.expected_type) or team
        rep = min(cands, key=lambda r: ((load[r.handle] + w) / room[r.handle], r.handle))
        a.owner = rep.handle
        load[rep.handle] += w
    # archived accounts keep their last owner when they had one
    keep_reps = by_role.get("keep") or team
    for a in accs:
        if a.archived:
            a.owner = rng.choice(keep_reps).handle


_NEGLECT_WEIGHT = {"A": 0.5, "B": 0.7, "C": 1.0, "D": 1.25}


def _round_robin(team: list[DemoRep], accs: list[DemoAccount]) -> None:
    """Owners in turn among the reps of each account's role (role any takes both); the
    unowned stay unowned."""
    pools = {
        role: [r.handle for r in team if r.role in (role, "any")] or [r.handle for r in team]
        for role in TYPES
    }
    turn = {"expand": 0, "keep": 0}
    for a in accs:
        if a.archived or a.owner is None:
            continue
        pool = pools[a.expected_type]
        a.owner = pool[turn[a.expected_type] % len(pool)]
        turn[a.expected_type] += 1


def _team_diligence(team: list[DemoRep], behind: str | None) -> dict[str, _Diligence]:
    """How each rep keeps the cadence. The demo team (``behind`` set): the reps follow
    their lists and neglect nothing, except the one behind. A generated team (benchmarks):
    every rep lets some accounts slide, as a big book has it."""
    out: dict[str, _Diligence] = {}
    for i, r in enumerate(team):
        d = _DILIGENCE[i % len(_DILIGENCE)]
        if behind is None:
            d = replace(d, neglect=1.0)
        elif r.handle == behind:
            d = _BEHIND
        out[r.handle] = d
    return out


def _pick_neglected(
    rng: random.Random, accs: list[DemoAccount], share: float, diligence: dict[str, _Diligence]
) -> set[str]:
    """The accounts whose reps let them slide for months (the small ones more often)."""
    out: set[str] = set()
    for a in accs:
        if a.archived:
            continue
        dil = diligence.get(a.owner, _UNOWNED) if a.owner else _UNOWNED
        if rng.random() < share * dil.neglect * _NEGLECT_WEIGHT.get(a.expected_category, 1.0):
            out.add(a.key)
    return out


def _expected_touches_per_year(accs: list[DemoAccount], method: Method) -> float:
    total = 0.0
    for a in accs:
        for _kind, interval in method.cadence_for(a.expected_type, a.expected_category).items():
            total += interval.per_year
    return total


class _Sim:
    """Everything the touch simulation needs; :meth:`touches` gives one account's touches
    from its own random stream, so accounts can be simulated again (streaming) alike."""

    def __init__(
        self,
        seed_text: str,
        team: list[DemoRep],
        accs: list[DemoAccount],
        method: Method,
        start: date,
        today: date,
        neglected: set[str],
        diligence: dict[str, _Diligence],
    ) -> None:
        self.seed_text = seed_text
        self.method = method
        self.start = start
        self.neglected = neglected
        self.days = _Days(
            start - timedelta(days=1),
            today + timedelta(days=400),
            method,
            {a.country for a in accs},
        )
        self.base = self.days.base
        self.t0 = start.toordinal() - self.base
        self.t_end = today.toordinal() - self.base  # touches strictly before today
        self.diligence = diligence
        self.role_reps: dict[str, list[str]] = {
            role: [r.handle for r in team if r.role in (role, "any")] or [r.handle for r in team]
            for role in TYPES
        }
        self.broadcasts = {
            "newsletter": _broadcast_dates(start, today, 1, 2),  # 2nd Tuesday of the month
            "webinar": _broadcast_dates(start, today, 3, 3),  # 3rd Thursday of the month
        }
        self.covered_by: dict[str, set[str]] = {
            k: method.covering(k) - {k} for k in method.activities
        }

    def _order(self, kind: str) -> tuple[int, str]:
        # human kinds that cover others first, so their touches reset the covered timers
        act = self.method.activities[kind]
        return (0 if act.covers and act.mode == "human" else 1 if act.mode == "human" else 2, kind)

    def touches(self, a: DemoAccount) -> list[DemoTouch]:
        """One account's year of touches, in kind order then date order."""
        rng = random.Random(f"{self.seed_text}:{a.key}")
        method, days, base = self.method, self.days, self.base
        t0, t_end, neglected = self.t0, self.t_end, self.neglected
        broadcasts, covered_by = self.broadcasts, self.covered_by
        start = self.start
        out: list[DemoTouch] = []
        cadence = method.cadence_for(a.expected_type, a.expected_category)
        if not cadence:
            return out
        begin = max(t0, a.created.toordinal() - base)
        stop_all = t_end
        stop_human = t_end
        if a.key in neglected:
            # nothing human for 3-10 months; about half of them lost all contact (not
            # even the newsletter reaches them), some for most of the year
            stop_human = max(begin, t_end - rng.randint(95, 300))
            if rng.random() < 0.5:
                stop_all = stop_human = max(begin, t_end - rng.randint(150, 364))
        elif a.key in _OVERDUE_TRICKY:
            stop_human = max(begin, t_end - rng.randint(21, 42))  # slipped a few weeks ago
        if a.archived:
            stop_all = stop_human = max(begin, t_end - rng.randint(60, 250))
        dil = self.diligence.get(a.owner, _UNOWNED) if a.owner else _UNOWNED
        human_rep = a.owner or rng.choice(self.role_reps[a.expected_type])
        nxt = days.next_human[a.country]
        prv = days.prev_human[a.country]
        done: dict[str, list[int]] = {}
        for kind in sorted(cadence, key=self._order):
            interval = cadence[kind]
            act = method.activities[kind]
            human = act.mode == "human"
            stop = stop_human if human else stop_all
            kd = _DILIGENCE[0] if dil.human_only and not human else dil
            step = max(1, round(interval.days))
            dates: list[int] = []
            if kind in broadcasts:
                last = begin - rng.randint(0, step)
                for d in broadcasts[kind]:
                    if begin <= d + t0 < stop and d + t0 - last >= step - max(7, step // 4):
                        dates.append(d + t0)
                        last = d + t0
                month_note = True
            else:
                month_note = False
                cover = sorted(d for c in covered_by[kind] for d in done.get(c, ()))
                # the first one falls where khm's planner spreads a never-touched kind
                # (from the day the account got its present tags), so the simulated
                # team follows the lists it would have been given
                anchor = a.tagged_on or a.first_tagged or start
                last = first_due(anchor, a.key, kind, interval).toordinal() - base - step
                while True:
                    due = last + step
                    u = rng.random()
                    if u < kd.on_time:
                        # done in the week it falls due: the week khm's list gives it
                        when = due - (base + due - 1) % 7 + rng.randint(0, 4)
                        if when <= last:
                            when = due
                    elif u < kd.on_time + kd.late:
                        when = due + rng.randint(*kd.late_days)  # carried, done late
                    else:
                        when = due + round(step * rng.uniform(0.9, 1.4))  # a cycle missed
                    if when < 0:
                        when = 0
                    if when >= days.n:
                        break
                    if human:
                        snapped = nxt[when]
                        if snapped - when > 5:
                            before = prv[max(prv[when] - rng.randint(0, 14), 0)]
                            if rng.random() < 0.5 and before > last:
                                snapped = before  # done in the weeks before the break
                            else:  # after it, over the weeks the lists spread it
                                snapped = nxt[min(snapped + rng.randint(0, 20), days.n - 1)]
                        when = snapped
                    else:
                        when = days.next_weekday[when]
                    # a covering touch (a visit covers a call) since the last one resets it
                    j = bisect.bisect_right(cover, last)
                    if j < len(cover) and cover[j] <= when:
                        last = cover[j]
                        continue
                    if when >= stop:
                        break
                    if when >= begin:
                        dates.append(when)
                    last = when
            done[kind] = dates
            notes = _NOTES.get(kind)
            rep = human_rep if human or kind == "email" else a.owner
            for d in dates:
                day = date.fromordinal(base + d)
                if month_note:
                    note: str | None = f"{_MONTHS[day.month - 1]} {kind}"
                else:
                    note = rng.choice(notes) if notes else None
                out.append(DemoTouch(a.key, rep, kind, day, note))
        return out
