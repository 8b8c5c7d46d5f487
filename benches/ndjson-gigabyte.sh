#!/usr/bin/env bash
# Whole-process run of the `writ` binary on 1 GiB of NDJSON: 12.9 million hourly readings of
# 10,000 enterprises (the policy of benches/scale.rs), streamed from disk. Prints the elapsed
# time and the maximum resident set size; docs/limits.md records the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
data=target/bench-data/ndjson
mkdir -p "$data/policy" "$data/facts"
sed -n '/^const POLICY: &str = r#"/,/^"#;/p' benches/scale.rs | sed '1s/^const POLICY: &str = r#"//; $d' > "$data/policy/policy.writ"
file="$data/facts/readings.ndjson"
if [ ! -f "$file" ]; then
  python3 - "$file" <<'PY'
import sys
out, enterprises, target = sys.argv[1], 10_000, 1 << 30
state, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1
def nxt():
    global state
    state ^= (state << 13) & mask; state ^= state >> 7; state ^= (state << 17) & mask
    return state
with open(out, "w", encoding="utf-8") as f:
    size = 0
    for e in range(enterprises):
        line = '{"kind": "企業", "名稱": "E%05d"}\n' % e
        f.write(line); size += len(line.encode())
    r = 0
    while size < target:
        lines = []
        for _ in range(100_000):
            e, day = r % enterprises, 1 + (r // enterprises) % 28
            lines.append('{"kind": "讀數", "編號": %d, "企業": "E%05d", "日期": "2019-07-%02d", "PM10": %d.%d}\n'
                         % (r, e, day, 40 + nxt() % 230, nxt() % 10))
            r += 1
        chunk = "".join(lines)
        f.write(chunk); size += len(chunk.encode())
print(f"{out}: {size} bytes, {r} readings", file=sys.stderr)
PY
fi
ls -l "$file"
/usr/bin/env time -f "writ eval: %e s elapsed, %M KB max RSS" \
  target/release/writ eval "$data/policy" --facts "$data/facts" --as-of 2019-12-31 --format json > "$data/report.json" || true
ls -l "$data/report.json"
