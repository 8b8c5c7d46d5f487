#!/usr/bin/env bash
# Runs one fuzz target on one core: fuzz/run.sh TARGET SECONDS
#
# TARGET is one of policy, facts_json, facts_ndjson, facts_csv, facts_xlsx, facts_yaml,
# facts_toml, facts_parquet. On the first run, fuzz/corpus/TARGET is seeded from the repository's example and
# fixture files of that format (and fuzz/seeds/). Crashing inputs land in fuzz/artifacts/TARGET/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); builds with the stable toolchain, no sanitizer.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}

case $target in
  policy) exts="writ"; dirs="../policies ../tests/fixtures/check" ;;
  facts_json) exts="json"; dirs="../examples/yangquan-2019 ../tests/fixtures" ;;
  facts_csv) exts="csv"; dirs="../examples/yangquan-2019-formats/csv ../tests/fixtures" ;;
  facts_xlsx) exts="xlsx"; dirs="../examples/yangquan-2019-formats/xlsx seeds/xlsx" ;;
  facts_ndjson) exts="ndjson"; dirs="seeds/ndjson" ;;
  facts_yaml) exts="yaml"; dirs="seeds/yaml" ;;
  facts_toml) exts="toml"; dirs="seeds/toml" ;;
  facts_parquet) exts="parquet"; dirs="seeds/parquet" ;;
  *) echo "unknown target: $target" >&2; exit 2 ;;
esac
max_len=65536
if [ "$target" = facts_xlsx ] || [ "$target" = facts_parquet ]; then max_len=262144; fi

corpus=corpus/$target
mkdir -p "$corpus"
if [ -z "$(ls -A "$corpus")" ]; then
  for dir in $dirs; do
    find "$dir" -type f -name "*.$exts" -print0 | while IFS= read -r -d '' f; do
      cp "$f" "$corpus/seed-$(printf '%s' "$f" | tr '/ ' '__' | sed 's/^[._]*//')"
    done
  done
  echo "seeded $corpus with $(ls "$corpus" | wc -l) files"
fi

exec cargo fuzz run --sanitizer none "$target" "$corpus" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -timeout=10 -print_final_stats=1
