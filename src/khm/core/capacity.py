"""The weekly human load the cadence implies, and whether a team can carry it. Pure.

Load of one account = for every human activity of its (type, category) cadence,
effort x times a year, divided by the human weeks of the year (weekdays outside the
method's no-human periods and the public holidays of the account's country, / 5). So a
rep's load is "effort units per working week", the same unit as the rep's capacity.

``covers`` is taken into account: when a visit also counts as a call, the calls that fall
due between visits are the only ones needed. With covering touches (all covering kinds of
the same cadence together) evenly spread at a gap ``G`` and the covered interval ``T``,
``ceil(G / T) - 1`` touches of the covered kind are needed per gap: a visit every quarter
covers 4 of the 12 monthly calls (8 calls remain), a visit every quarter and a call every
2 months leave 4 calls (not 2: the call falls due once between two visits).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from khm.core.calendar import WEEKDAYS, human_weeks_per_year
from khm.core.constants import CATEGORIES, ROLES, TYPES
from khm.method import Method

DEFAULT_YEAR = 2026
#: decimals a load per account is stated with (method check, capacity's cells)
LOAD_DECIMALS = 4
_EPS = 1e-9
ROLE_TAKES: dict[str, frozenset[str]] = {
    "expand": frozenset({"expand"}),
    "keep": frozenset({"keep"}),
    "any": frozenset({"expand", "keep"}),
}


def takes(role: str, account_type: str) -> bool:
    """Whether a rep of ``role`` may own an account of ``account_type``."""
    return account_type in ROLE_TAKES.get((role or "").lower(), frozenset())


# --------------------------------------------------------------------------- per account


def touches_per_year(method: Method, account_type: str, category: str) -> dict[str, float]:
    """How many touches of each kind of the cadence one account needs in a year, after
    the touches that other kinds of the same cadence cover."""
    plan = method.cadence_for(account_type, category)
    out: dict[str, float] = {}
    for kind, iv in plan.items():
        rate = iv.per_year
        coverers = [k for k in method.covering(kind) if k != kind and k in plan]
        if coverers:
            cover_rate = sum(plan[k].per_year for k in coverers)
            gap_days = 365.25 / cover_rate
            per_gap = max(math.ceil(gap_days / iv.days - _EPS) - 1, 0)
            rate = min(rate, cover_rate * per_gap)
        out[kind] = rate
    return out


def human_effort_per_year(method: Method, account_type: str, category: str) -> float:
    """Effort units of human work a year that one account of this cell asks for."""
    return sum(
        method.effort(kind) * n
        for kind, n in touches_per_year(method, account_type, category).items()
        if method.is_human(kind)
    )


def human_touches_per_year(method: Method, account_type: str, category: str) -> float:
    return sum(
        n
        for kind, n in touches_per_year(method, account_type, category).items()
        if method.is_human(kind)
    )


def cell_load(
    method: Method, account_type: str | None, category: str | None, weeks: float
) -> float:
    """Effort units per human week one account of (type, category) asks for, over a year
    of ``weeks`` human weeks; 0 when it has no type or category.

    The one home of this figure: ``khm method check``, ``khm capacity``, ``khm assign``
    and the demo all come here (through :class:`LoadTable`), so they state the same load.
    ``covers`` counts (:func:`touches_per_year`): a visit also resets the call timer."""
    if not account_type or not category or weeks <= 0:
        return 0.0
    return human_effort_per_year(method, account_type, category) / weeks


class LoadTable:
    """:func:`cell_load` and the human touches per week, memoised per (type, category,
    country) for one method and year: the human weeks are the year's weekdays outside
    the no-human periods and the public holidays of the account's country (or of the
    method's fixed holiday country)."""

    def __init__(
        self,
        method: Method,
        year: int = DEFAULT_YEAR,
        holidays: Callable[[str, int], Collection[date]] | None = None,
    ) -> None:
        self.method = method
        self.year = year
        self.holidays = holidays
        self._weeks: dict[str | None, float] = {}
        self._touches: dict[tuple[str, str], float] = {}
        self._loads: dict[tuple[str | None, str | None, str | None], float] = {}

    def weeks(self, country: str | None) -> float:
        c = country.upper() if country else None
        if c not in self._weeks:
            self._weeks[c] = human_weeks_per_year(self.method.calendar, c, self.year, self.holidays)
        return self._weeks[c]

    def load(self, account_type: str | None, category: str | None, country: str | None) -> float:
        key = (account_type, category, country)
        hit = self._loads.get(key)
        if hit is None:
            hit = self._loads[key] = self._load(account_type, category, country)
        return hit

    def _load(self, account_type: str | None, category: str | None, country: str | None) -> float:
        if not account_type or not category:
            return 0.0
        return cell_load(self.method, account_type, category, self.weeks(country))

    def touches(self, account_type: str | None, category: str | None, country: str | None) -> float:
        if not account_type or not category:
            return 0.0
        weeks = self.weeks(country)
        if weeks <= 0:
            return 0.0
        k = (account_type, category)
        hit = self._touches.get(k)
        if hit is None:
            hit = self._touches[k] = human_touches_per_year(self.method, account_type, category)
        return hit / weeks


# --------------------------------------------------------------------------- yielding work

#: days past its due date that the human work of a yielding category may wait before
#: the week's list skips it for this cycle (an interval for every other category)
YIELD_WAIT_DAYS = 7


def yielding(loads: Mapping[str, float], capacity: float) -> frozenset[str]:
    """The categories a rep's weekly ``capacity`` cannot cover on average under
    ``overload = "protect"``: fill the capacity with the load (effort per human week,
    :class:`LoadTable`) of each category in order, A first; every category from the first
    that overflows it yields. A never yields: its work waits its interval, however short
    the rep is (``khm capacity`` says so)."""
    out: list[str] = []
    total = 0.0
    for i, c in enumerate(CATEGORIES):
        total += loads.get(c, 0.0)
        if i and (out or total > capacity + _EPS):
            out.append(c)
    return frozenset(out)


def rep_yields(
    method: Method,
    groups: Iterable[LoadGroup],
    capacities: Mapping[str, float],
    *,
    year: int,
    holidays: Callable[[str, int], Collection[date]] | None = None,
) -> dict[str, frozenset[str]]:
    """Per rep of ``capacities`` (handle -> weekly capacity), the categories that yield
    (:func:`yielding`) over the accounts it owns (``groups``); only reps with some, and
    none unless the method's overload policy is ``protect``. The weekly planner, ``khm
    account show`` and ``khm simulate`` all come here."""
    if method.capacity.overload != "protect":
        return {}
    table = LoadTable(method, year, holidays)
    loads: dict[str, dict[str, float]] = {}
    for g in groups:
        if g.owner is None or g.owner not in capacities or not g.type or not g.category:
            continue
        per = loads.setdefault(g.owner, {})
        per[g.category] = per.get(g.category, 0.0) + g.count * table.load(
            g.type, g.category, g.country
        )
    out = {}
    for handle, per in loads.items():
        got = yielding(per, max(capacities[handle], 0.0))
        if got:
            out[handle] = got
    return out


def load_groups_of(accounts: Iterable[Any], owners: Collection[str]) -> list[LoadGroup]:
    """The tagged ones of ``accounts`` (anything with owner, type, category and country)
    owned by ``owners``, counted per (owner, type, category, country): what
    :func:`rep_yields` reads, from a book in memory (the store counts it in SQL)."""
    counts = Counter(
        (a.owner, a.type, a.category, a.country)
        for a in accounts
        if a.owner in owners and a.type and a.category
    )
    return [LoadGroup(o, t, c, k, n) for (o, t, c, k), n in counts.items()]


def yield_wait(
    yields: Mapping[str, frozenset[str]], owner: str | None, category: str | None
) -> int | None:
    """Days the work of ``owner``'s ``category`` may wait before it is skipped:
    :data:`YIELD_WAIT_DAYS` when it yields, else None (one interval)."""
    got = yields.get(owner) if owner is not None else None
    return YIELD_WAIT_DAYS if got and category in got else None


# --------------------------------------------------------------------------- the team


@dataclass(frozen=True)
class RepInfo:
    handle: str
    role: str
    capacity: float
    active: bool = True
    name: str = ""


@dataclass(frozen=True)
class LoadGroup:
    """``count`` active accounts with the same owner, type, category and country."""

    owner: str | None
    type: str | None
    category: str | None
    country: str | None
    count: int


@dataclass
class RepCapacity:
    handle: str
    name: str
    role: str
    capacity: float
    accounts: int = 0
    cells: dict[str, int] = field(default_factory=dict)  # "expand/A" -> accounts
    touches_per_week: float = 0.0
    load: float = 0.0  # effort units per human week
    wrong_role: int = 0  # accounts whose type the rep's role does not take
    untagged: int = 0
    away_days: int = 0  # weekdays away over the horizon (khm.core.absence)
    available: float = 0.0  # capacity less the days away, a week on average over the horizon
    backlog: float = 0.0  # effort of human work already due before this week (waiting)
    #: cycles this week's list dropped: waited more than one interval (khm.core.due.replan)
    skipped: int = 0
    #: the categories whose work yields on this rep's list (:func:`yielding`)
    yielding: tuple[str, ...] = ()

    @property
    def utilisation(self) -> float | None:
        return self.load / self.capacity if self.capacity > 0 else None

    @property
    def weeks_to_clear(self) -> float | None:
        """Weeks the backlog takes to clear with what the available capacity leaves
        over the cadence's load: 0 with no backlog, None when nothing is left over."""
        return weeks_to_clear(self.backlog, self.available - self.load)


@dataclass
class CellLoad:
    type: str
    category: str
    accounts: int = 0
    load: float = 0.0
    touches_per_week: float = 0.0
    share: float = 0.0  # of the total load, 0..1

    @property
    def cell(self) -> str:
        return f"{self.type}/{self.category}"

    @property
    def load_per_account(self) -> float:
        return self.load / self.accounts if self.accounts else 0.0


@dataclass
class RoleNeed:
    role: str
    accounts: int
    load: float
    reps: int  # active reps with exactly this role
    any_reps: int  # active reps with role any (they can take these accounts too)
    mean_capacity: float
    needed: int  # ceil(load / mean capacity)
    extra: int = 0  # more reps of this role to add for the team to fit


@dataclass
class CapacityPlan:
    reps: list[RepCapacity]
    team: RepCapacity  # totals of the reps (accounts with an active owner)
    unowned: RepCapacity  # accounts with no owner, or an owner who is not an active rep
    unowned_owners: dict[str, int]  # inactive/unknown owner -> accounts
    cells: list[CellLoad]  # sorted: the cells driving the load first
    roles: list[RoleNeed]
    untagged: int
    total_load: float
    total_capacity: float
    fits: bool
    verdict: str
    horizon_weeks: int = 0  # the weeks the absences are counted over

    @property
    def utilisation(self) -> float | None:
        return self.total_load / self.total_capacity if self.total_capacity > 0 else None

    @property
    def behind(self) -> list[RepCapacity]:
        """Reps whose lists carry more than a week's work: the backlog does not clear
        within a week."""
        return [r for r in self.reps if _behind(r)]


def weeks_to_clear(backlog: float, spare: float) -> float | None:
    """Weeks a ``backlog`` (effort) takes to clear with ``spare`` effort a week: 0 with no
    backlog, None when there is no spare capacity (it never clears)."""
    if backlog <= _EPS:
        return 0.0
    if spare <= _EPS:
        return None
    return backlog / spare


def _behind(r: RepCapacity) -> bool:
    w = r.weeks_to_clear
    return w is None or w > 1 + _EPS


def _weeks_text(w: float | None) -> str:
    return "never at this capacity" if w is None else f"in {w:.1f} weeks"


def _add(target: RepCapacity, g: LoadGroup, table: LoadTable) -> None:
    target.accounts += g.count
    if not g.type or not g.category:
        target.untagged += g.count
        return
    cell = f"{g.type}/{g.category}"
    target.cells[cell] = target.cells.get(cell, 0) + g.count
    target.load += g.count * table.load(g.type, g.category, g.country)
    target.touches_per_week += g.count * table.touches(g.type, g.category, g.country)


def plan_capacity(
    method: Method,
    reps: Sequence[RepInfo],
    groups: Iterable[LoadGroup],
    *,
    year: int = DEFAULT_YEAR,
    holidays: Callable[[str, int], Collection[date]] | None = None,
    backlog: Mapping[str, float] | None = None,
    away_days: Mapping[str, int] | None = None,
    horizon_weeks: int = 13,
    skipped: Mapping[str, int] | None = None,
) -> CapacityPlan:
    """Per rep and team: accounts, touches and effort per week, capacity, utilisation;
    the cells that drive the load; the reps each role needs; a verdict.

    ``backlog`` (rep -> effort of human work already due before this week, as the weekly
    planner measures it) and ``away_days`` (rep -> weekdays away over the next
    ``horizon_weeks`` weeks) make the verdict see the lists: the available capacity is
    ``capacity x (1 - away days / (5 x horizon weeks))``; the backlog clears with what it
    leaves over the load; the team "fits" only when every rep's backlog clears within a
    week (else "tight"). ``skipped`` (rep -> cycles the week's list dropped after
    waiting more than one interval) is counted per rep and for the team. Under
    ``protect`` each rep's yielding categories are named (:func:`rep_yields`)."""
    table = LoadTable(method, year, holidays)
    groups = list(groups)
    backlog = backlog or {}
    skipped = skipped or {}
    away_days = away_days or {}
    days = max(horizon_weeks, 1) * WEEKDAYS
    active = {r.handle: r for r in sorted(reps, key=lambda r: r.handle) if r.active}
    rows = {}
    for h, r in active.items():
        cap = r.capacity if r.capacity > 0 else 0.0
        away = min(max(away_days.get(h, 0), 0), days)
        rows[h] = RepCapacity(
            h,
            r.name,
            r.role,
            cap,
            away_days=away,
            available=cap * (days - away) / days,
            backlog=max(backlog.get(h, 0.0), 0.0),
            skipped=skipped.get(h, 0),
        )
    team = RepCapacity(
        "team",
        "all active reps",
        "",
        sum(r.capacity for r in rows.values()),
        away_days=sum(r.away_days for r in rows.values()),
        available=sum(r.available for r in rows.values()),
        backlog=sum(r.backlog for r in rows.values()),
        skipped=sum(r.skipped for r in rows.values()),
    )
    for h, got in rep_yields(
        method, groups, {h: r.capacity for h, r in rows.items()}, year=year, holidays=holidays
    ).items():
        rows[h].yielding = tuple(sorted(got))
    unowned = RepCapacity("unowned", "no active owner", "", 0.0)
    unowned_owners: dict[str, int] = defaultdict(int)
    cells = {(t, c): CellLoad(t, c) for t in TYPES for c in CATEGORIES}
    role_load = {"expand": 0.0, "keep": 0.0}
    role_accounts = {"expand": 0, "keep": 0}
    untagged = 0
    for g in groups:
        if g.count <= 0:
            continue
        if g.owner is not None and g.owner in rows:
            rep = rows[g.owner]
            _add(rep, g, table)
            _add(team, g, table)
            if g.type and not takes(rep.role, g.type):
                rep.wrong_role += g.count
        else:
            _add(unowned, g, table)
            if g.owner is not None:
                unowned_owners[g.owner] += g.count
        if not g.type or not g.category:
            untagged += g.count
            continue
        cl = cells.get((g.type, g.category))
        load = g.count * table.load(g.type, g.category, g.country)
        if cl is not None:
            cl.accounts += g.count
            cl.load += load
            cl.touches_per_week += g.count * table.touches(g.type, g.category, g.country)
        if g.type in role_load:
            role_load[g.type] += load
            role_accounts[g.type] += g.count
    total_load = team.load + unowned.load
    for cl in cells.values():
        cl.share = cl.load / total_load if total_load > 0 else 0.0
    cell_list = sorted(cells.values(), key=lambda c: (-c.load, c.type, c.category))

    # the verdict weighs the capacity the reps have over the horizon (less days away)
    available = [replace(r, capacity=rows[r.handle].available) for r in active.values()]
    roles, fits, verdict = _roles_and_verdict(
        method, available, role_load, role_accounts, total_load, team.available
    )
    behind = [r for r in rows.values() if _behind(r)]
    if fits and behind:
        fits = False
        slow = max(behind, key=lambda r: (r.weeks_to_clear is None, r.weeks_to_clear or 0.0))
        verdict = (
            f"tight: the cadence takes {verdict.removeprefix('fits: ')}, but {len(behind)} rep"
            f"{'s' if len(behind) != 1 else ''}' lists carry more than a week's work "
            f"(backlog {team.backlog:.1f} effort; {slow.handle}'s clears "
            f"{_weeks_text(slow.weeks_to_clear)})"
        )
    elif not fits and team.backlog > _EPS:
        verdict += f"; backlog {team.backlog:.1f} effort, clears {_weeks_text(team.weeks_to_clear)}"
    return CapacityPlan(
        reps=list(rows.values()),
        team=team,
        unowned=unowned,
        unowned_owners=dict(sorted(unowned_owners.items())),
        cells=cell_list,
        roles=roles,
        untagged=untagged,
        total_load=total_load,
        total_capacity=team.capacity,
        fits=fits,
        verdict=verdict,
        horizon_weeks=horizon_weeks,
    )


def _mean_capacity(method: Method, reps: Sequence[RepInfo], role: str) -> float:
    for pool in (
        [r.capacity for r in reps if r.role == role and r.capacity > 0],
        [r.capacity for r in reps if r.capacity > 0],
    ):
        if pool:
            return sum(pool) / len(pool)
    return method.capacity.default


def _ceil(x: float) -> int:
    return max(math.ceil(x - 1e-9), 0)


def _roles_and_verdict(
    method: Method,
    reps: Sequence[RepInfo],
    role_load: dict[str, float],
    role_accounts: dict[str, int],
    total_load: float,
    total_capacity: float,
) -> tuple[list[RoleNeed], bool, str]:
    caps = {
        role: sum(r.capacity for r in reps if r.role == role and r.capacity > 0) for role in ROLES
    }
    n_any = sum(1 for r in reps if r.role == "any")
    roles: list[RoleNeed] = []
    means: dict[str, float] = {}
    for role in TYPES:
        mean = _mean_capacity(method, reps, role)
        means[role] = mean
        roles.append(
            RoleNeed(
                role=role,
                accounts=role_accounts[role],
                load=role_load[role],
                reps=sum(1 for r in reps if r.role == role),
                any_reps=n_any,
                mean_capacity=mean,
                needed=_ceil(role_load[role] / mean) if mean > 0 else 0,
            )
        )
    short_e = max(role_load["expand"] - caps["expand"], 0.0)
    short_k = max(role_load["keep"] - caps["keep"], 0.0)
    spare = caps["any"]
    fits = short_e + short_k <= spare + 1e-9
    pct = f"{100 * total_load / total_capacity:.0f}%" if total_capacity > 0 else "n/a"
    if fits:
        if total_load == 0:
            return roles, True, "fits: no human work planned (tag the accounts first?)"
        return roles, True, f"fits: {pct} of capacity"
    extra_e, extra_k = _extra_reps(short_e, short_k, spare, means["expand"], means["keep"])
    for rn in roles:
        rn.extra = extra_e if rn.role == "expand" else extra_k
    parts = []
    for role, n in (("expand", extra_e), ("keep", extra_k)):
        if n:
            parts.append(f"{n} more {role} rep{'s' if n != 1 else ''}")
    need = " and ".join(parts) if parts else "more capacity"
    tail = f" ({pct} of capacity)" if total_capacity > 0 else " (no active rep with capacity)"
    return roles, False, f"does not fit: needs {need}{tail}"


def _extra_reps(
    short_e: float, short_k: float, spare: float, mean_e: float, mean_k: float
) -> tuple[int, int]:
    """The fewest reps to add (expand, keep) when the ``any`` reps' capacity ``spare``
    can go to either pool."""
    if mean_e <= 0 or mean_k <= 0:
        return (1 if short_e > 0 else 0, 1 if short_k > 0 else 0)
    best: tuple[int, int, int] | None = None
    for k_e in range(_ceil(short_e / mean_e) + 1):
        to_e = max(short_e - k_e * mean_e, 0.0)
        if to_e > spare + 1e-9:
            continue
        k_k = _ceil(max(short_k - (spare - to_e), 0.0) / mean_k)
        cand = (k_e + k_k, k_e, k_k)
        if best is None or cand < best:
            best = cand
    assert best is not None  # k_e = ceil(short_e / mean_e) always qualifies
    return best[1], best[2]
