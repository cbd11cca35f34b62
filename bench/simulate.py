"""Plan quality over a simulated year (issue 13, item 3): khm's weekly planner beside two
reference planners, on the demo, with the team's capacity scaled three ways.

    python bench/simulate.py [--year 2026] [--weeks 52] [--accounts 700] [--seed 42]

Builds the demo (``khm demo --today`` = the Sunday before the year's first Monday, in a
temporary database), reads the book once and runs :func:`khm.core.simulate.simulate` from
that Monday, every list done in full, with three planners:

* **khm**: the weekly planner (:func:`khm.core.planner.plan_week`, the method's policy);
* **due-date list**: every activity due by Sunday, oldest due date first, cut at the
  rep's capacity (first fit, as khm);
* **greedy (OCA style)**: the phone-call planner of OCA's ``crm_phonecall_planner``, as
  its documentation describes it: accounts never contacted first, then the longest since
  the last contact of any kind; each account's due activities, cut at capacity.

The references take the method's due dates (:mod:`khm.core.due`), human days
(:mod:`khm.core.calendar`: no-human periods, holidays, the reps' days away) and capacity
per open day (:func:`khm.core.absence.week_capacity`) from khm, and fold a covered kind
into a covering one due the same week (a visit takes the call along): only the order
differs. Digital work and campaigns are done when due by all three.

Capacity: each rep's weekly capacity is set so that the cadence asks 86 % of it ("fits"),
120 % or 146 % (the load per rep as ``khm capacity`` states it). Figures per category:
compliance, share of pairs that kept their interval after their first touch, gap
violations; the backlog at the start, the end and its peak; the skipped work where the
planner reports it. Definitions: docs/simulate.md. No targets are asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from khm.core.absence import open_days, week_capacity  # noqa: E402
from khm.core.calendar import HolidayDates, human_days_in_week  # noqa: E402
from khm.core.due import due_for  # noqa: E402
from khm.core.planner import PlanAccount, PlanRep  # noqa: E402
from khm.core.simulate import (  # noqa: E402
    RepWeek,
    SimulationResult,
    WeekPlanner,
    Work,
    khm_planner,
    simulate,
)
from khm.method import Method  # noqa: E402

LOADS = (("fits (86 %)", 0.86), ("120 %", 1.20), ("146 %", 1.46))

# --------------------------------------------------------------------------- references

#: (due date, account, its last contact of any kind or None, kind) -> a sort key
OrderKey = Callable[[date, PlanAccount, "date | None", str], tuple[object, ...]]


def due_date_order(due: date, acc: PlanAccount, contact: date | None, kind: str) -> tuple:
    return (due, acc.key, kind)


def greedy_order(due: date, acc: PlanAccount, contact: date | None, kind: str) -> tuple:
    # never contacted first, then the longest since the last contact; an account's items
    # stay together
    return (contact is not None, contact or date.min, acc.key, due, kind)


def reference_planner(method: Method, order: OrderKey, holidays: HolidayDates) -> WeekPlanner:
    """A planner that lists what is due by Sunday in ``order`` and cuts it at capacity."""
    campaigns = set(method.campaign_kinds)

    def plan(
        accounts: Sequence[PlanAccount],
        touches: Mapping[str, Mapping[str, date]],
        reps: Sequence[PlanRep],
        monday: date,
    ) -> Sequence[RepWeek]:
        sunday = monday + timedelta(days=6)
        days_of: dict[str | None, list[date]] = {}

        def days(country: str | None) -> list[date]:
            if country not in days_of:
                days_of[country] = human_days_in_week(monday, method.calendar, country, holidays)
            return days_of[country]

        mine: dict[str, list[PlanAccount]] = {r.handle: [] for r in reps if r.active}
        for acc in accounts:
            if acc.type and acc.category and acc.owner in mine:
                mine[acc.owner].append(acc)
        out = []
        for rep in reps:
            if not rep.active:
                continue
            countries = Counter(a.country for a in mine[rep.handle] if a.country)
            home = min(countries.items(), key=lambda kv: (-kv[1], kv[0]))[0] if countries else None
            capacity = week_capacity(rep.capacity, len(open_days(days(home), rep.away)))
            human: list[tuple[tuple, Work, bool]] = []
            digital: list[Work] = []
            camp: list[Work] = []
            backlog = 0
            for acc in mine[rep.handle]:
                last = touches.get(acc.key, {})
                contact = max((d for d in last.values() if d <= sunday), default=None)
                due: dict[str, date] = {}
                for kind, iv in method.cadence_for(acc.type, acc.category).items():
                    d = due_for(
                        kind, iv, account_key=acc.key, anchor=acc.anchor,
                        last_by_kind=last, method=method,
                    ).due  # fmt: skip
                    if d <= sunday:
                        due[kind] = d
                for kind, d in due.items():
                    if any(c != kind and c in due for c in method.covering(kind)):
                        continue  # a covering kind due too takes it along
                    effort = method.effort(kind) if method.is_human(kind) else 0.0
                    if kind in campaigns:
                        camp.append(Work(acc.key, kind, max(d, monday), 0.0, acc.category))
                    elif not method.is_human(kind):
                        digital.append(Work(acc.key, kind, max(d, monday), 0.0, acc.category))
                    else:
                        backlog += d < monday
                        open_ = open_days(days(acc.country), rep.away) or days(acc.country)
                        if not open_:
                            continue  # paused: no human day for the account this week
                        day = next((x for x in open_ if x >= d), open_[0])
                        w = Work(acc.key, kind, day, effort, acc.category)
                        human.append((order(d, acc, contact, kind), w, True))
            human.sort(key=lambda t: t[0])
            listed, used, carried = [], 0.0, 0
            for _key, w, _ in human:
                oversize = not listed and capacity > 0 and w.effort > rep.capacity
                if used + w.effort <= capacity + 1e-9 or oversize:
                    listed.append(w)
                    used += w.effort
                else:
                    carried += 1
            out.append(
                RepWeek(
                    rep.handle,
                    listed=(*listed, *digital),
                    campaigns=tuple(camp),
                    backlog=backlog,
                    carried=carried,
                )
            )
        return out

    return plan


# --------------------------------------------------------------------------- running


def build_demo(db: Path, today: date, accounts: int, seed: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(
        [sys.executable, "-m", "khm", "demo", "--db", str(db), "--today", today.isoformat(),
         "--accounts", str(accounts), "--seed", str(seed)],
        check=True, capture_output=True, env=env,
    )  # fmt: skip


def row(name: str, load: str, res: SimulationResult, seconds: float) -> str:
    cats = "  ".join(
        f"{c.category} {c.compliance if c.compliance is not None else '-':>6}"
        for c in res.categories
    )
    kept = res.total.kept_interval
    skipped = str(res.skipped) if res.skipped_counted else "n/a"
    return (
        f"{load:<12} {name:<15} {cats}  kept {kept:>6}  gaps {res.total.gap_violations:>4}  "
        f"backlog {res.backlog_start:>3} -> {res.backlog_end:>3} (peak {res.backlog_peak:>3} "
        f"{res.peak_weeks[0] if res.peak_weeks else '-'})  skipped {skipped:>4}  {seconds:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--year", type=int, default=2026)
    p.add_argument("--weeks", type=int, default=52)
    p.add_argument("--accounts", type=int, default=700)
    p.add_argument("--seed", type=int, default=42, help="the demo's seed")
    args = p.parse_args(argv)

    jan4 = date(args.year, 1, 4)  # always in ISO week 1
    start = jan4 - timedelta(days=jan4.weekday())
    if start.year < args.year:  # the first Monday of the year
        start += timedelta(days=7)
    today = start - timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KHM_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["KHM_CONFIG_DIR"] = str(Path(tmp) / "config")
        db = Path(tmp) / "demo.db"
        build_demo(db, today, args.accounts, args.seed)
        from khm.method import default_method
        from khm.services.capacity import capacity_report
        from khm.services.holidays import HolidayCache
        from khm.services.simulate import load_book
        from khm.store.db import normalise_url, open_store

        store = open_store(normalise_url(str(db)))
        method = default_method()
        book = load_book(store, method, start=start, weeks=args.weeks)
        load = {r.handle: r.load for r in capacity_report(store, method, today=today).reps}
        store.dispose()
    holidays = HolidayCache(None)
    planners: dict[str, WeekPlanner] = {
        "khm": khm_planner(method, tag_events=book.tag_events, holiday_dates=holidays),
        "due-date list": reference_planner(method, due_date_order, holidays),
        "greedy (OCA)": reference_planner(method, greedy_order, holidays),
    }
    print(
        f"Demo ({args.accounts} accounts, seed {args.seed}), {args.weeks} weeks from "
        f"{start.isoformat()}, every list done in full; compliance % per category A B C D, "
        "% of pairs that kept their interval, gap violations, human backlog (items), "
        "skipped work"
    )
    for label, share in LOADS:
        reps = [replace(r, capacity=round(load.get(r.handle, 0.0) / share, 2)) for r in book.reps]
        for name, planner in planners.items():
            t = time.perf_counter()
            res = simulate(
                accounts=book.accounts,
                last_touches=book.last_touches,
                reps=reps,
                method=method,
                start=start,
                weeks=args.weeks,
                today=today,
                planner=planner,
            )
            print(row(name, label, res, time.perf_counter() - t), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
