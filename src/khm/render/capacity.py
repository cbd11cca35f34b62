"""``khm capacity`` as a table, JSON or CSV: per rep and team, the load the cadence asks
for against capacity; the cells that drive the load; the reps each role needs; a verdict."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from khm.core.capacity import LOAD_DECIMALS
from khm.core.constants import CATEGORIES, TYPES
from khm.render.assign import pct
from khm.render.cells import Column

if TYPE_CHECKING:
    from khm.core.capacity import CapacityPlan, RepCapacity

CELLS = tuple(f"{t}/{c}" for t in TYPES for c in CATEGORIES)


def _rep_row(r: RepCapacity) -> dict[str, Any]:
    row: dict[str, Any] = {"rep": r.handle, "name": r.name, "role": r.role, "accounts": r.accounts}
    for cell in CELLS:
        row[cell] = r.cells.get(cell, 0)
    row.update(
        {
            "untagged": r.untagged,
            "wrong_role": r.wrong_role,
            "touches_per_week": round(r.touches_per_week, 2),
            "effort_per_week": round(r.load, 2),
            "capacity": r.capacity,
            "utilisation": None if r.utilisation is None else round(r.utilisation, 4),
            "away_days": r.away_days,
            "capacity_available": round(r.available, 4),
            "backlog": round(r.backlog, 4),
            "weeks_to_clear": None if r.weeks_to_clear is None else round(r.weeks_to_clear, 2),
            "skipped": r.skipped,
        }
    )
    return row


def _rep_json(row: dict[str, Any], r: RepCapacity) -> dict[str, Any]:
    """A rep (or the team) in JSON: the cells grouped; effort and touches unrounded, so
    the reps add up to the team exactly."""
    return {
        **{k: v for k, v in row.items() if k not in CELLS},
        "cells": {c: row[c] for c in CELLS},
        "effort_per_week": r.load,
        "touches_per_week": r.touches_per_week,
        "yielding": list(r.yielding),
    }


def _span(cats: tuple[str, ...]) -> str:
    """("B", "C", "D") -> "B-D"; ("D",) -> "D"."""
    return cats[0] if len(cats) == 1 else f"{cats[0]}-{cats[-1]}"


def _cells(plan: CapacityPlan) -> list[dict[str, Any]]:
    return [
        {
            "cell": c.cell,
            "type": c.type,
            "category": c.category,
            "accounts": c.accounts,
            "load_per_account": round(c.load_per_account, LOAD_DECIMALS),
            "touches_per_week": round(c.touches_per_week, 2),
            "effort_per_week": round(c.load, 2),
            "share": round(c.share, 4),
        }
        for c in plan.cells
    ]


def _roles(plan: CapacityPlan) -> list[dict[str, Any]]:
    return [
        {
            "role": r.role,
            "accounts": r.accounts,
            "effort_per_week": round(r.load, 2),
            "reps": r.reps,
            "any_reps": r.any_reps,
            "mean_capacity": round(r.mean_capacity, 2),
            "needed": r.needed,
            "extra": r.extra,
        }
        for r in plan.roles
    ]


def write_capacity(plan: CapacityPlan, fmt: str, out: IO[str] | None = None) -> None:
    """The capacity plan in ``fmt`` (table, json, csv)."""
    from khm.render import json as j

    out = out or sys.stdout
    if fmt == "json":
        unowned = _rep_row(plan.unowned)
        j.write(
            out,
            j.envelope(
                "capacity",
                verdict=plan.verdict,
                fits=plan.fits,
                horizon_weeks=plan.horizon_weeks,
                behind=[r.handle for r in plan.behind],
                count=len(plan.reps),
                reps=[_rep_json(_rep_row(r), r) for r in plan.reps],
                team=_rep_json(_rep_row(plan.team), plan.team),
                unowned={
                    "accounts": plan.unowned.accounts,
                    "effort_per_week": plan.unowned.load,
                    "touches_per_week": plan.unowned.touches_per_week,
                    "cells": {c: unowned[c] for c in CELLS},
                    "inactive_or_unknown_owners": plan.unowned_owners,
                },
                total={
                    "effort_per_week": plan.total_load,
                    "capacity": plan.total_capacity,
                    "utilisation": plan.utilisation,
                    "untagged": plan.untagged,
                    "capacity_available": plan.team.available,
                    "backlog": plan.team.backlog,
                    "weeks_to_clear": plan.team.weeks_to_clear,
                    "skipped": plan.team.skipped,
                },
                cells=_cells(plan),
                roles=_roles(plan),
            ),
        )
    elif fmt == "csv":
        from khm.render.table import write_csv

        rows = [_rep_row(r) for r in (*plan.reps, plan.team, plan.unowned)]
        write_csv(rows, [Column(k) for k in rows[0]], out)
    else:
        _print_capacity(plan, out)


def _print_capacity(plan: CapacityPlan, out: IO[str]) -> None:
    from khm.render.table import get_console, rich_table

    c = get_console(file=out)
    short = {cell: cell.replace("expand/", "e").replace("keep/", "k") for cell in CELLS}
    columns = [
        Column("rep"),
        Column("role"),
        Column("accounts", justify="right"),
        *[Column(cell, short[cell], justify="right") for cell in CELLS],
        Column("touches_per_week", "touches/wk", justify="right"),
        Column("effort_per_week", "effort/wk", justify="right"),
        Column("capacity", justify="right"),
        Column("utilisation_pct", "util.", justify="right"),
        Column("away_days", "away", justify="right"),
        Column("backlog", justify="right"),
        Column("clears", "clears in", justify="right"),
        Column("skipped", justify="right"),
    ]

    def row(r: RepCapacity, **over: Any) -> dict[str, Any]:
        w = r.weeks_to_clear
        clears = "never" if w is None else "-" if not r.backlog else f"{w:.1f} wk"
        base = {**_rep_row(r), "backlog": round(r.backlog, 1), "clears": clears}
        return {**base, "utilisation_pct": pct(r.utilisation), **over}

    table_rows = [*(row(r) for r in plan.reps), row(plan.team, rep="TEAM", role="")]
    if plan.unowned.accounts:
        table_rows.append(
            row(
                plan.unowned,
                rep="(unowned)",
                capacity=None,
                away_days=None,
                backlog=None,
                clears="",
                skipped=None,
            )
        )
    c.print(
        rich_table(
            table_rows,
            columns,
            title="Weekly human work the cadence asks for, per rep (eA = expand/A, kB = keep/B, ...)",
        )
    )
    c.print(
        rich_table(
            [{**r, "share_pct": pct(r["share"])} for r in _cells(plan) if r["accounts"]],
            [
                Column("cell", "type/cat"),
                Column("accounts", justify="right"),
                Column("load_per_account", "effort/wk each", justify="right"),
                Column("effort_per_week", "effort/wk", justify="right"),
                Column("share_pct", "share", justify="right"),
            ],
            title="What drives the load",
        )
    )
    c.print(
        rich_table(
            _roles(plan),
            [
                Column("role"),
                Column("accounts", justify="right"),
                Column("effort_per_week", "effort/wk", justify="right"),
                Column("mean_capacity", "mean capacity", justify="right"),
                Column("needed", "reps needed", justify="right"),
                Column("reps", "reps of role", justify="right"),
                Column("any_reps", "+ role any", justify="right"),
            ],
            title="Reps the method needs",
        )
    )
    if plan.unowned.accounts:
        extra = ""
        if plan.unowned_owners:
            extra = (
                " (owners not active: "
                + ", ".join(f"{h} {n}" for h, n in plan.unowned_owners.items())
                + ")"
            )
        c.print(
            f"{plan.unowned.accounts} account(s) without an active owner ask "
            f"{plan.unowned.load:.2f} effort/week{extra}: khm assign."
        )
    if plan.untagged:
        c.print(f"{plan.untagged} account(s) without type/category count as no work: khm tag.")
    if plan.team.away_days:
        c.print(
            f"Absences over the next {plan.horizon_weeks} weeks: {plan.team.away_days} day(s) "
            f"away; capacity available {plan.team.available:.1f} of {plan.team.capacity:g} a week."
        )
    if plan.team.skipped:
        c.print(
            f"This week's lists skip {plan.team.skipped} activit"
            f"{'y' if plan.team.skipped == 1 else 'ies'} that waited more than an interval "
            "(a week where the category yields): each is planned again one interval on "
            "(khm weekly -f json lists them)."
        )
    short = [r for r in plan.reps if r.yielding]
    if short:
        c.print(
            "Short for good: the cadence asks more than the capacity, so under protect "
            "these categories yield (their work waits a week, not an interval, then is "
            "skipped): " + ", ".join(f"{r.handle} {_span(r.yielding)}" for r in short) + "."
        )
    c.print(f"Verdict: {plan.verdict}")
    if not plan.fits:
        c.print("See what the lists do over the coming weeks, per category: khm simulate")
