#!/usr/bin/env bash
# Where the data plane's time goes: runs bench/throughput.sh for one yellowtail mode
# and, while iperf3 runs, records both daemons with perf (Debian linux-perf), then
# prints each daemon's split by DSO (kernel, libsodium, yellowtaild, libc) and its
# top symbols. Run as root; the perf data is removed unless KEEP_PERF=1.
#
# usage: bench/profile.sh [--build DIR] [--mode NAME] [--seconds N]
#   --mode NAME   a throughput.sh --only name: yellowtail (default, batched+offload),
#                 yellowtail-nobatch, yellowtail-batched, yellowtail-nocoalesce
#   --seconds N   recorded seconds (default 8; iperf3 runs N + 10)
# Sender is node-a (iperf3 client side, seals), receiver node-b (opens).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=build
MODE=yellowtail
SECONDS_RECORDED=8
while (($#)); do
  case $1 in
    --build) BUILD=${2:?}; shift 2 ;;
    --mode) MODE=${2:?}; shift 2 ;;
    --seconds) SECONDS_RECORDED=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "profile: needs root" >&2; exit 77; }
command -v perf >/dev/null || { echo "profile: perf is missing (apt-get install linux-perf)" >&2; exit 2; }
OUT=$(mktemp -d /tmp/yt-profile.XXXXXX)
bench/throughput.sh --build "$BUILD" --seconds $((SECONDS_RECORDED + 10)) --only "$MODE" >"$OUT/throughput.log" 2>&1 &
RUNNER=$!
# The daemons of this run: children of the script's namespaces, found by their nick.
pid_of() { pgrep -n -f "yellowtaild .*--nick $1( |$)"; }
for _ in $(seq 200); do
  A=$(pid_of node-a); B=$(pid_of node-b)
  [[ -n $A && -n $B ]] && pgrep -x iperf3 >/dev/null && break
  sleep 0.1
done
[[ -n ${A:-} && -n ${B:-} ]] || { echo "profile: the daemons did not start" >&2; wait $RUNNER; cat "$OUT/throughput.log" >&2; exit 1; }
sleep 3  # past slow start
perf record -q -g -o "$OUT/sender.data" -p "$A" -- sleep "$SECONDS_RECORDED" >/dev/null 2>&1 &
SENDER=$!
perf record -q -g -o "$OUT/receiver.data" -p "$B" -- sleep "$SECONDS_RECORDED" >/dev/null 2>&1
wait $SENDER
wait $RUNNER
tail -n 2 "$OUT/throughput.log"
for side in sender receiver; do
  echo "== $side: by DSO"
  perf report -i "$OUT/$side.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -6
  echo "== $side: top symbols"
  perf report -i "$OUT/$side.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
done
if [[ -n ${KEEP_PERF:-} ]]; then echo "profile: perf data kept in $OUT" >&2; else rm -rf "$OUT"; fi
