#!/usr/bin/env bash
# Sets up what is missing, builds, and runs the main job: the nat-matrix scenario
# (every ordered pair of NAT profiles x 10 seeds x the naive and the current
# traversal strategy, inside ns-3, through the real client and server cores). It
# prints the P2P-rate table and writes out/nat-matrix/results.{json,csv} and
# heatmap.png. Extra arguments go to `yellowtail-sim nat-matrix` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "building (first time: a few minutes) ..." >&2
scripts/build.sh >/dev/null
out=out/nat-matrix  # yellowtail-sim's default; follow an --out given by the caller
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[i]} == --out && $((i + 1)) -lt ${#args[@]} ]] && out=${args[i + 1]}
  [[ ${args[i]} == --out=* ]] && out=${args[i]#--out=}
  [[ ${args[i]} == -h || ${args[i]} == --help ]] && exec build/emulation/yellowtail-sim nat-matrix --help
done
build/emulation/yellowtail-sim nat-matrix --seeds 10 "$@"
/usr/bin/python3 scenarios/plot_heatmap.py "$out/results.json" "$out/heatmap.png"
/usr/bin/python3 scenarios/nat_theory.py "$out/results.json" || true  # reported, not fatal: the run stands
echo "wrote $out/results.json, $out/results.csv, $out/heatmap.png" >&2
