#!/usr/bin/env bash
# The daemon's local web UI in a real headless Chromium: real yellowtail-server and
# yellowtaild processes in network namespaces behind real Linux NATs (as
# lan_test.sh), on a simulated Internet of documentation ranges only (RFC 5737).
#
#   inet (router) ── srv   203.0.113.10   yellowtail-server
#        ├─ natA  198.51.100.2   MASQUERADE           ── alice 10.1.0.2  (the browser runs here)
#        ├─ natB  198.51.100.18  MASQUERADE           ── bob   10.2.0.2, dave 10.2.0.3
#        └─ natC  192.0.2.2      MASQUERADE, no UDP   ── carol 10.3.0.2  (relayed only)
#
# bob creates network "lan" with the CLI, carol and dave join it, dave's daemon
# then stops. In alice's namespace (so 127.0.0.1 is her daemon's) Chromium opens
# the URL `yellowtail ui` printed; through the page alice joins "lan" (a wrong
# password first, which the page must report), sees bob direct with an RTT, carol
# relayed and dave offline, chats in the network and to bob, sets her nickname and
# goes offline and online in "lan"; bob's CLI sees each of it, and what bob sends
# appears on the page without a reload (server-sent events). Also: the web UI's
# refusals over real HTTP (no token, a rebound Host, a cross-site POST).
# Screenshots go to OUT_DIR (web_ui_browser.py).
#
# Usage: web_ui_test.sh SERVER_BIN DAEMON_BIN CLI_BIN OUT_DIR
# Exit: 0 pass, 1 fail, 77 skipped (not root, no /dev/net/tun, no `ip netns`).
set -uo pipefail

SERVER=${1:?usage: web_ui_test.sh SERVER_BIN DAEMON_BIN CLI_BIN OUT_DIR}
DAEMON=${2:?}
CLI=${3:?}
OUT=${4:?}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3   # Debian's, where python3-selenium is installed
source "$HERE/harness.sh"

[[ $(id -u) -eq 0 ]] || skip "network-namespace tests need root (run the README test command as root)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN support here)"
command -v ip >/dev/null || skip "ip(8) is not installed"
for tool in iptables timeout chromium chromedriver; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done
"$PY" -c 'import selenium' 2>/dev/null || { echo "FAIL: python3-selenium is missing (scripts/setup.sh installs it)"; exit 1; }

harness_start ytw yt-webui
mkdir -p "$OUT" && rm -f "$OUT"/*.png
STARTED=$(date +%s%N)

cli() { local n=$1; shift; timeout 10 "$CLI" --socket "$WORK/$n.sock" --timeout 8 "$@"; }
json() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"; }

echo "== topology (namespaces $RUN-*)"
make_ns inet srv natA natB natC alice bob dave carol
link inet i-srv 203.0.113.1/28 srv eth0 203.0.113.10/28
link inet i-a 198.51.100.1/28 natA wan 198.51.100.2/28
link inet i-b 198.51.100.17/28 natB wan 198.51.100.18/28
link inet i-c 192.0.2.1/28 natC wan 192.0.2.2/28
link natA lan 10.1.0.1/24 alice eth0 10.1.0.2/24
ns natB ip link add br0 type bridge && ns natB ip addr add 10.2.0.1/24 dev br0 && ns natB ip link set br0 up
for pair in bob:2 dave:3; do
  n=${pair%%:*}
  link natB "p-$n" 10.2.0.1/32 "$n" eth0 "10.2.0.${pair##*:}/24"
  ns natB ip addr del 10.2.0.1/32 dev "p-$n"
  ns natB ip link set "p-$n" master br0
done
link natC lan 10.3.0.1/24 carol eth0 10.3.0.2/24
ns srv ip route add default via 203.0.113.1
ns natA ip route add default via 198.51.100.1
ns natB ip route add default via 198.51.100.17
ns natC ip route add default via 192.0.2.1
ns alice ip route add default via 10.1.0.1
for n in bob dave; do ns $n ip route add default via 10.2.0.1; done
ns carol ip route add default via 10.3.0.1
for n in inet natA natB natC; do ns $n sysctl -qw net.ipv4.ip_forward=1; done
for n in natA natB natC; do ns $n iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || die "iptables $n"; done
# carol's network blocks UDP: her pairs can only be relayed (over TCP to the server).
ns natC iptables -A FORWARD -p udp -j DROP || die "iptables natC filter"

echo "== server and daemons"
KEY=$("$SERVER" --key "$WORK/server.key" --print-public-key) || die "server key"
# --disable tcp: carol stays the page's relayed member (TCP hole punching has
# tests/netns/tcp_punch_test.sh).
spawn srv "$WORK/server.log" "$SERVER" --listen 203.0.113.10:12975 --db "$WORK/server.db" \
  --key "$WORK/server.key" --password-strength minimum --disable tcp
wait_for 10 "the server to listen" ns srv bash -c 'ss -ltn | grep -q 203.0.113.10:12975'
declare -A DPID
start_daemon() {
  local n=$1; shift
  spawn "$n" "$WORK/$n.log" "$DAEMON" --server 203.0.113.10:12975 --server-key "$KEY" --tun-name yt0 \
    --nick "$n" --state-dir "$WORK/$n" --control-socket "$WORK/$n.sock" --log-level debug "$@"
  DPID[$n]=$SPAWNED
}
online() { [[ $(cli "$1" status --json | json 'd["state"]') == online ]]; }
start_daemon alice --ui 9480
start_daemon bob --ui 127.0.0.1:9480   # the same port in another namespace: another machine
start_daemon carol
start_daemon dave
for n in alice bob carol dave; do wait_for 20 "$n to log in" online "$n"; done
pass "four daemons logged in"

out=$(cli carol ui 2>&1); rc=$?
check "\`yellowtail ui\` on a daemon without --ui says how to turn it on ($out)" \
  test $rc -eq 1 -a -n "$(grep -e '--ui' <<<"$out")"
URL=$(cli alice ui) || die "yellowtail ui"
echo "    alice's UI: ${URL%%\?*}?token=<64 hex digits>"
check "\`yellowtail ui\` prints the URL with the token" grep -qE '^http://127\.0\.0\.1:9480/\?token=[0-9a-f]{64}$' <<<"$URL"
check "the token file is mode 0600" test "$(stat -c %a "$WORK/alice/ui.token")" = 600
check "the token is not in the daemon's log" bash -c "! grep -q '${URL##*=}' '$WORK/alice.log'"

echo "== refusals over real HTTP (alice's namespace)"
# http_status METHOD PATH [HEADER=VALUE...]: the status code alice's UI answers.
http_status() {
  ns alice "$PY" - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, path, *headers = sys.argv[1:]
request = urllib.request.Request("http://127.0.0.1:9480" + path, method=method,
                                 data=b'{"command":"logout"}' if method == "POST" else None)
for h in headers:
    name, value = h.split("=", 1)
    request.add_header(name, value)
try:
    print(urllib.request.urlopen(request, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
TOKEN=${URL##*=}
check "no token: 401" test "$(http_status GET /)" = 401
check "a wrong token: 401" test "$(http_status GET "/api/state?token=$(printf 'f%.0s' {1..64})")" = 401
check "the right token: 200" test "$(http_status GET "/api/state?token=$TOKEN")" = 200
check "a rebound Host (DNS rebinding) with the right token: 403" \
  test "$(http_status GET "/?token=$TOKEN" Host=attacker.example:9480)" = 403
check "a cross-site POST with the right token: 403" \
  test "$(http_status POST /api/command "X-Yellowtail-Token=$TOKEN" Content-Type=application/json Origin=http://attacker.example)" = 403
check "a POST with the token only in the URL: 403" \
  test "$(http_status POST "/api/command?token=$TOKEN" Content-Type=application/json)" = 403
check "alice is still logged in (no refused request got through)" online alice

echo "== bob's network, with carol (UDP blocked) and dave (goes away)"
cli bob create lan --password secret >/dev/null || die "bob creates lan"
for n in carol dave; do cli "$n" join lan --password secret >/dev/null || die "$n joins lan"; done
kill -TERM "${DPID[dave]}"; wait "${DPID[dave]}" 2>/dev/null
pass "bob created lan; carol and dave joined; dave's daemon stopped"

echo "== the browser (alice's namespace)"
browser_started=$(date +%s%N)
ns alice timeout 240 "$PY" "$HERE/web_ui_browser.py" --url "$URL" --out "$OUT" --work "$WORK" \
  --cli "$CLI" --bob-socket "$WORK/bob.sock"
rc=$?
browser_ms=$(( ($(date +%s%N) - browser_started) / 1000000 ))
if ((rc == 0)); then
  pass "the browser session (${browser_ms} ms)"
else
  fail "the browser session (exit $rc after ${browser_ms} ms; see above)"
  for f in "$WORK"/alice.log "$WORK"/bob.log; do echo "--- $f (last 20 lines)"; tail -n 20 "$f"; done
fi
ls "$OUT"/*.png 2>/dev/null | sed 's/^/    screenshot: /'
check "the browser saved its screenshots" test "$(ls "$OUT"/*.png 2>/dev/null | wc -l)" -ge 3

echo "== after the browser: the daemons agree with what the page did"
check "alice is in lan (her CLI)" bash -c "'$CLI' --socket '$WORK/alice.sock' list --json | grep -q '\"lan\"'"
check "bob's history has alice's network message" bash -c "'$CLI' --socket '$WORK/bob.sock' history lan | grep -q 'hello from the page'"

echo "$PASSED passed, $FAILED failed ($(( ($(date +%s%N) - STARTED) / 1000000 )) ms in all)"
((FAILED == 0))
