"""Build a large khm SQLite database for the benchmarks.

    python bench/make_bench_db.py --accounts 100000 --touches 1000000 --reps 50 \\
        --out /tmp/khm-bench-100k.db [--seed 1] [--today 2026-11-23] [--tagged] [--force]

The database is created through ``khm.store.db.open_store`` (the real migrated schema) and
filled with the demo generator (``khm.demo``): Nordic accounts with skewed revenue, reps
by role, and touches that follow the default method's cadence imperfectly. With
``--touches N`` the history is shortened so about N touches fall in it, then trimmed to
exactly N. ``--tagged`` also fills type, category and tagged_at the way the default method
would (type rules; ABC by revenue within country x product line), writes the year's tag
history that goes with them, and gives owners round-robin by role, so the planner and
report benchmarks work without ``khm tag``.

Any SQLAlchemy URL works with ``--url`` instead of ``--out`` (e.g. a PostgreSQL database).
Prints the row counts and the time of each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--touches", type=int, default=1_000_000)
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--out", type=Path, default=Path("/tmp/khm-bench-100k.db"))
    p.add_argument("--url", help="any SQLAlchemy URL instead of --out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 23))
    p.add_argument("--tagged", action="store_true", help="fill type/category/owner directly")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    args = p.parse_args(argv)
    if args.accounts < 0 or args.touches < 0 or args.reps < 1:
        p.error("--accounts and --touches must be >= 0, --reps >= 1")

    from khm.demo import generate
    from khm.store.db import normalise_url, open_store, path_to_url
    from khm.store.loading import bulk_load, is_empty

    if args.url:
        url = normalise_url(args.url)
    else:
        out: Path = args.out
        if out.exists():
            if not args.force and out.stat().st_size > 0:
                print(f"{out} exists; use --force to replace it", file=sys.stderr)
                return 7
            for suffix in ("", "-wal", "-shm"):
                Path(str(out) + suffix).unlink(missing_ok=True)
        url = path_to_url(out)

    t_all = time.perf_counter()
    t = time.perf_counter()
    data = generate(
        seed=args.seed,
        today=args.today,
        accounts=args.accounts,
        reps=args.reps,
        touches=args.touches,
        # above 2M touches they are simulated again while written: flat memory, more CPU
        lazy=args.touches > 2_000_000,
        owners="round-robin" if args.tagged else "balanced",
    )
    t_gen = time.perf_counter() - t

    t = time.perf_counter()
    store = open_store(url)
    t_open = time.perf_counter() - t
    if not is_empty(store) and not args.force:
        print(f"{url} is not empty; use --force to replace its data", file=sys.stderr)
        return 7
    t = time.perf_counter()
    result = bulk_load(
        store,
        reps=data.rep_rows(),
        accounts=data.account_rows(tags="current" if args.tagged else "none"),
        touches=data.touch_rows(),
        tag_changes=data.tag_change_rows(tags="current") if args.tagged else (),
        replace=args.force,
    )
    t_load = time.perf_counter() - t
    store.dispose()
    total = time.perf_counter() - t_all

    print(f"database : {url}")
    print(f"reps     : {result.reps:>10,}")
    print(f"accounts : {result.accounts:>10,}")
    print(f"touches  : {result.touches:>10,}  ({data.history_start} .. {args.today}, exclusive)")
    print(f"tagged   : {'yes' if args.tagged else 'no'} ({result.tag_changes:,} tag changes)")
    print(
        f"time     : generate {t_gen:.1f}s, open+migrate {t_open:.1f}s, "
        f"load {t_load:.1f}s, total {total:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
