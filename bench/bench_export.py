"""Benchmark of the streamed lists and exports against plain Python floors (issue 9, item 4).

    python bench/bench_export.py [--db /tmp/khm-bench-100k.db] [--runs 3] [--src DIR]

The database is the one of ``python bench/make_bench_db.py --accounts 100000 --touches
1000000 --reps 50 --tagged`` (built at ``--db`` when missing; only read here).

Each case runs as a whole process ``--runs`` times, its output written to a file; the
script prints the median wall time and the median peak memory (the child's ``ru_maxrss``,
from ``os.wait4``) of khm and of a *floor*: the same rows read with the standard library's
``sqlite3`` and written in a plain streaming loop (``csv.writer`` for CSV, ``json.dumps``
per item for JSON), run by this script as ``--floor NAME``. The ratio column is khm's
median over the floor's. The outputs are compared too: khm's touches CSV is byte-equal to
the floor's, the JSON items are equal once parsed.

``--src DIR`` runs khm from another checkout's ``src`` (to compare an older version).
No targets are asserted; the figures belong in the change's notes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()

TOUCHES_SQL = (
    "SELECT t.id, a.key, t.date, t.kind, t.rep, t.note, t.source FROM touch t "
    "JOIN account a ON a.id = t.account_id ORDER BY t.date, a.key, t.id"
)
ACCOUNTS_SQL = (
    "SELECT key, name, country, product_lines, revenue, employees, custom, owner, type, "
    "category, type_manual, category_manual, manual_reason, tagged_at, lifecycle_stage, "
    "archived, created_at, updated_at, text, customer_since FROM account WHERE archived = 0 "
    "ORDER BY key"
)


def _stamp(text: str | None) -> str | None:
    """A stored timestamp ('2025-11-16 00:00:00.000000') as khm writes it in JSON."""
    return None if text is None else text[:10] + "T" + text[11:19]


def floor_touches_csv(db: str, out: object) -> None:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    w = csv.writer(out, lineterminator="\n")  # type: ignore[arg-type]
    w.writerow(["id", "account", "date", "kind", "rep", "note", "source"])
    for row in con.execute(TOUCHES_SQL):
        w.writerow(row)


def floor_accounts_json(db: str, out: object) -> None:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    write = out.write  # type: ignore[attr-defined]
    write('{"version":1,"kind":"accounts","items":[')
    n = 0
    loads, dumps = json.loads, json.dumps
    for r in con.execute(ACCOUNTS_SQL):
        item = {
            "key": r[0],
            "name": r[1],
            "country": r[2],
            "product_lines": loads(r[3]) if r[3] else [],
            "revenue": r[4],
            "employees": r[5],
            "custom": loads(r[6]) if r[6] else {},
            "owner": r[7],
            "type": r[8],
            "category": r[9],
            "type_manual": bool(r[10]),
            "category_manual": bool(r[11]),
            "manual_reason": r[12],
            "tagged_at": _stamp(r[13]),
            "lifecycle_stage": r[14],
            "archived": bool(r[15]),
            "created_at": _stamp(r[16]),
            "updated_at": _stamp(r[17]),
            "text": loads(r[18]) if r[18] else {},  # imported text fields (0004_text)
            "customer_since": r[19],  # stored as ISO text (0011)
        }
        write(("\n" if n == 0 else ",\n") + dumps(item, ensure_ascii=False))
        n += 1
    write(f'\n],"count":{n}}}\n')


FLOORS = {"touches-csv": floor_touches_csv, "accounts-json": floor_accounts_json}

#: (label, khm arguments, floor, how the outputs are compared)
CASES = [
    ("export touches -f csv", ["export", "touches", "-f", "csv"], "touches-csv", "bytes"),
    ("account list -f json", ["account", "list", "-f", "json"], "accounts-json", "items"),
    ("account list -f jsonl", ["account", "list", "-f", "jsonl"], "accounts-json", "lines"),
    ("export accounts -f csv", ["export", "accounts", "-f", "csv"], None, None),
    ("export touches -f json", ["export", "touches", "-f", "json"], None, None),
    ("touch list -f csv", ["touch", "list", "-f", "csv"], None, None),
]


def _run_once(cmd: list[str], env: dict[str, str], out_path: Path) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one run of ``cmd`` writing to ``out_path``."""
    with open(out_path, "wb") as out:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode() if p.stderr else ""
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {err}")
    return wall, usage.ru_maxrss / 1024  # KiB on Linux


def _measure(cmd: list[str], env: dict[str, str], out_path: Path, runs: int) -> tuple[float, float]:
    walls, peaks = [], []
    for _ in range(runs):
        w, m = _run_once(cmd, env, out_path)
        walls.append(w)
        peaks.append(m)
    return statistics.median(walls), statistics.median(peaks)


def _same(kind: str, khm_out: Path, floor_out: Path) -> bool:
    """Compared in a child process: this one stays small, and a child's peak memory counts
    its parent's size at the fork on Linux."""
    cmd = [sys.executable, str(HERE), "--compare", kind, str(khm_out), str(floor_out)]
    return subprocess.run(cmd, check=False).returncode == 0


def compare_outputs(kind: str, khm_out: Path, floor_out: Path) -> bool:
    if kind == "bytes":
        return khm_out.read_bytes() == floor_out.read_bytes()
    want = json.loads(floor_out.read_text(encoding="utf-8"))["items"]
    if kind == "items":
        got = json.loads(khm_out.read_text(encoding="utf-8"))["items"]
    else:
        with open(khm_out, encoding="utf-8") as fh:
            got = [json.loads(line) for line in fh]
    return bool(got == want)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--db", type=Path, default=Path("/tmp/khm-bench-100k.db"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--src", type=Path, default=HERE.parent.parent / "src")
    p.add_argument("--floor", choices=sorted(FLOORS), help="run one floor loop (to stdout)")
    p.add_argument("--compare", nargs=3, metavar=("KIND", "KHM", "FLOOR"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.compare:
        kind, khm_out, floor_out = args.compare
        return 0 if compare_outputs(kind, Path(khm_out), Path(floor_out)) else 1
    if args.floor:
        FLOORS[args.floor](str(args.db), sys.stdout)
        return 0
    if not args.db.exists():
        subprocess.run(
            [sys.executable, str(HERE.parent / "make_bench_db.py"), "--accounts", "100000",
             "--touches", "1000000", "--reps", "50", "--tagged", "--out", str(args.db)],
            check=True,
        )  # fmt: skip
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(args.src)}
    env |= {"COLUMNS": "200", "KHM_TODAY": "2026-11-23"}
    con = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    n_acc, n_touch = (
        con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("account", "touch")
    )
    con.close()
    print(f"database: {args.db} ({n_acc} accounts, {n_touch} touches); khm from {args.src}")
    print(f"runs per case: {args.runs}; medians\n")
    head = f"{'case':<26} {'khm s':>7} {'khm MB':>8} {'floor s':>8} {'floor MB':>9} {'ratio':>6}"
    print(head + "  same output")
    floors: dict[str, tuple[float, float, Path]] = {}
    with tempfile.TemporaryDirectory(prefix="khm-bench-export-") as tmp:
        for label, khm_args, floor, compare in CASES:
            out = Path(tmp) / "khm.out"
            cmd = [sys.executable, "-m", "khm", "--db", str(args.db), *khm_args]
            wall, peak = _measure(cmd, env, out, args.runs)
            line = f"{label:<26} {wall:>7.2f} {peak:>8.0f}"
            if floor is None:
                print(line)
                continue
            if floor not in floors:
                fout = Path(tmp) / f"{floor}.out"
                fcmd = [sys.executable, str(HERE), "--db", str(args.db), "--floor", floor]
                floors[floor] = (*_measure(fcmd, env, fout, args.runs), fout)
            fwall, fpeak, fout = floors[floor]
            same = "yes" if compare and _same(compare, out, fout) else "NO"
            print(f"{line} {fwall:>8.2f} {fpeak:>9.0f} {wall / fwall:>6.2f}  {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
