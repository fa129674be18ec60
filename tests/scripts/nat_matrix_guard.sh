#!/usr/bin/env bash
# CI guard on the punch rate: runs the nat-matrix with the baseline's seeds and
# fails when a pair or the overall P2P rate fell (scenarios/check_punch_baseline.py)
# or a pair disagrees with traversal theory (scenarios/nat_theory.py).
# Usage: nat_matrix_guard.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: nat_matrix_guard.sh BUILD_DIR}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
baseline="$repo/scenarios/baselines/nat-matrix.json"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
seeds=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['parameters']['seeds']))" "$baseline")
"$build/emulation/yellowtail-sim" nat-matrix --seeds "$seeds" --quiet --out "$out" >/dev/null
/usr/bin/python3 "$repo/scenarios/check_punch_baseline.py" "$out/results.json" "$baseline"
# The same run must also agree with traversal theory, pair by pair.
/usr/bin/python3 "$repo/scenarios/nat_theory.py" "$out/results.json"
