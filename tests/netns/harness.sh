# Shared by the network-namespace tests (sourced, not run): namespaces and processes
# that are always cleaned up, PASS/FAIL bookkeeping, and bounded waits.
#
#   harness_start PREFIX WORKDIR_NAME
# sets RUN (PREFIX + our PID: the prefix of every namespace this run makes) and WORK
# (a fresh temporary directory, removed at exit unless something failed or
# KEEP_LOGS is set), and arms the exit trap that ends every process spawn started
# (TERM, then KILL after 2 s) and anything left inside our namespaces, then deletes
# them. It skips the test (exit 77) when namespaces cannot be made here.

harness_start() {
  RUN="$1$$"
  WORK=$(mktemp -d "/tmp/$2.XXXXXX")
  NAMESPACES=()
  PIDS=()
  PASSED=0
  FAILED=0
  trap harness_cleanup EXIT
  trap 'exit 1' INT TERM
  if ! ip netns add "$RUN-probe" 2>/dev/null; then skip "cannot create network namespaces (ip netns add failed)"; fi
  ip netns del "$RUN-probe"
}

harness_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 20); do   # up to 2 s for a clean exit, then KILL
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  # Anything still running inside our namespaces (a browser's helpers, say) was
  # started by this script.
  for n in "${NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  if ((FAILED > 0)) || [[ -n ${KEEP_LOGS:-} ]]; then
    echo "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}

skip() { echo "SKIPPED: $*"; exit 77; }
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
die() {
  echo "FAIL: $* (cannot go on)"; FAILED=$((FAILED + 1))
  for f in "$WORK"/*.log; do echo "--- $f (last 25 lines)"; tail -n 25 "$f"; done
  exit 1
}

ns() { local n=$1; shift; ip netns exec "$RUN-$n" "$@"; }
# spawn NS LOG COMMAND...: in the background inside NS, output to LOG; its PID is
# in SPAWNED and is ended at exit.
spawn() {
  local n=$1 out=$2; shift 2
  ip netns exec "$RUN-$n" "$@" >>"$out" 2>&1 &
  SPAWNED=$!
  PIDS+=("$SPAWNED")
}
# Bounded wait: wait_for SECONDS DESCRIPTION COMMAND... (polls every 0.2 s).
wait_for() {
  local seconds=$1 what=$2; shift 2
  local tries=$((seconds * 5))
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "timed out after ${seconds}s waiting for $what"
}
make_ns() { for n in "$@"; do ip netns add "$RUN-$n" || die "ip netns add $RUN-$n"; NAMESPACES+=("$RUN-$n"); ns "$n" ip link set lo up; done; }
# link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair made directly inside the two
# namespaces, so no interface ever appears in the host's namespace.
link() {
  ip link add "$2" netns "$RUN-$1" type veth peer name "$5" netns "$RUN-$4" || die "veth $1/$2 - $4/$5"
  ns "$1" ip addr add "$3" dev "$2"; ns "$1" ip link set "$2" up
  if [[ -n $6 ]]; then ns "$4" ip addr add "$6" dev "$5"; fi
  ns "$4" ip link set "$5" up
}
