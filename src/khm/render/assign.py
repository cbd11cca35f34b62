"""``khm assign`` as a table, JSON, JSONL or CSV: the owner moves and each rep's load.

The JSON is the ``assign`` envelope, its ``moves`` streamed item by item; ``--format
jsonl`` writes one move per line and no envelope."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import IO, TYPE_CHECKING, Any

from khm.render.cells import Column

if TYPE_CHECKING:
    from khm.core.assign import AssignResult, OwnerMove

#: a terminal shows this many moves; the other formats list all
TABLE_LIMIT = 200
MOVE_FIELDS = ("account", "name", "type", "category", "load", "from", "to", "why")


def pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _moves(moves: Iterable[OwnerMove]) -> Iterator[dict[str, Any]]:
    """The moves as JSON and CSV write them (load to 3 decimals)."""
    for m in moves:
        yield {
            "account": m.account,
            "name": m.name,
            "type": m.type,
            "category": m.category,
            "load": round(m.load, 3),
            "from": m.old,
            "to": m.new,
            "why": m.why,
        }


def _table_rows(moves: list[OwnerMove]) -> Iterator[dict[str, Any]]:
    """The rows a terminal shows, then a blank per move past :data:`TABLE_LIMIT` (only
    counted by :func:`~khm.render.table.print_table`, so not built)."""
    for row in _moves(moves[:TABLE_LIMIT]):
        row["cell"] = f"{row['type']}/{row['category']}"
        row["move"] = f"{row['from'] or '-'} → {row['to']}"
        yield row
    yield from repeat({}, max(len(moves) - TABLE_LIMIT, 0))


def _reps(res: AssignResult) -> list[dict[str, Any]]:
    return [
        {
            "rep": r.handle,
            "name": r.name,
            "role": r.role,
            "accounts_before": r.accounts_before,
            "accounts": r.accounts,
            "load_before": round(r.load_before, 2),
            "load": round(r.load, 2),
            "target": round(r.target_load, 2),
            "capacity": r.capacity,
            "utilisation": None if r.utilisation is None else round(r.utilisation, 4),
        }
        for r in res.reps
    ]


def write_assign(res: AssignResult, fmt: str, out: IO[str] | None = None) -> None:
    """The owner moves and the reps' loads in ``fmt`` (table, json, jsonl, csv)."""
    from khm.render import json as j
    from khm.render.table import write_csv

    out = out or sys.stdout
    if fmt == "json":
        j.write_list(
            out,
            j.envelope("assign", summary=res.summary, count=len(res.moves)),
            _moves(res.moves),
            key="moves",
            count_key=None,
            tail={"reps": _reps(res), "untagged": res.untagged},
        )
    elif fmt == "jsonl":
        j.write_jsonl(out, _moves(res.moves))
    elif fmt == "csv":
        write_csv(_moves(res.moves), [Column(k) for k in MOVE_FIELDS], out)
    else:
        _print_assign(res, out)


def _print_assign(res: AssignResult, out: IO[str]) -> None:
    from khm.render.table import get_console, print_table

    c = get_console(file=out)
    verb = "Would move" if res.dry_run else "Moved"
    if res.moves:
        print_table(
            c,
            _table_rows(res.moves),
            [
                Column("account"),
                Column("name", optional=1),
                Column("cell", "type/cat"),
                Column("load", "load/wk", justify="right"),
                Column("move", "from → to"),
                Column("why"),
            ],
            title=f"{verb}: {len(res.moves)} account(s)",
            limit=TABLE_LIMIT,
            what="moves",
        )
    else:
        c.print("No moves: every account already has a fitting owner.")
    reps = [{**r, "utilisation_pct": pct(r["utilisation"])} for r in _reps(res)]
    print_table(
        c,
        reps,
        [
            Column("rep"),
            Column("name", optional=2),
            Column("role", optional=1),
            Column("accounts", justify="right"),
            Column("load", "load/wk", justify="right"),
            Column("target", "target/wk", justify="right"),
            Column("capacity", justify="right"),
            Column("utilisation_pct", "utilisation", justify="right"),
        ],
        title="Per rep (load in effort units per human week)",
        limit=len(reps),
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
