#!/usr/bin/env bash
# Real-kernel test of port mapping: a client behind a Linux NAT that gives every new
# destination a random port (MASQUERADE --random-fully) and runs the real miniupnpd
# (Debian's, nftables backend, NAT-PMP/PCP and UPnP on, secure mode) asks it for a
# mapping of its UDP port with PCP, reports it, and goes direct with a peer behind
# another --random-fully NAT: a pair with nothing to predict and no endpoint-
# independent side for birthday probing, so without the mapping it is relayed
# (the control, with --disable portmap on the server). When the daemon exits, its
# mapping is deleted. The same gateway maps carol's TCP listening port too: dave,
# on a network that forwards no UDP, connects to it and the pair goes direct over
# TCP (carol's NAT gives every destination a new TCP port too, so without the
# mapping nothing can be punched: relayed in the control).
#
#   inet (router) ── srv      203.0.113.10 and .11 (discovery 2 IPs x 2 ports; a
#        │                     STUN responder on 5478/5479 for miniupnpd, below)
#        ├─ natB  198.51.100.18  MASQUERADE --random-fully              ── bob    10.2.0.2
#        ├─ natC  192.0.2.2      MASQUERADE --random-fully + miniupnpd  ── carol  10.3.0.2
#        └─ natD  192.0.2.18     MASQUERADE, UDP not forwarded          ── dave   10.4.0.2
#
# miniupnpd 2.3 maps nothing while its WAN address is reserved, and the documentation
# ranges are; ext_perform_stun=yes with our STUN responder shows it the address is
# reachable unfiltered (RFC 5780 change requests answered), which enables mapping.
# The NAT rule masquerades the LAN only, so miniupnpd's own STUN requests keep their
# ports (it checks that).
#
# Asserts: carol's status shows a PCP mapping on natC's address, miniupnpd's nftables
# chain holds its DNAT rule and natpmpc sees the gateway; bob-carol go direct and
# carry pings; carol's TCP port is mapped too and dave-carol go direct over TCP;
# carol's exit deletes the rules; with --disable portmap both pairs are relayed. Documentation ranges only; everything runs inside the namespaces.
#
# Usage: portmap_test.sh SERVER_BIN DAEMON_BIN CLI_BIN
# Exit: 0 pass, 1 fail, 77 skipped (not root, no /dev/net/tun, no `ip netns`, no miniupnpd).
set -uo pipefail

SERVER=${1:?usage: portmap_test.sh SERVER_BIN DAEMON_BIN CLI_BIN}
DAEMON=${2:?}
CLI=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/harness.sh"
source "$HERE/daemons.sh"

[[ $(id -u) -eq 0 ]] || skip "network-namespace tests need root (run the README test command as root)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no TUN support here)"
command -v ip >/dev/null || skip "ip(8) is not installed"
for tool in nft iptables ping python3 timeout ss conntrack natpmpc /usr/sbin/miniupnpd; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done

harness_start ytp yt-portmap

echo "== topology (namespaces $RUN-*)"
make_ns inet srv natB natC natD bob carol dave
link inet i-srv 203.0.113.1/28 srv eth0 203.0.113.10/28
ns srv ip addr add 203.0.113.11/28 dev eth0
link inet i-b 198.51.100.17/28 natB wan 198.51.100.18/28
link inet i-c 192.0.2.1/28 natC wan 192.0.2.2/28
link natB lan 10.2.0.1/24 bob eth0 10.2.0.2/24
link natC lan 10.3.0.1/24 carol eth0 10.3.0.2/24
link inet i-d 192.0.2.17/28 natD wan 192.0.2.18/28
link natD lan 10.4.0.1/24 dave eth0 10.4.0.2/24
ns srv ip route add default via 203.0.113.1
ns natB ip route add default via 198.51.100.17
ns natC ip route add default via 192.0.2.1
ns bob ip route add default via 10.2.0.1
ns carol ip route add default via 10.3.0.1
ns natD ip route add default via 192.0.2.17
ns dave ip route add default via 10.4.0.1
for n in inet natB natC natD; do ns $n sysctl -qw net.ipv4.ip_forward=1; done
ns natD iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || die "iptables natD"
ns natD iptables -A FORWARD -p udp -j DROP || die "iptables natD udp"
ns natB iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully || die "iptables natB"
ns natC iptables -t nat -A POSTROUTING -s 10.3.0.0/24 -o wan -j MASQUERADE --random-fully || die "iptables natC"
# The chains miniupnpd's nftables backend fills (its defaults: table "filter",
# chains miniupnpd, prerouting_miniupnpd, postrouting_miniupnpd), hooked in.
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

echo "== miniupnpd on natC"
spawn srv "$WORK/stun.log" /usr/bin/python3 "$HERE/stun_responder.py" 203.0.113.10 203.0.113.11 5478 5479 120 "$WORK/stun.ready"
wait_for 5 "the STUN responder" test -e "$WORK/stun.ready"
cat >"$WORK/miniupnpd.conf" <<MINIUPNPD_CONF
ext_ifname=wan
listening_ip=lan
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=no
ext_perform_stun=yes
ext_stun_host=203.0.113.10
ext_stun_port=5478
lease_file=$WORK/miniupnpd.leases
uuid=3f1c0a4e-5d2b-4c6e-9a7f-0b1d2e3f4a5b
allow 1024-65535 10.3.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
MINIUPNPD_CONF
spawn natC "$WORK/miniupnpd.log" /usr/sbin/miniupnpd -f "$WORK/miniupnpd.conf" -d -P "$WORK/miniupnpd.pid"
wait_for 10 "miniupnpd to take the STUN verdict" grep -q "Port forwarding is now enabled" "$WORK/miniupnpd.log"
pass "miniupnpd runs on natC; STUN says its WAN is reachable unfiltered"
# DNAT rules to carol's port $2 for protocol $1 (udp or tcp). miniupnpd matches the
# IP header's protocol byte: `iif "wan" @nh,72,8 0x11 th dport P dnat ip to A:P`.
dnat_rules() {
  local number; [[ $1 == udp ]] && number=0x11 || number=0x6
  ns natC nft list chain inet filter prerouting_miniupnpd | grep "@nh,72,8 $number " | grep -c "dnat ip to 10.3.0.2:$2 *$"
}

make_server_key
mapping_of() { cli "$1" status --json | json 'd["port_mapping"]'; }
has_pcp_mapping() { [[ $(mapping_of "$1") == "pcp 192.0.2.2:"* ]]; }
tcp_mapping_of() { cli "$1" status --json | json 'd["tcp_port_mapping"]'; }
has_pcp_tcp_mapping() { [[ $(tcp_mapping_of "$1") == "pcp 192.0.2.2:"* ]]; }
transport() { peer_json "$1" "$2" | json 'd.get("direct_transport")'; }
direct_over_tcp() { is "$1" "$2" direct && [[ $(transport "$1" "$2") == tcp ]]; }
udp_port_of() { ns "$1" ss -uanp | grep "pid=${DPID[$1]}," | grep -o '0\.0\.0\.0:[0-9]*' | head -1 | cut -d: -f2; }

echo "== port mapping on"
start_server
for n in bob carol dave; do start_daemon "$n" ""; done
for n in bob carol dave; do wait_for 15 "$n to log in" online "$n"; done
echo "    discovered NATs: bob $(nat_of bob), carol $(nat_of carol)"
check "carol's discovery sees a symmetric NAT with random ports ($(nat_of carol))" \
  bash -c "[[ '$(nat_of carol)' == APDM*random* ]]"
wait_for 10 "carol's gateway mapping" has_pcp_mapping carol
CAROL_PORT=$(udp_port_of carol)
pass "carol holds a mapping: $(mapping_of carol), for its UDP port $CAROL_PORT"
one_rule() { (( $(dnat_rules udp "$CAROL_PORT") == 1 )); }
check "miniupnpd's nftables chain forwards it to carol's port" one_rule
wait_for 10 "carol's gateway mapping of its TCP listening port" has_pcp_tcp_mapping carol
pass "carol's TCP port $CAROL_PORT is mapped too: $(tcp_mapping_of carol)"
one_tcp_rule() { (( $(dnat_rules tcp "$CAROL_PORT") == 1 )); }
check "miniupnpd's chain forwards TCP to carol's listening port" one_tcp_rule
check "carol listens on TCP port $CAROL_PORT" \
  bash -c "ip netns exec $RUN-carol ss -tlnp | grep 'pid=${DPID[carol]},' | grep -q ':$CAROL_PORT '"
check "dave's network forwards no UDP ($(nat_of dave))" bash -c "[[ '$(nat_of dave)' == udp-blocked ]]"
check "natpmpc from carol's LAN reads the gateway's public address" \
  bash -c "ip netns exec $RUN-carol timeout 5 natpmpc -g 10.3.0.1 | grep -q 'Public IP address : 192.0.2.2'"
cli bob create lan --password secret >/dev/null || die "create"
cli carol join lan --password secret >/dev/null || die "join carol"
cli dave join lan --password secret >/dev/null || die "join dave"
start=$(date +%s)
wait_for 30 "a direct tunnel bob-carol (--random-fully vs --random-fully with miniupnpd)" is bob carol direct
pass "bob-carol direct through carol's mapping ($(( $(date +%s) - start )) s after the join)"
check "bob pings carol's virtual IP directly" ns bob ping -c 3 -i 0.2 -W 2 -q "$(vip carol)"
check "carol pings bob's virtual IP directly" ns carol ping -c 3 -i 0.2 -W 2 -q "$(vip bob)"
check "carol's side says direct too" is carol bob direct
wait_for 30 "a direct TCP tunnel dave-carol (dave's UDP blocked, carol's TCP port mapped)" direct_over_tcp dave carol
pass "dave-carol direct over TCP to carol's mapped port ($(( $(date +%s) - start )) s after the join)"
check "dave pings carol's virtual IP directly" ns dave ping -c 3 -i 0.2 -W 2 -q "$(vip carol)"
check "carol pings dave's virtual IP directly" ns carol ping -c 3 -i 0.2 -W 2 -q "$(vip dave)"
check "carol's side says direct over TCP too" direct_over_tcp carol dave
stop_pid "${DPID[carol]}"
no_rule() { (( $(dnat_rules udp "$CAROL_PORT") == 0 && $(dnat_rules tcp "$CAROL_PORT") == 0 )); }
wait_for 5 "carol's mappings to be deleted when its daemon exits" no_rule
pass "carol's exit deleted its mappings"

echo "== port mapping off on the server (--disable portmap): the same pairs are relayed"
stop_pid "${DPID[bob]}"
stop_pid "${DPID[dave]}"
stop_pid "$SERVER_PID"
# Fresh conntrack state, as after a NAT reboot, so nothing of the direct path is reused.
for n in natB natC natD; do ns $n conntrack -F >/dev/null 2>&1; done
start_server --disable portmap
# New identities (state directories): nothing resumes from the first phase's peer cache.
for n in bob carol dave; do start_daemon "$n" .off; done
for n in bob carol dave; do wait_for 15 "$n to log in again" online "$n"; done
cli bob create lan2 --password secret >/dev/null || die "create lan2"
cli carol join lan2 --password secret >/dev/null || die "join lan2"
cli dave join lan2 --password secret >/dev/null || die "join lan2 dave"
wait_for 30 "bob to reach carol through the relay" is bob carol relayed
wait_for 30 "dave to reach carol through the relay" is dave carol relayed
sleep 12  # a whole punch window: without the mapping, no direct path appears
check "bob-carol stays relayed without port mapping ($(connection bob carol))" is bob carol relayed
check "dave-carol stays relayed without port mapping ($(connection dave carol))" is dave carol relayed
check "carol holds a mapping again, which this server ignores ($(mapping_of carol))" has_pcp_mapping carol

echo "== $PASSED passed, $FAILED failed"
((FAILED == 0))
