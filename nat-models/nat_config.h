// Every knob of a NAT model, with RFC 4787 (UDP), RFC 5382 / RFC 7857 (TCP) and
// RFC 5780 terminology. A NatConfig is a plain value: copy it, tweak a field, hand it
// to NatModel. Named presets live in nat_profiles.h.
//
// Out-of-range values are not errors (no exceptions, docs/style.md rule 6): NatModel
// applies normalized() below, which clamps them to the nearest sensible value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt::nat {

enum class NatMode : std::uint8_t {
  // NAPT: addresses and ports translated through a mapping table (the usual NAT).
  kNapt = 0,
  // Basic one-to-one NAT (RFC 2663 "Basic NAT", cloud elastic IPs, DMZ hosts): each
  // internal host owns one public address, ports are never changed, every inbound
  // packet to a bound address is let in. Mapping/filtering/allocation/timeouts are
  // ignored in this mode; the firewall fields still apply.
  kOneToOne = 1,
};

// RFC 4787 section 4.1 "IP address pooling", for NATs with several public addresses.
enum class PoolingBehavior : std::uint8_t {
  // All mappings of one internal IP use the same public IP while that host holds
  // any mapping (RFC 4787 REQ-2 recommends this; RFC 6888 requires it for CGNs).
  kPaired = 0,
  // Each new mapping picks a public IP at random.
  kArbitrary = 1,
};

struct NatConfig {
  NatMode mode = NatMode::kNapt;

  // --- Mapping, filtering, allocation (RFC 4787 sections 4 and 5) ---

  // EIM by default: RFC 4787 REQ-1 requires it, and it is what most home routers do.
  MappingBehavior mapping = MappingBehavior::kEndpointIndependent;
  // APDF by default: the common (conntrack-like) home-router behaviour, although
  // RFC 4787 REQ-8 recommends EIF (transparency) or ADF (security).
  FilteringBehavior filtering = FilteringBehavior::kAddressPortDependent;
  // Port preservation by default: RFC 4787 (section 4.2.1) does not ask for it, but
  // Linux and most consumer routers keep the source port when it is free.
  PortAllocation allocation = PortAllocation::kPreserve;
  // When kPreserve cannot keep the internal port (taken, or outside the port range):
  //   kSequential: the nearest free port above the internal port (wrapping in the
  //                range), what many simple NATs do;
  //   kRandom:     a random free port (what Linux has done since the 5.x kernels,
  //                which pick a random offset before scanning for a free tuple).
  // kPreserve here is read as kSequential.
  PortAllocation preserve_fallback = PortAllocation::kRandom;
  // For kSequential: each new mapping takes the previous allocation on that public
  // IP (and port block) plus this step; collisions keep stepping. 0 is read as 1;
  // negative steps count down. The first allocation starts at a random port, as a
  // freshly booted device's counter would be anywhere.
  std::int32_t sequential_delta = 1;
  // Public ports handed out, inclusive. 1024..65535 keeps clear of well-known ports,
  // as most NATs do; preservation of a port outside the range falls back.
  std::uint16_t port_min = 1024;
  std::uint16_t port_max = 65535;
  // RFC 4787 section 4.2.2 "port parity": when true, the public port has the parity
  // of the internal port (RTP even / RTCP odd). Off by default, as on most devices.
  bool preserve_parity = false;
  PoolingBehavior pooling = PoolingBehavior::kPaired;
  // CGNAT port-block allocation (RFC 6888 per-subscriber limits, RFC 7422): when non-zero, each
  // internal IP gets one block of this many consecutive public ports (aligned from
  // port_min) on its paired public IP when it first needs a mapping; all its
  // mappings, UDP and TCP, take ports inside that block (with `allocation` applied
  // inside the block), and a full block means kDropPortExhausted. The block is
  // released when the host holds no mapping. Implies paired pooling.
  std::uint16_t port_block_size = 0;

  // RFC 4787 REQ-9 wants hairpinning; many consumer devices still lack it, so off by
  // default and on in the profiles that have it.
  bool hairpinning = false;

  // Whether an unsolicited inbound UDP packet leaves state that moves later flows to
  // another public port, as Linux conntrack does (measured on kernel 6.1, iptables
  // and nftables MASQUERADE, `conntrack -E`):
  //  - conntrack tracks every packet, so one from remote R to public endpoint P that
  //    matches no mapping, or whose mapping's filter drops it, still creates an
  //    entry for the tuple R -> P. It lives udp_unreplied_lifetime (the kernel's
  //    nf_conntrack_udp_timeout, 30 s), refreshed by further packets of that tuple;
  //    the packet itself is dropped as usual. A packet that passes creates nothing.
  //  - when an internal endpoint whose mapping is on P then starts a flow to R, the
  //    flow's reply tuple R -> P is taken, so netfilter gives the flow another public
  //    port P2 (chosen by preserve_fallback). The endpoint's flows to remotes it has
  //    live sessions with stay on P, both ways.
  //  - netfilter starts every new flow on the public port of the newest entry from
  //    that internal endpoint (find_appropriate_src walks its by-source hash newest
  //    first), so all later flows to remotes without a live session use P2 (or a
  //    newer port, when P2 clashes too) while P2's mapping lives; once it expires the
  //    newest mapping left (P) takes new flows again.
  // So a peer's punch packet that arrives before ours moves a host off the mapping
  // it reported to its server, for every later destination, while the server still
  // sees the old port. Applies to UDP only, in NAPT mode only, and matters for EIM
  // and ADM mapping: with APDM every remote gets its own mapping anyway, and only a
  // freshly chosen port whose tuple is taken is passed over. Off by default: an
  // RFC 4787 NAT keeps no state for a packet it drops.
  bool unsolicited_inbound_claims_tuple = false;

  // --- Timers (RFC 4787 section 4.3, RFC 5382 section 5, RFC 7857 section 2.2) ---

  // UDP mapping idle lifetime once a reply has come back. RFC 4787 REQ-5: at least
  // 2 minutes (5 recommended); 120 s is both the floor and Linux's "stream" timer.
  Duration udp_mapping_lifetime = 120s;
  // UDP lifetime while no inbound packet has passed the mapping yet. Equal to the
  // above by default (RFC behaviour); Linux uses 30 s here (nf_conntrack_udp_timeout),
  // which is why clients send keepalives every 25 s.
  Duration udp_unreplied_lifetime = 120s;
  // RFC 4787 REQ-6: outbound traffic always refreshes a UDP mapping; whether inbound
  // traffic (that passes the filter) does too is device-specific. conntrack-based
  // NATs refresh both ways, hence true. TCP timers are refreshed by packets in either
  // direction regardless (RFC 5382 speaks of idle connections).
  bool inbound_refresh = true;
  // RFC 5382 REQ-5: a connection being opened or closed (SYN seen, or FIN both ways,
  // or RST) may be dropped after this much idle time, at least 4 minutes.
  Duration tcp_transitory_timeout = 4min;
  // RFC 5382 REQ-5: an established connection, at least 2 h 4 min idle.
  Duration tcp_established_timeout = 2h + 4min;
  // Whether a TCP packet other than SYN (and other than RST) with no tracked
  // connection starts tracking (as established). RFC-style NATs only start on SYN;
  // Linux picks mid-stream connections up (nf_conntrack_tcp_loose=1).
  bool tcp_loose_pickup = false;

  // --- Limits (memory stays bounded whatever the traffic) ---

  // Cap on live mappings, 0 = no cap beyond the port space (ports x public IPs x
  // transports, since every mapping owns a distinct public endpoint). Models a small
  // router's table size or a CGN's per-device limit; over it, kDropPortExhausted.
  std::size_t max_mappings = 0;
  // Cap on remote endpoints tracked per mapping (filter state and TCP connections).
  // Past it the remote that would expire soonest is forgotten. A VPN client talks
  // to a few dozen remotes through one socket, but birthday probing adds one per
  // probed port (1024 per pair, for udp_unreplied_lifetime); 8192 holds several
  // such pairs at once, as a home router's conntrack table (16k-64k entries) does.
  // A smaller cap forgets the server's filter state among the probes.
  std::size_t max_sessions_per_mapping = 8192;
  // Cap on unsolicited inbound tuples remembered (unsolicited_inbound_claims_tuple);
  // past it the one expiring soonest is forgotten, as conntrack evicts unreplied
  // entries first when its table is full. Peers that send first are a handful;
  // thousands of tuples within udp_unreplied_lifetime is a scan, whose entries would
  // only be forgotten soon anyway.
  std::size_t max_unsolicited_tuples = 4096;
  // How many expired public endpoints are remembered to report kDropExpired rather
  // than kDropNoMapping. Purely diagnostic.
  std::size_t expired_memory = 1024;

  // --- Firewall (applied in both modes, before translation) ---

  // false: every UDP packet, both directions, is kDropBlocked (networks that block
  // UDP outright, e.g. some corporate and guest networks).
  bool udp_allowed = true;
  // Non-empty: outbound TCP is allowed only to these destination ports, and inbound
  // TCP only on connections such outbound traffic opened (replies). Empty: no limit.
  std::vector<std::uint16_t> tcp_allowed_dst_ports;

  // --- Port mapping protocols (answered on the LAN side, UDP port 5351) ---

  // Whether the device answers PCP (RFC 6887) MAP requests and NAT-PMP (RFC 6886)
  // requests from its LAN: a mapping so made is endpoint-independent and lets in
  // every remote (open filtering) for that internal endpoint, whatever `mapping`
  // and `filtering` say, until its lifetime runs out (NatModel::map_port says what
  // leaves through it). Off by
  // default: most routers ship with both off or have no such service; the
  // `home-router-pcp` and `symmetric-random-pcp` profiles have them on.
  bool answers_pcp = false;
  bool answers_nat_pmp = false;
  // The longest lifetime granted; a longer request gets this (RFC 6887 section
  // 15 lets the server cap it; miniupnpd's default cap is 86400 s, two hours is
  // what RFC 6886 suggests clients ask for).
  Duration port_mapping_max_lifetime = 2h;

  // --- One-to-one mode ---

  // The k-th address here is bound to the k-th public IP for good (static 1:1, so
  // inbound works before the host ever sends). Hosts not listed get the first free
  // public IP when they first send (dynamic basic NAT); the binding lasts until
  // flush() or change_public_ips(). Indexes beyond the public IP list are ignored.
  std::vector<Ipv4> one_to_one_hosts;
};

// A copy with out-of-range values clamped: port_min > port_max swapped; port_min 0
// raised to 1; sequential_delta 0 -> 1; non-positive lifetimes -> 1 s; a block size
// larger than the range -> the range; max_sessions_per_mapping and
// max_unsolicited_tuples 0 -> 1; kPreserve as a fallback -> kSequential.
NatConfig normalized(NatConfig config);

}  // namespace yt::nat
