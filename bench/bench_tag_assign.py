"""Benchmark: ``khm tag`` and ``khm assign --rebalance`` on 100k accounts.

    python bench/bench_tag_assign.py [--accounts 100000] [--reps 50] [--keep-db PATH]

Builds a SQLite database of ``--accounts`` untagged, unowned accounts (Nordic countries x
product lines, skewed revenue, open pipeline on some) and ``--reps`` reps of every role
with SQLAlchemy Core bulk inserts, then times each step as a whole ``khm`` process (what a
user or cron waits for: start-up, reading, classifying / balancing, writing the tags and
the history):

* ``khm tag``               first run: every account gets a type and a category
* ``khm tag``               second run: nothing changes
* ``khm assign --rebalance`` first run: every account gets an owner
* ``khm assign --rebalance`` second run: nothing moves
* ``khm assign --rebalance`` after piling every account on one rep per role

next to a plain SQL UPDATE of the same rows (sqlite3 executemany of
``UPDATE account SET type=?, category=? WHERE id=?`` / ``SET owner=?``, one transaction)
measured by this script on a copy of the same database. Prints the figures and ratios.
Target: under 3 s each.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

TODAY = "2026-11-23"
COUNTRIES = ("SE", "NO", "DK", "FI", "IS", "EE")
LINES = ("Analytics", "Payroll", "Hosting", "Security", "CRM")
STAGES = ("customer", "customer", "customer", "customer", "opportunity", "onboarding")


def build(path: Path, n_accounts: int, n_reps: int, seed: int = 1) -> None:
    from sqlalchemy import insert

    from khm.store.db import open_store, path_to_url
    from khm.store.models import Account, Rep

    store = open_store(path_to_url(path))
    rng = random.Random(seed)
    now = datetime(2026, 1, 5, 9, 0)
    roles = ("expand", "keep", "keep", "any")
    reps = [
        {
            "handle": f"rep{i:03d}",
            "name": f"Rep {i}",
            "email": None,
            "role": roles[i % len(roles)],
            "capacity": float(rng.choice((10, 12, 14, 16, 20))) * 40,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n_reps)
    ]
    accounts = []
    for i in range(n_accounts):
        custom = {"open_pipeline": rng.choice((0, 0, 0, 0, 50_000))} if rng.random() < 0.7 else {}
        accounts.append(
            {
                "key": f"acc-{i:07d}",
                "name": f"Company {i} AS",
                "country": rng.choice(COUNTRIES),
                "product_lines": [rng.choice(LINES)],
                "revenue": None if rng.random() < 0.02 else round(rng.lognormvariate(13, 1.5), 2),
                "employees": float(rng.randint(1, 5000)),
                "custom": custom,
                "owner": None,
                "type": None,
                "category": None,
                "type_manual": False,
                "category_manual": False,
                "manual_reason": None,
                "tagged_at": None,
                "lifecycle_stage": rng.choice(STAGES),
                "archived": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(Rep.__table__), reps)
        for i in range(0, len(accounts), 20_000):
            conn.execute(insert(Account.__table__), accounts[i : i + 20_000])
    store.dispose()


CPU: dict[str, float] = {}


def run_khm(db: Path, *args: str) -> float:
    """Wall seconds of one ``khm`` process; its CPU seconds (user + system) go to CPU."""
    env = {**os.environ, "KHM_DATABASE_URL": str(db), "KHM_TODAY": TODAY}
    env.pop("KHM_METHOD", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "khm", *args, "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[" ".join(args)] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        raise SystemExit(f"khm {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    return elapsed


def plain_update(db: Path, column_sql: str, values: list[tuple]) -> float:
    """The same rows written by a bare sqlite3 UPDATE ... WHERE id = ? (one transaction)."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    t = time.perf_counter()
    c0 = time.process_time()
    with conn:
        conn.executemany(f"UPDATE account SET {column_sql} WHERE id = ?", values)
    elapsed = time.perf_counter() - t
    CPU["plain " + column_sql] = time.process_time() - c0
    conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--keep-db", type=Path, help="leave the database here afterwards")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="khm-bench-tag-"))
    db = tmp / "bench.db"
    try:
        t = time.perf_counter()
        build(db, args.accounts, args.reps)
        print(
            f"built {args.accounts:,} accounts, {args.reps} reps in {time.perf_counter() - t:.1f} s"
        )
        pristine = tmp / "pristine.db"
        shutil.copy(db, pristine)

        env = {**os.environ, "KHM_DATABASE_URL": str(db)}
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "khm", "--version"], env=env, capture_output=True)
        t_startup = time.perf_counter() - t

        tag1 = run_khm(db, "tag")
        cpu_tag1 = CPU["tag"]
        tag2 = run_khm(db, "tag")
        cpu_tag2 = CPU["tag"]
        asg1 = run_khm(db, "assign", "--rebalance")
        cpu_asg1 = CPU["assign --rebalance"]
        asg2 = run_khm(db, "assign", "--rebalance")
        cpu_asg2 = CPU["assign --rebalance"]

        conn = sqlite3.connect(db)
        tags = conn.execute("SELECT id, type, category FROM account").fetchall()
        owners = conn.execute("SELECT id, owner, type FROM account").fetchall()
        first_rep = dict(
            conn.execute(
                "SELECT role, min(handle) FROM rep WHERE role IN ('expand', 'keep') GROUP BY role"
            ).fetchall()
        )
        n_changes = conn.execute("SELECT count(*) FROM tag_change").fetchone()[0]
        conn.close()

        # skewed: every account on the first rep of its role, then rebalance
        conn = sqlite3.connect(db)
        with conn:
            conn.executemany(
                "UPDATE account SET owner = ? WHERE id = ?",
                [(first_rep[t], i) for i, _, t in owners],
            )
        conn.close()
        asg3 = run_khm(db, "assign", "--rebalance")
        cpu_asg3 = CPU["assign --rebalance"]
        conn = sqlite3.connect(db)
        moved = conn.execute("SELECT count(*) FROM tag_change").fetchone()[0] - n_changes
        conn.close()

        base_tag = plain_update(
            pristine, "type = ?, category = ?", [(t_, c, i) for i, t_, c in tags]
        )
        base_owner = plain_update(pristine, "owner = ?", [(o, i) for i, o, _ in owners])

        cpu_tag_base = CPU["plain type = ?, category = ?"]
        cpu_owner_base = CPU["plain owner = ?"]
        rows = [
            ("khm tag (first run, all change)", tag1, base_tag, cpu_tag1, cpu_tag_base),
            ("khm tag (second run, no change)", tag2, base_tag, cpu_tag2, cpu_tag_base),
            ("khm assign --rebalance (all unowned)", asg1, base_owner, cpu_asg1, cpu_owner_base),
            ("khm assign --rebalance (second run)", asg2, base_owner, cpu_asg2, cpu_owner_base),
            (
                f"khm assign --rebalance (skewed, {moved:,} moves)",
                asg3,
                base_owner,
                cpu_asg3,
                cpu_owner_base,
            ),
        ]
        load1, _, _ = os.getloadavg()
        print(f"load average now: {load1:.2f} on {os.cpu_count()} CPU(s)")
        print(f"python -m khm --version (start-up only): {t_startup:.2f} s")
        print(
            f"plain sqlite3 UPDATE type, category of {len(tags):,} rows: {base_tag:.2f} s "
            f"(CPU {cpu_tag_base:.2f} s)"
        )
        print(
            f"plain sqlite3 UPDATE owner of {len(owners):,} rows:         {base_owner:.2f} s "
            f"(CPU {cpu_owner_base:.2f} s)"
        )
        print(
            f"{'step':<48} {'wall s':>7} {'x UPDATE':>9} {'CPU s':>7} {'x UPDATE':>9} {'<3 s':>5}"
        )
        for name, secs, base, cpu, cpu_base in rows:
            ok = "ok" if secs < 3.0 else "no"
            print(
                f"{name:<48} {secs:>7.2f} {secs / base:>9.1f} {cpu:>7.2f} "
                f"{cpu / cpu_base:>9.1f} {ok:>5}"
            )
        if args.keep_db:
            shutil.copy(db, args.keep_db)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
