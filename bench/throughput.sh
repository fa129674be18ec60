#!/usr/bin/env bash
# End-to-end tunnel throughput on this machine: two network namespaces joined by a
# veth pair, one TCP stream of iperf3 (Debian iperf3) through
#   - the bare veth (the path's ceiling),
#   - yellowtail: a real yellowtail-server and two yellowtaild with TUN adapters,
#     direct tunnel, once per data-plane mode (docs/data-plane.md):
#       yellowtail (no batching)      yellowtaild --no-batch: a syscall per packet
#       yellowtail (batched)          --no-offload: recvmmsg/sendmmsg, TUN read until empty
#       yellowtail (offload, no TUN GRO) --no-coalesce: offloads, TUN writes one by one
#       yellowtail (batched+offload)  the default: + TUN TSO (virtio-net header), UDP GSO/GRO,
#                                     TCP segments joined for the TUN write
#   - wireguard-go (Debian wireguard-go, wireguard-tools), the userspace reference,
# in the same run, with the same namespaces. Prints Mbit/s and the CPU the tunnel
# processes used per Gbit carried (user + system time of both endpoints' daemons,
# from /proc). Run as root. Everything it creates (namespaces, processes, files) is
# removed on exit.
#
# usage: bench/throughput.sh [--seconds N] [--build DIR] [--only NAME[,NAME]] [--ipv6]
#   --seconds N   length of each iperf3 run (default 10)
#   --build DIR   the CMake build tree with yellowtail-server and yellowtaild (default build)
#   --only LIST   some of: veth, yellowtail-nobatch, yellowtail-batched,
#                 yellowtail-nocoalesce, yellowtail, wireguard-go (default all;
#                 yellowtail is batched+offload)
#   --ipv6        yellowtail rows over the adapters' IPv6 (ULA) addresses (TSO6)
# Addresses: the veth is 192.0.2.1 <-> 192.0.2.2 (documentation range); wireguard-go's
# tunnel uses 198.18.0.1/2 (the benchmarking range); yellowtail's adapters get their
# virtual addresses from the server (25.0.0.0/8), all inside the namespaces.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=10
BUILD=build
FAMILY=4
ONLY="veth,yellowtail-nobatch,yellowtail-batched,yellowtail-nocoalesce,yellowtail,wireguard-go"
while (($#)); do
  case $1 in
    --seconds) SECONDS_PER_RUN=${2:?}; shift 2 ;;
    --build) BUILD=${2:?}; shift 2 ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --ipv6) FAMILY=6; shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "throughput: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $SECONDS_PER_RUN =~ ^[0-9]+$ && $SECONDS_PER_RUN -ge 1 && $SECONDS_PER_RUN -le 600 ]] ||
  { echo "throughput: --seconds must be 1..600" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "throughput: needs root (namespaces, TUN); skipped" >&2; exit 77; }
SERVER=$BUILD/server/yellowtail-server
DAEMON=$BUILD/client/daemon/yellowtaild
CLI=$BUILD/client/daemon/yellowtail
wants() { [[ ",$ONLY," == *",$1,"* ]]; }
for tool in iperf3 ip python3; do
  command -v "$tool" >/dev/null || { echo "throughput: $tool is missing (apt-get install iperf3 iproute2)" >&2; exit 2; }
done
if wants yellowtail || wants yellowtail-nobatch || wants yellowtail-batched || wants yellowtail-nocoalesce; then
  for b in "$SERVER" "$DAEMON" "$CLI"; do [[ -x $b ]] || { echo "throughput: $b is not built (scripts/build.sh)" >&2; exit 2; }; done
fi
if wants wireguard-go; then
  for tool in wireguard-go wg; do
    command -v "$tool" >/dev/null || { echo "throughput: $tool is missing (apt-get install wireguard-go wireguard-tools)" >&2; exit 2; }
  done
fi

RUN="ytbw$$"
WORK=$(mktemp -d /tmp/yt-throughput.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for n in a b; do
    for pid in $(ip netns pids "$RUN-$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$RUN-$n" 2>/dev/null
  done
  if [[ -n ${KEEP_LOGS:-} ]]; then echo "throughput: logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ns() { local n=$1; shift; ip netns exec "$RUN-$n" "$@"; }
spawn() {
  local n=$1 log=$2; shift 2
  ip netns exec "$RUN-$n" "$@" >>"$log" 2>&1 &
  SPAWNED=$!
  PIDS+=("$SPAWNED")
}
wait_for() {
  local seconds=$1; shift
  for _ in $(seq $((seconds * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}
# User + system CPU seconds of the given processes so far.
cpu_seconds() {
  python3 - "$@" <<'EOF'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
total = 0
for pid in sys.argv[1:]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
print(total / tick)
EOF
}
RESULTS=()
# iperf3 from a to `to` (in b) for SECONDS_PER_RUN, the given PIDs' CPU measured around it.
measure() {
  local name=$1 to=$2; shift 2
  spawn b "$WORK/iperf-$name-server.log" iperf3 -s -B "$to" -1
  local server=$SPAWNED
  listening() { ns b ss -ltn | grep -q ':5201 '; }
  wait_for 5 listening
  local before after
  before=$( (($#)) && cpu_seconds "$@" || echo 0)
  if ! ns a iperf3 -c "$to" -t "$SECONDS_PER_RUN" -J >"$WORK/iperf-$name.json" 2>>"$WORK/iperf-$name.err"; then
    echo "throughput: iperf3 through $name failed: $(tail -n 3 "$WORK/iperf-$name.err" "$WORK/iperf-$name.json" 2>/dev/null)" >&2
    RESULTS+=("$name failed")
    return
  fi
  after=$( (($#)) && cpu_seconds "$@" || echo 0)
  wait "$server" 2>/dev/null
  RESULTS+=("$(python3 - "$WORK/iperf-$name.json" "$name" "$before" "$after" "$#" <<'EOF'
import json, sys
path, name, before, after, processes = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
end = json.load(open(path))["end"]
bits = end["sum_received"]["bits_per_second"]
gbit = end["sum_received"]["bytes"] * 8 / 1e9
cpu = after - before
per_gbit = f"{cpu / gbit:.2f}" if processes and gbit > 0 else "-"
cores = f"{cpu / end['sum_received']['seconds']:.2f}" if processes else "-"
print(f"{name:<34} {bits / 1e6:>10.0f} {per_gbit:>14} {cores:>8}")
EOF
)")
}

# The wire: two namespaces, one veth.
ip netns add "$RUN-a" && ip netns add "$RUN-b" || { echo "throughput: cannot create namespaces" >&2; exit 2; }
ip link add "$RUN-va" netns "$RUN-a" type veth peer name "$RUN-vb" netns "$RUN-b" || exit 2
ns a ip addr add 192.0.2.1/24 dev "$RUN-va"
ns b ip addr add 192.0.2.2/24 dev "$RUN-vb"
for n in a b; do ns $n ip link set lo up; done
ns a ip link set "$RUN-va" up
ns b ip link set "$RUN-vb" up
echo "throughput: $SECONDS_PER_RUN s of one TCP stream (iperf3) per path, namespaces $RUN-a and $RUN-b" >&2

if wants veth; then
  echo "throughput: bare veth..." >&2
  measure veth 192.0.2.2
fi

# One yellowtail run: a server and two daemons with the given extra flags, a direct
# tunnel between them, iperf3 through it; everything stopped again afterwards (the
# adapters have one name in every run).
run_yellowtail() {
  local label=$1; shift
  echo "throughput: $label..." >&2
  local tag=${label//[^a-z]/}
  KEY=$("$SERVER" --key "$WORK/server.key" --print-public-key) || exit 1
  spawn a "$WORK/server-$tag.log" "$SERVER" --listen 192.0.2.1:12975 --db :memory: --key "$WORK/server.key" \
    --password-strength minimum
  local server_pid=$SPAWNED
  local -A dpid
  for n in a b; do
    rm -rf "$WORK/state-$n"
    spawn $n "$WORK/daemon-$n-$tag.log" "$DAEMON" --server 192.0.2.1:12975 --server-key "$KEY" --nick "node-$n" \
      --state-dir "$WORK/state-$n" --control-socket "$WORK/$n.sock" --tun-name yt0 "$@"
    dpid[$n]=$SPAWNED
  done
  cli() { local n=$1; shift; timeout 10 ip netns exec "$RUN-$n" "$CLI" --socket "$WORK/$n.sock" --timeout 8 "$@"; }
  online() { cli "$1" status --json 2>/dev/null | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["state"] != "online")' 2>/dev/null; }
  wait_for 20 online a && wait_for 20 online b || { echo "throughput: daemons did not come online" >&2; tail "$WORK"/*.log >&2; exit 1; }
  cli a create bench --password bench >/dev/null && cli b join bench --password bench >/dev/null ||
    { echo "throughput: create/join failed" >&2; exit 1; }
  direct() { cli a list --json 2>/dev/null | python3 -c 'import json,sys; p=json.load(sys.stdin)["peers"]; sys.exit(not p or p[0]["connection"] != "direct")' 2>/dev/null; }
  wait_for 20 direct || { echo "throughput: no direct tunnel" >&2; exit 1; }
  VIP_B=$(cli b status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["virtual_ip"] if sys.argv[1] == "4" else (s["ipv6"] or "").split("/")[0])' "$FAMILY")
  [[ -n $VIP_B ]] || { echo "throughput: node-b has no IPv$FAMILY address" >&2; exit 1; }
  measure "$label" "$VIP_B" "${dpid[a]}" "${dpid[b]}"
  kill -TERM "${dpid[a]}" "${dpid[b]}" "$server_pid" 2>/dev/null
  wait "${dpid[a]}" "${dpid[b]}" "$server_pid" 2>/dev/null
}
wants yellowtail-nobatch && run_yellowtail "yellowtail (no batching)" --no-batch
wants yellowtail-batched && run_yellowtail "yellowtail (batched)" --no-offload
wants yellowtail-nocoalesce && run_yellowtail "yellowtail (offload, no TUN GRO)" --no-coalesce
wants yellowtail && run_yellowtail "yellowtail (batched+offload)"

if wants wireguard-go; then
  echo "throughput: wireguard-go..." >&2
  declare -A WPID
  for n in a b; do
    umask 077
    wg genkey >"$WORK/wg-$n.key"
    wg pubkey <"$WORK/wg-$n.key" >"$WORK/wg-$n.pub"
    # Foreground (-f), so its PID is the process that does the work. Its control
    # socket (/var/run/wireguard/NAME.sock) is not per namespace: names of this run.
    spawn $n "$WORK/wg-$n.log" wireguard-go -f "${RUN}w$n"
    WPID[$n]=$SPAWNED
  done
  has_link() { ns "$1" ip link show "${RUN}w$1" >/dev/null 2>&1; }
  wait_for 5 has_link a && wait_for 5 has_link b || { echo "throughput: wireguard-go made no interface" >&2; exit 1; }
  ns a wg set "${RUN}wa" private-key "$WORK/wg-a.key" listen-port 51820 \
    peer "$(cat "$WORK/wg-b.pub")" endpoint 192.0.2.2:51820 allowed-ips 198.18.0.2/32
  ns b wg set "${RUN}wb" private-key "$WORK/wg-b.key" listen-port 51820 \
    peer "$(cat "$WORK/wg-a.pub")" endpoint 192.0.2.1:51820 allowed-ips 198.18.0.1/32
  ns a ip addr add 198.18.0.1/24 dev "${RUN}wa" && ns a ip link set "${RUN}wa" mtu 1420 up
  ns b ip addr add 198.18.0.2/24 dev "${RUN}wb" && ns b ip link set "${RUN}wb" mtu 1420 up
  wait_for 10 ns a ping -c 1 -W 1 198.18.0.2 >/dev/null || { echo "throughput: wireguard-go tunnel is not up" >&2; exit 1; }
  measure wireguard-go 198.18.0.2 "${WPID[a]}" "${WPID[b]}"
fi

printf '%-34s %10s %14s %8s\n' "path" "Mbit/s" "CPU s / Gbit" "cores"
status=0
for line in "${RESULTS[@]}"; do
  echo "$line"
  [[ $line == *" failed" ]] && status=1
done
exit $status
