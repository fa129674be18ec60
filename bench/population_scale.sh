#!/usr/bin/env bash
# How the simulator's population run scales with the number of clients: one
# `yellowtail-sim population` run per size (default mix, seed 1, 60 simulated s),
# one after the other, and a table of what each cost: simulator events, wall and
# CPU time, peak RSS, events per CPU second, and CPU per client. Events and memory
# grow linearly with the population; a falling "events/CPU s" column is the part
# of the cost that grows faster than linearly.
#
# A run takes two processes by default (the simulator's --processes): CPU is
# then both processes' (with the time each spends polling for the other's news),
# and RSS both peaks summed. --processes 1 gives the single-process figures.
#
# Run it on a quiet machine: concurrent runs slow each other by a fifth or more
# (the run is bound by memory, not by instructions), so two sizes measured side by
# side do not compare.
#
# usage: bench/population_scale.sh [--build DIR] [--seed N] [--processes N] [SIZE ...]
#   --build DIR     the CMake build tree with emulation/yellowtail-sim (default build)
#   --seed N        ns-3 run number (default 1)
#   --processes N   processes per run, 1 or 2 (default 2)
#   SIZE ...        client counts (default: 200 1000 2000)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=build
SEED=1
PROCESSES=2
SIZES=()
while (($#)); do
  case $1 in
    --build) BUILD=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --processes) PROCESSES=${2:?}; shift 2
      [[ $PROCESSES == 1 || $PROCESSES == 2 ]] || { echo "population_scale.sh: --processes takes 1 or 2" >&2; exit 2; } ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "population_scale.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [[ $1 =~ ^[0-9]+$ ]] || { echo "population_scale.sh: '$1' is not a client count" >&2; exit 2; }
       SIZES+=("$1"); shift ;;
  esac
done
((${#SIZES[@]})) || SIZES=(200 1000 2000)
SIM=$BUILD/emulation/yellowtail-sim
[[ -x $SIM ]] || { echo "population_scale.sh: no $SIM (run scripts/build.sh)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "population_scale.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

printf '%8s %12s %9s %9s %9s %13s %15s %8s\n' clients events wall_s cpu_s rss_mib "events/cpu_s" cpu_ms/client p2p
for n in "${SIZES[@]}"; do
  echo "population_scale.sh: $n clients ..." >&2
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" \
    "$SIM" population --clients "$n" --seed "$SEED" --processes "$PROCESSES" --out "$WORK/out" > "$WORK/report" 2> "$WORK/progress" ||
    { echo "population_scale.sh: the $n-client run failed:" >&2; tail -5 "$WORK/progress" >&2; exit 1; }
  read -r wall user sys _ < <(tail -1 "$WORK/time")
  /usr/bin/python3 - "$WORK/out/population.json" "$n" "$wall" "$user" "$sys" <<'PY'
import json, sys
path, n, wall, user, sys_s = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:6])
run = json.load(open(path))
events = run["cost"]["simulator_events"]
rss_mib = run["cost"]["peak_rss_bytes"] / 1048576
cpu = user + sys_s
print(f"{n:8d} {events:12d} {wall:9.1f} {cpu:9.1f} {rss_mib:9.0f} {events / cpu:13.0f} "
      f"{1000 * cpu / n:15.1f} {100 * run['p2p_rate']:7.1f}%")
PY
done
