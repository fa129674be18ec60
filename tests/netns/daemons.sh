# Shared by the network-namespace tests that run one yellowtail-server and several
# yellowtaild (sourced after harness.sh, not run). Needs SERVER, DAEMON and CLI (the
# binaries) and KEY (the server's public key: make_server_key sets it).
#
#   start_server [ARGS...]    on namespace srv at 203.0.113.10:12975, RFC 5780
#                             discovery on 2 IPs x 2 ports (.10/.11, 3478/3479);
#                             SERVER_PID is its PID
#   start_daemon NAME [SUFFIX [ARGS...]] yellowtaild in namespace NAME (state dir
#                             NAME+SUFFIX, a new identity per suffix; ARGS appended
#                             to its command line); DPID[NAME] is its PID
#   cli NAME ARGS...          the CLI of NAME's daemon, bounded in time
#   json EXPR                 a Python expression on the JSON read from stdin (as d)
#   peer_json / connection / is NAME PEER [STATE]   what NAME's daemon says of PEER
#   online / nat_of / vip NAME                       what NAME's daemon says of itself

make_server_key() { KEY=$("$SERVER" --key "$WORK/server.key" --print-public-key) || die "server key"; }
start_server() {
  spawn srv "$WORK/server.log" "$SERVER" --listen 203.0.113.10:12975 --db "$WORK/server.db" \
    --key "$WORK/server.key" --password-strength minimum \
    --discovery 203.0.113.10:3478 --discovery 203.0.113.10:3479 \
    --discovery 203.0.113.11:3478 --discovery 203.0.113.11:3479 "$@"
  SERVER_PID=$SPAWNED
  wait_for 10 "the server to listen" ns srv bash -c 'ss -ltn | grep -q 203.0.113.10:12975'
}
declare -A DPID
start_daemon() {
  local n=$1
  spawn "$n" "$WORK/$n$2.log" "$DAEMON" --server 203.0.113.10:12975 --server-key "$KEY" --nick "$n" \
    --state-dir "$WORK/$n$2" --control-socket "$WORK/$n.sock" --tun-name yt0 --log-level debug "${@:3}"
  DPID[$n]=$SPAWNED
}
stop_pid() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
}
cli() { local n=$1; shift; timeout 10 ip netns exec "$RUN-$n" "$CLI" --socket "$WORK/$n.sock" --timeout 8 "$@"; }
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"; }
peer_json() { cli "$1" list --json | json "[p for p in d['peers'] if p['nickname']=='$2'][0]"; }
connection() { peer_json "$1" "$2" | json 'd["connection"]'; }
is() { [[ $(connection "$1" "$2") == "$3" ]]; }
online() { [[ $(cli "$1" status --json | json 'd["state"]') == online ]]; }
nat_of() { cli "$1" status --json | json 'd["nat"]'; }
vip() { cli "$1" status --json | json 'd["virtual_ip"]'; }
