"""``khm simulate`` as a table (80 columns), Markdown, CSV or JSON: per category how well
the cadence was kept over the simulated weeks, the backlog and its peak, the load per rep.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict
from typing import IO, TYPE_CHECKING, Any

from khm.render.cells import Column

if TYPE_CHECKING:
    from khm.core.simulate import CategoryFigures, RepLoad, SimulationResult, WeekFigures

FORMATS = ("table", "json", "csv", "markdown")

CATEGORY_COLUMNS = (
    Column("category", "cat"),
    Column("accounts", justify="right"),
    Column("pairs", justify="right"),
    Column("compliance_pct", "compliance", justify="right"),
    Column("kept_interval_pct", "kept interval", justify="right"),
    Column("gap_violations", "gaps", justify="right"),
    Column("never_touched", "untouched", justify="right", optional=1),
    Column("skipped", justify="right"),
    Column("done", justify="right"),
)
REP_COLUMNS = (
    Column("rep"),
    Column("capacity", justify="right"),
    Column("mean", "mean/week", justify="right"),
    Column("max", "max/week", justify="right"),
    Column("max_week", "max in"),
    Column("done", justify="right"),
)
#: the CSV: one row per category and one for all (the other sections are in the JSON)
CSV_COLUMNS = (
    Column("category"),
    Column("accounts"),
    Column("pairs"),
    Column("compliance"),
    Column("pairs_touched"),
    Column("kept_interval"),
    Column("gap_violations"),
    Column("never_touched"),
    Column("skipped"),
    Column("done"),
)


def _pct(v: float | None) -> str:
    """One decimal, cut rather than rounded: 99.97 reads 99.9, never 100.0."""
    return "-" if v is None else f"{math.floor(v * 10 + 1e-6) / 10:.1f} %"


def _category(c: CategoryFigures) -> dict[str, Any]:
    return asdict(c)


def _category_row(c: CategoryFigures) -> dict[str, Any]:
    return {
        **_category(c),
        "compliance_pct": _pct(c.compliance),
        "kept_interval_pct": _pct(c.kept_interval),
    }


def _rep(r: RepLoad) -> dict[str, Any]:
    row = asdict(r)
    return {"rep": row.pop("handle"), **row}


def _week(w: WeekFigures) -> dict[str, Any]:
    return asdict(w)


def headline(res: SimulationResult) -> str:
    who = f"\nOnly the accounts of rep {res.rep}." if res.rep else ""
    return (
        f"Simulation {res.start.isoformat()}..{res.end.isoformat()} ({res.weeks} weeks): "
        f"{res.percent:g} % of each list done, seed {res.seed}{who}"
    )


def backlog_line(res: SimulationResult) -> str:
    peak = ", ".join(res.peak_weeks[:3]) + (" ..." if len(res.peak_weeks) > 3 else "")
    return (
        f"Backlog: {res.backlog_start} items at the start, {res.backlog_end} at the end; "
        f"peak {res.backlog_peak} in {peak or '-'}."
    )


def skipped_line(res: SimulationResult) -> str:
    if not res.skipped_counted:
        return "Skipped work: not counted by this planner (0)."
    return f"Skipped work (dropped for a cycle, re-planned): {res.skipped} items."


LEGEND = (
    "compliance: share of days each (account, activity) was within its interval",
    "  + grace + a week (+ no-human days) since its last touch; kept interval:",
    "  touched pairs never out of it after their first touch; gaps: waits that",
    "  outgrew it; untouched: pairs with no touch at all (not judged); backlog:",
    "  human items due before their week. Definitions: docs/simulate.md.",
)


def notes(res: SimulationResult) -> list[str]:
    out = [backlog_line(res), skipped_line(res)]
    if res.unplanned_accounts:
        out.append(
            f"{res.unplanned_accounts} tagged account(s) without an active owner: "
            "not judged (khm assign)."
        )
    return out


def write_simulation(res: SimulationResult, fmt: str, out: IO[str] | None = None) -> None:
    """The simulation in ``fmt`` (table, json, csv, markdown)."""
    out = out or sys.stdout
    if fmt == "json":
        from khm.render import json as j

        j.write(
            out,
            j.envelope(
                "simulation",
                today=res.today,
                start=res.start,
                end=res.end,
                weeks=res.weeks,
                percent=res.percent,
                seed=res.seed,
                rep=res.rep,
                categories=[_category(c) for c in res.categories],
                total=_category(res.total),
                backlog={
                    "start": res.backlog_start,
                    "end": res.backlog_end,
                    "peak": res.backlog_peak,
                    "peak_weeks": list(res.peak_weeks),
                },
                skipped={"counted": res.skipped_counted, "total": res.skipped},
                unplanned_accounts=res.unplanned_accounts,
                reps=[_rep(r) for r in res.reps],
                per_week=[_week(w) for w in res.per_week],
            ),
        )
        return
    rows = [_category_row(c) for c in (*res.categories, res.total)]
    if fmt == "csv":
        from khm.render.table import write_csv

        write_csv(rows, CSV_COLUMNS, out)
        return
    if fmt == "markdown":
        from khm.render.cells import md_cell
        from khm.render.table import markdown_table

        out.write(f"## {md_cell(headline(res).replace(chr(10), ' '))}\n\n")
        out.write(markdown_table(rows, CATEGORY_COLUMNS))
        out.write("\n" + "\n\n".join(md_cell(n) for n in notes(res)) + "\n\n")
        out.write(" ".join(line.strip() for line in LEGEND) + "\n\n")
        out.write("### Load per rep (human effort done per week)\n\n")
        out.write(markdown_table([_rep(r) for r in res.reps], REP_COLUMNS))
        return
    from khm.render.table import get_console, print_table, rich_table

    c = get_console(file=out)
    c.print(headline(res), markup=False)
    print_table(c, rows, CATEGORY_COLUMNS)
    for line in (*notes(res), *LEGEND):
        c.print(line, markup=False)
    if res.reps:
        c.print(
            rich_table(
                [_rep(r) for r in res.reps],
                REP_COLUMNS,
                title="Load per rep (human effort done per week)",
            )
        )
