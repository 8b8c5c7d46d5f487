#!/usr/bin/env bash
# The four rules of the peer benchmark over hourly readings held as Parquet, natively and on
# DataFusion under a memory limit. Usage: benches/peers-parquet.sh medium|large|huge
#
# huge is 50,000 enterprises and 50 million readings. The readings are generated as NDJSON files
# of a million records (fewer at medium), each converted with `writ facts convert` to
# DIR/工地揚塵監測/part-NNNN.parquet and then removed; the other kinds stay in DIR/facts.json.
# Then `writ eval` runs with `--engine native` and `--engine datafusion --memory-limit 4GB`,
# each with the human report (to a file), and at medium and large with the JSON report too;
# the reports of the two engines must be the same byte for byte. Prints each run's wall time and
# max RSS (/usr/bin/time) and the phases writ reports (WRIT_TIMINGS=1).
#
# Builds `writ` with `--features datafusion` (CARGO_TARGET_DIR is honoured). Data and outputs go
# to target/bench-data/peers-SIZE-parquet{,-out}/ (BENCH_DATA overrides target/bench-data).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:?usage: benches/peers-parquet.sh medium|large|huge}
case $size in
  medium) rows=250000 ;;
  large | huge) rows=1000000 ;;
  *) echo "size: medium, large or huge" >&2; exit 2 ;;
esac

# The bench binary first: building it builds `writ` again, without the feature.
peers=$(cargo bench --bench peers --no-run --message-format=json 2>/dev/null \
  | jq -r 'select(.reason == "compiler-artifact" and .target.name == "peers") | .executable' | tail -1)
[ -x "$peers" ] || { echo "could not build the peers bench binary" >&2; exit 2; }
cargo build --release --quiet --features datafusion --bin writ
writ=${CARGO_TARGET_DIR:-target}/release/writ

data=${BENCH_DATA:-target/bench-data}/peers-$size-parquet
out=${BENCH_DATA:-target/bench-data}/peers-$size-parquet-out
policy=benches/peers/policy
mkdir -p "$out"
if [ ! -f "$data/done" ]; then
  rm -rf "$data"
  start=$(date +%s)
  "$peers" gen-parts "$size" "$data" "$rows"
  convert=$(mktemp -d)
  for part in "$data"/工地揚塵監測/part-*.ndjson; do
    rm -rf "$convert"/*
    # The other kinds are read too, for the readings' references to 建筑工地 to be checked.
    "$writ" facts convert "$policy" --facts "$data/facts.json" --facts "$part" --to "$convert" > /dev/null
    mv "$convert/工地揚塵監測.parquet" "${part%.ndjson}.parquet"
    rm "$part"
  done
  rm -rf "$convert"
  touch "$data/done"
  echo "generated and converted in $(( $(date +%s) - start )) s"
fi
echo "facts: $(du -sh "$data/工地揚塵監測" | cut -f1) of Parquet readings ($(ls "$data"/工地揚塵監測 | wc -l) files)," \
  "$(du -h "$data/facts.json" | cut -f1) of other records; $(nproc) cores, $(date -u +%FT%TZ)"

# run NAME ARGS...: `writ eval` with ARGS, its stdout to NAME.out, its phases and time to NAME.err.
run() {
  local name=$1; shift
  local rc=0
  WRIT_TIMINGS=1 /usr/bin/time -f 'wall %e s, max RSS %M KB' \
    "$writ" eval "$policy" --facts "$data" --as-of 2019-12-31 "$@" > "$out/$name.out" 2> "$out/$name.err" || rc=$?
  if [ "$rc" -gt 1 ]; then cat "$out/$name.err" >&2; echo "$name failed with exit code $rc" >&2; exit 2; fi
  echo "$name: $(tail -n1 "$out/$name.err"); report $(du -h "$out/$name.out" | cut -f1)"
  grep '^writ: ' "$out/$name.err" | sed 's/^/    /'
}

same() {
  if cmp -s "$out/$1.out" "$out/$2.out"; then echo "$1 and $2: the same report"; else
    echo "DIFFERENT: $out/$1.out and $out/$2.out" >&2; exit 1; fi
}

run native-human
run datafusion-human --engine datafusion --memory-limit 4GB
same native-human datafusion-human
if [ "$size" != huge ]; then
  run native-json --format json
  run datafusion-json --format json --engine datafusion --memory-limit 4GB
  same native-json datafusion-json
  "$peers" writ-summary "$out/native-json.out"
fi
