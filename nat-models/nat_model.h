// NatModel: one NAT device as a pure packet translator (docs/architecture.md section 4).
//
// The driver (ns-3 router's RouteInput, the userspace namespace NAT, a test) parses
// each packet crossing the device into a PacketHeader and calls
//   outbound()  for packets arriving from the LAN side,
//   inbound()   for packets arriving from the Internet side,
//   inbound_icmp_error() for ICMP errors arriving from the Internet side,
// then acts on the Verdict (see verdict.h): forward the rewritten header, send it
// back into the LAN (kHairpin), or drop and count. The model never sends, reads a
// clock, or draws randomness except from the RandomSource it was given, so the same
// inputs and seed give the same translations (docs/style.md rules 1-3).
//
// Time: every call takes `now` (monotonic, the driver's epoch). Expired mappings
// (and unsolicited tuples, see NatConfig::unsolicited_inbound_claims_tuple) are
// swept at the start of every call; a driver that wants memory released while no
// traffic flows can arm a timer for next_expiry() and call expire(now).
//
// Single-threaded (docs/style.md rule 11). The RandomSource must outlive the model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "nat-models/mapping_table.h"
#include "nat-models/nat_config.h"
#include "nat-models/one_to_one.h"
#include "nat-models/packet.h"
#include "nat-models/port_allocator.h"
#include "nat-models/unsolicited_tuples.h"
#include "nat-models/verdict.h"
#include "protocol/endpoint.h"
#include "protocol/random.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt::nat {

struct NatCounters {
  // Packets per verdict, indexed by static_cast<size_t>(Verdict).
  std::array<std::uint64_t, kVerdictCount> outbound{};
  std::array<std::uint64_t, kVerdictCount> inbound{};
  std::array<std::uint64_t, kVerdictCount> icmp{};
  std::uint64_t mappings_created = 0;
  std::uint64_t mappings_expired = 0;
  std::uint64_t mappings_flushed = 0;  // removed by flush() or change_public_ips()
  // Public ports a new flow could not use because an unsolicited inbound tuple held
  // its reply tuple (unsolicited_inbound_claims_tuple).
  std::uint64_t tuple_clashes = 0;
};

// A read-only view of one mapping, for status output and tests.
struct MappingInfo {
  Transport transport = Transport::kUdp;
  Endpoint internal;
  Endpoint public_endpoint;
  Endpoint remote_key;  // the destination part the mapping is keyed on (zero for EIM)
  Time created;
  Time expires;
  std::size_t sessions = 0;  // remote endpoints tracked (filter state)
  // A newer mapping of the same key takes new flows; this one keeps serving the
  // remotes it has live sessions with (unsolicited_inbound_claims_tuple).
  bool superseded = false;
};

class NatModel {
 public:
  // config is normalized() first. public_ips: the device's Internet-side addresses,
  // duplicates ignored; may be empty (every outbound packet is then
  // kDropNoPublicIp). rng is borrowed and must outlive the model. `tcp_rng`, when
  // given (borrowed too), makes every draw for a TCP mapping (its public address
  // and port) instead of rng: a NAT's TCP and UDP ports are separate pools, and
  // with separate streams TCP connections (TCP hole punching's mapping
  // connections) leave the UDP draws of a run, and so its UDP results, unchanged.
  NatModel(NatConfig config, std::vector<Ipv4> public_ips, RandomSource& rng, RandomSource* tcp_rng = nullptr);

  // A packet from the LAN side. The source is any internal endpoint; the
  // destination any address, including the NAT's own public IPs (hairpinning).
  //   kForward: packet.src now holds the public endpoint; send to the Internet.
  //   kHairpin: packet.src holds the sender's public endpoint and packet.dst the
  //             internal endpoint behind the addressed mapping; send to the LAN.
  //   drops:    packet left unchanged. kDropBlocked (firewall), kDropNoHairpin,
  //             kDropTcpState (non-SYN without tracked connection),
  //             kDropPortExhausted, kDropNoPublicIp; on the hairpin path also the
  //             inbound drops (kDropNoMapping, kDropFiltered, ...) for the target.
  // Creates the mapping if needed and refreshes it (outbound always refreshes).
  // With unsolicited_inbound_claims_tuple, a UDP flow to a remote with no live
  // session whose reply tuple an unsolicited packet holds gets a new mapping, which
  // becomes the internal endpoint's current one (see nat_config.h).
  Verdict outbound(Time now, PacketHeader& packet);

  // A packet from the Internet side.
  //   kForward: packet.dst now holds the internal endpoint; send to the LAN.
  //   drops:    packet unchanged. kDropNotForNat (dst IP not ours), kDropBlocked,
  //             kDropNoMapping / kDropExpired, kDropFiltered, kDropTcpState.
  // Never creates a mapping. Refreshes the mapping if config.inbound_refresh (UDP)
  // or always (TCP), when the packet passes the filter. With
  // unsolicited_inbound_claims_tuple, a UDP packet dropped for kDropNoMapping,
  // kDropExpired or kDropFiltered is remembered as an unsolicited tuple.
  Verdict inbound(Time now, PacketHeader& packet);

  // An ICMP error (destination/port unreachable, TTL exceeded, ...) arriving from
  // the Internet side. `embedded` is the header quoted inside it: the original
  // outbound packet as it looked outside (src = our public endpoint, dst = the
  // remote). On kForward, embedded.src is rewritten to the internal endpoint; the
  // driver rewrites the quoted header and sends the ICMP to embedded.src.ip.
  // Drops: kDropNotForNat, kDropBlocked, kDropNoMapping / kDropExpired, and
  // kDropFiltered when the mapping never sent to embedded.dst. Never deletes,
  // shortens or refreshes a mapping (RFC 4787 and RFC 5382: ICMP errors must not
  // destroy NAT state).
  Verdict inbound_icmp_error(Time now, PacketHeader& embedded);

  // A port mapping request (PCP MAP or NAT-PMP, nat-models/port_mapping_service.h)
  // from `internal`, for UDP: makes (or keeps) the endpoint-independent mapping of
  // `internal` and marks it port-mapped, so every remote gets in through it (and
  // becomes one of its sessions), whatever `filtering` says, until `lifetime`
  // (capped at port_mapping_max_lifetime) is over; traffic refreshes it like any
  // mapping. Outbound packets leave through it toward remotes that came in that
  // way (their replies) and toward every remote when the NAT maps endpoint-
  // independently anyway; to others a NAT that maps per destination keeps doing
  // so. That is how a Linux router running miniupnpd behaves (a DNAT rule beside
  // the masquerade), the common case, where RFC 6887 would use the mapping for
  // all outbound traffic too. An existing endpoint-independent mapping
  // keeps its port (RFC 6887 section 11.3: the implicit mapping becomes the explicit
  // one); a new one gets `suggested_port` when that is free (RFC 6887 section
  // 11.3 and miniupnpd honour a suggestion they can grant), else is allocated as
  // any other. lifetime <= 0 deletes the mapping and returns an unset endpoint.
  // Errors: kDropBlocked (the transport is blocked), kDropNoPublicIp,
  // kDropPortExhausted. In 1:1 mode the host's binding is the mapping.
  Result<Endpoint, Verdict> map_port(Time now, Transport transport, Endpoint internal, Duration lifetime,
                                     std::uint16_t suggested_port = 0);

  // NAT reboot: every mapping, port, block, unsolicited tuple and dynamic 1:1
  // binding is forgotten, sequential counters restart from a new random point.
  // Counters are kept.
  void flush();
  // New public addresses (DHCP renew, PPPoE reconnect): as flush(), then the new
  // set is used. Packets to an old address get kDropNotForNat.
  void change_public_ips(std::vector<Ipv4> public_ips);

  // Sweeps mappings and unsolicited tuples expired at `now` (every other entry
  // point does this too).
  void expire(Time now);
  // When the earliest live mapping or unsolicited tuple expires; nullopt when there
  // is none.
  std::optional<Time> next_expiry() const;

  bool owns_public_ip(Ipv4 ip) const;
  const std::vector<Ipv4>& public_ips() const { return public_ips_; }
  const NatConfig& config() const { return config_; }
  // Live mappings at `now`, superseded ones included (1:1 mode: bound addresses).
  std::size_t mapping_count(Time now) const;
  // Live mappings at `now`, soonest-expiring first, superseded ones included and
  // flagged (empty in 1:1 mode).
  std::vector<MappingInfo> mappings(Time now) const;
  // The public endpoint a packet from `internal` to `remote` would leave with now,
  // if a live mapping would carry it: the mapping that has a live session with
  // `remote` (an older one, when the internal endpoint has moved on since), else the
  // current mapping a new flow would start on. nullopt when the packet would create
  // a mapping: none is live, or an unsolicited tuple (remote -> current public
  // endpoint) would push the new flow to a port not chosen yet. Does not create or
  // refresh anything.
  std::optional<Endpoint> find_public_endpoint(Transport transport, Endpoint internal, Endpoint remote,
                                               Time now) const;
  // Unsolicited inbound tuples live at `now` (always 0 unless
  // unsolicited_inbound_claims_tuple).
  std::size_t unsolicited_tuple_count(Time now) const;
  const NatCounters& counters() const { return counters_; }

 private:
  struct HostState {
    Ipv4 public_ip;                  // the paired address
    std::optional<PortRange> block;  // CGNAT port block
    std::uint32_t mappings = 0;
  };

  Verdict outbound_impl(Time now, PacketHeader& packet);
  Verdict outbound_napt(Time now, PacketHeader& packet, bool to_self);
  Verdict outbound_one_to_one(PacketHeader& packet, bool to_self);
  Verdict inbound_impl(Time now, PacketHeader& packet);
  // The inbound half shared by inbound() and hairpinning; `hairpin` skips the
  // firewall's replies-only rule, as the packet never left the device.
  Verdict inbound_napt(Time now, PacketHeader& packet, bool hairpin);
  Verdict inbound_one_to_one(PacketHeader& packet);
  Verdict icmp_impl(Time now, PacketHeader& embedded);

  Mapping* mapping_towards(const MappingKey& key, Endpoint remote, Time now);
  bool reply_tuple_claimed(Transport transport, Endpoint public_endpoint, Endpoint remote, Time now) const;
  void remember_unsolicited(Time now, const PacketHeader& packet);
  // `destination`: the flow's remote, whose unsolicited tuples rule out ports.
  // preferred_port: non-zero asks for that port first (a port mapping's suggestion).
  Result<Mapping*, Verdict> create_mapping(Time now, const MappingKey& key, Endpoint destination,
                                           std::uint16_t preferred_port = 0);
  std::optional<std::uint16_t> allocate_port(Time now, Transport transport, Ipv4 ip, PortRange range,
                                             std::uint16_t internal_port, Endpoint destination,
                                             const AllocationPolicy& policy);
  std::vector<Ipv4> candidate_ips(Ipv4 host, RandomSource& rng);
  RandomSource& rng_for(Transport transport) { return transport == Transport::kTcp && tcp_rng_ ? *tcp_rng_ : rng_; }
  void release(const Mapping& m);
  Session& touch_session(Mapping& m, Endpoint remote, Time now);
  void track_tcp(Mapping& m, Endpoint remote, TcpFlags flags, Direction dir, Time now);
  void refresh_tcp_expiry(Mapping& m, Time now);
  Duration udp_lifetime(bool replied) const;
  PortRange whole_range() const { return PortRange{config_.port_min, config_.port_max}; }
  std::optional<std::size_t> public_index(Ipv4 ip) const;
  void set_public_ips(std::vector<Ipv4> public_ips);

  NatConfig config_;
  std::vector<Ipv4> public_ips_;
  RandomSource& rng_;
  RandomSource* tcp_rng_ = nullptr;
  MappingTable table_;
  UnsolicitedTupleTable unsolicited_;
  PortAllocator ports_;
  std::unordered_map<Ipv4, HostState> hosts_;  // internal IPs holding a mapping
  OneToOneTable one_to_one_;
  NatCounters counters_;
};

}  // namespace yt::nat
