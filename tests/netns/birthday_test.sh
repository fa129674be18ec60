#!/usr/bin/env bash
# Real-kernel test of birthday probing: a client behind a Linux NAT that gives every
# new destination a random port (MASQUERADE --random-fully: symmetric, random)
# reaches clients behind ordinary Linux NATs (nftables masquerade and iptables
# MASQUERADE: endpoint-independent mapping, conntrack filtering) directly, where
# plain punching cannot: the random side opens 256 mappings toward the peer with
# a TTL that dies in the router (so the peer's conntrack never sees them), and the
# peer probes 1024 random ports of the random side's address until one lands.
# Then the same pair with birthday probing switched off on the server
# (--disable birthday) is relayed, the control.
#
#   inet (router) ── srv      203.0.113.10 and .11 (RFC 5780 discovery: 2 IPs x 2 ports)
#        ├─ natA  198.51.100.2   nftables masquerade       ── alice   10.1.0.2
#        ├─ natB  198.51.100.18  iptables MASQUERADE       ── bob     10.2.0.2
#        └─ natC  192.0.2.2      MASQUERADE --random-fully ── carol   10.3.0.2
#
# Asserts: carol's own discovery sees a symmetric NAT with random ports; alice-carol
# and bob-carol go direct and carry pings between virtual IPs; carol's extra
# sockets are closed once the paths are settled; with --disable birthday the pair
# is relayed. Documentation ranges only; everything runs inside the namespaces.
#
# Usage: birthday_test.sh SERVER_BIN DAEMON_BIN CLI_BIN
# Exit: 0 pass, 1 fail, 77 skipped (not root, no /dev/net/tun, no `ip netns`).
set -uo pipefail

SERVER=${1:?usage: birthday_test.sh SERVER_BIN DAEMON_BIN CLI_BIN}
DAEMON=${2:?}
CLI=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/harness.sh"
source "$HERE/daemons.sh"

[[ $(id -u) -eq 0 ]] || skip "network-namespace tests need root (run the README test command as root)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN support here)"
command -v ip >/dev/null || skip "ip(8) is not installed"
for tool in nft iptables ping python3 timeout ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done

harness_start ytb yt-birthday

echo "== topology (namespaces $RUN-*)"
make_ns inet srv natA natB natC alice bob carol
link inet i-srv 203.0.113.1/28 srv eth0 203.0.113.10/28
ns srv ip addr add 203.0.113.11/28 dev eth0
link inet i-a 198.51.100.1/28 natA wan 198.51.100.2/28
link inet i-b 198.51.100.17/28 natB wan 198.51.100.18/28
link inet i-c 192.0.2.1/28 natC wan 192.0.2.2/28
link natA lan 10.1.0.1/24 alice eth0 10.1.0.2/24
link natB lan 10.2.0.1/24 bob eth0 10.2.0.2/24
link natC lan 10.3.0.1/24 carol eth0 10.3.0.2/24
ns srv ip route add default via 203.0.113.1
ns natA ip route add default via 198.51.100.1
ns natB ip route add default via 198.51.100.17
ns natC ip route add default via 192.0.2.1
ns alice ip route add default via 10.1.0.1
ns bob ip route add default via 10.2.0.1
ns carol ip route add default via 10.3.0.1
for n in inet natA natB natC; do ns $n sysctl -qw net.ipv4.ip_forward=1; done
ns natA nft -f - <<'NFT' || die "nft rules"
table ip nat {
  chain post { type nat hook postrouting priority srcnat; oifname "wan" masquerade; }
}
NFT
ns natB iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || die "iptables natB"
ns natC iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully || die "iptables natC"

make_server_key

echo "== birthday probing on"
start_server
for n in alice bob carol; do start_daemon "$n" ""; done
for n in alice bob carol; do wait_for 15 "$n to log in" online "$n"; done
echo "    discovered NATs: alice $(nat_of alice), bob $(nat_of bob), carol $(nat_of carol)"
check "carol's discovery sees a symmetric NAT with random ports ($(nat_of carol))" \
  bash -c "[[ '$(nat_of carol)' == APDM*random* ]]"
check "alice's discovery sees an endpoint-independent mapping ($(nat_of alice))" \
  bash -c "[[ '$(nat_of alice)' == EIM* ]]"
cli alice create lan --password secret >/dev/null || die "create"
for n in bob carol; do cli "$n" join lan --password secret >/dev/null || die "join $n"; done
start=$(date +%s)
# One attempt meets with probability 1 - (1 - 256/64512)^1024 = 98.3%; a pair that
# misses is planned again about 40 s later (its punch window, then the client's
# first retry wait), so the waits cover one retry.
wait_for 70 "a direct tunnel alice-carol (nftables masquerade vs --random-fully)" is alice carol direct
wait_for 70 "a direct tunnel bob-carol (iptables MASQUERADE vs --random-fully)" is bob carol direct
pass "alice-carol and bob-carol direct by birthday probing ($(( $(date +%s) - start )) s after the joins)"
check "carol pings alice's virtual IP directly" ns carol ping -c 3 -i 0.2 -W 2 -q "$(vip alice)"
check "alice pings carol's virtual IP directly" ns alice ping -c 3 -i 0.2 -W 2 -q "$(vip carol)"
check "bob pings carol's virtual IP directly" ns bob ping -c 3 -i 0.2 -W 2 -q "$(vip carol)"
check "carol's side says direct too" is carol alice direct
# Once both paths are settled carol keeps only the sockets they use: the main one
# and at most one birthday socket per peer (none left over from the 512 opened).
udp_sockets() { ns carol ss -uanp | grep -c "pid=${DPID[carol]},"; }
few_sockets() { (( $(udp_sockets) <= 3 )); }
wait_for 20 "carol's birthday sockets to close" few_sockets
pass "carol holds $(udp_sockets) UDP sockets after birthday probing"
grep -h "birthday" "$WORK"/*.log | head -n 5 | sed 's/^/    log: /'

echo "== birthday probing off (--disable birthday): the same pair is relayed"
for n in alice bob carol; do stop_pid "${DPID[$n]}"; done
stop_pid "$SERVER_PID"
# Fresh conntrack state, as after a NAT reboot, so nothing of the direct paths is reused.
for n in natA natB natC; do ns $n conntrack -F >/dev/null 2>&1; done
start_server --disable birthday
# New identities (state directories): nothing resumes from the first phase's peer cache.
for n in alice carol; do start_daemon "$n" .off; done
for n in alice carol; do wait_for 15 "$n to log in again" online "$n"; done
cli alice create lan2 --password secret >/dev/null || die "create lan2"
cli carol join lan2 --password secret >/dev/null || die "join lan2"
wait_for 30 "alice to reach carol through the relay" is alice carol relayed
sleep 12  # a whole punch window: without birthday probing, no direct path appears
check "alice-carol stays relayed without birthday probing ($(connection alice carol))" is alice carol relayed

echo "== $PASSED passed, $FAILED failed"
((FAILED == 0))
