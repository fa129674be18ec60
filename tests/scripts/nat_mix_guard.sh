#!/usr/bin/env bash
# CI guard on the population P2P rate of the shipped NAT mixes: runs
# `yellowtail-sim nat-mix` on each mix of scenarios/baselines/nat-mix.json with
# its pair count and seed, and fails when a population rate fell
# (scenarios/check_nat_mix_baseline.py).
# Usage: nat_mix_guard.sh BUILD_DIR [RESULTS_DIR]  (RESULTS_DIR is kept, for --write-baseline)
set -euo pipefail
build=${1:?usage: nat_mix_guard.sh BUILD_DIR [RESULTS_DIR]}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
baseline="$repo/scenarios/baselines/nat-mix.json"
if [[ -n "${2:-}" ]]; then
  out=$2
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
# name file pairs seed strategy, one mix a line
/usr/bin/python3 -c '
import json, sys
for m in json.load(open(sys.argv[1]))["mixes"]:
    print(m["name"], m["file"], m["pairs"], m["seed"], m["strategy"])
' "$baseline" | while read -r name file pairs seed strategy; do
  "$build/emulation/yellowtail-sim" nat-mix --mix "$repo/$file" --pairs "$pairs" --seed "$seed" \
    --strategy "$strategy" --quiet --out "$out/$name" >/dev/null
done
/usr/bin/python3 "$repo/scenarios/check_nat_mix_baseline.py" "$baseline" "$out"
