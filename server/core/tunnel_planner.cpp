#include "server/core/tunnel_planner.h"

#include <algorithm>

namespace yt {
namespace {

class CandidateList {
 public:
  void add(Endpoint e) {
    if (e.is_unset() || out_.size() >= kMaxCandidates) return;
    if (std::find(out_.begin(), out_.end(), e) == out_.end()) out_.push_back(e);
  }
  std::vector<Endpoint> take() { return std::move(out_); }

 private:
  std::vector<Endpoint> out_;
};

bool predictable(const NatProfile& p) {
  return p.behind_nat && p.mapping != MappingBehavior::kEndpointIndependent &&
         p.allocation == PortAllocation::kSequential && p.port_delta != 0;
}

// Receptive by its NAT profile, or by a trusted port mapping when that technique is on.
bool side_receptive(const TunnelSide& side, const PlanOptions& options) {
  return receptive(side.profile) || (options.port_mapping && port_mapping_trusted(side));
}

std::vector<Endpoint> server_driven_candidates(const TunnelSide& self, const TunnelSide& peer,
                                               const PlanOptions& options) {
  const std::size_t prediction_window = options.prediction_window;
  CandidateList out;
  bool same_public_ip = self.mapped && peer.mapped && self.mapped->ip == peer.mapped->ip;
  if (same_public_ip && options.lan_candidates) {
    for (Endpoint e : peer.lan_endpoints) out.add(e);
  }
  // First of the public candidates (the LAN ones are better where they apply).
  if (options.port_mapping && peer.port_mapping.protocol != PortMappingProtocol::kNone &&
      (port_mapping_trusted(peer) || same_public_ip)) {
    out.add(peer.port_mapping.external);
  }
  std::vector<Endpoint> predicted = same_public_ip ? std::vector<Endpoint>{}
                                                   : predicted_endpoints(peer, prediction_window);
  for (Endpoint e : predicted) out.add(e);
  bool mapped_useful = predicted.empty() || !peer.profile.mapping_known;
  if (peer.mapped && mapped_useful) out.add(*peer.mapped);
  return out.take();
}

std::uint32_t whole_ms(Duration d) {
  std::int64_t ms = to_ms(d);
  return ms < 0 ? 0 : static_cast<std::uint32_t>(std::min<std::int64_t>(ms, UINT32_MAX));
}

// This side's part in birthday probing, if the pair calls for it (tunnel_planner.h, 4.).
BirthdayPlan birthday_for(const TunnelSide& self, const TunnelSide& peer, const PlanOptions& plan_options,
                          std::uint8_t ttl) {
  const BirthdayOptions& options = plan_options.birthday;
  BirthdayPlan plan;
  // A trusted mapping on either side makes the pair's first probe get in.
  if (plan_options.port_mapping && (port_mapping_trusted(self) || port_mapping_trusted(peer))) return plan;
  if (!options.enabled || !self.mapped || !peer.mapped || self.mapped->ip == peer.mapped->ip) return plan;
  if (options.sockets == 0 || options.probes == 0 || options.rate_pps == 0) return plan;
  plan.rate_pps = options.rate_pps;
  if (random_per_destination(self.profile) && one_mapping_for_all(peer.profile) && !receptive(peer.profile)) {
    plan.role = BirthdayRole::kOpenPorts;
    plan.count = std::min(options.sockets, kMaxBirthdayCount);
    plan.target = *peer.mapped;
    plan.ttl = ttl;
  } else if (random_per_destination(peer.profile) && one_mapping_for_all(self.profile) && !receptive(self.profile)) {
    plan.role = BirthdayRole::kProbePorts;
    plan.count = std::min(options.probes, kMaxBirthdayCount);
    plan.target = Endpoint{peer.mapped->ip, 0};
    // Probes start once the other side has opened its mappings (at the same pace),
    // plus a margin for the two instructions' different delivery times.
    const std::uint32_t open_ms = 1000u * std::min(options.sockets, kMaxBirthdayCount) / options.rate_pps;
    plan.after_ms = static_cast<std::uint16_t>(std::min<std::uint32_t>(open_ms + 250, 60000));
  }
  return plan;
}

// When a side starts punching, from the instruction (server-driven strategy).
Duration start_of(const TunnelSide& self, const TunnelSide& peer, const PlanOptions& options) {
  Duration start = options.lead;
  if (side_receptive(self, options) && !side_receptive(peer, options)) start += options.follower_delay;
  return start;
}

// This side's TCP punch, if the pair calls for it (tunnel_planner.h, 5.). after_ms
// counts from this side's start, which may differ from the peer's (a receptive
// side starts later): the second side waits `follow` past the first side's start.
// 5., a side listening behind a trusted TCP port mapping: the other connects to it.
std::optional<TcpPunchPlan> tcp_to_listener(const TunnelSide& self, const TunnelSide& peer,
                                            const PlanOptions& plan_options) {
  if (!plan_options.port_mapping) return std::nullopt;
  const bool self_listens = tcp_port_mapping_trusted(self);
  const bool peer_listens = tcp_port_mapping_trusted(peer);
  if (!self_listens && !peer_listens) return std::nullopt;
  const bool self_connects = peer_listens && (!self_listens || self.key < peer.key);
  TcpPunchPlan plan;
  if (self_connects) {
    // Our connection leaves from our punch port, which the server knows only
    // through our mapping probe: without one we have no TCP to offer.
    if (!self.tcp_mapped) return std::nullopt;
    plan.target = peer.tcp_port_mapping.external;
    // `follow` after the listener's start, so that its plan awaits us.
    const Duration at =
        start_of(peer, self, plan_options) + plan_options.tcp.follow - start_of(self, peer, plan_options);
    plan.after_ms = static_cast<std::uint16_t>(std::clamp<std::int64_t>(to_ms(at), 0, 60000));
    return plan;
  }
  // We listen: the peer's connection comes from its public address.
  if (!peer.tcp_mapped) return std::nullopt;  // it cannot connect (see above)
  plan.accept = true;
  plan.target = *peer.tcp_mapped;
  return plan;
}

TcpPunchPlan tcp_for(const TunnelSide& self, const TunnelSide& peer, const PlanOptions& plan_options) {
  const TcpPunchOptions& options = plan_options.tcp;
  TcpPunchPlan plan;
  if (!options.enabled) return plan;
  const bool udp_failed = options.udp_failed && one_mapping_for_all(self.profile) && one_mapping_for_all(peer.profile);
  if (!self.profile.udp_blocked && !peer.profile.udp_blocked && !udp_failed) return plan;  // UDP first
  const auto public_ip = [](const TunnelSide& side) {
    return side.tcp_mapped ? std::optional<Ipv4>(side.tcp_mapped->ip)
                           : side.mapped ? std::optional<Ipv4>(side.mapped->ip) : std::nullopt;
  };
  if (public_ip(self) && public_ip(self) == public_ip(peer)) return plan;  // one NAT: the LAN is the way
  if (std::optional<TcpPunchPlan> to_listener = tcp_to_listener(self, peer, plan_options)) return *to_listener;
  if (!self.tcp_mapped || !peer.tcp_mapped) return plan;
  // The side whose peer filters goes first (its SYN dies there); of two filtering
  // sides, the initiator.
  const bool self_first = self.profile.udp_blocked == peer.profile.udp_blocked ? self.key < peer.key
                                                                               : peer.profile.udp_blocked;
  plan.target = *peer.tcp_mapped;
  if (!self_first) {
    const Duration at = start_of(peer, self, plan_options) + options.follow - start_of(self, peer, plan_options);
    plan.after_ms = static_cast<std::uint16_t>(std::clamp<std::int64_t>(to_ms(at), 0, 60000));
  }
  return plan;
}

TunnelInstruction instruction_for(const TunnelSide& self, const TunnelSide& peer, std::uint64_t tunnel_id,
                                  const PlanOptions& options) {
  TunnelInstruction t;
  t.peer = peer.key;
  t.peer_virtual_ip = peer.virtual_ip;
  t.tunnel_id = tunnel_id;
  t.role = self.key < peer.key ? TunnelRole::kInitiator : TunnelRole::kResponder;
  if (options.strategy == PunchStrategy::kNaive) {
    t.start_delay_ms = 0;
    if (peer.mapped) t.candidates.push_back(*peer.mapped);
    return t;
  }
  const bool self_receptive = side_receptive(self, options);
  const bool peer_receptive = side_receptive(peer, options);
  t.start_delay_ms = whole_ms(start_of(self, peer, options));
  if (!self_receptive && !peer_receptive) t.prepunch_ttl = options.prepunch_ttl;
  t.candidates = server_driven_candidates(self, peer, options);
  t.birthday = birthday_for(self, peer, options, options.prepunch_ttl);
  t.tcp = tcp_for(self, peer, options);
  return t;
}

}  // namespace

bool in_shared_address_space(Ipv4 ip) { return (ip.value & 0xffc00000u) == 0x64400000u; }

bool port_mapping_trusted(const TunnelSide& side) {
  const PortMappingOffer& m = side.port_mapping;
  return m.protocol != PortMappingProtocol::kNone && side.mapped && m.external.ip == side.mapped->ip &&
         !in_shared_address_space(m.external.ip);
}

bool tcp_port_mapping_trusted(const TunnelSide& side) {
  const PortMappingOffer& m = side.tcp_port_mapping;
  if (m.protocol == PortMappingProtocol::kNone || in_shared_address_space(m.external.ip)) return false;
  return (side.mapped && m.external.ip == side.mapped->ip) || (side.tcp_mapped && m.external.ip == side.tcp_mapped->ip);
}

bool random_per_destination(const NatProfile& p) {
  return p.behind_nat && !p.udp_blocked && p.mapping_known && p.mapping != MappingBehavior::kEndpointIndependent &&
         p.allocation == PortAllocation::kRandom;
}

bool one_mapping_for_all(const NatProfile& p) {
  return !p.udp_blocked && (!p.behind_nat || (p.mapping_known && p.mapping == MappingBehavior::kEndpointIndependent));
}

bool receptive(const NatProfile& p) {
  if (p.udp_blocked) return false;
  if (!p.filtering_known) return !p.behind_nat;
  return p.filtering == FilteringBehavior::kEndpointIndependent &&
         (!p.behind_nat || (p.mapping_known && p.mapping == MappingBehavior::kEndpointIndependent));
}

std::vector<Endpoint> predicted_endpoints(const TunnelSide& side, std::size_t count) {
  std::vector<Endpoint> out;
  std::optional<Endpoint> base = side.newest_mapping ? side.newest_mapping : side.mapped;
  if (!base || !predictable(side.profile)) return out;
  // Discovery's last probe goes to the client's own mapped endpoint (hairpin test).
  // A NAT that hairpins made a mapping for it the server never saw; one that does
  // not drops it before allocating a port (as nat-models does; real devices vary,
  // which the window absorbs when the peer is a cone).
  const std::int64_t unseen = side.profile.hairpinning && !side.fresh_base ? 1 : 0;
  const std::int64_t delta = side.profile.port_delta;
  for (std::size_t k = 0; k < count; ++k) {
    std::int64_t port = base->port + delta * (unseen + 1 + static_cast<std::int64_t>(k));
    if (port < 1 || port > 65535) break;  // NATs do not wrap into other ranges predictably
    out.push_back(Endpoint{base->ip, static_cast<std::uint16_t>(port)});
  }
  return out;
}

TunnelPlan plan_tunnel(const TunnelSide& a, const TunnelSide& b, std::uint64_t tunnel_id, const PlanOptions& options) {
  return TunnelPlan{instruction_for(a, b, tunnel_id, options), instruction_for(b, a, tunnel_id, options)};
}

}  // namespace yt
