"""Benchmark of ``khm weekly`` on a generated book (issue 4).

    python bench/bench_weekly.py [--db /tmp/khm-bench-100k.db] [--runs 7]
        [--scale /tmp/khm-bench-10k.db /tmp/khm-bench-100k.db /tmp/khm-bench-1m.db] [--table]

The database is built when missing with
``python bench/make_bench_db.py --accounts 100000 --touches 1000000 --reps 50 --tagged``.

Whole processes, each run ``--runs`` times (min and median wall time; CPU = user + sys of
the child, less sensitive to a busy machine):

* ``khm weekly --rep R --format json`` (R = the rep with the median number of accounts)
* ``khm weekly --format json`` (all 50 reps)
* (1) a bare typer + sqlmodel command: opens the same database, runs one query (the
  rep's newest touch per account and kind) and prints the rows as JSON
* (2) a hand-written SQL due-list for the same rep over ``sqlite3`` (no khm, no
  SQLAlchemy): cadence as a VALUES table, covers, ``date(last, '+N months')``, ordered by
  overdue / lateness / category / type / key
* ``khm --help`` against a hello-world typer app

In-process (CPU time): the planning step (``build_weekly`` for the rep: queries + planner, store
already open) against the execution of the SQL due-list (2); and ``build_weekly`` for all
reps on each ``--scale`` database (time per account shows whether growth is linear).

Targets (issue 4): one rep <= 1.3x (1); planning step <= 2x (2); all reps <= 3x one rep;
linear growth; ``khm --help`` <= 1.2x hello typer. The script prints a table of figures,
ratios and whether each target is met; it exits 0 either way (figures, not a test).

This one file also holds the comparison programs, run as ``bench_weekly.py --bare DB REP``,
``--sql DB REP`` and ``--hello`` (each imports only what it needs).
"""

from __future__ import annotations

import sys

TODAY = "2026-11-23"
SUNDAY = "2026-11-29"


# --------------------------------------------------------------------------- the comparison programs


def _hello() -> None:
    import typer

    app = typer.Typer()

    @app.command()
    def hello(name: str = "world") -> None:
        """Say hello."""
        typer.echo(f"hello {name}")

    app()


def _bare(db: str, rep: str) -> None:
    """(1) typer + sqlmodel: open the database, one query, print JSON."""
    import json

    import typer
    from sqlmodel import Session, create_engine, text

    app = typer.Typer()

    @app.command()
    def run(db: str, rep: str) -> None:
        engine = create_engine(f"sqlite:///{db}")
        with Session(engine) as s:
            rows = s.exec(  # type: ignore[call-overload]
                text(
                    "SELECT t.account_id, t.kind, MAX(t.date) FROM touch t "
                    "JOIN account a ON a.id = t.account_id "
                    "WHERE a.owner = :rep AND t.date <= :sunday GROUP BY t.account_id, t.kind"
                ),
                params={"rep": rep, "sunday": SUNDAY},
            ).all()
        sys.stdout.write(json.dumps([list(r) for r in rows]) + "\n")

    app([db, rep])


def due_list_sql() -> str:
    """(2) The hand-written due list: SQLite SQL with the default method's cadence inlined."""
    from khm.method import default_method

    m = default_method()
    cad, cov = [], []
    for t, cats in m.cadence.items():
        for c, plan in cats.items():
            for kind, iv in plan.items():
                months = iv.count * (12 if iv.unit == "y" else 1) if iv.unit in "my" else 0
                days = iv.count * (7 if iv.unit == "w" else 1) if iv.unit in "wd" else 0
                grace = m.grace.grace_days(iv)
                cad.append(
                    f"('{t}','{c}','{kind}',{months},{days},{iv.days:.4f},{grace},"
                    f"{1 if m.is_human(kind) else 0})"
                )
    for kind in m.activities:
        for src in sorted(m.covering(kind)):
            cov.append(f"('{kind}','{src}')")
    return f"""
WITH cad(type, category, kind, months, days, ivdays, grace, human) AS (VALUES {",".join(cad)}),
cov(kind, src) AS (VALUES {",".join(cov)}),
acc AS (
  SELECT id, key, name, type, category, date(coalesce(tagged_at, created_at)) AS anchor
  FROM account WHERE owner = :rep AND archived = 0 AND type IS NOT NULL
),
lt AS (
  SELECT t.account_id, t.kind, MAX(t.date) AS last FROM touch t
  JOIN acc ON acc.id = t.account_id WHERE t.date <= :sunday GROUP BY t.account_id, t.kind
),
last AS (
  SELECT a.id, c.kind, MAX(lt.last) AS last
  FROM acc a JOIN cad c ON c.type = a.type AND c.category = a.category
  JOIN cov ON cov.kind = c.kind
  LEFT JOIN lt ON lt.account_id = a.id AND lt.kind = cov.src
  GROUP BY a.id, c.kind
),
due AS (
  SELECT a.key, a.name, a.type, a.category, c.kind, c.human, c.ivdays, c.grace, l.last,
    CASE WHEN l.last IS NULL THEN a.anchor
         ELSE date(l.last, '+' || c.months || ' months', '+' || c.days || ' days') END AS due
  FROM acc a JOIN cad c ON c.type = a.type AND c.category = a.category
  JOIN last l ON l.id = a.id AND l.kind = c.kind
)
SELECT key, name, type, category, kind, human, last, due,
  julianday(:today) - julianday(due) > grace AS overdue,
  MAX(julianday(:today) - julianday(due), 0) / ivdays AS lateness
FROM due WHERE due <= :sunday
ORDER BY overdue DESC, lateness DESC, category, type, key, kind
"""


def _sql(db: str, rep: str) -> None:
    import json
    import sqlite3

    sql = due_list_sql()
    con = sqlite3.connect(db)
    rows = con.execute(sql, {"rep": rep, "sunday": SUNDAY, "today": TODAY}).fetchall()
    sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- measuring


def _timed(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """(min wall, median wall, median CPU) of ``runs`` runs of ``cmd``."""
    import os
    import statistics
    import subprocess
    import time

    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        t = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t)
        after = os.times()
        cpus.append(
            (after.children_user - before.children_user)
            + (after.children_system - before.children_system)
        )
    return min(walls), statistics.median(walls), statistics.median(cpus)


def _in_process(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    """Best CPU time of ``runs`` calls (single-threaded, SQLite runs in-process: CPU time
    is the work done and does not depend on how busy the machine is)."""
    import time

    best = float("inf")
    for _ in range(runs):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def _median_rep(db: str) -> tuple[str, int]:
    import sqlite3

    rows = (
        sqlite3.connect(db)
        .execute(
            "SELECT owner, COUNT(*) FROM account WHERE owner IS NOT NULL AND archived = 0 "
            "GROUP BY owner ORDER BY COUNT(*), owner"
        )
        .fetchall()
    )
    return rows[len(rows) // 2]


def main(argv: list[str]) -> int:
    import argparse
    import os
    import shutil
    import subprocess
    from datetime import date
    from pathlib import Path

    here = Path(__file__).resolve()
    p = argparse.ArgumentParser(description="Benchmark khm weekly (issue 4).")
    p.add_argument("--db", default="/tmp/khm-bench-100k.db")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--scale", nargs="*", default=[], help="databases for the scaling table")
    p.add_argument(
        "--table",
        action="store_true",
        help="also time the table and CSV formats, one rep and all reps (the all-reps "
        "table takes about 30 s a run: rich lays out every row)",
    )
    args = p.parse_args(argv)

    db = args.db
    if not Path(db).exists():
        print(f"building {db} (about a minute) ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(here.parent / "make_bench_db.py"),
                "--accounts",
                "100000",
                "--touches",
                "1000000",
                "--reps",
                "50",
                "--tagged",
                "--out",
                db,
            ],
            check=True,
        )
    rep, n_acc = _median_rep(db)
    khm = shutil.which("khm") or "khm"
    env = {**os.environ, "KHM_DATABASE_URL": db, "KHM_TODAY": TODAY, "NO_COLOR": "1"}
    env.pop("KHM_METHOD", None)
    py = sys.executable
    runs = args.runs

    print(f"database {db}; rep {rep} ({n_acc} accounts); today {TODAY}; {runs} runs each")
    procs = {
        "khm weekly --rep R -f json": [khm, "weekly", "--rep", rep, "--format", "json"],
        "khm weekly -f json (all reps)": [khm, "weekly", "--format", "json"],
        "(1) bare typer+sqlmodel query": [py, str(here), "--bare", db, rep],
        "(2) SQL due-list, sqlite3": [py, str(here), "--sql", db, rep],
        "khm --help": [khm, "--help"],
        "hello-world typer --help": [py, str(here), "--hello", "--help"],
    }
    res = {name: _timed(cmd, runs, env) for name, cmd in procs.items()}
    if args.table:
        env_cols = {**env, "COLUMNS": "200"}
        for fmt in ("table", "csv"):
            one_cmd = [khm, "weekly", "--rep", rep, "--format", fmt]
            all_cmd = [khm, "weekly", "--format", fmt]
            n = 1 if fmt == "table" else runs
            res[f"khm weekly --rep R -f {fmt}"] = _timed(one_cmd, max(n, 2), env_cols)
            res[f"khm weekly -f {fmt} (all reps)"] = _timed(all_cmd, n, env_cols)
    print()
    print(f"{'whole process':40} {'min wall':>9} {'med wall':>9} {'med CPU':>9}")
    for name, (mn, med, cpu) in res.items():
        print(f"{name:40} {mn:9.3f} {med:9.3f} {cpu:9.3f}")

    # in-process: the planning step vs the SQL due-list
    import sqlite3

    from khm.method import default_method
    from khm.services.weekly import build_weekly
    from khm.store.db import open_store, path_to_url

    method = default_method()
    store = open_store(path_to_url(db))
    today = date.fromisoformat(TODAY)
    build_weekly(store, method, today=today, rep=rep)  # warm: imports, holiday tables
    t_plan = _in_process(lambda: build_weekly(store, method, today=today, rep=rep), runs)
    con = sqlite3.connect(db)
    sql = due_list_sql()
    params = {"rep": rep, "sunday": SUNDAY, "today": TODAY}
    n_sql = len(con.execute(sql, params).fetchall())
    t_sql = _in_process(lambda: con.execute(sql, params).fetchall(), runs)
    plan = build_weekly(store, method, today=today, rep=rep)
    n_plan = sum(len(r.items) + len(r.carried) + len(r.paused) for r in plan.reps)
    print()
    print(f"{'in process (best CPU of runs)':40} {'seconds':>9}")
    print(f"{'planning step, one rep (build_weekly)':40} {t_plan:9.4f}   {n_plan} items")
    print(f"{'(2) SQL due-list execution':40} {t_sql:9.4f}   {n_sql} rows")

    scale_rows = []
    for sdb in args.scale:
        if not Path(sdb).exists():
            print(f"(skipping {sdb}: not found)")
            continue
        s_store = open_store(path_to_url(sdb))
        accounts = sqlite3.connect(sdb).execute("SELECT COUNT(*) FROM account").fetchone()[0]
        t_all = _in_process(lambda s=s_store: build_weekly(s, method, today=today), 2)
        s_env = {**env, "KHM_DATABASE_URL": sdb}
        mn, _med, cpu = _timed([khm, "weekly", "--format", "json"], 2, s_env)
        scale_rows.append((sdb, accounts, t_all, mn, cpu))
        s_store.dispose()
    if scale_rows:
        print()
        print(
            f"{'scaling: all reps':40} {'accounts':>9} {'in-proc':>9} {'us/acct':>8} {'process':>9} {'CPU':>8}"
        )
        for sdb, accounts, t_all, mn, cpu in scale_rows:
            print(
                f"{Path(sdb).name:40} {accounts:9d} {t_all:9.3f} {t_all / accounts * 1e6:8.1f} {mn:9.3f} {cpu:8.3f}"
            )

    one = res["khm weekly --rep R -f json"]
    allr = res["khm weekly -f json (all reps)"]
    bare = res["(1) bare typer+sqlmodel query"]
    helpk = res["khm --help"]
    hello = res["hello-world typer --help"]
    checks = [
        ("one rep / (1)  (wall min)", one[0] / bare[0], 1.3),
        ("one rep / (1)  (CPU)", one[2] / bare[2], 1.3),
        ("planning step / (2)  (in process)", t_plan / t_sql, 2.0),
        ("all reps / one rep  (wall min)", allr[0] / one[0], 3.0),
        ("khm --help / hello typer  (wall min)", helpk[0] / hello[0], 1.2),
        ("khm --help / hello typer  (CPU)", helpk[2] / hello[2], 1.2),
    ]
    for fmt in ("table", "csv"):
        if f"khm weekly --rep R -f {fmt}" in res:
            a, o = res[f"khm weekly -f {fmt} (all reps)"], res[f"khm weekly --rep R -f {fmt}"]
            checks.append((f"all reps / one rep, {fmt}  (CPU)", a[2] / o[2], 3.0))
    if len(scale_rows) >= 2:
        per = [r[2] / r[1] for r in scale_rows]
        checks.append(("growth: us/account largest / smallest", per[-1] / per[0], 1.5))
    print()
    print(f"{'ratio':40} {'value':>7} {'target':>7}  met")
    for name, value, target in checks:
        print(f"{name:40} {value:7.2f} {target:7.2f}  {'yes' if value <= target else 'NO'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--hello":
        sys.argv = [sys.argv[0], *sys.argv[2:]]
        _hello()
    elif len(sys.argv) > 3 and sys.argv[1] == "--bare":
        _bare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 3 and sys.argv[1] == "--sql":
        _sql(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main(sys.argv[1:]))
