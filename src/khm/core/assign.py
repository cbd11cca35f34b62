"""Owners for accounts, balanced by the weekly human load the cadence implies. Pure.

* Expand accounts go to reps with role ``expand`` or ``any``; keep accounts to ``keep``
  or ``any``. Only active reps with a capacity above 0 take accounts.
* Balance is utilisation (load / capacity): every rep aims at a target utilisation. When
  the ``any`` reps can even out both pools, everyone aims at the team's utilisation;
  otherwise the pool that cannot be helped keeps its own (its reps carry exactly its
  load) and the ``any`` reps share the other pool's.
* Without ``rebalance`` existing owners stay: only accounts with no owner, an inactive
  (or unknown, or zero-capacity) owner, or an owner whose role does not take the
  account's type get one, largest load first, each to the eligible rep furthest under
  target.
* With ``rebalance`` the same happens first, then accounts move, one at a time, from the
  most over-target rep to the most under-target rep that can take them, choosing the
  account whose load best closes the gap (min of the donor's excess and the receiver's
  deficit), only when the move lowers the capacity-weighted squared distance to target,
  until every rep is within ``tolerance`` of target. Few moves, deterministic (ties by
  handle and account key), and a second run moves nothing.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any

from khm.core.capacity import ROLE_TAKES
from khm.core.constants import TYPES
from khm.errors import ConflictError

#: Rebalancing stops once every rep is within this fraction of its target load.
DEFAULT_TOLERANCE = 0.05
_EPS = 1e-9


@dataclass(slots=True)
class AssignAccount:
    key: str
    type: str  # expand | keep
    load: float  # effort units per human week
    owner: str | None = None


@dataclass(frozen=True)
class AssignRep:
    handle: str
    role: str  # expand | keep | any
    capacity: float
    active: bool = True


@dataclass(slots=True)
class Move:
    key: str
    old: str | None
    new: str
    why: str  # unowned | owner inactive | wrong role | rebalance ...


@dataclass
class RepOutcome:
    handle: str
    role: str
    capacity: float
    target_utilisation: float
    accounts_before: int = 0
    load_before: float = 0.0
    accounts: int = 0
    load: float = 0.0

    @property
    def utilisation(self) -> float | None:
        return self.load / self.capacity if self.capacity > 0 else None

    @property
    def target_load(self) -> float:
        return self.target_utilisation * self.capacity

    def within(self, tolerance: float) -> bool:
        t = self.target_load
        return abs(self.load - t) <= tolerance * t + _EPS


@dataclass
class AssignPlan:
    owners: dict[str, str]  # account key -> owner after the plan
    moves: list[Move]  # every account whose owner changes, in account key order
    reps: list[RepOutcome]  # reps that take accounts (active, capacity > 0)
    tolerance: float
    balanced: bool  # every rep within tolerance of target
    reasons: dict[str, int] = field(default_factory=dict)  # why -> moves


def _why_needs_owner(
    acc: AssignAccount, reps: dict[str, AssignRep], eligible: dict[str, AssignRep]
) -> str | None:
    """Why ``acc`` needs a (new) owner, or None when its owner may keep it."""
    if acc.owner is None:
        return "unowned"
    rep = reps.get(acc.owner)
    if rep is None:
        return f"owner {acc.owner} is not a rep"
    if not rep.active:
        return f"owner {acc.owner} inactive"
    if acc.owner not in eligible:
        return f"owner {acc.owner} has no capacity"
    if acc.type not in ROLE_TAKES.get(rep.role, frozenset()):
        return f"owner {acc.owner} ({rep.role}) does not take {acc.type} accounts"
    return None


def target_utilisations(loads: dict[str, float], caps: dict[str, float]) -> dict[str, float]:
    """Target utilisation per role ({expand, keep, any}) from the pools' loads and the
    roles' capacities (see the module doc)."""
    l_e, l_k = loads.get("expand", 0.0), loads.get("keep", 0.0)
    c_e, c_k, c_a = caps.get("expand", 0.0), caps.get("keep", 0.0), caps.get("any", 0.0)
    total_cap = c_e + c_k + c_a
    if total_cap <= 0:
        return {"expand": 0.0, "keep": 0.0, "any": 0.0}
    u = (l_e + l_k) / total_cap
    if c_e > 0 and u * c_e > l_e + _EPS:
        u_e = l_e / c_e
        u_rest = l_k / (c_k + c_a) if c_k + c_a > 0 else 0.0
        return {"expand": u_e, "keep": u_rest, "any": u_rest}
    if c_k > 0 and u * c_k > l_k + _EPS:
        u_k = l_k / c_k
        u_rest = l_e / (c_e + c_a) if c_e + c_a > 0 else 0.0
        return {"expand": u_rest, "keep": u_k, "any": u_rest}
    return {"expand": u, "keep": u, "any": u}


def plan_assignment(
    accounts: Sequence[AssignAccount],
    reps: Sequence[AssignRep],
    *,
    rebalance: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    preferred: Mapping[str, tuple[str, str]] | None = None,
) -> AssignPlan:
    """Owners for ``accounts`` (active, tagged); raises ConflictError when accounts of a
    type need an owner and no rep can take them.

    ``preferred`` (account key -> (rep, why), from :func:`history_owners`) gives those
    accounts that rep first when it may take them; the balance fills the rest."""
    all_reps = {r.handle: r for r in reps}
    eligible = {
        r.handle: r
        for r in sorted(reps, key=lambda r: r.handle)
        if r.active and r.capacity > 0 and r.role in ROLE_TAKES
    }
    accs = sorted(accounts, key=attrgetter("key"))
    owner: dict[str, str | None] = {a.key: a.owner for a in accs}
    why: dict[str, str] = {}
    # an owner that may keep accounts of a type: eligible and its role takes the type
    keeps = {(h, t) for h, r in eligible.items() for t in ROLE_TAKES.get(r.role, frozenset())}
    fixed: dict[str, str] = {}  # account key -> why, for the preferred owners given
    types = {a.key: a.type for a in accs} if preferred else {}
    for key, (rep, reason) in (preferred or {}).items():
        if (rep, types.get(key)) in keeps:
            owner[key] = rep
            fixed[key] = reason
    needing: dict[str, int] = defaultdict(int)  # type -> accounts that need an owner
    for a in accs:
        if (a.owner, a.type) in keeps or a.key in fixed:
            continue
        w = _why_needs_owner(a, all_reps, eligible)
        if w is not None:
            why[a.key] = w
            needing[a.type] += 1
    for t in TYPES:
        n = needing.get(t, 0)
        if n and not any(t in ROLE_TAKES[r.role] for r in eligible.values()):
            raise ConflictError(
                f"no active rep with role {t} or any (and a capacity above 0) to take "
                f"{n} {t} account{'s' if n != 1 else ''}: add one "
                f"(khm rep add HANDLE --role {t}) or activate one"
            )

    # targets
    pool_load: dict[str, float] = defaultdict(float)
    for a in accs:
        pool_load[a.type] += a.load
    role_cap: dict[str, float] = defaultdict(float)
    for r in eligible.values():
        role_cap[r.role] += r.capacity
    u_role = target_utilisations(dict(pool_load), dict(role_cap))
    out = {
        h: RepOutcome(h, r.role, r.capacity, u_role.get(r.role, 0.0)) for h, r in eligible.items()
    }
    for a in accs:
        if (a.owner, a.type) in keeps:
            o = out[a.owner]  # type: ignore[index]
            o.accounts_before += 1
            o.load_before += a.load
        now = owner[a.key]
        if a.key not in why and now is not None:
            o = out[now]
            o.accounts += 1
            o.load += a.load

    # largest load first, then by key: a stable sort of the key-ordered accounts by load
    todo = sorted((a for a in accs if a.key in why), key=attrgetter("load"), reverse=True)
    _greedy(todo, out, owner)

    if rebalance:
        _rebalance(accs, owner, out, why, tolerance)

    moves: list[Move] = []
    reasons: dict[str, int] = defaultdict(int)
    classes: dict[str, str] = {}
    for a in accs:
        new = owner[a.key]
        if new is not None and new != a.owner:
            w = fixed.get(a.key) or why.get(a.key, "rebalance")
            moves.append(Move(a.key, a.owner, new, w))
            c = classes.get(w)
            if c is None:
                c = classes[w] = _reason_class(w)
            reasons[c] += 1
    balanced = all(o.within(tolerance) for o in out.values())
    return AssignPlan(
        owners={k: v for k, v in owner.items() if v is not None},
        moves=moves,
        reps=list(out.values()),
        tolerance=tolerance,
        balanced=balanced,
        reasons=dict(reasons),
    )


def _greedy(
    todo: Sequence[AssignAccount], out: dict[str, RepOutcome], owner: dict[str, str | None]
) -> None:
    """Each account (largest load first) to the rep of exactly its role that is furthest
    under target, while that rep stays within target; otherwise to whichever eligible
    rep (its role or ``any``) is furthest under target. So ``any`` reps take the overflow
    of the pool that needs them, not a share of a pool its own reps can carry."""
    version: dict[str, int] = dict.fromkeys(out, 0)
    # heaps: "expand" / "keep" hold reps of exactly that role, "any" the any reps
    heaps: dict[str, list[tuple[float, float, str, int]]] = {"expand": [], "keep": [], "any": []}

    def entry(h: str) -> tuple[float, float, str, int]:
        o = out[h]
        return (o.load / o.capacity - o.target_utilisation, o.accounts / o.capacity, h, version[h])

    def top(kind: str) -> tuple[float, float, str, int] | None:
        hp = heaps[kind]
        while hp and hp[0][3] != version[hp[0][2]]:
            heapq.heappop(hp)
        return hp[0] if hp else None

    for h, o in out.items():
        heaps[o.role].append(entry(h))
    for hp in heaps.values():
        heapq.heapify(hp)
    push = heapq.heappush
    for a in todo:
        own = top(a.type)
        pick = own
        if own is None or own[0] + a.load / out[own[2]].capacity > _EPS:
            other = top("any")
            if other is not None and (own is None or other < own):
                pick = other
        assert pick is not None  # a fitting rep exists (checked by the caller)
        h = pick[2]
        o = out[h]
        o.accounts += 1
        o.load += a.load
        owner[a.key] = h
        v = version[h] = version[h] + 1
        cap = o.capacity
        push(heaps[o.role], (o.load / cap - o.target_utilisation, o.accounts / cap, h, v))


def _reason_class(why: str) -> str:
    if why in ("unowned", "rebalance"):
        return why
    if why.startswith("history:"):
        return "history"
    if why.endswith("inactive"):
        return "owner inactive"
    if "does not take" in why:
        return "wrong role"
    return "owner cannot take accounts"


def _rebalance(
    accs: Sequence[AssignAccount],
    owner: dict[str, str | None],
    out: dict[str, RepOutcome],
    why: dict[str, str],
    tolerance: float,
) -> None:
    # buckets[rep][type][load] = heap of account keys (smallest key moves first)
    buckets: dict[str, dict[str, dict[float, list[str]]]] = {
        h: {"expand": {}, "keep": {}} for h in out
    }
    for a in accs:
        h = owner[a.key]
        if h is None or h not in out or a.load <= 0:
            continue
        buckets[h][a.type].setdefault(a.load, []).append(a.key)
    for per_type in buckets.values():
        for per_load in per_type.values():
            for keys in per_load.values():
                heapq.heapify(keys)

    def excess(o: RepOutcome) -> float:
        return o.load / o.capacity - o.target_utilisation

    # Every move lowers sum((load - target)^2 / capacity), so the loop ends when no move
    # helps (and a rerun on the result finds none: assign is stable). The bound only keeps a
    # pathological input from looping long; an account may move more than once (a small
    # book can shuttle one through a rep on its way), hence the factor.
    reps = list(out.values())
    for _ in range(8 * (len(accs) + 1)):
        if all(o.within(tolerance) for o in reps):
            return
        ex = {o.handle: excess(o) for o in reps}
        donors = sorted(
            (o for o in reps if ex[o.handle] > _EPS), key=lambda o: (-ex[o.handle], o.handle)
        )
        receivers = sorted(
            (o for o in reps if ex[o.handle] < -_EPS), key=lambda o: (ex[o.handle], o.handle)
        )
        moved = False
        for d in donors:
            for r in receivers:
                types = ROLE_TAKES[d.role] & ROLE_TAKES[r.role]
                if not types:
                    continue
                pick = _pick(d, r, types, buckets[d.handle], ex[d.handle], ex[r.handle])
                if pick is None:
                    continue
                t, load = pick
                keys = buckets[d.handle][t][load]
                # while the gap is several of these accounts wide, move them together
                # (the same moves one at a time would make, without re-ranking between)
                gap = min(d.load - d.target_load, r.target_load - r.load)
                n = min(max(int(gap // load), 1), len(keys))
                dest = buckets[r.handle][t].setdefault(load, [])
                for _ in range(n):
                    key = heapq.heappop(keys)
                    heapq.heappush(dest, key)
                    owner[key] = r.handle
                if not keys:
                    del buckets[d.handle][t][load]
                d.load -= n * load
                d.accounts -= n
                r.load += n * load
                r.accounts += n
                moved = True
                break
            if moved:
                break
        if not moved:
            return


def _pick(
    d: RepOutcome,
    r: RepOutcome,
    types: frozenset[str],
    donor_buckets: dict[str, dict[float, list[str]]],
    ex_d: float,
    ex_r: float,
) -> tuple[str, float] | None:
    """The (type, load) bucket of the donor's account that best closes the gap and still
    lowers sum((load - target)^2 / capacity)."""
    gap = min(d.load - d.target_load, r.target_load - r.load)
    x_max = 2 * (ex_d - ex_r) / (1 / d.capacity + 1 / r.capacity)
    best: tuple[float, float, str, str] | None = None  # (distance, load, first key, type)
    for t in sorted(types):
        for load, keys in donor_buckets.get(t, {}).items():
            if not keys or load >= x_max - _EPS:
                continue
            cand = (abs(load - gap), load, keys[0], t)
            if best is None or cand < best:
                best = cand
    if best is None:
        return None
    return best[3], best[1]


# --------------------------------------------------------------------------- history


@dataclass(frozen=True, slots=True)
class HistoryCount:
    """How many deals and touches one rep made with one account in the window, and when
    the latest was."""

    account: str
    rep: str
    n: int
    last: date


def history_owners(
    accounts: Sequence[AssignAccount], reps: Sequence[AssignRep], counts: Iterable[HistoryCount]
) -> dict[str, tuple[str, str]]:
    """Per account, the active rep of a fitting role (expand accounts → expand or any,
    keep → keep or any) who made most of its deals and touches (ties: the most recent,
    then the handle), with the reason ``history: N of M deals/touches`` (M counts every
    rep). Accounts without such a rep are left out."""
    fits = {
        (r.handle, t)
        for r in reps
        if r.active and r.capacity > 0
        for t in ROLE_TAKES.get(r.role, frozenset())
    }
    type_of = {a.key: a.type for a in accounts}
    total: dict[str, int] = defaultdict(int)
    best: dict[str, tuple[int, date, str]] = {}
    for c in counts:
        t = type_of.get(c.account)
        if t is None:
            continue
        total[c.account] += c.n
        if (c.rep, t) not in fits:
            continue
        cand = (c.n, c.last, c.rep)
        old = best.get(c.account)
        # most first, then the most recent, then the smallest handle
        if (
            old is None
            or (cand[0], cand[1]) > (old[0], old[1])
            or ((cand[0], cand[1]) == (old[0], old[1]) and cand[2] < old[2])
        ):
            best[c.account] = cand
    return {
        k: (b[2], f"history: {b[0]} of {total[k]} deals/touches") for k, b in sorted(best.items())
    }


# --------------------------------------------------------------------------- the result


@dataclass(slots=True)
class OwnerMove:
    account: str
    name: str
    type: str
    category: str | None
    load: float
    old: str | None
    new: str
    why: str


@dataclass(frozen=True)
class RepSummary:
    handle: str
    name: str
    role: str
    capacity: float
    accounts_before: int
    load_before: float
    accounts: int
    load: float
    target_load: float

    @property
    def utilisation(self) -> float | None:
        return self.load / self.capacity if self.capacity > 0 else None

    @property
    def utilisation_before(self) -> float | None:
        return self.load_before / self.capacity if self.capacity > 0 else None


@dataclass
class AssignResult:
    """What ``khm assign`` did (or would do): the owner changes and every rep's load
    before and after; :mod:`khm.render.assign` shows it."""

    moves: list[OwnerMove]
    reps: list[RepSummary]
    untagged: list[str]  # active accounts without type/category: not assigned
    rebalance: bool
    dry_run: bool
    tolerance: float
    balanced: bool
    reasons: dict[str, int]
    summary: dict[str, Any] = field(default_factory=dict)
