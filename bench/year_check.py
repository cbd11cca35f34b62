"""A year of the method on the demo, judged from the outside: does a team that does its
list every week keep the method's cadence?

A black-box check: it drives khm only through its command line (subprocesses) and judges
with its own arithmetic, not khm's (no import of khm):

1. ``khm method show`` gives the method file (TOML); ``[capacity] overload`` is set to
   ``--policy`` and the file is used for every command (``--method``).
2. ``khm demo --today START`` builds the demo team (a year of history before START).
3. ``khm capacity -f json`` states what the cadence asks of each rep a week;
   ``khm rep edit R --capacity C`` sets each rep's capacity to ask / scale
   (``--capacity-scale 86``: the cadence asks 86 % of the capacity; 146: 146 %).
4. Each Monday of 52 weeks: ``khm weekly -f json --today MONDAY``; every listed item
   (human items within capacity, personal digital ones) is done on its suggested day by
   the listed rep (``khm import touches``); every campaign kind with accounts due is sent
   that Monday (``khm log --campaign KIND --due``).
5. ``khm export touches`` and ``khm export accounts`` give the history; the judgement:

   * **compliance** of a pair (account, activity of its cadence) on a day: the time since
     its last touch (of the kind or a kind covering it) is at most interval + grace +
     7 days, plus the no-human days that span covers (human kinds). Per category: the
     share of pair-days of the year in compliance, from the pair's first touch (a pair
     never touched is counted apart: "not touched");
   * **kept interval**: the share of pairs touched in the year whose every gap from their
     first touch of the year (and from their last touch to the end) stayed within that
     bound; the gaps that did not are the *gap violations*;
   * **backlog**: human items already due before the week (listed or carried), on the
     first Monday and on the Monday after the last week (both just after the Christmas
     stop), and the carried items of those weeks; **skipped**: the items the lists
     dropped (waited more than an interval) over the year.

Usage::

    python bench/year_check.py --start 2027-01-04 --capacity-scale 86 --policy protect
    python bench/year_check.py --capacity-scale 146 --json

Needs ``khm`` runnable: ``python -m khm`` with ``PYTHONPATH=src`` from the checkout (the
default) or ``--khm "khm"``. Everything is written to a temporary directory.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 365.25 / 12, "y": 365.25}
NAMED = {
    "daily": "1d",
    "weekly": "1w",
    "biweekly": "2w",
    "fortnightly": "2w",
    "monthly": "1m",
    "bimonthly": "2m",
    "quarterly": "3m",
    "half-yearly": "6m",
    "semiannual": "6m",
    "yearly": "1y",
    "annual": "1y",
    "annually": "1y",
}


def interval_days(text: str) -> float:
    raw = NAMED.get(text.strip().lower(), text.strip().lower())
    m = re.fullmatch(r"(\d+)\s*([dwmy])", raw)
    if not m:
        raise SystemExit(f"cannot read interval {text!r}")
    return int(m.group(1)) * UNIT_DAYS[m.group(2)]


class Khm:
    """Runs khm commands against one database, method file and data dir."""

    def __init__(
        self, cmd: list[str], workdir: Path, method: Path | None = None, src: Path = ROOT / "src"
    ) -> None:
        self.cmd = cmd
        self.db = workdir / "year.db"
        self.method = method
        self.env = {
            **os.environ,
            "KHM_CONFIG_DIR": str(workdir / "config"),
            "KHM_DATA_DIR": str(workdir / "data"),
            "PYTHONPATH": str(src),
        }
        self.env.pop("KHM_DATABASE_URL", None)
        self.env.pop("KHM_METHOD", None)
        self.env.pop("KHM_TODAY", None)
        self.calls = 0

    def __call__(self, *args: str) -> str:
        pre = ["--db", str(self.db)]
        if self.method is not None:
            pre += ["--method", str(self.method)]
        self.calls += 1
        r = subprocess.run(
            [*self.cmd, *pre, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if r.returncode != 0:
            raise SystemExit(
                f"khm {' '.join(args)} failed ({r.returncode}):\n{r.stderr.strip()[-2000:]}"
            )
        return r.stdout


def no_human_days(
    periods: list[tuple[tuple[int, int], tuple[int, int]]], year_from: int, year_to: int
) -> set[int]:
    """Ordinals of the days inside a no-human period, over the years given."""
    out: set[int] = set()
    d = date(year_from, 1, 1)
    end = date(year_to, 12, 31)
    while d <= end:
        md = (d.month, d.day)
        for a, b in periods:
            if (a <= md <= b) if a <= b else (md >= a or md <= b):
                out.add(d.toordinal())
                break
        d += timedelta(days=1)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    start = date.fromisoformat(args.start)
    if start.weekday() != 0:
        raise SystemExit(f"--start {start} is not a Monday")
    weeks = args.weeks
    tmp = tempfile.TemporaryDirectory(prefix="khm-year-")
    work = Path(args.workdir) if args.workdir else Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    cmd = shlex.split(args.khm) if args.khm else [sys.executable, "-m", "khm"]

    # 1. the method, with the policy asked for
    src = Path(args.src)
    text = Khm(cmd, work, src=src)("method", "show")
    method = tomllib.loads(text)
    if re.search(r"(?m)^overload\s*=", text):
        text = re.sub(r'(?m)^overload\s*=\s*"[a-z]+"', f'overload = "{args.policy}"', text)
    else:
        text = re.sub(r"(?m)^\[capacity\]\s*$", f'[capacity]\noverload = "{args.policy}"', text)
    method_path = work / "method.toml"
    method_path.write_text(text, encoding="utf-8")
    khm = Khm(cmd, work, method_path, src)

    # 2. the demo
    khm(
        "demo",
        "--db",
        str(khm.db),
        "--seed",
        str(args.seed),
        "--today",
        start.isoformat(),
        "--force",
    )

    # 3. capacity so that the cadence asks scale % of it
    cap = json.loads(khm("capacity", "-f", "json", "--today", start.isoformat()))
    scale = args.capacity_scale / 100.0
    capacities = {}
    for r in cap["reps"]:
        ask = float(r["effort_per_week"])
        c = round(ask / scale, 2) if ask > 0 else float(r["capacity"])
        capacities[r["rep"]] = c
        khm("rep", "edit", r["rep"], "--capacity", f"{c:g}")

    # 3b. what khm simulate says of the same year, from the same state (compared below)
    sim = json.loads(
        khm(
            "simulate",
            "-f",
            "json",
            "--today",
            start.isoformat(),
            "--start",
            start.isoformat(),
            "--weeks",
            str(weeks),
        )
    )
    simulated = {c["category"]: c["compliance"] for c in sim["categories"]}

    # 4. the year, week by week
    campaign_kinds = [k for k, a in method["activities"].items() if a.get("campaign")]
    weekly_stats: list[dict[str, Any]] = []
    touches_csv = work / "week.csv"
    for w in range(weeks + 1):  # the extra week is only looked at (the backlog at the end)
        monday = start + timedelta(weeks=w)
        sunday = monday + timedelta(days=6)
        doc = json.loads(khm("weekly", "-f", "json", "--today", monday.isoformat()))
        rows = []
        stat = {"week": doc["week"], "carried": 0, "skipped": 0, "waiting": 0, "listed_human": 0}
        campaigns_due: set[str] = set()
        for rep in doc["reps"]:
            stat["carried"] += rep["carried_over"]
            stat["skipped"] += rep.get("skipped_count", 0)
            stat["waiting"] += sum(
                1 for i in rep["items"] if i["mode"] == "human" and i["due"] < monday.isoformat()
            ) + sum(1 for i in rep["carried"] if i["due"] < monday.isoformat())
            stat["listed_human"] += sum(1 for i in rep["items"] if i["mode"] == "human")
            for c in rep.get("campaigns", []):
                if c["due"]:
                    campaigns_due.add(c["activity"])
            for i in rep["items"]:
                rows.append(
                    (i["account"], i["day"] or monday.isoformat(), i["activity"], rep["rep"])
                )
        weekly_stats.append(stat)
        if w == weeks:
            break
        if rows:
            buf = io.StringIO()
            out = csv.writer(buf)
            out.writerow(["account", "date", "kind", "rep"])
            out.writerows(rows)
            touches_csv.write_text(buf.getvalue(), encoding="utf-8")
            khm("import", "touches", str(touches_csv), "--today", sunday.isoformat())
        for kind in campaign_kinds:
            if kind in campaigns_due:
                khm("log", "--campaign", kind, "--due", "--today", monday.isoformat())

    # 5. the judgement, from the exports
    end = start + timedelta(weeks=weeks, days=-1)
    accounts = list(csv.DictReader(io.StringIO(khm("export", "accounts", "-f", "csv"))))
    touches: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in csv.DictReader(io.StringIO(khm("export", "touches", "-f", "csv"))):
        touches[(t["account"], t["kind"])].append(date.fromisoformat(t["date"][:10]).toordinal())
    first_history = min((min(v) for v in touches.values()), default=start.toordinal())
    periods = []
    for p in method.get("calendar", {}).get("no_human_periods", []):
        a = tuple(int(x) for x in p["from"].split("-"))
        b = tuple(int(x) for x in p["to"].split("-"))
        periods.append((a, b))
    closed = no_human_days(periods, date.fromordinal(first_history).year - 1, end.year + 1)
    closed_sorted = sorted(closed)
    from bisect import bisect_left

    def closed_between(a: int, b: int) -> int:  # days in [a, b)
        return bisect_left(closed_sorted, b) - bisect_left(closed_sorted, a)

    grace_rule = method.get("grace", {})
    fraction = float(grace_rule.get("fraction", 0.25))
    minimum = interval_days(str(grace_rule.get("minimum", "1w")))
    acts = method["activities"]
    covering = {k: {k} | {c for c, a in acts.items() if k in a.get("covers", [])} for k in acts}

    s, e = start.toordinal(), end.toordinal()
    per_cat = defaultdict(lambda: [0, 0])  # category -> [pair-days in compliance, judged]
    pairs_kept = defaultdict(lambda: [0, 0])  # category -> [kept, touched in the year]
    never = defaultdict(int)
    violations = defaultdict(int)
    for a in accounts:
        if str(a.get("archived", "")).lower() in ("true", "1", "yes"):
            continue
        typ, cat = a.get("type") or "", a.get("category") or ""
        plan = method.get("cadence", {}).get(typ, {}).get(cat)
        if not plan:
            continue
        for kind, iv in plan.items():
            days = interval_days(str(iv))
            grace = max(round(days * fraction), round(minimum))
            allow = days + grace + 7
            human = acts[kind]["mode"] == "human"
            dates = sorted({d for k in covering[kind] for d in touches.get((a["key"], k), ())})

            def within(last: int, day: int, allow: float = allow, human: bool = human) -> bool:
                extra = closed_between(last, day) if human else 0
                return day - last <= allow + extra

            # compliance per day of the year, from the pair's first touch
            before = [d for d in dates if d < s]
            last = before[-1] if before else None
            idx = len(before)
            ok = judged = 0
            for day in range(s, e + 1):
                while idx < len(dates) and dates[idx] <= day:
                    last = dates[idx]
                    idx += 1
                if last is not None:
                    judged += 1
                    ok += within(last, day)
            per_cat[cat][0] += ok
            per_cat[cat][1] += judged
            # kept interval after the first touch of the year
            year = [d for d in dates if s <= d <= e]
            if not year:
                never[cat] += 1
                continue
            bad = sum(1 for x, y in pairwise(year) if not within(x, y))
            bad += 0 if within(year[-1], e) else 1
            violations[cat] += bad
            pairs_kept[cat][1] += 1
            pairs_kept[cat][0] += bad == 0

    cats = sorted(per_cat)
    first, after = weekly_stats[0], weekly_stats[-1]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "weeks": weeks,
        "seed": args.seed,
        "policy": args.policy,
        "capacity_scale_pct": args.capacity_scale,
        "capacities": capacities,
        "compliance_pct": {c: round(100.0 * per_cat[c][0] / per_cat[c][1], 2) for c in cats},
        "kept_interval_pct": {
            c: round(100.0 * pairs_kept[c][0] / pairs_kept[c][1], 2) if pairs_kept[c][1] else None
            for c in cats
        },
        "kept_interval_pct_all": round(
            100.0
            * sum(v[0] for v in pairs_kept.values())
            / max(sum(v[1] for v in pairs_kept.values()), 1),
            2,
        ),
        "gap_violations": dict(violations),
        "pairs_not_touched_in_year": dict(never),
        "backlog_start": first["waiting"],
        "backlog_end": after["waiting"],
        "carried_start": first["carried"],
        "carried_end": after["carried"],
        "carried_max": max(w["carried"] for w in weekly_stats[:-1]),
        "skipped_total": sum(w["skipped"] for w in weekly_stats[:-1]),
        "simulate_compliance_pct": simulated,
        "simulate_backlog": sim["backlog"],
        "khm_calls": khm.calls,
        "seconds": round(time.perf_counter() - started, 1),
        "weekly": weekly_stats if args.weekly else None,
    }


def print_table(res: dict[str, Any]) -> None:
    print(
        f"year {res['start']}..{res['end']} · policy {res['policy']} · cadence asks "
        f"{res['capacity_scale_pct']:g} % of capacity · seed {res['seed']}"
    )
    print(
        f"{'category':<10}{'compliance %':>14}{'kept interval %':>17}{'gap violations':>16}{'not touched':>13}"
    )
    for c, v in res["compliance_pct"].items():
        kept = res["kept_interval_pct"][c]
        print(
            f"{c:<10}{v:>14.2f}{'-' if kept is None else f'{kept:.2f}':>17}"
            f"{res['gap_violations'].get(c, 0):>16}{res['pairs_not_touched_in_year'].get(c, 0):>13}"
        )
    print(f"pairs that kept their interval: {res['kept_interval_pct_all']:.2f} %")
    print(
        f"backlog (human items due before the week): start {res['backlog_start']}, "
        f"end {res['backlog_end']}; carried: start {res['carried_start']}, end "
        f"{res['carried_end']}, max {res['carried_max']}; skipped over the year "
        f"{res['skipped_total']}"
    )
    sim = res["simulate_compliance_pct"]
    diffs = {
        c: (sim.get(c), None if sim.get(c) is None else round(sim[c] - v, 2))
        for c, v in res["compliance_pct"].items()
    }
    print(
        "khm simulate from the same start: "
        + ", ".join(f"{c} {s} ({d:+.2f})" for c, (s, d) in diffs.items() if s is not None)
        + f"; backlog {res['simulate_backlog']['start']} -> {res['simulate_backlog']['end']}"
    )
    print(f"{res['khm_calls']} khm calls, {res['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", default="2027-01-04", help="the first Monday (YYYY-MM-DD)")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument(
        "--capacity-scale",
        type=float,
        default=86.0,
        help="the cadence asks this %% of each rep's capacity (86 fits, 146 is short)",
    )
    ap.add_argument("--seed", type=int, default=42, help="the demo's seed")
    ap.add_argument("--policy", choices=["protect", "spread"], default="protect")
    ap.add_argument("--khm", help="how to run khm (default: this Python, -m khm, src/)")
    ap.add_argument("--src", default=str(ROOT / "src"), help="khm's source (PYTHONPATH)")
    ap.add_argument("--workdir", help="keep the files here (default: a temporary directory)")
    ap.add_argument("--weekly", action="store_true", help="with --json: the figures per week")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    res = run(args)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
