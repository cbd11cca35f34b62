#!/usr/bin/env bash
# Runs every benchmark on one freshly generated database and keeps the output in bench/out/.
# Usage: bash bench/run_all.sh   (about 10 minutes on 2 cores; needs ~1 GB in /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
DB=${KHM_BENCH_DB:-/tmp/khm-bench-100k.db}
[ -f "$DB" ] || python bench/make_bench_db.py --accounts 100000 --touches 1000000 --reps 50 --tagged --out "$DB" | tee bench/out/make_bench_db.txt
python bench/bench_import.py --repeat 3 | tee bench/out/import.txt
python bench/bench_tag_assign.py | tee bench/out/tag_assign.txt
python bench/bench_weekly.py --db "$DB" --runs 5 | tee bench/out/weekly.txt
python bench/bench_report.py --db "$DB" --repeat 3 | tee bench/out/report.txt
python bench/bench_crud.py --db "$DB" --runs 3 | tee bench/out/crud.txt
python bench/bench_export.py --db "$DB" --runs 3 | tee bench/out/export.txt
