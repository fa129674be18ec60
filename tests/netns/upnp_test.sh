#!/usr/bin/env bash
# Real-kernel test of UPnP IGD port mapping (the daemon's, client/daemon/
# upnp_port_mapper.h): the topology of portmap_test.sh, but natC's miniupnpd answers
# UPnP only (enable_natpmp=no: PCP and NAT-PMP go unanswered). carol's core gives up
# on PCP and NAT-PMP (about 7.5 s), the daemon finds the IGD by SSDP on natC's LAN,
# maps its UDP port with AddPortMapping and the mapping reaches the server; bob-carol,
# both behind MASQUERADE --random-fully, go direct through it. With --disable portmap
# on the server the same pair is relayed. When the daemon exits, the mapping is
# deleted.
#
#   inet (router) ── srv      203.0.113.10 and .11 (discovery; STUN for miniupnpd)
#        │
#        ├─ natB  198.51.100.18  MASQUERADE --random-fully                   ── bob    10.2.0.2
#        └─ natC  192.0.2.2      MASQUERADE --random-fully + miniupnpd (UPnP) ── carol  10.3.0.2
#
# Asserts: carol's log says PCP/NAT-PMP gave up and UPnP obtained the mapping; its
# status shows "upnp 192.0.2.2:PORT"; `upnpc -l` from carol's LAN and miniupnpd's
# nftables chain both hold it; bob-carol direct with pings both ways; the
# renewal at half its (20 s) lease keeps it past the first lease; a logout deletes
# it and the next login maps again; carol's exit deletes it (log and chain); with
# --disable portmap, relayed.
#
# Usage: upnp_test.sh SERVER_BIN DAEMON_BIN CLI_BIN
# Exit: 0 pass, 1 fail, 77 skipped (not root, no /dev/net/tun, no `ip netns`).
set -uo pipefail

SERVER=${1:?usage: upnp_test.sh SERVER_BIN DAEMON_BIN CLI_BIN}
DAEMON=${2:?}
CLI=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/harness.sh"
source "$HERE/daemons.sh"

[[ $(id -u) -eq 0 ]] || skip "network-namespace tests need root (run the README test command as root)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN support here)"
command -v ip >/dev/null || skip "ip(8) is not installed"
for tool in nft iptables ping python3 timeout ss conntrack upnpc /usr/sbin/miniupnpd; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done

harness_start ytu yt-upnp

echo "== topology (namespaces $RUN-*)"
make_ns inet srv natB natC bob carol
link inet i-srv 203.0.113.1/28 srv eth0 203.0.113.10/28
ns srv ip addr add 203.0.113.11/28 dev eth0
link inet i-b 198.51.100.17/28 natB wan 198.51.100.18/28
link inet i-c 192.0.2.1/28 natC wan 192.0.2.2/28
link natB lan 10.2.0.1/24 bob eth0 10.2.0.2/24
link natC lan 10.3.0.1/24 carol eth0 10.3.0.2/24
ns srv ip route add default via 203.0.113.1
ns natB ip route add default via 198.51.100.17
ns natC ip route add default via 192.0.2.1
ns bob ip route add default via 10.2.0.1
ns carol ip route add default via 10.3.0.1
for n in inet natB natC; do ns $n sysctl -qw net.ipv4.ip_forward=1; done
ns natB iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully || die "iptables natB"
ns natC iptables -t nat -A POSTROUTING -s 10.3.0.0/24 -o wan -j MASQUERADE --random-fully || die "iptables natC"
# miniupnpd's nftables chains (see portmap_test.sh), hooked in.
ns natC nft -f - <<'NFT' || die "nft tables for miniupnpd"
table inet filter {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
NFT

echo "== miniupnpd on natC, UPnP only"
spawn srv "$WORK/stun.log" /usr/bin/python3 "$HERE/stun_responder.py" 203.0.113.10 203.0.113.11 5478 5479 120 "$WORK/stun.ready"
wait_for 5 "the STUN responder" test -e "$WORK/stun.ready"
# SSDP: miniupnpd joins 239.255.255.250 on listening_ip's interface; carol's
# M-SEARCH leaves by its default route, out of eth0 onto natC's lan.
cat >"$WORK/miniupnpd.conf" <<MINIUPNPD_CONF
ext_ifname=wan
listening_ip=lan
enable_natpmp=no
enable_upnp=yes
secure_mode=yes
system_uptime=no
ext_perform_stun=yes
ext_stun_host=203.0.113.10
ext_stun_port=5478
lease_file=$WORK/miniupnpd.leases
uuid=7a2e5c1b-3d4f-4e6a-8b9c-0d1e2f3a4b5c
allow 1024-65535 10.3.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
MINIUPNPD_CONF
spawn natC "$WORK/miniupnpd.log" /usr/sbin/miniupnpd -f "$WORK/miniupnpd.conf" -d -P "$WORK/miniupnpd.pid"
wait_for 10 "miniupnpd to take the STUN verdict" grep -q "Port forwarding is now enabled" "$WORK/miniupnpd.log"
pass "miniupnpd runs on natC with UPnP alone"
dnat_rules() { ns natC nft list chain inet filter prerouting_miniupnpd | grep -c "dnat ip to 10.3.0.2:$1"; }
# -i: miniupnpd's IGD says "not connected" in this topology (upnpc then refuses
# it); the daemon takes such an IGD too and lets GetExternalIPAddress decide.
upnpc_lists() { ns carol timeout 10 upnpc -i -l 2>&1 | tee -a "$WORK/upnpc.log" | grep -Eq "UDP +$1->10\.3\.0\.2:$2 "; }
upnpc_lacks() { ! upnpc_lists "$@"; }

make_server_key
mapping_of() { cli "$1" status --json | json 'd["port_mapping"]'; }
has_upnp_mapping() { [[ $(mapping_of "$1") == "upnp 192.0.2.2:"* ]]; }
udp_port_of() { ns "$1" ss -uanp | grep "pid=${DPID[$1]}," | grep -o '0\.0\.0\.0:[0-9]*' | head -1 | cut -d: -f2; }

echo "== port mapping on"
start_server
# A 20 s lease, so the renewal (at half) happens within the test.
start_daemon bob ""
start_daemon carol "" --port-mapping-lease 20
for n in bob carol; do wait_for 15 "$n to log in" online "$n"; done
echo "    discovered NATs: bob $(nat_of bob), carol $(nat_of carol)"
start=$(date +%s)
# PCP and NAT-PMP unanswered (7.5 s), then SSDP (up to 2 s) and two SOAP calls.
wait_for 20 "carol's UPnP mapping" has_upnp_mapping carol
pass "carol holds $(mapping_of carol) about $(( $(date +%s) - start )) s after logging in"
CAROL_PORT=$(udp_port_of carol)
EXTERNAL_PORT=$(mapping_of carol | cut -d: -f2)
status_shows() { cli carol status | grep -q "port map    upnp 192.0.2.2:$1\$"; }
check "yellowtail status shows it" status_shows "$EXTERNAL_PORT"
check "carol's log: PCP and NAT-PMP gave up before UPnP asked" \
  grep -q "no PCP or NAT-PMP mapping from the gateway" "$WORK/carol.log"
check "carol's log: the mapping obtained, with its lease" \
  grep -Eq "port mapping: upnp obtained 192\.0\.2\.2:$EXTERNAL_PORT -> 10\.3\.0\.2:$CAROL_PORT \(lease 20 s" "$WORK/carol.log"
check "upnpc -l from carol's LAN lists UDP $EXTERNAL_PORT -> 10.3.0.2:$CAROL_PORT" \
  upnpc_lists "$EXTERNAL_PORT" "$CAROL_PORT"
one_rule() { (( $(dnat_rules "$CAROL_PORT") == 1 )); }
check "miniupnpd's nftables chain forwards it to carol's port" one_rule
check "bob, whose gateway has no UPnP, holds no mapping" bash -c "[[ '$(mapping_of bob)' == None ]]"
# Within the 2 s search after bob's PCP / NAT-PMP gave up, as carol's mapping came.
no_igd() { grep -q "port mapping: no UPnP IGD answered an SSDP search in 2000 ms" "$WORK/bob.log"; }
wait_for 5 "bob's log to say no IGD answered" no_igd
pass "bob's UPnP found no IGD behind natB"
cli bob create lan --password secret >/dev/null || die "create"
cli carol join lan --password secret >/dev/null || die "join carol"
start=$(date +%s)
wait_for 30 "a direct tunnel bob-carol (--random-fully vs --random-fully with UPnP)" is bob carol direct
pass "bob-carol direct through carol's UPnP mapping ($(( $(date +%s) - start )) s after the join)"
check "bob pings carol's virtual IP directly" ns bob ping -c 3 -i 0.2 -W 2 -q "$(vip carol)"
check "carol pings bob's virtual IP directly" ns carol ping -c 3 -i 0.2 -W 2 -q "$(vip bob)"
check "carol's side says direct too" is carol bob direct
renewed() { grep -q "port mapping: upnp renewed 192.0.2.2:$EXTERNAL_PORT" "$WORK/carol.log"; }
wait_for 15 "carol's mapping renewed at half its 20 s lease" renewed
pass "carol renewed its mapping before the lease ended"
sleep 11  # past the first lease's end: the renewal, not the first grant, holds it now
check "the rule outlives the first lease" one_rule
check "bob-carol still direct" is bob carol direct
# A logout stops the core (the fallback is unwanted): the mapping goes; a login
# starts over (PCP, NAT-PMP, then UPnP) and maps again.
cli carol logout >/dev/null || die "logout carol"
no_rule() { (( $(dnat_rules "$CAROL_PORT") == 0 )); }
wait_for 10 "carol's mapping to be deleted at logout" no_rule
pass "carol's logout deleted its mapping"
cli carol login >/dev/null
wait_for 25 "carol's UPnP mapping after the login" has_upnp_mapping carol
check "mapped again after the login ($(mapping_of carol)), one rule" one_rule
EXTERNAL_PORT=$(mapping_of carol | cut -d: -f2)
stop_pid "${DPID[carol]}"
check "carol's exit deleted its mapping (nftables chain)" no_rule
check "carol's log: deleted at logout and at exit" \
  bash -c "(( \$(grep -c 'port mapping: upnp deleted 192.0.2.2:' '$WORK/carol.log') == 2 ))"
check "upnpc -l lists it no more" upnpc_lacks "$EXTERNAL_PORT" "$CAROL_PORT"

echo "== port mapping off on the server (--disable portmap): the same pair is relayed"
stop_pid "${DPID[bob]}"
stop_pid "$SERVER_PID"
for n in natB natC; do ns $n conntrack -F >/dev/null 2>&1; done
start_server --disable portmap
for n in bob carol; do start_daemon "$n" .off; done
for n in bob carol; do wait_for 15 "$n to log in again" online "$n"; done
cli bob create lan2 --password secret >/dev/null || die "create lan2"
cli carol join lan2 --password secret >/dev/null || die "join lan2"
wait_for 30 "bob to reach carol through the relay" is bob carol relayed
wait_for 20 "carol's UPnP mapping again" has_upnp_mapping carol
sleep 12  # a whole punch window after the mapping reached the server: still no direct path
check "bob-carol stays relayed without port mapping ($(connection bob carol))" is bob carol relayed

echo "== $PASSED passed, $FAILED failed"
((FAILED == 0))
