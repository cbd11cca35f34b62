"""Benchmark: ``khm report all --period 2026`` over the 100k-account / 1M-touch database.

    python bench/make_bench_db.py --accounts 100000 --touches 1000000 --reps 50 --tagged \\
        --out /tmp/khm-bench-100k.db
    python bench/bench_report.py [--db /tmp/khm-bench-100k.db] [--period 2026] [--repeat 3]

Times the whole ``khm`` process (start-up, queries, report maths, rendering, writing) for
the JSON and the terminal format, best of ``--repeat`` runs, wall clock and CPU (user +
sys of the child, which is steadier on a busy machine). For scale it times, in the same
script, a plain SQL aggregate of the same touches with sqlite3:
``SELECT kind, rep, COUNT(*) FROM touch WHERE date BETWEEN ... GROUP BY kind, rep``
(as SQLite plans it, with the date index, and forced to a table scan), and prints the
ratio of the report to the faster of the two.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from khm.core.period import parse_period


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_report(db: Path, args: list[str], repeat: int) -> tuple[float, float]:
    env = {**os.environ, "KHM_DATABASE_URL": str(db), "NO_COLOR": "1", "COLUMNS": "160"}
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        cpu0, t0 = _child_cpu(), time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "khm", "report", *args],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, _child_cpu() - cpu0)
    return best_wall, best_cpu


def time_sql(db: Path, start: str, end: str, repeat: int, scan: bool) -> tuple[float, int]:
    table = "touch NOT INDEXED" if scan else "touch"
    sql = (
        f"SELECT kind, rep, COUNT(*) FROM {table} WHERE date >= ? AND date <= ? GROUP BY kind, rep"
    )
    best, n = float("inf"), 0
    for _ in range(repeat):
        conn = sqlite3.connect(db)
        t0 = time.perf_counter()
        rows = conn.execute(sql, (start, end)).fetchall()
        best = min(best, time.perf_counter() - t0)
        n = sum(r[2] for r in rows)
        conn.close()
    return best, n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=Path("/tmp/khm-bench-100k.db"))
    p.add_argument("--period", default="2026")
    p.add_argument("--today", default="2026-11-23")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    if not a.db.exists():
        print(
            f"{a.db} not found; build it first:\n  python bench/make_bench_db.py "
            f"--accounts 100000 --touches 1000000 --reps 50 --tagged --out {a.db}"
        )
        return 2
    from datetime import date

    period = parse_period(a.period, date.fromisoformat(a.today))
    common = ["all", "--period", a.period, "--today", a.today]
    json_wall, json_cpu = time_report(a.db, [*common, "-f", "json"], a.repeat)
    table_wall, table_cpu = time_report(a.db, common, a.repeat)
    sql_idx, n = time_sql(a.db, period.start.isoformat(), period.end.isoformat(), a.repeat, False)
    sql_scan, _ = time_sql(a.db, period.start.isoformat(), period.end.isoformat(), a.repeat, True)
    sql = min(sql_idx, sql_scan)
    print(f"database        : {a.db} ({n:,} touches in {period.label})")
    print(
        f"load average    : {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(f"report all json : {json_wall:6.2f} s wall, {json_cpu:6.2f} s CPU (best of {a.repeat})")
    print(f"report all table: {table_wall:6.2f} s wall, {table_cpu:6.2f} s CPU")
    print(f"SQL aggregate   : {sql_idx:6.2f} s with the date index, {sql_scan:6.2f} s table scan")
    print(
        f"ratio           : json {json_wall / sql:4.1f}x, table {table_wall / sql:4.1f}x "
        "the faster SQL aggregate (wall)"
    )
    print("target          : <= 2 s wall for 'report all --period 2026'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
