#include "nat-models/nat_profiles.h"

namespace yt::nat {
namespace {

using M = MappingBehavior;
using F = FilteringBehavior;
using A = PortAllocation;

NatConfig napt(M mapping, F filtering, A allocation) {
  NatConfig c;
  c.mapping = mapping;
  c.filtering = filtering;
  c.allocation = allocation;
  return c;
}

// RFC 3489 "full cone" (EIM/EIF): the NAT every P2P application hopes for. Older
// consumer routers and ISP CPEs with a "full cone NAT" or gaming ("open NAT")
// switch, and some DMZ-less router firmwares. Keeps ports when free, hairpins.
NatConfig full_cone() {
  NatConfig c = napt(M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve);
  c.hairpinning = true;
  return c;
}

// RFC 3489 "restricted cone" (EIM/ADF): accepts anything from an IP the inside has
// sent to. Many older SOHO routers; the filtering RFC 4787 REQ-8 recommends when
// security matters. No hairpinning, as on most such boxes.
NatConfig restricted_cone() { return napt(M::kEndpointIndependent, F::kAddressDependent, A::kPreserve); }

// RFC 3489 "port-restricted cone" (EIM/APDF): today's typical RFC 4787-compliant
// home router (and most vendor firmwares' default). Preserves ports, hairpins, as
// RFC 4787 REQ-9 asks and current routers usually do.
NatConfig port_restricted_cone() {
  NatConfig c = napt(M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve);
  c.hairpinning = true;
  return c;
}

// RFC 3489 "symmetric" with a predictable counter (APDM/APDF, sequential +1): each
// new destination gets the next port of a per-address counter. Older enterprise
// firewalls and SOHO routers that hand out ports in order; the case for port
// prediction in the punch planner. No hairpinning.
NatConfig symmetric_sequential() {
  NatConfig c = napt(M::kAddressPortDependent, F::kAddressPortDependent, A::kSequential);
  c.sequential_delta = 1;
  return c;
}

// Symmetric with random ports (APDM/APDF, random): OpenBSD pf and pfSense/OPNsense
// outbound NAT without "static port", Cisco ASA/FTD PAT and other enterprise
// firewalls that randomize source ports per connection (RFC 6056 spirit). The hard
// case: only birthday-style probing or a relay gets through. No hairpinning.
NatConfig symmetric_random() { return napt(M::kAddressPortDependent, F::kAddressPortDependent, A::kRandom); }

// Linux netfilter `-t nat -A POSTROUTING -o wan -j MASQUERADE` (OpenWrt and most
// Linux-based home routers): EIM-ish with port preservation and conntrack (APDF)
// filtering, timers from the kernel defaults.
//  - netfilter keeps the source port whenever the resulting 5-tuple is unique, so
//    it behaves as EIM with preservation (but see the clash below). It only needs
//    the *5-tuple* to be unique, so two hosts using one source port towards
//    different servers may share a public port, and a collision towards the same
//    server gets another port for that connection only (APDM-like). The model never
//    overloads a port (RFC 4787 REQ-3) and falls back to a random free port, as
//    kernels since 5.x pick a random offset before scanning (preserve_fallback =
//    kRandom).
//  - conntrack accepts replies only on the exact 5-tuple: APDF.
//  - conntrack also keeps an entry for an inbound UDP packet it drops (no mapping,
//    or filtered), and a later flow whose reply tuple equals that entry's gets
//    another port; new flows then follow the newest port while older flows keep
//    theirs (unsolicited_inbound_claims_tuple, on here). Measured on kernel 6.1.
//  - nf_conntrack_udp_timeout = 30 s until a reply is seen, then
//    nf_conntrack_udp_timeout_stream = 120 s (the kernel waits 2 s after the first
//    reply before switching; not modelled). Both directions refresh.
//  - TCP: established 432000 s (5 days), SYN_SENT / TIME_WAIT 120 s (the model
//    has one transitory timer), nf_conntrack_tcp_loose = 1 picks up mid-stream
//    connections.
//  - No hairpinning unless the admin adds reflection rules (OpenWrt does for port
//    forwards only).
NatConfig linux_masquerade() {
  NatConfig c = napt(M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve);
  c.preserve_fallback = A::kRandom;
  c.udp_unreplied_lifetime = 30s;
  c.udp_mapping_lifetime = 120s;
  c.inbound_refresh = true;
  c.tcp_established_timeout = 432000s;
  c.tcp_transitory_timeout = 120s;
  c.tcp_loose_pickup = true;
  c.unsolicited_inbound_claims_tuple = true;
  return c;
}

// Carrier-grade NAT (RFC 6888) with port-block allocation, as in mobile and
// fixed-line NAT444 deployments (A10 Thunder CGN, Juniper MX/SRX PBA, Cisco ASR
// CGN, F5 BIG-IP CGNAT).
//  - EIM: RFC 6888 makes RFC 4787 (and so its REQ-1) apply to CGNs.
//  - EIF: RFC 4787 REQ-8's choice when application transparency matters most, and
//    the setting operators pick so games and P2P keep working behind the CGN. (Some
//    mobile carriers run APDF instead; use a custom config for that.)
//  - Paired pooling, as RFC 6888 requires of CGNs.
//  - Each subscriber gets one block of 512 ports when it first needs one (RFC 6888
//    asks for a per-subscriber port limit; blocks keep the logs small, RFC 7422),
//    ports allocated at random inside it (RFC 6056); a full block means new mappings
//    fail (they never steal existing ones). Real CGNs may hand out extra blocks;
//    this one never does.
//  - Hairpinning on (RFC 4787 REQ-9), needed between two subscribers of one CGN.
//  - UDP 120 s (RFC 4787 REQ-5's floor, where CGNs often sit), TCP per RFC 5382.
NatConfig cgnat() {
  NatConfig c = napt(M::kEndpointIndependent, F::kEndpointIndependent, A::kRandom);
  c.pooling = PoolingBehavior::kPaired;
  c.port_block_size = 512;
  c.hairpinning = true;
  c.udp_mapping_lifetime = 120s;
  c.udp_unreplied_lifetime = 120s;
  return c;
}

// A network that drops all UDP (corporate LANs, some hotel/guest Wi-Fi, some
// schools): only TCP gets out, through an otherwise port-restricted cone NAT. DNS to
// the network's own resolver, which such networks allow, is not modelled.
NatConfig udp_blocked() {
  NatConfig c = port_restricted_cone();
  c.hairpinning = false;
  c.udp_allowed = false;
  return c;
}

// The strictest common firewall: only outbound TCP to port 443 and its replies (no
// UDP, no inbound connections). Corporate networks without an explicit proxy,
// airport and café captive networks after login. TLS inspection and HTTP CONNECT
// proxies are out of scope.
NatConfig tcp_443_only() {
  NatConfig c = udp_blocked();
  c.tcp_allowed_dst_ports = {443};
  return c;
}

// Static one-to-one NAT: a cloud VM's elastic/external IP (AWS EIP, GCP external
// IP, Azure public IP) or a host in a router's DMZ. Ports preserved, every inbound
// packet to the address let in (cloud security groups are not modelled). Bind
// internal hosts with NatConfig::one_to_one_hosts; unlisted hosts get a free public
// address when they first send.
NatConfig one_to_one() {
  NatConfig c;
  c.mode = NatMode::kOneToOne;
  c.mapping = M::kEndpointIndependent;
  c.filtering = F::kEndpointIndependent;
  c.allocation = A::kPreserve;
  c.hairpinning = true;
  return c;
}

// A Linux home router (linux-masquerade) running miniupnpd with NAT-PMP and PCP on,
// as OpenWrt's luci-app-upnp sets it up and many vendor firmwares ship it: the
// client asks for its UDP port and the mapping is open to everyone.
NatConfig home_router_pcp() {
  NatConfig c = linux_masquerade();
  c.answers_pcp = true;
  c.answers_nat_pmp = true;
  return c;
}

// A random-port symmetric firewall (symmetric-random) that answers NAT-PMP only:
// the port randomization of pf (pfSense, OPNsense) with the NAT-PMP service of
// older miniupnpd builds and Apple AirPort base stations, which predate PCP. The
// hardest mapping behind a device that still grants a mapping, and the path where
// a client's PCP request is answered "unsupported version" and it falls back.
NatConfig symmetric_random_natpmp() {
  NatConfig c = symmetric_random();
  c.answers_nat_pmp = true;
  return c;
}

struct Entry {
  const char* name;
  NatConfig (*make)();
};

constexpr Entry kProfiles[] = {
    {"full-cone", full_cone},
    {"restricted-cone", restricted_cone},
    {"port-restricted-cone", port_restricted_cone},
    {"symmetric-sequential", symmetric_sequential},
    {"symmetric-random", symmetric_random},
    {"linux-masquerade", linux_masquerade},
    {"cgnat", cgnat},
    {"udp-blocked", udp_blocked},
    {"tcp-443-only", tcp_443_only},
    {"one-to-one", one_to_one},
    {"home-router-pcp", home_router_pcp},
    {"symmetric-random-natpmp", symmetric_random_natpmp},
};

struct Stacked {
  const char* name;
  std::vector<const char*> chain;  // innermost first
};

// A home router (Linux-based, the usual case) whose WAN side is an ISP's CGN
// address (100.64.0.0/10): NAT444, the default for many mobile and some fibre/cable
// subscribers. Two translations, two sets of timers, the stricter filter wins.
std::vector<Stacked> stacked() { return {{"home-behind-cgnat", {"linux-masquerade", "cgnat"}}}; }

}  // namespace

std::vector<std::string> profile_names() {
  std::vector<std::string> out;
  for (const Entry& e : kProfiles) out.emplace_back(e.name);
  return out;
}

std::optional<NatConfig> profile(std::string_view name) {
  for (const Entry& e : kProfiles) {
    if (name == e.name) return e.make();
  }
  return std::nullopt;
}

std::vector<std::string> stacked_profile_names() {
  std::vector<std::string> out;
  for (const Stacked& s : stacked()) out.emplace_back(s.name);
  return out;
}

std::optional<std::vector<NatConfig>> profile_chain(std::string_view name) {
  if (auto single = profile(name)) return std::vector<NatConfig>{*single};
  for (const Stacked& s : stacked()) {
    if (name != s.name) continue;
    std::vector<NatConfig> out;
    for (const char* device : s.chain) out.push_back(*profile(device));
    return out;
  }
  return std::nullopt;
}

}  // namespace yt::nat
