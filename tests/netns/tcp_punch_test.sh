#!/usr/bin/env bash
# Real-kernel test of TCP hole punching: a client behind a Linux NAT whose firewall
# forwards no UDP at all (and, like a home router's, drops unsolicited SYNs instead
# of answering them with a RST) reaches a client behind an ordinary Linux NAT
# directly over TCP. Each client learned its TCP mapping with a connection from its
# punch port to the server; the server has bob (whose peer filters) connect first,
# so his SYN opens his NAT and dies at alice's firewall, then alice: her SYN gets
# through bob's NAT to his socket, still in SYN_SENT, and the two kernels finish a
# simultaneous open. The tunnel (the same Noise session and replay window) then
# runs over that connection, framed. Then the same pair with TCP punching switched
# off on the server (--disable tcp) is relayed, the control.
#
#   inet (router) ── srv      203.0.113.10 and .11 (RFC 5780 discovery: 2 IPs x 2 ports)
#        ├─ natA  198.51.100.2   iptables MASQUERADE, UDP not forwarded ── alice 10.1.0.2
#        └─ natB  198.51.100.18  iptables MASQUERADE                    ── bob   10.2.0.2
#
# Asserts: alice's discovery says UDP is blocked, bob's does not; alice-bob go
# direct and both sides' status says the direct path is TCP; pings cross between
# the virtual IPs both ways; natA forwarded no UDP at all; with --disable tcp the
# pair is relayed. Documentation ranges only; everything runs inside the namespaces.
#
# Usage: tcp_punch_test.sh SERVER_BIN DAEMON_BIN CLI_BIN
# Exit: 0 pass, 1 fail, 77 skipped (not root, no /dev/net/tun, no `ip netns`).
set -uo pipefail

SERVER=${1:?usage: tcp_punch_test.sh SERVER_BIN DAEMON_BIN CLI_BIN}
DAEMON=${2:?}
CLI=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/harness.sh"
source "$HERE/daemons.sh"

[[ $(id -u) -eq 0 ]] || skip "network-namespace tests need root (run the README test command as root)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN support here)"
command -v ip >/dev/null || skip "ip(8) is not installed"
for tool in iptables ping python3 timeout ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done

harness_start ytt yt-tcp-punch
transport() { peer_json "$1" "$2" | json 'd.get("direct_transport")'; }
direct_over_tcp() { is "$1" "$2" direct && [[ $(transport "$1" "$2") == tcp ]]; }

echo "== topology (namespaces $RUN-*)"
make_ns inet srv natA natB alice bob
link inet i-srv 203.0.113.1/28 srv eth0 203.0.113.10/28
ns srv ip addr add 203.0.113.11/28 dev eth0
link inet i-a 198.51.100.1/28 natA wan 198.51.100.2/28
link inet i-b 198.51.100.17/28 natB wan 198.51.100.18/28
link natA lan 10.1.0.1/24 alice eth0 10.1.0.2/24
link natB lan 10.2.0.1/24 bob eth0 10.2.0.2/24
ns srv ip route add default via 203.0.113.1
ns natA ip route add default via 198.51.100.1
ns natB ip route add default via 198.51.100.17
ns alice ip route add default via 10.1.0.1
ns bob ip route add default via 10.2.0.1
for n in inet natA natB; do ns $n sysctl -qw net.ipv4.ip_forward=1; done
for n in natA natB; do ns $n iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || die "iptables $n"; done
# natA: a firewall that lets TCP out and drops UDP both ways (counted), and drops
# SYNs nobody asked for rather than resetting them, as home routers do.
ns natA iptables -A FORWARD -p udp -j DROP || die "iptables natA udp"
ns natA iptables -A INPUT -i wan -p tcp --syn -j DROP || die "iptables natA syn"
udp_forwarded_by_natA() { ns natA iptables -L FORWARD -v -x -n | awk '$3 == "DROP" {print $1; exit}'; }

make_server_key

echo "== TCP hole punching on"
start_server
for n in alice bob; do start_daemon "$n" ""; done
for n in alice bob; do wait_for 20 "$n to log in" online "$n"; done
echo "    discovered NATs: alice $(nat_of alice), bob $(nat_of bob)"
check "alice's discovery finds UDP blocked ($(nat_of alice))" bash -c "[[ '$(nat_of alice)' == udp-blocked ]]"
check "bob's discovery finds an endpoint-independent mapping ($(nat_of bob))" bash -c "[[ '$(nat_of bob)' == EIM* ]]"
cli alice create lan --password secret >/dev/null || die "create"
cli bob join lan --password secret >/dev/null || die "join bob"
start=$(date +%s)
wait_for 20 "a direct TCP path alice-bob (UDP blocked at natA)" direct_over_tcp alice bob
pass "alice-bob direct over TCP ($(( $(date +%s) - start )) s after the join)"
check "bob's side says direct over TCP too" direct_over_tcp bob alice
peer_json alice bob | sed 's/^/    alice sees bob: /'
check "alice pings bob's virtual IP over the TCP path" ns alice ping -c 3 -i 0.2 -W 2 -q "$(vip bob)"
check "bob pings alice's virtual IP over the TCP path" ns bob ping -c 3 -i 0.2 -W 2 -q "$(vip alice)"
check "still direct over TCP after the pings" direct_over_tcp alice bob
dropped=$(udp_forwarded_by_natA)
check "natA forwarded no UDP: its drop rule caught ${dropped} datagrams, and the path is TCP" \
  bash -c "(( ${dropped:-0} > 0 ))"
ns alice ss -tn | grep -E "ESTAB.*198\.51\.100\.18" | sed 's/^/    alice tcp: /'

echo "== TCP hole punching off (--disable tcp): the same pair is relayed"
for n in alice bob; do stop_pid "${DPID[$n]}"; done
stop_pid "$SERVER_PID"
for n in natA natB; do ns $n conntrack -F >/dev/null 2>&1; done
start_server --disable tcp
# New identities (state directories): nothing resumes from the first phase's peer cache.
for n in alice bob; do start_daemon "$n" .off; done
for n in alice bob; do wait_for 20 "$n to log in again" online "$n"; done
cli alice create lan2 --password secret >/dev/null || die "create lan2"
cli bob join lan2 --password secret >/dev/null || die "join lan2"
wait_for 20 "alice to reach bob through the relay" is alice bob relayed
sleep 12  # a whole punch window: without TCP punching, no direct path appears
check "alice-bob stays relayed without TCP punching ($(connection alice bob))" is alice bob relayed
check "alice pings bob through the relay" ns alice ping -c 2 -i 0.2 -W 2 -q "$(vip bob)"

echo "== $PASSED passed, $FAILED failed"
((FAILED == 0))
