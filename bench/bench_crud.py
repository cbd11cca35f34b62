"""Benchmark of the account / rep / touch commands on a generated book (issue 2, items 4-5).

    python bench/bench_crud.py [--db /tmp/khm-bench-100k.db] [--runs 5]

The database is built when missing with
``python bench/make_bench_db.py --accounts 100000 --touches 1000000 --reps 50 --tagged``
(written to ``--db``)
and copied to a temporary file first (``khm log`` writes).

Each command runs as a whole process ``--runs`` times; the script prints min and median
wall time, the least CPU time (user + sys: steadier on a busy machine), and ``khm --help`` as the floor every command pays (interpreter + typer). The
figures are what a user waits for on 100k accounts and 1M touches; no targets are asserted.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-23"


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(args: list[str], db: Path, runs: int) -> tuple[float, float, float, int]:
    times = []
    cpus = []
    out_len = 0
    for _ in range(runs):
        c = _cpu()
        t = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "khm", "--db", str(db), *args],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "KHM_TODAY": TODAY, "COLUMNS": "200"},
        )
        times.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
        if res.returncode != 0:
            raise SystemExit(f"khm {' '.join(args)} failed ({res.returncode}): {res.stderr}")
        out_len = len(res.stdout)
    return min(times), statistics.median(times), min(cpus), out_len


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=Path("/tmp/khm-bench-crud-100k.db"))
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    if not args.db.exists():
        here = Path(__file__).parent
        subprocess.run(
            [sys.executable, str(here / "make_bench_db.py"), "--accounts", "100000",
             "--touches", "1000000", "--reps", "50", "--tagged", "--out", str(args.db)],
            check=True,
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="khm-bench-crud-") as tmp:
        db = Path(tmp) / "bench.db"
        shutil.copyfile(args.db, db)
        con = sqlite3.connect(db)
        n_acc = con.execute("SELECT count(*) FROM account").fetchone()[0]
        n_touch = con.execute("SELECT count(*) FROM touch").fetchone()[0]
        key = con.execute(
            "SELECT a.key FROM account a JOIN touch t ON t.account_id = a.id "
            "GROUP BY a.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        rep = con.execute(
            "SELECT owner FROM account WHERE owner IS NOT NULL GROUP BY owner "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        pl = con.execute("SELECT product_lines FROM account LIMIT 1").fetchone()[0]
        con.close()
        import json

        product_line = (json.loads(pl) or ["x"])[0]
        cases = [
            ("khm --help (floor)", ["--help"]),
            ("account list --limit 50", ["account", "list", "--limit", "50"]),
            ("account list -f json (all)", ["account", "list", "-f", "json"]),
            ("account list -f csv (all)", ["account", "list", "-f", "csv"]),
            ("account list --search ab", ["account", "list", "--search", "ab", "-f", "csv"]),
            (
                f"account list --product-line {product_line} --type expand",
                ["account", "list", "--product-line", product_line, "--type", "expand", "-f", "csv"],
            ),
            ("account list --sort revenue --limit 100", ["account", "list", "--sort", "revenue", "--limit", "100"]),
            (f"account show {key}", ["account", "show", key]),
            (f"log {key} email", ["log", key, "email", "--note", "bench"]),
            (f"touch list --account {key}", ["touch", "list", "--account", key]),
            ("touch list --limit 100", ["touch", "list", "--limit", "100"]),
            (f"touch list --rep {rep} -f csv", ["touch", "list", "--rep", rep, "-f", "csv"]),
            ("rep list", ["rep", "list"]),
            (f"rep show {rep}", ["rep", "show", rep]),
        ]  # fmt: skip
        print(f"database: {n_acc} accounts, {n_touch} touches (copy of {args.db})")
        print(f"runs per command: {args.runs}\n")
        print(f"{'command':<58} {'min s':>7} {'median s':>9} {'cpu s':>7} {'output':>12}")
        for label, cmd in cases:
            lo, med, cpu, size = _run(cmd, db, args.runs)
            print(f"{label[:58]:<58} {lo:>7.2f} {med:>9.2f} {cpu:>7.2f} {size:>11,}B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
