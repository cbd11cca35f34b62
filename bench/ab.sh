#!/usr/bin/env bash
# Times every command of the docs/benchmarks.md speed table with two trees of khm, A (this
# one) and B (a baseline checkout), run in turn A B A B ... on the same data.
#
#   bash bench/ab.sh B_SRC B_DB [A_DB]      e.g.
#   git worktree add /tmp/khm-base 5c24542
#   python bench/make_bench_db.py --accounts 100000 --touches 1000000 --reps 50 --tagged --out /tmp/b.db
#   bash bench/ab.sh /tmp/khm-base/src /tmp/b.db
#
# B runs on B_DB as it is; A on a copy migrated to A's schema (A_DB, default B_DB-a.db).
# Uses farm-bench when it is on PATH (medians of pairwise A/B ratios), else /usr/bin/time.
# RUNS (default 5), REP (default andrea), TODAY (default 2026-11-23), ONLY (a regex of
# command names) change what runs. Output: one block per command.
set -euo pipefail
cd "$(dirname "$0")/.."
A_SRC=$PWD/src
B_SRC=$1
B_DB=$2
A_DB=${3:-${B_DB%.db}-a.db}
RUNS=${RUNS:-5}
REP=${REP:-andrea}
TODAY=${TODAY:-2026-11-23}
ONLY=${ONLY:-.}
# both trees byte-compiled, as pip installs them (PYTHONDONTWRITEBYTECODE would make
# every run compile what changed)
python -m compileall -q "$A_SRC" "$B_SRC" >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ ! -f "$A_DB" ]; then
  cp "$B_DB" "$A_DB"
  PYTHONPATH=$A_SRC KHM_DATA_DIR=$WORK/a KHM_CONFIG_DIR=$WORK/a python -m khm --db "$A_DB" account list --limit 1 >/dev/null
fi
CSV=$WORK/accounts.csv
python - "$CSV" <<'PY'
import sys
sys.path.insert(0, "bench")
from pathlib import Path
from bench_import import generate
generate(Path(sys.argv[1]), 100_000, stage=False)
PY
# one runner per tree: its own data and config dirs, output thrown away
for side in a b; do
  src=$A_SRC; db=$A_DB
  if [ $side = b ]; then src=$B_SRC; db=$B_DB; fi
  cat > "$WORK/run-$side" <<SH
#!/bin/sh
export PYTHONPATH="$src" KHM_DATA_DIR="$WORK/$side" KHM_CONFIG_DIR="$WORK/$side"
if [ "\$1" = import ]; then
  rm -f "$WORK/imp-$side.db" "$WORK/imp-$side.db-wal" "$WORK/imp-$side.db-shm"
  exec python -m khm --db "$WORK/imp-$side.db" import accounts "$CSV" >/dev/null
fi
exec python -m khm --db "$db" "\$@" >/dev/null
SH
  chmod +x "$WORK/run-$side"
done
run() {
  local name=$1; shift
  echo "$name" | grep -Eq "$ONLY" || return 0
  echo "== $name: khm $*"
  if command -v farm-bench >/dev/null; then
    farm-bench -n "$RUNS" --timeout 3000 --vs "$WORK/run-b $*" -- "$WORK/run-a" "$@" | grep -E "wall|peak|cpu|exit"
  else
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -f "A %e s wall %U+%S s cpu %M KB" "$WORK/run-a" "$@"
      /usr/bin/time -f "B %e s wall %U+%S s cpu %M KB" "$WORK/run-b" "$@"
    done
  fi
}
run weekly-rep weekly --rep "$REP" -f json --today "$TODAY"
run weekly-all weekly -f json --today "$TODAY"
run report-json report all --period 2026 -f json --today "$TODAY"
run report-table report all --period 2026 --today "$TODAY"
run tag tag --dry-run -f json
run assign assign --rebalance --dry-run -f json
run account-list account list -f json
run export-touches export touches -f csv
run help --help
run capacity capacity -f json --today "$TODAY"
run import import
