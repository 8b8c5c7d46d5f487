#!/usr/bin/env bash
# End-to-end timing of the `writ` binary on the benchmark data (1M readings, 10k enterprises).
# Run `cargo bench --bench scale` once first: it generates target/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
data=target/bench-data
[ -f "$data/facts/readings.json" ] || { echo "run: cargo bench --bench scale" >&2; exit 2; }
for i in 1 2 3; do
  /usr/bin/env time -f "writ eval: %e s elapsed, %M KB max RSS" \
    target/release/writ eval "$data/policy" --facts "$data/facts" --as-of 2019-12-31 --format json > /dev/null || true
done
