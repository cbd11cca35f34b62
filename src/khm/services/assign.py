"""``khm assign``: owners for the active accounts, balanced by the cadence's weekly load.

Reads accounts and reps, computes each account's load (:mod:`khm.core.capacity`), plans
the owners (:mod:`khm.core.assign`) and writes the owner changes with one tag-history row
each (field ``owner``), all in one transaction; ``dry_run`` writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from khm.core.assign import (
    DEFAULT_TOLERANCE,
    AssignAccount,
    AssignRep,
    AssignResult,
    OwnerMove,
    RepSummary,
    history_owners,
    plan_assignment,
)
from khm.core.capacity import LoadTable
from khm.core.constants import ROLES
from khm.errors import UsageError

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store

__all__ = ["AssignResult", "OwnerMove", "RepSummary", "assign_accounts"]


def assign_accounts(
    store: Store,
    method: Method,
    *,
    today: date,
    rebalance: bool = False,
    dry_run: bool = False,
    who: str = "khm",
    tolerance: float = DEFAULT_TOLERANCE,
    from_history: bool = False,
) -> AssignResult:
    """Owners for the active tagged accounts (see :mod:`khm.core.assign`), written in
    one transaction with a history row per move; ``dry_run`` writes nothing.

    ``from_history``: first each account goes to the fitting rep who made most of its
    deals and touches in the 12 months before ``today`` (:func:`history_owners`)."""
    if from_history and rebalance:
        raise UsageError(
            "--from-history and --rebalance: choose one (rebalancing would move "
            "accounts away from the reps their history gave them)"
        )
    return _assign_accounts(
        store,
        method,
        today=today,
        rebalance=rebalance,
        dry_run=dry_run,
        who=who,
        tolerance=tolerance,
        from_history=from_history,
    )


def _assign_accounts(
    store: Store,
    method: Method,
    *,
    today: date,
    rebalance: bool,
    dry_run: bool,
    who: str,
    tolerance: float,
    from_history: bool = False,
) -> AssignResult:
    from khm.services.holidays import HolidayCache
    from khm.services.tag import _stamp
    from khm.store import tagging

    holidays = HolidayCache.default()
    table = LoadTable(method, today.year, holidays)
    with store.begin() as conn:
        rows = tagging.accounts_for_assign(conn)
        reps = tagging.all_reps(conn)
        accs: list[AssignAccount] = []
        by_key: dict[str, Any] = {}
        untagged: list[str] = []
        load_of = table.load
        loads: dict[tuple[Any, Any, Any], float] = {}
        add = accs.append
        for r in rows:
            (_, key, _, t, cat, country, owner) = r
            if t != "expand" and t != "keep":
                untagged.append(key)
                continue
            cell = (t, cat, country)
            load = loads.get(cell)
            if load is None:
                load = loads[cell] = load_of(t, cat, country)
            add(AssignAccount(key, t, load, owner))
            by_key[key] = (r, load)
        arep = [
            AssignRep(
                r.handle, (r.role or "").strip().lower(), float(r.capacity or 0), bool(r.active)
            )
            for r in reps
        ]
        preferred = None
        if from_history:
            from khm.core.deals import year_before
            from khm.store.deals import history_counts

            counts = history_counts(conn, year_before(today) + timedelta(days=1), today)
            preferred = history_owners(accs, arep, counts)
        plan = plan_assignment(
            accs, arep, rebalance=rebalance, tolerance=tolerance, preferred=preferred
        )
        names = {r.handle: r.name or "" for r in reps}
        moves: list[OwnerMove] = []
        updates: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        stamp = tagging.datetime_binder(conn)(_stamp(today))
        rule = "rebalance" if rebalance else "history" if from_history else "assign"
        rule_text: dict[tuple[str, str | None, float], str] = {}
        add_move = moves.append
        add_update = updates.append
        add_history = history.append
        for m in plan.moves:
            row, load = by_key[m.key]
            rid, _, name, t, cat = row[:5]
            new = m.new
            add_move(OwnerMove(m.key, name or "", t, cat, load, m.old, new, m.why))
            add_update((new, stamp, rid))
            text = rule_text.get((t, cat, load))
            if text is None:
                text = rule_text[(t, cat, load)] = f"{rule}: {t}/{cat} load {load:.3f}/week"
            add_history((rid, "owner", m.old, new, stamp, who, m.why, text))
        if not dry_run:
            tagging.update_owners(conn, updates)
            tagging.insert_tag_changes(conn, history)
        summaries = [
            RepSummary(
                o.handle,
                names.get(o.handle, ""),
                o.role,
                o.capacity,
                o.accounts_before,
                o.load_before,
                o.accounts,
                o.load,
                o.target_load,
            )
            for o in plan.reps
        ]
        result = AssignResult(
            moves=moves,
            reps=summaries,
            untagged=untagged,
            rebalance=rebalance,
            dry_run=dry_run,
            tolerance=plan.tolerance,
            balanced=plan.balanced,
            reasons=plan.reasons,
        )
        result.summary = _summary(result)
        if dry_run:
            conn.rollback()
        holidays.save()
        return result


def _summary(result: AssignResult) -> dict[str, Any]:
    spread: dict[str, dict[str, float]] = {}
    for role in ROLES:
        reps = [r for r in result.reps if r.role == role and r.capacity > 0]
        if not reps:
            continue
        cap = sum(r.capacity for r in reps)
        mean = sum(r.load for r in reps) / cap
        worst = max(abs((r.utilisation or 0.0) - mean) for r in reps)
        spread[role] = {
            "reps": len(reps),
            "mean_utilisation": round(mean, 4),
            "max_deviation": round(worst / mean, 4) if mean > 0 else 0.0,
        }
    return {
        "moves": len(result.moves),
        "by_reason": dict(sorted(result.reasons.items())),
        "untagged": len(result.untagged),
        "rebalance": result.rebalance,
        "dry_run": result.dry_run,
        "tolerance": result.tolerance,
        "balanced": result.balanced,
        "roles": spread,
    }
