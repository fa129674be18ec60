#!/usr/bin/env bash
# Real-kernel test of yellowtaild: real yellowtail-server and yellowtaild processes
# in network namespaces, behind real Linux NATs, on a simulated Internet made of
# documentation ranges only (RFC 5737). Traffic never leaves the namespaces.
#
#   inet (router) ── srv      203.0.113.10   yellowtail-server
#        ├─ frank 203.0.113.18   a public address, no NAT
#        ├─ rly   203.0.113.34   yellowtail-relay, UDP 3478 and TCP 443 (UDP and TCP to
#        │                       and from srv are 20 ms slower each way: delay_queue,
#        │                       so rly is the closer relay)
#        ├─ natA  198.51.100.2   nftables masquerade       ── alice   10.1.0.2
#        ├─ natB  198.51.100.18  iptables MASQUERADE       ── bob 10.2.0.2, dave 10.2.0.3,
#        │                                                    mallory 10.2.0.4 (--no-tun)
#        ├─ natC  192.0.2.2      MASQUERADE --random-fully ── carol   10.3.0.2
#        └─ natE  192.0.2.18     MASQUERADE, UDP dropped   ── erin    10.5.0.2
#
# Asserts: refusal messages; create/join/list/chat over the CLI; ping between
# virtual IPs; broadcasts and an mDNS query reach each tunnelled peer once; direct
# paths are reported as such (NAT to public host, symmetric-random NAT to public
# host, peers on one LAN, and between the two conntrack NATs natA and natB) and
# unreachable peers with a reason (UDP blocked); natA never moved alice to another
# port; spoofed sources are dropped (sender and receiver side); state survives a
# daemon restart; a NAT reboot (conntrack flush, new port range) heals within 15 s;
# direct tunnels carry every ping through a 60 s server outage, a daemon restarted
# then reaches its peers from its cache, and daemons are back within seconds of the
# server's return; a daemon whose machine moves to another LAN (bob's) follows
# it at once, told by the kernel; alice's Prometheus metrics show her tunnels and
# traffic; a separate yellowtail-relay
# is picked over the server's own relay for the pair it is closer to. Prints the
# CLI transcript and the tunnel vs raw RTT.
#
# Why natA's ports are checked: when a peer's probe reaches a conntrack NAT before
# that NAT's own client has sent toward the peer, conntrack keeps an inbound entry,
# the client's outgoing flow clashes with it and is moved to another port, and
# Linux then uses that port for the client's later flows too, so every tunnel
# planned with the old mapping fails. The server's plan prevents it (a public peer
# starts later; two NATed peers open their own NATs with a low-TTL first round,
# server/core/tunnel_planner.h).
#
# Usage: lan_test.sh SERVER_BIN DAEMON_BIN CLI_BIN RELAY_BIN DELAY_QUEUE_BIN
# Exit: 0 pass, 1 fail, 77 skipped (not root, no /dev/net/tun, no `ip netns`).
set -uo pipefail

SERVER=${1:?usage: lan_test.sh SERVER_BIN DAEMON_BIN CLI_BIN RELAY_BIN DELAY_QUEUE_BIN}
DAEMON=${2:?}
CLI=${3:?}
RELAY=${4:?}
DELAY_QUEUE=${5:?}
HERE=$(cd "$(dirname "$0")" && pwd)
UDP_TOOL="$HERE/udp_tool.py"
source "$HERE/harness.sh"

[[ $(id -u) -eq 0 ]] || skip "network-namespace tests need root (run the README test command as root)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN support here)"
command -v ip >/dev/null || skip "ip(8) is not installed"
for tool in nft iptables conntrack ping python3 setpriv timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done

harness_start yt yt-netns
chmod 711 "$WORK"               # so the unprivileged refusal test can reach its dir
# CLI of one daemon, bounded: a hanging CLI is a failure, not a stuck test.
cli() { local n=$1; shift; timeout 10 ip netns exec "$RUN-$n" "$CLI" --socket "$WORK/$n.sock" --timeout 8 "$@"; }
# Evaluates a Python expression on the JSON document read from stdin (as d).
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"; }
transcript() { echo "    \$ yellowtail $*"; }
# Runs a CLI command for the transcript: prints the command and its output.
show() { local n=$1; shift; echo "  [$n] \$ yellowtail $*"; cli "$n" "$@" 2>&1 | sed 's/^/    /'; return "${PIPESTATUS[0]}"; }


echo "== topology (namespaces $RUN-*)"
make_ns inet srv frank rly natA natB natC natE alice bob dave mallory carol erin
link inet i-srv 203.0.113.1/28 srv eth0 203.0.113.10/28
link inet i-f 203.0.113.17/28 frank eth0 203.0.113.18/28
link inet i-r 203.0.113.33/28 rly eth0 203.0.113.34/28
link inet i-a 198.51.100.1/28 natA wan 198.51.100.2/28
link inet i-b 198.51.100.17/28 natB wan 198.51.100.18/28
link inet i-c 192.0.2.1/28 natC wan 192.0.2.2/28
link inet i-e 192.0.2.17/28 natE wan 192.0.2.18/28
link natA lan 10.1.0.1/24 alice eth0 10.1.0.2/24
ns natB ip link add br0 type bridge && ns natB ip addr add 10.2.0.1/24 dev br0 && ns natB ip link set br0 up
for pair in bob:2 dave:3 mallory:4; do
  n=${pair%%:*}
  link natB "p-$n" 10.2.0.1/32 "$n" eth0 "10.2.0.${pair##*:}/24"
  ns natB ip addr del 10.2.0.1/32 dev "p-$n"
  ns natB ip link set "p-$n" master br0
done
link natC lan 10.3.0.1/24 carol eth0 10.3.0.2/24
link natE lan 10.5.0.1/24 erin eth0 10.5.0.2/24
ns srv ip route add default via 203.0.113.1
ns frank ip route add default via 203.0.113.17
ns rly ip route add default via 203.0.113.33
ns natA ip route add default via 198.51.100.1
ns natB ip route add default via 198.51.100.17
ns natC ip route add default via 192.0.2.1
ns natE ip route add default via 192.0.2.17
for n in alice; do ns $n ip route add default via 10.1.0.1; done
for n in bob dave mallory; do ns $n ip route add default via 10.2.0.1; done
ns carol ip route add default via 10.3.0.1
ns erin ip route add default via 10.5.0.1
for n in inet natA natB natC natE; do ns $n sysctl -qw net.ipv4.ip_forward=1; done
# natA: nftables masquerade (endpoint-independent mapping, port-preserving;
# conntrack lets in only replies: address- and port-dependent filtering).
ns natA nft -f - <<'NFT' || die "nft rules"
table ip nat {
  chain post { type nat hook postrouting priority srcnat; oifname "wan" masquerade; }
}
NFT
ns natB iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || die "iptables natB"
# natC: symmetric with random ports: a new random port for every destination.
ns natC iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully || die "iptables natC"
# natE: a network that blocks UDP altogether, so no direct path can exist.
ns natE iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || die "iptables natE"
ns natE iptables -A FORWARD -p udp -j DROP || die "iptables natE filter"
check "raw path alice -> natB works" ns alice ping -c 1 -W 2 -q 198.51.100.18 >/dev/null
# UDP and TCP to and from the server (its discovery socket and so its built-in
# relay, and the control connections a UDP-blocked client relays over) are held
# 20 ms each way by delay_queue in the router: the separate relay on rly is the
# closer one for every pair. ICMP is not delayed.
spawn inet "$WORK/delay.log" "$DELAY_QUEUE" 0 20 600
for dir in -d -s; do
  ns inet iptables -A FORWARD ! -p icmp "$dir" 203.0.113.10 -j NFQUEUE --queue-num 0 --queue-bypass ||
    die "iptables NFQUEUE (no nfnetlink_queue?)"
done
delayed_rtt() { ns frank ping -c 1 -W 2 203.0.113.10 >/dev/null; }  # ICMP is not delayed: a sanity check
check "the router forwards with the delay rule in place" delayed_rtt

echo "== refusals"
KEY=$("$SERVER" --key "$WORK/server.key" --print-public-key) || die "server key"
COMMON=(--server 203.0.113.10:12975 --server-key "$KEY" --route 224.0.0.0/4 --tun-name yt0)
mkdir -m 700 "$WORK/nobody" && chown 65534:65534 "$WORK/nobody"
out=$(ns alice setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$DAEMON" "${COMMON[@]}" \
        --state-dir "$WORK/nobody/state" --control-socket "$WORK/nobody/c.sock" 2>&1)
rc=$?
echo "    unprivileged: exit $rc: $out"
check "unprivileged daemon refuses with a clear TUN message" \
  test $rc -ne 0 -a -n "$(grep -iE 'not permitted to (create TUN device|open /dev/net/tun)' <<<"$out")"
touch "$WORK/not-a-dir"
out=$(ns alice timeout 10 "$DAEMON" "${COMMON[@]}" --state-dir "$WORK/not-a-dir" --control-socket "$WORK/x.sock" 2>&1)
rc=$?
echo "    bad state dir: exit $rc: $out"
check "unusable state directory is refused" test $rc -ne 0 -a -n "$(grep 'is not a directory' <<<"$out")"
out=$(ns alice timeout 10 "$DAEMON" "${COMMON[@]}" --mtu 9000 2>&1); rc=$?
echo "    bad MTU: exit $rc: $out"
check "bad MTU is refused" test $rc -eq 2 -a -n "$(grep -i 'MTU' <<<"$out")"

echo "== server, relay and daemons"
RELAY_KEY=$("$RELAY" --key "$WORK/relay.key" --print-public-key) || die "relay key"
# --disable tcp: erin's pairs are this test's relayed ones (TCP hole punching
# has tests/netns/tcp_punch_test.sh).
spawn srv "$WORK/server.log" "$SERVER" --listen 203.0.113.10:12975 --db "$WORK/server.db" \
  --key "$WORK/server.key" --password-strength minimum --relay-key "$RELAY_KEY" --disable tcp
SERVER_PID=$SPAWNED
wait_for 10 "the server to listen" ns srv bash -c 'ss -ltn | grep -q 203.0.113.10:12975'
spawn rly "$WORK/relay.log" "$RELAY" --server 203.0.113.10:12975 --server-key "$KEY" --key "$WORK/relay.key" \
  --udp 203.0.113.34:3478 --tcp 203.0.113.34:443 --name rly --metrics 127.0.0.1:9477
relay_registered() { grep -q "registered with" "$WORK/relay.log"; }
wait_for 10 "the relay to register with the server" relay_registered
pass "yellowtail-relay registered: $(grep -m1 'registered with' "$WORK/relay.log")"
srv_rtt=$(ns frank python3 "$UDP_TOOL" echo --to 203.0.113.10 --port 12975)
rly_rtt=$(ns frank python3 "$UDP_TOOL" echo --to 203.0.113.34 --port 3478)
check "both relays answer echoes; the server's is the slower (server $srv_rtt ms, rly $rly_rtt ms)" \
  python3 -c "import sys; s, r = sys.argv[1:]; sys.exit(0 if s != 'none' and r != 'none' and float(s) >= 35 > float(r) else 1)" \
  "$srv_rtt" "$rly_rtt"

declare -A DPID
start_daemon() {
  local n=$1; shift
  spawn "$n" "$WORK/$n.log" "$DAEMON" "${COMMON[@]}" --nick "$n" --state-dir "$WORK/$n" \
    --control-socket "$WORK/$n.sock" --log-level debug --metrics 127.0.0.1:9476 "$@"
  DPID[$n]=$SPAWNED
}
online() { [[ $(cli "$1" status --json | json 'd["state"]') == online ]]; }
for n in alice bob dave carol erin frank; do start_daemon "$n"; done
start_daemon mallory --no-tun --bridge 127.0.0.1:7777
ALL=(alice bob dave carol erin frank mallory)
for n in "${ALL[@]}"; do wait_for 15 "$n to log in" online "$n"; done
pass "seven daemons logged in"
# A second daemon on alice's state would log her out in turns, forever.
out=$(ns alice timeout 10 "$DAEMON" "${COMMON[@]}" --state-dir "$WORK/alice" --control-socket "$WORK/alice2.sock" 2>&1)
rc=$?
echo "    second daemon on alice's state: exit $rc: $out"
check "a second daemon on the same state directory is refused, naming the first" \
  test $rc -eq 1 -a -n "$(grep "in use by another yellowtaild (pid ${DPID[alice]})" <<<"$out")"
check "alice stayed online" online alice
vip() { cli "$1" status --json | json 'd["virtual_ip"]'; }
declare -A VIP
for n in "${ALL[@]}"; do VIP[$n]=$(vip "$n"); done
echo "    virtual IPs: $(for n in "${ALL[@]}"; do printf '%s=%s ' "$n" "${VIP[$n]}"; done)"
check "alice's adapter has her virtual IP" bash -c "ip netns exec $RUN-alice ip -4 addr show yt0 | grep -q '${VIP[alice]}/8'"
check "alice's adapter has an IPv6 ULA address" bash -c "ip netns exec $RUN-alice ip -6 addr show yt0 | grep -q 'inet6 fd79:6c74:7461:'"
check "alice's adapter MTU is 1400" bash -c "ip netns exec $RUN-alice ip link show yt0 | grep -q 'mtu 1400'"
check "the multicast route points into the adapter" bash -c "ip netns exec $RUN-alice ip route show 224.0.0.0/4 | grep -q yt0"
check "the key file is mode 0600" test "$(stat -c %a "$WORK/alice/client.key")" = 600

echo "== CLI session (transcript)"
show alice create lan --password secret || die "create"
show frank join lan --password wrong; rc=$?
check "a wrong password is refused with exit 1" test $rc -eq 1
show frank join lan --password secret || die "join frank"
for n in bob dave carol erin mallory; do cli "$n" join lan --password secret >/dev/null || die "join $n"; done
peer_json() { cli "$1" list --json | json "[p for p in d['peers'] if p['nickname']=='$2'][0]"; }
peer_field() { peer_json "$1" "$2" | json "d['$3']"; }
direct() { [[ $(peer_field "$1" "$2" connection) == direct ]]; }
has_rtt() { [[ $(peer_field "$1" "$2" rtt_ms) != None ]]; }
wait_for 20 "a direct tunnel alice-frank (NAT to public host)" direct alice frank
wait_for 20 "a direct tunnel carol-frank (symmetric random NAT to public host)" direct carol frank
wait_for 20 "a direct tunnel bob-dave (one LAN, no hairpinning NAT)" direct bob dave
wait_for 20 "a direct tunnel bob-mallory" direct bob mallory
wait_for 20 "a direct tunnel bob-frank" direct bob frank
wait_for 20 "a direct tunnel dave-frank" direct dave frank
wait_for 10 "alice's RTT to frank" has_rtt alice frank
pass "direct tunnels: alice-frank, carol-frank, bob-frank, dave-frank, bob-dave, bob-mallory"
# Every flow a client started through a conntrack NAT kept its source port (the
# reply tuple's port equals the original source port): no clash moved its mapping.
# nat_kept_ports NS LAN_PREFIX WAN_IP prints each moved flow and "N flows"; fails
# when one moved or none was seen.
nat_kept_ports() {
  ns "$1" conntrack -L -p udp 2>/dev/null | python3 -c '
import re, sys
lan, wan = sys.argv[1], sys.argv[2]
flows, moved = 0, 0
for line in sys.stdin:
    f = re.findall(r"(\w+)=(\S+)", line)
    src = [v for k, v in f if k == "src"]
    dst = [v for k, v in f if k == "dst"]
    sport = [v for k, v in f if k == "sport"]
    dport = [v for k, v in f if k == "dport"]
    if len(sport) != 2 or not src[0].startswith(lan) or dst[1] != wan:
        continue  # not a client flow through the WAN (e.g. a hairpin probe to the NAT)
    flows += 1
    if dport[1] != sport[0]:
        moved += 1
        print("moved:", line.strip())
print(flows, "flows")
sys.exit(0 if flows and not moved else 1)' "$2" "$3"
}
for nat in natA:10.1.0.:198.51.100.2 natB:10.2.0.:198.51.100.18; do
  IFS=: read -r name lan wan <<<"$nat"
  kept=$(nat_kept_ports "$name" "$lan" "$wan"); rc=$?
  sed "s/^/    $name: /" <<<"$kept"
  check "$name kept its clients' source ports on every flow" test $rc -eq 0
done
wait_for 20 "a direct tunnel alice-bob (nftables NAT to iptables NAT)" direct alice bob
wait_for 20 "a direct tunnel alice-dave" direct alice dave
pass "direct tunnels between the two conntrack NATs: alice-bob, alice-dave"
show alice list
show alice chat lan hello everyone || fail "network chat"
show frank chat alice hi alice, frank here || fail "private chat"
show carol set-nick caroline || fail "set-nick"
alice_has_chat() { cli alice history | grep -q 'hi alice'; }
wait_for 10 "frank's chat to reach alice" alice_has_chat
show alice history
frank_has_chat() { cli frank history lan | grep -q 'hello everyone'; }
check "frank got alice's network chat" frank_has_chat
status_is_json() { cli alice status --json | python3 -m json.tool >/dev/null; }
check "status --json is JSON" status_is_json
out=$(cli alice join 2>&1); rc=$?
check "a command without its argument exits 2 with a message" test $rc -eq 2 -a -n "$out"
out=$(cli alice chat nobody-here hi 2>&1); rc=$?
check "chat to an unknown peer exits 1 with a message ($out)" test $rc -eq 1

echo "== ping over the tunnel"
check "alice pings frank's virtual IP (through her NAT)" ns alice ping -c 3 -i 0.2 -W 2 -q "${VIP[frank]}"
check "alice pings bob's virtual IP (through both NATs)" ns alice ping -c 3 -i 0.2 -W 2 -q "${VIP[bob]}"
check "bob pings dave's virtual IP (peers behind one NAT)" ns bob ping -c 3 -i 0.2 -W 2 -q "${VIP[dave]}"
check "carol pings frank's virtual IP (through a symmetric random NAT)" ns carol ping -c 3 -i 0.2 -W 2 -q "${VIP[frank]}"
# IPv6: every member's ULA embeds its virtual IPv4 address.
ula() { python3 -c "import ipaddress, sys; print(ipaddress.IPv6Address(int(ipaddress.IPv6Address('fd79:6c74:7461::')) | int(ipaddress.IPv4Address(sys.argv[1]))))" "$1"; }
check "alice pings bob's IPv6 ULA $(ula "${VIP[bob]}") over the tunnel" \
  ns alice ping -6 -c 3 -i 0.2 -W 2 -q "$(ula "${VIP[bob]}")"
echo "== metrics: alice's Prometheus endpoint (127.0.0.1:9476 in her namespace)"
# metrics NS [PORT]: the Prometheus text served in NS (9476: the daemons, 9477: rly).
metrics() { ns "$1" /usr/bin/python3 -c 'import sys, urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "${2:-9476}"; }
metric() { metrics "$1" "${3:-9476}" | awk -v m="$2" '$1 == m { print $2 }'; }
check "alice's metrics show her direct tunnels" test "$(metric alice 'yellowtail_client_tunnels{state="direct"}')" -ge 1
check "alice's metrics count the packets she sent" test "$(metric alice yellowtail_client_packets_sent_total)" -gt 0
check "alice's metrics hold a time to direct for each tunnel that went direct" \
  test "$(metric alice yellowtail_client_time_to_direct_seconds_count)" -ge 1
check "alice's metrics count what her adapter read" test "$(metric alice yellowtail_client_adapter_packets_read_total)" -gt 0

echo "== RTT: tunnel vs raw path (alice -> frank, 20 pings each)"
tunnel_rtt=$(ns alice ping -c 20 -i 0.05 -q "${VIP[frank]}" | tail -n 1)
raw_rtt=$(ns alice ping -c 20 -i 0.05 -q 203.0.113.18 | tail -n 1)
echo "    tunnel  ping ${VIP[frank]}: $tunnel_rtt"
echo "    raw     ping 203.0.113.18: $raw_rtt"

echo "== LAN emulation: broadcasts and mDNS from bob"
BCAST=$(python3 -c "import ipaddress; print(ipaddress.ip_network('${VIP[bob]}/8', strict=False).broadcast_address)")
RECEIVERS=(dave frank)
for n in "${RECEIVERS[@]}"; do
  spawn "$n" "$WORK/$n.bcast" python3 "$UDP_TOOL" recv --port 4000 --seconds 4 --ready "$WORK/$n.r1"
  spawn "$n" "$WORK/$n.mdns" python3 "$UDP_TOOL" recv --port 5353 --group 224.0.0.251 --iface-ip "${VIP[$n]}" \
    --seconds 4 --ready "$WORK/$n.r2"
done
listeners_ready() { ls "$WORK/dave.r1" "$WORK/dave.r2" "$WORK/frank.r1" "$WORK/frank.r2"; }
wait_for 5 "the listeners" listeners_ready
ns bob python3 "$UDP_TOOL" send --to 255.255.255.255 --port 4000 --payload limited-broadcast --bind "${VIP[bob]}"
ns bob python3 "$UDP_TOOL" send --to "$BCAST" --port 4000 --payload directed-broadcast
ns bob python3 "$UDP_TOOL" send --to 224.0.0.251 --port 5353 --mdns
sleep 4.5
for n in "${RECEIVERS[@]}"; do
  echo "    $n received: $(tr '\n' ';' <"$WORK/$n.bcast")$(tr '\n' ';' <"$WORK/$n.mdns")"
  check "$n got the limited broadcast once, from bob" test "$(grep -c "^${VIP[bob]} limited-broadcast$" "$WORK/$n.bcast")" -eq 1
  check "$n got the directed broadcast ($BCAST) once" test "$(grep -c "^${VIP[bob]} directed-broadcast$" "$WORK/$n.bcast")" -eq 1
  check "$n got the mDNS query once" test "$(grep -c "^${VIP[bob]} mdns-query$" "$WORK/$n.mdns")" -eq 1
done

echo "== cryptokey routing: spoofed sources"
spawn bob "$WORK/bob.spoof" python3 "$UDP_TOOL" recv --port 4100 --seconds 3 --ready "$WORK/bob.r3"
spawn frank "$WORK/frank.spoof" python3 "$UDP_TOOL" recv --port 4101 --seconds 3 --ready "$WORK/frank.r4"
spoof_listeners() { ls "$WORK/bob.r3" "$WORK/frank.r4"; }
wait_for 5 "the listeners" spoof_listeners
# mallory's --no-tun bridge tunnels whatever it is given: a packet claiming to be
# from dave must be dropped by bob's core; one from mallory's own address passes.
ns mallory python3 "$UDP_TOOL" bridge --bridge 127.0.0.1:7777 --via "${VIP[bob]}" \
  --src "${VIP[mallory]}" --dst "${VIP[bob]}" --port 4100 --payload genuine
ns mallory python3 "$UDP_TOOL" bridge --bridge 127.0.0.1:7777 --via "${VIP[bob]}" \
  --src "${VIP[dave]}" --dst "${VIP[bob]}" --port 4100 --payload spoofed-by-mallory
# bob's own kernel sends a packet claiming dave's address: his core refuses it.
ns bob python3 "$UDP_TOOL" raw --src "${VIP[dave]}" --dst "${VIP[frank]}" --port 4101 --payload spoofed-by-bob
sleep 3.5
echo "    bob received: $(tr '\n' ';' <"$WORK/bob.spoof")  frank received: $(tr '\n' ';' <"$WORK/frank.spoof")"
check "bob got mallory's genuine packet" grep -q "^${VIP[mallory]} genuine$" "$WORK/bob.spoof"
check "bob did not get the packet spoofing dave" bash -c "! grep -q spoofed '$WORK/bob.spoof'"
check "frank did not get the packet bob's kernel spoofed" bash -c "! grep -q spoofed '$WORK/frank.spoof'"
spoofed=$(cli bob status --json | json 'd["stats"]["spoofed_source"]')
bad_source=$(cli bob status --json | json 'd["stats"]["ip_bad_source"]')
echo "    bob's counters: spoofed_source=$spoofed ip_bad_source=$bad_source"
check "bob counted the received spoof" test "$spoofed" -ge 1
check "bob counted the refused outgoing spoof" test "$bad_source" -ge 1

echo "== peers that cannot be reached directly"
erin_relayed() {
  local e; e=$(peer_json alice erin) || return 1
  [[ $(json 'd["connection"]' <<<"$e") == relayed ]]
}
wait_for 25 "alice to reach erin (UDP blocked) through the relay" erin_relayed
ej=$(peer_json erin alice)
# erin measured rly over its TCP listener and the server's relay by her control
# connection's round trip (40 ms more): rly carries the pair, erin's side over
# TCP 443, alice's over UDP.
check "erin (UDP blocked) reaches alice relayed over TCP via the closer yellowtail-relay ($(json 'd["path"]' <<<"$ej") $(json 'd["relay_transport"]' <<<"$ej"))" \
  test "$(json 'd["path"]' <<<"$ej")" = 203.0.113.34:3478 -a "$(json 'd["relay_transport"]' <<<"$ej")" = tcp
erin_tcp_443() { ns natE conntrack -L -p tcp --dport 443 2>/dev/null | grep -q 'dst=203.0.113.34'; }
check "erin's relay traffic crosses her NAT as TCP to rly:443" erin_tcp_443
check "erin pings alice's virtual IP through the TCP relay" ns erin ping -c 3 -i 0.2 -W 2 -q "${VIP[alice]}"
check "alice pings erin's virtual IP through the relay" ns alice ping -c 3 -i 0.2 -W 2 -q "${VIP[erin]}"
cli alice list | sed 's/^/    /'
# Symmetric random (natC) against a port-dependent filter (natA): no direct path
# without birthday probing, so the pair is relayed: through rly, which both sides
# measured closer than the server's own relay (40 ms more round trip).
caroline_relayed() {
  local p; p=$(peer_json alice caroline) || return 1
  [[ $(json 'd["connection"]' <<<"$p") == relayed ]]
}
wait_for 15 "alice to reach caroline through the relay" caroline_relayed
pj=$(peer_json alice caroline)
relay_path=$(json 'd["path"]' <<<"$pj")
check "alice reaches caroline (symmetric random) relayed via the closer yellowtail-relay, not the server ($relay_path, $(json 'd["relay_transport"]' <<<"$pj"))" \
  test "$relay_path" = 203.0.113.34:3478 -a "$(json 'd["relay_transport"]' <<<"$pj")" = udp
check "alice pings caroline's virtual IP through the relay" ns alice ping -c 3 -i 0.2 -W 2 -q "${VIP[carol]}"
check "caroline pings alice's virtual IP through the relay" ns carol ping -c 3 -i 0.2 -W 2 -q "${VIP[alice]}"
list_shows_relayed() { cli alice list | grep -q "caroline .*relayed via $relay_path (udp)"; }
check "list shows caroline as relayed via $relay_path (udp)" list_shows_relayed
start=$(date +%s%N); cli alice list >/dev/null; rc=$?; ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "list answers at once (${ms} ms)" test $rc -eq 0 -a $ms -lt 2000
# The two sides of one pair on different transports: alice reaches rly over UDP.
ej=$(peer_json alice erin)
check "alice's side of the erin pair is UDP to the same relay ($(json 'd["path"]' <<<"$ej") $(json 'd["relay_transport"]' <<<"$ej"))" \
  test "$(json 'd["path"]' <<<"$ej")" = 203.0.113.34:3478 -a "$(json 'd["relay_transport"]' <<<"$ej")" = udp
check "rly's metrics count the datagrams it forwarded" test "$(metric rly yellowtail_relay_forwarded_packets_total 9477)" -gt 0
check "rly's metrics say it is registered" test "$(metric rly yellowtail_relay_registered 9477)" = 1

echo "== a direct path that dies falls back to the relay, and goes direct again when it returns"
peer_connection() { local p; p=$(peer_json "$1" "$2") && json 'd["connection"]' <<<"$p"; }
# Polls up to $1 seconds for alice's tunnel to frank to be $2; no die: a miss is a failed check.
await_connection() {
  local seconds=$1 want=$2
  for ((i = 0; i < seconds * 5; i++)); do
    [[ $(peer_connection alice frank) == "$want" ]] && return 0
    sleep 0.2
  done
  return 1
}
check "alice and frank start direct" await_connection 10 direct
spawn alice "$WORK/cut.ping" ping -c 300 -i 0.2 -W 1 "${VIP[frank]}"
CUT_PING=$SPAWNED
sleep 2
# alice's NAT drops all UDP to and from frank: the direct path dies, the relay (on
# srv) is untouched.
ns natA iptables -I FORWARD 1 -p udp -d 203.0.113.18 -j DROP
ns natA iptables -I FORWARD 1 -p udp -s 203.0.113.18 -j DROP
cut_start=$(date +%s%N)
check "alice falls back to the relay within 10 s of the cut" await_connection 10 relayed
echo "    relayed $(( ($(date +%s%N) - cut_start) / 1000000 )) ms after the cut"
sleep 3
ns natA iptables -D FORWARD -p udp -d 203.0.113.18 -j DROP
ns natA iptables -D FORWARD -p udp -s 203.0.113.18 -j DROP
lift=$(date +%s%N)
# A relayed pair asks for a re-plan 30 s after its punch window, then punches again.
check "alice and frank go direct again after the path returns" await_connection 60 direct
echo "    direct again $(( ($(date +%s%N) - lift) / 1000000 )) ms after the path returned"
kill -INT "$CUT_PING" 2>/dev/null; wait "$CUT_PING" 2>/dev/null
tail -n 2 "$WORK/cut.ping" | sed 's/^/    /'
sent=$(grep -oE '[0-9]+ packets transmitted' "$WORK/cut.ping" | grep -oE '^[0-9]+')
received=$(grep -oE '[0-9]+ received' "$WORK/cut.ping" | grep -oE '[0-9]+')
# At 5 pings a second, the ~5 s fallback costs ~25; the way back to direct none.
check "the ping lost only what the fallback took (${received:-0} of ${sent:-0} answered)" \
  test "$(( ${sent:-0} - ${received:-0} ))" -le 40 -a "${received:-0}" -gt 0

echo "== logout, restart, login: key, address, settings and history survive"
cli alice go-offline lan >/dev/null || fail "go-offline"
show alice logout || fail "logout"
check "logged out: alice's core is stopped" test "$(cli alice status --json | json 'd["state"]+" "+str(d["logged_in"])')" = "stopped False"
kill -TERM "${DPID[alice]}"; wait "${DPID[alice]}" 2>/dev/null
start_daemon alice
answers() { cli "$1" status --json >/dev/null; }
wait_for 10 "alice's daemon to answer again" answers alice
check "still logged out after the restart" test "$(cli alice status --json | json 'd["state"]+" "+str(d["logged_in"])')" = "stopped False"
show alice login || fail "login"
check "alice kept her virtual IP (same key)" test "$(vip alice)" = "${VIP[alice]}"
lan_online() { cli alice list --json | json '[n for n in d["networks"] if n["name"]=="lan"][0]["online"]'; }
check "alice is still offline in lan after the restart" test "$(lan_online)" = False
alice_kept_history() { cli alice history | grep -q 'hello everyone'; }
check "alice's chat history survived" alice_kept_history
# The server shows her offline to lan, her only network with frank, and so plans
# no tunnel between them.
alice_offline_for_frank() { [[ $(peer_field frank alice online) == False ]]; }
wait_for 10 "frank to see alice offline in lan" alice_offline_for_frank
pass "frank sees alice offline while she is offline in lan"
check "offline in lan: no ping to frank" bash -c "! ip netns exec $RUN-alice ping -c 2 -i 0.2 -W 1 -q ${VIP[frank]} >/dev/null"
show alice go-online lan || fail "go-online"
alice_online_for_frank() { [[ $(peer_field frank alice online) == True ]]; }
wait_for 10 "frank to see alice online again" alice_online_for_frank
wait_for 20 "the tunnel alice-frank once she is online in lan" direct alice frank
check "online in lan again: ping to frank" ns alice ping -c 2 -i 0.2 -W 2 -q "${VIP[frank]}"

echo "== a NAT reboot: natA forgets every mapping and hands out another port range"
# 20000-29999 is below every ephemeral port, so alice's mapping really moves.
direct_ab() { direct alice bob; }
wait_for 40 "the tunnel alice-bob to be direct" direct_ab
ns natA nft flush chain ip nat post || die "nft flush"
ns natA nft add rule ip nat post oifname "wan" meta l4proto udp masquerade to :20000-29999 || die "nft port range"
ns natA nft add rule ip nat post oifname "wan" masquerade || die "nft masquerade"
ns natA conntrack -F >/dev/null 2>&1
rebooted=$(date +%s%N)
answers() { ns alice ping -c 1 -W 1 -q "${VIP[bob]}" >/dev/null 2>&1; }
for _ in $(seq 40); do answers && break; done
healed_ms=$(( ($(date +%s%N) - rebooted) / 1000000 ))
check "alice pings bob again ${healed_ms} ms after natA's reboot (within 15 s: the direct path's check, the relay rebind)" \
  test "$healed_ms" -le 15000
echo "    alice-bob now: $(peer_field alice bob connection)"

echo "== outage: a minute without the server, and every direct tunnel carries every ping"
# 300 pings 0.2 s apart on two direct tunnels (to a public host, and between the
# two conntrack NATs); the server stops 1 s in and stays down past the end.
wait_for 60 "the tunnel alice-bob to be direct again" direct_ab
spawn alice "$WORK/outage-frank.ping" ping -c 300 -i 0.2 -W 1 "${VIP[frank]}"
PING_FRANK=$SPAWNED
spawn bob "$WORK/outage-alice.ping" ping -c 300 -i 0.2 -W 1 "${VIP[alice]}"
PING_ALICE=$SPAWNED
sleep 1
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
echo "    server stopped 1 s into a 60 s ping"
wait "$PING_FRANK" "$PING_ALICE"
for f in outage-frank outage-alice; do
  tail -n 2 "$WORK/$f.ping" | sed 's/^/    /'
  received=$(grep -oE '[0-9]+ received' "$WORK/$f.ping" | grep -oE '[0-9]+')
  check "$f: every ping answered through the outage (${received:-0}/300)" test "${received:-0}" -eq 300
done
check "alice noticed the server is gone" test "$(cli alice status --json | json 'd["state"]')" != online

echo "== a daemon restarted during the outage gets back to its peers from its cache"
kill -TERM "${DPID[alice]}"; wait "${DPID[alice]}" 2>/dev/null
start_daemon alice
restarted=$(date +%s%N)
alice_reaches() { ns alice ping -c 1 -W 1 -q "${VIP[$1]}" >/dev/null 2>&1; }
for _ in $(seq 30); do alice_reaches frank && break; done
resumed_ms=$(( ($(date +%s%N) - restarted) / 1000000 ))
check "alice, restarted with no server, pings frank ${resumed_ms} ms after the start (her peer cache)" alice_reaches frank
check "bob pings the restarted alice" ns bob ping -c 2 -i 0.2 -W 2 -q "${VIP[alice]}"
check "alice's log says where her peers came from" grep -q "restored 1 network(s) from .*peers.cache" "$WORK/alice.log"
check "alice is still without the server" test "$(cli alice status --json | json 'd["state"]')" != online

echo "== the server returns: daemons deep in their reconnect backoff are back within seconds"
# 60 s down by now: the backoff waits 16-32 s between attempts.
spawn srv "$WORK/server2.log" "$SERVER" --listen 203.0.113.10:12975 --db "$WORK/server.db" \
  --key "$WORK/server.key" --password-strength minimum --relay-key "$RELAY_KEY" --disable tcp
SERVER_PID=$SPAWNED
back=$(date +%s%N)
both_online() { [[ $(cli alice status --json | json 'd["state"]') == online && $(cli frank status --json | json 'd["state"]') == online ]]; }
wait_for 20 "alice and frank to log in again" both_online
back_ms=$(( ($(date +%s%N) - back) / 1000000 ))
check "alice and frank were online again ${back_ms} ms after the server returned (within 8 s: a 2 s probe, a 1 s spread, login and discovery)" test "$back_ms" -le 8000
check "alice and frank ping each other after the server's return" ns alice ping -c 2 -i 0.2 -W 2 -q "${VIP[frank]}"

echo "== roaming: alice's machine moves from natA's LAN to natB's (bob's LAN), daemon running"
# The old network goes away (its link down), the new one comes up; the daemon
# hears it from the kernel (rtnetlink) and moves at once: a new login and
# discovery, and every tunnel pings its peer from the new address.
changes_before=$(cli alice status --json | json 'd["stats"]["network_changes"]')
ip link add p-alice netns "$RUN-natB" type veth peer name eth1 netns "$RUN-alice" || die "veth natB/alice"
ns natB ip link set p-alice master br0 && ns natB ip link set p-alice up
ns alice ip addr add 10.2.0.5/24 dev eth1 && ns alice ip link set eth1 up
ns alice ip link set eth0 down
ns alice ip route replace default via 10.2.0.1 dev eth1 || die "alice's new default route"
roamed=$(date +%s%N)
for _ in $(seq 30); do alice_reaches frank && break; done
frank_ms=$(( ($(date +%s%N) - roamed) / 1000000 ))
check "alice pings frank ${frank_ms} ms after the move (within 5 s: the tunnel follows her new address)" \
  test "$frank_ms" -le 5000
mapped_on_natb() { [[ $(cli alice status --json | json 'd["mapped_endpoint"]') == 198.51.100.18:* ]]; }
wait_for 10 "alice's discovery to see natB's address" mapped_on_natb
online_ms=$(( ($(date +%s%N) - roamed) / 1000000 ))
pass "alice logged in again from natB, mapped $(cli alice status --json | json 'd["mapped_endpoint"]') (${online_ms} ms after the move)"
check "alice's daemon heard of the change from the kernel" \
  test "$(cli alice status --json | json 'd["stats"]["network_changes"]')" -gt "$changes_before"
check "the log says why the server connection was replaced" grep -q "the network changed" "$WORK/alice.log"
for _ in $(seq 30); do alice_reaches bob && break; done
bob_ms=$(( ($(date +%s%N) - roamed) / 1000000 ))
check "alice pings bob ${bob_ms} ms after the move (within 20 s: the dead path's check, then the relay or a new plan)" \
  test "$bob_ms" -le 20000
echo "    alice-bob now: $(peer_field alice bob connection) via $(peer_field alice bob path)"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
