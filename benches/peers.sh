#!/usr/bin/env bash
# The peer benchmark: writ, regorus (Rego) and a hand-written Rust program on the same four
# rules and the same JSON facts, timed in one run. Usage: benches/peers.sh small|medium|large
#
# WRIT=0 benches/peers.sh SIZE skips writ. RUNS=N (default 3) runs every program N times, in
# rounds (each program once per round, so that a slow spell of the machine falls on all of
# them), and the table gives each program's median wall time and its largest max RSS.
#
# Builds release binaries, generates target/bench-data/peers-SIZE/facts.json if missing, times
# each program with /usr/bin/time (wall seconds, max RSS), checks that the three give the same
# verdict counts and breaching subjects per rule, and prints a table with ratios to the
# hand-written program. Outputs are kept in target/bench-data/peers-SIZE-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:?usage: benches/peers.sh small|medium|large}
case $size in small|medium|large) ;; *) echo "size: small, medium or large" >&2; exit 2;; esac

start=$(date +%s)
cargo build --release --quiet --bin writ
peers=$(cargo bench --bench peers --no-run --message-format=json 2>/dev/null \
  | jq -r 'select(.reason == "compiler-artifact" and .target.name == "peers") | .executable' | tail -1)
[ -x "$peers" ] || { echo "could not build the peers bench binary" >&2; exit 2; }
echo "build: $(( $(date +%s) - start )) s"

data=target/bench-data/peers-$size
out=target/bench-data/peers-$size-out
mkdir -p "$out"
if [ ! -f "$data/facts.json" ]; then
  /usr/bin/time -f '%e %M' -o "$out/gen.time" "$peers" gen "$size" "$data"
  echo "generated $data/facts.json in $(tail -n1 "$out/gen.time" | cut -d' ' -f1) s"
fi
echo "facts: $(du -h "$data/facts.json" | cut -f1), $(nproc) cores, $(date -u +%FT%TZ)"

# writ with the records of the policy and no clause: reading, converting and linking the facts,
# then an empty evaluation. writ has no phase timer; this is the load phase from outside.
load_policy=$out/policy-load
mkdir -p "$load_policy"
sed '/^\/\/ 1\. 三(二)11/,$d' benches/peers/policy/peers.writ > "$load_policy/peers.writ"

# writ with one rule at a time (the records, then that rule's section of the policy): where the
# evaluation time goes, rule by rule.
for k in 1 2 3 4; do
  mkdir -p "$out/policy-rule$k"
  { sed '/^\/\/ 1\. 三(二)11/,$d' benches/peers/policy/peers.writ
    awk -v k="$k" '/^\/\/ [1-4]\. / { on = ($2 == k ".") } on' benches/peers/policy/peers.writ
  } > "$out/policy-rule$k/peers.writ"
done

# timed NAME COMMAND... : runs COMMAND under /usr/bin/time and adds its wall time and max RSS
# to NAME.times; writ exits 1 when a rule is broken.
timed() {
  local name=$1; shift
  local rc=0
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" || rc=$?
  if [ "$rc" -gt 1 ]; then echo "$name failed with exit code $rc" >&2; exit 2; fi
  # The last line: /usr/bin/time writes a line before it when writ exits 1.
  tail -n1 "$out/$name.time" >> "$out/$name.times"
}
writ_eval=(target/release/writ eval benches/peers/policy --facts "$data" --as-of 2019-12-31)

runs=${RUNS:-3}
rm -f "$out"/*.times
for round in $(seq "$runs"); do
  timed hand "$peers" hand "$data" > "$out/hand.txt"
  timed hand-load "$peers" hand-load "$data" > /dev/null
  timed rego "$peers" rego "$data" > "$out/rego.txt"
  timed rego-load "$peers" rego-load "$data" > /dev/null
  if [ "${WRIT:-1}" = 1 ]; then
    # The previous run's report is removed and the disk brought up to date first, so that this run
    # does not wait for the kernel to finish writing that one out.
    rm -f "$out/writ.json"
    sync
    timed writ-json "${writ_eval[@]}" --format json > "$out/writ.json"
    timed writ-human "${writ_eval[@]}" > /dev/null
    WRIT_THREADS=1 timed writ-human-1t "${writ_eval[@]}" > /dev/null
    timed writ-load target/release/writ eval "$load_policy" --facts "$data" --as-of 2019-12-31 > /dev/null
    for k in 1 2 3 4; do
      timed "writ-rule$k" target/release/writ eval "$out/policy-rule$k" --facts "$data" --as-of 2019-12-31 > /dev/null
    done
  fi
done
if [ "${WRIT:-1}" = 1 ]; then
"$peers" writ-summary "$out/writ.json" > "$out/writ.txt"
fi
agree=yes
programs=rego
[ "${WRIT:-1}" = 1 ] && programs="writ rego"
for p in $programs; do
  if ! diff -q "$out/hand.txt" "$out/$p.txt" > /dev/null; then
    agree=no
    echo "DISAGREE: $p and the hand-written program (diff $out/hand.txt $out/$p.txt)" >&2
  fi
done
echo
cat "$out/hand.txt"
echo "$programs and the hand-written program agree on every rule: $agree"
echo

# NAME's median wall time and largest max RSS over the runs.
median() {
  sort -n -k1,1 "$out/$1.times" | awk '{ s[NR] = $1; if ($2 > kb) kb = $2 }
    END { m = (NR % 2) ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2; print m, kb }'
}
read -r hand_s hand_kb < <(median hand)
echo "median of $runs runs per program, in rounds"
printf '| %-44s | %8s | %9s | %8s | %8s |\n' program "wall s" "max RSS MB" "× wall" "× RSS"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" ---------- ----------- ---------- ----------
row() {
  local name=$1 label=$2 s kb
  read -r s kb < <(median "$name")
  awk -v l="$label" -v s="$s" -v kb="$kb" -v hs="$hand_s" -v hkb="$hand_kb" 'BEGIN {
    printf "| %-44s | %8.2f | %10.0f | %8.1f | %8.1f |\n", l, s, kb / 1024, (hs > 0 ? s / hs : 0), kb / hkb }'
}
row hand "hand-written Rust (serde + loops)"
row hand-load "  of which: parse facts.json (serde)"
row rego "regorus $(grep -m1 -A1 'name = "regorus"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')"
row rego-load "  of which: parse facts.json as input"
if [ "${WRIT:-1}" = 1 ]; then
row writ-json "writ eval --format json (report to a file)"
row writ-human "writ eval (human report to /dev/null)"
row writ-human-1t "  the same on one thread (WRIT_THREADS=1)"
row writ-load "  writ eval, records only (load phase)"
row writ-rule1 "  writ eval, records + rule 1 (kilns)"
row writ-rule2 "  writ eval, records + rule 2 (PM10)"
row writ-rule3 "  writ eval, records + rule 3 (staggered)"
row writ-rule4 "  writ eval, records + rule 4 (coal share)"
echo "writ's JSON report: $(du -h "$out/writ.json" | cut -f1)"
fi
echo "total run: $(( $(date +%s) - start )) s"
[ "$agree" = yes ]
