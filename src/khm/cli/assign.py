"""``khm assign`` (owners for accounts, balanced by load) and ``khm capacity`` (can the
team keep the method?).

Thin: parse options, call :mod:`khm.services.assign` / :mod:`khm.services.capacity`,
render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today
from khm.core.constants import CATEGORIES, TYPES

if TYPE_CHECKING:
    from khm.core.capacity import CapacityPlan, RepCapacity
    from khm.services.assign import AssignResult

#: The moves table shows this many rows; --format csv/json list every move.
TABLE_LIMIT = 200
CELLS = tuple(f"{t}/{c}" for t in TYPES for c in CATEGORIES)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _r(v: float, nd: int = 2) -> float:
    return round(v, nd)


# --------------------------------------------------------------------------- assign


def assign(
    ctx: typer.Context,
    rebalance: Annotated[
        bool,
        typer.Option(
            "--rebalance",
            help="Also move accounts between reps until each is near its target load "
            "(as few moves as possible).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the moves; write nothing.")
    ] = False,
    who: Annotated[
        str | None,
        typer.Option(
            "--who", help="Who assigns, for the history (default: khm).", show_default=False
        ),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance",
            min=0.5,
            max=50.0,
            help="With --rebalance: stop moving once every rep is within this many percent "
            "of its target load.",
        ),
    ] = 5.0,
    today: TodayOption = None,
    fmt: str = format_option(),
) -> None:
    """Give owners to accounts, balanced by the weekly human load the cadence implies.

    Expand accounts go to reps with role expand, keep accounts to keep reps; role any
    takes both. Existing owners stay; accounts with no owner, an inactive owner or an
    owner of the wrong role get one. --rebalance also evens out the load relative to
    each rep's capacity, moving as few accounts as possible. Run 'khm tag' first.

    \b
    Examples:
      khm assign --dry-run
      khm assign --rebalance
    """
    from khm.services.assign import assign_accounts

    k = kctx(ctx)
    res = assign_accounts(
        k.store(),
        k.method(),
        today=resolve_today(today),
        rebalance=rebalance,
        dry_run=dry_run,
        who=(who or "khm").strip() or "khm",
        tolerance=tolerance / 100.0,
    )
    _emit_assign(res, fmt)


def _move_rows(res: AssignResult, limit: int | None = None) -> list[dict[str, Any]]:
    moves = res.moves if limit is None else res.moves[:limit]
    return [
        {
            "account": m.account,
            "name": m.name,
            "type": m.type,
            "category": m.category,
            "cell": f"{m.type}/{m.category}",
            "load": _r(m.load, 3),
            "from": m.old,
            "to": m.new,
            "move": f"{m.old or '-'} → {m.new}",
            "why": m.why,
        }
        for m in moves
    ]


def _assign_json(res: AssignResult) -> str:
    """The ``assign`` envelope."""
    from khm.render import envelope, json_dumps

    reps = [{k: v for k, v in r.items() if k != "utilisation_pct"} for r in _rep_rows(res)]
    moves = [{k: v for k, v in m.items() if k not in ("cell", "move")} for m in _move_rows(res)]
    payload = envelope(
        "assign",
        summary=res.summary,
        count=len(res.moves),
        moves=moves,
        reps=reps,
        untagged=res.untagged,
    )
    return json_dumps(payload) + "\n"


def _rep_rows(res: AssignResult) -> list[dict[str, Any]]:
    return [
        {
            "rep": r.handle,
            "name": r.name,
            "role": r.role,
            "accounts_before": r.accounts_before,
            "accounts": r.accounts,
            "load_before": _r(r.load_before),
            "load": _r(r.load),
            "target": _r(r.target_load),
            "capacity": r.capacity,
            "utilisation": None if r.utilisation is None else round(r.utilisation, 4),
            "utilisation_pct": _pct(r.utilisation),
        }
        for r in res.reps
    ]


def _emit_assign(res: AssignResult, fmt: str) -> None:
    import sys

    from khm.render import Column, get_console, rich_table, write_csv

    if fmt == "json":
        sys.stdout.write(_assign_json(res))
        return
    moves = _move_rows(res) if fmt == "csv" else _move_rows(res, TABLE_LIMIT)
    reps = _rep_rows(res)
    if fmt == "csv":
        cols = [
            Column(k) for k in ("account", "name", "type", "category", "load", "from", "to", "why")
        ]
        write_csv(moves, cols, sys.stdout)
        return
    c = get_console()
    verb = "Would move" if res.dry_run else "Moved"
    if moves:
        c.print(
            rich_table(
                moves[:TABLE_LIMIT],
                [
                    Column("account"),
                    Column("name"),
                    Column("cell", "type/cat"),
                    Column("load", "load/wk", justify="right"),
                    Column("move", "from → to"),
                    Column("why"),
                ],
                title=f"{verb}: {len(res.moves)} account(s)",
            )
        )
        if len(res.moves) > TABLE_LIMIT:
            c.print(
                f"... and {len(res.moves) - TABLE_LIMIT:,} more move(s): --format csv or json "
                "lists them all."
            )
    else:
        c.print("No moves: every account already has a fitting owner.")
    c.print(
        rich_table(
            reps,
            [
                Column("rep"),
                Column("name"),
                Column("role"),
                Column("accounts", justify="right"),
                Column("load", "load/wk", justify="right"),
                Column("target", "target/wk", justify="right"),
                Column("capacity", justify="right"),
                Column("utilisation_pct", "utilisation", justify="right"),
            ],
            title="Per rep (load in effort units per human week)",
        )
    )
    s = res.summary
    reasons = ", ".join(f"{n} {w}" for w, n in s["by_reason"].items())
    c.print(f"{len(res.moves)} owner change(s)" + (f" ({reasons})" if reasons else "") + ".")
    for role, info in s["roles"].items():
        c.print(
            f"role {role}: {info['reps']} rep(s), mean utilisation "
            f"{100 * info['mean_utilisation']:.0f}%, widest gap ±{100 * info['max_deviation']:.1f}%"
        )
    if not res.balanced:
        hint = "" if res.rebalance else " (khm assign --rebalance evens it out)"
        c.print(f"Not every rep is within ±{100 * res.tolerance:.0f}% of target{hint}.")
    if res.untagged:
        c.print(
            f"{len(res.untagged)} account(s) without type/category were not assigned: "
            "run 'khm tag' first."
        )
    if res.dry_run:
        c.print("Dry run: nothing written.")


# --------------------------------------------------------------------------- capacity


def capacity(
    ctx: typer.Context,
    today: TodayOption = None,
    fmt: str = format_option(),
) -> None:
    """Can this team keep this method? Weekly human load per rep against capacity.

    Per rep: accounts by type × category, human touches and effort per week the cadence
    asks for (averaged over the year's human weeks: no-human periods and public holidays
    taken out), capacity, utilisation; team totals; the cells that drive the load; the
    unowned accounts' load; how many reps of each role the method needs; a verdict.
    """
    from khm.services.capacity import capacity_report

    k = kctx(ctx)
    plan = capacity_report(k.store(), k.method(), today=resolve_today(today))
    _emit_capacity(plan, fmt)


def _cap_row(r: RepCapacity, *, status: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {
        "rep": r.handle,
        "name": r.name,
        "role": r.role,
        "accounts": r.accounts,
    }
    for cell in CELLS:
        row[cell] = r.cells.get(cell, 0)
    row.update(
        {
            "untagged": r.untagged,
            "wrong_role": r.wrong_role,
            "touches_per_week": _r(r.touches_per_week),
            "effort_per_week": _r(r.load),
            "capacity": r.capacity,
            "utilisation": None if r.utilisation is None else round(r.utilisation, 4),
            "utilisation_pct": _pct(r.utilisation),
        }
    )
    return row


def _emit_capacity(plan: CapacityPlan, fmt: str) -> None:
    import sys

    from khm.render import Column, envelope, get_console, json_dumps, rich_table, write_csv

    rep_rows = [_cap_row(r) for r in plan.reps]
    team_row = _cap_row(plan.team)
    unowned_row = _cap_row(plan.unowned)
    cells = [
        {
            "cell": c.cell,
            "type": c.type,
            "category": c.category,
            "accounts": c.accounts,
            "load_per_account": round(c.load_per_account, 4),
            "touches_per_week": _r(c.touches_per_week),
            "effort_per_week": _r(c.load),
            "share": round(c.share, 4),
            "share_pct": _pct(c.share),
        }
        for c in plan.cells
    ]
    roles = [
        {
            "role": r.role,
            "accounts": r.accounts,
            "effort_per_week": _r(r.load),
            "reps": r.reps,
            "any_reps": r.any_reps,
            "mean_capacity": _r(r.mean_capacity),
            "needed": r.needed,
            "extra": r.extra,
        }
        for r in plan.roles
    ]
    if fmt == "json":
        strip = {"utilisation_pct"}
        typer.echo(
            json_dumps(
                envelope(
                    "capacity",
                    verdict=plan.verdict,
                    fits=plan.fits,
                    count=len(rep_rows),
                    reps=[
                        {
                            **{k: v for k, v in r.items() if k not in strip and k not in CELLS},
                            "cells": {c: r[c] for c in CELLS},
                            # unrounded, so the reps add up to the team exactly
                            "effort_per_week": rc.load,
                            "touches_per_week": rc.touches_per_week,
                        }
                        for r, rc in zip(rep_rows, plan.reps, strict=True)
                    ],
                    team={
                        **{k: v for k, v in team_row.items() if k not in strip and k not in CELLS},
                        "cells": {c: team_row[c] for c in CELLS},
                        "effort_per_week": plan.team.load,
                        "touches_per_week": plan.team.touches_per_week,
                    },
                    unowned={
                        "accounts": plan.unowned.accounts,
                        "effort_per_week": plan.unowned.load,
                        "touches_per_week": plan.unowned.touches_per_week,
                        "cells": {c: unowned_row[c] for c in CELLS},
                        "inactive_or_unknown_owners": plan.unowned_owners,
                    },
                    total={
                        "effort_per_week": plan.total_load,
                        "capacity": plan.total_capacity,
                        "utilisation": plan.utilisation,
                        "untagged": plan.untagged,
                    },
                    cells=[{k: v for k, v in c.items() if k != "share_pct"} for c in cells],
                    roles=roles,
                )
            )
        )
        return
    if fmt == "csv":
        cols = [Column(k) for k in rep_rows[0]] if rep_rows else [Column(k) for k in team_row]
        cols = [c for c in cols if c.key != "utilisation_pct"]
        write_csv([*rep_rows, team_row, unowned_row], cols, sys.stdout)
        return
    c = get_console()
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
    ]
    table_rows = [*rep_rows, {**team_row, "rep": "TEAM", "role": ""}]
    if plan.unowned.accounts:
        table_rows.append({**unowned_row, "rep": "(unowned)", "capacity": None})
    c.print(
        rich_table(
            table_rows,
            columns,
            title="Weekly human work the cadence asks for, per rep (eA = expand/A, kB = keep/B, ...)",
        )
    )
    c.print(
        rich_table(
            [r for r in cells if r["accounts"]],
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
            roles,
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
    c.print(f"Verdict: {plan.verdict}")


def register(app: typer.Typer) -> None:
    """Adds ``khm assign`` and ``khm capacity`` to the root app."""
    app.command("assign")(assign)
    app.command("capacity")(capacity)
