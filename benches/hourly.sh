#!/usr/bin/env bash
# The statistics benchmark: raw hourly station exports (12 stations × 4 years, 420,000 rows)
# read through a `source`, with daily, monthly and annual means by the GB 3095-2012 validity
# rules, the CO 95th percentile, 8-hour ozone means, their daily maxima and 90th percentile
# (benches/hourly/policy). Usage: benches/hourly.sh [YEARS]   (default 4: 2016–2019)
#
# Generates target/bench-data/hourly-YEARS/ with examples/gen_hourly.rs if missing, then times
# `writ eval` whole-process (/usr/bin/time: wall seconds, max RSS) with its phases
# (WRIT_TIMINGS), on WRIT_THREADS threads if set, else the machine's cores. With
# ENGINE=datafusion, the derived kinds are grouped in DataFusion (built with
# `--features datafusion`, under MEMORY_LIMIT, default 4GB); the report is written to
# target/bench-data/hourly-YEARS-ENGINE.out either way, to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
years=${1:-4}
first=$((2020 - years))
engine=${ENGINE:-native}
features=()
engine_args=()
if [ "$engine" = datafusion ]; then
  features=(--features datafusion)
  engine_args=(--engine datafusion --memory-limit "${MEMORY_LIMIT:-4GB}")
elif [ "$engine" != native ]; then
  echo "ENGINE is native or datafusion, not $engine" >&2
  exit 2
fi
cargo build --release --quiet --bin writ --example gen_hourly "${features[@]}"
data=target/bench-data/hourly-$years
if [ ! -d "$data" ]; then
  target/release/examples/gen_hourly --out "$data" --from "$first-01-01" --to 2019-12-31 | tail -n1
fi
rows=$(cat "$data"/*.csv | wc -l)
echo "facts: $(du -sh "$data" | cut -f1), $((rows - 12)) hourly rows, $(nproc) cores, engine $engine, $(date -u +%FT%TZ)"
out=target/bench-data/hourly-$years-$engine
for run in 1 2 3; do
  rc=0
  WRIT_TIMINGS=1 /usr/bin/time -f 'whole process: %e s, max RSS %M KB' \
    target/release/writ eval benches/hourly/policy --facts "$data" --as-of 2020-01-31 "${engine_args[@]}" \
    > "$out.out" 2> "$out.err" || rc=$?
  if [ "$rc" -gt 1 ]; then cat "$out.err" >&2; exit 2; fi
  echo "run $run:"; sed 's/^writ: /  /' "$out.err"
done
head -n2 "$out.out"
