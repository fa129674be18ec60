#include "nat-models/nat_model.h"

#include <algorithm>
#include <utility>

#include "nat-models/filtering.h"
#include "nat-models/firewall.h"

namespace yt::nat {
namespace {

// Below this many sessions a mapping is not pruned on insert: scanning a handful of
// entries on every new remote would cost more than the memory it saves. Above it,
// the next prune waits until the map has doubled since the last one, so a mapping
// that talks to many live remotes (the peer of a birthday probe sends to 1,024
// ports of one address) costs amortized O(1) per new remote, not a scan of all.
constexpr std::size_t kSessionPruneThreshold = 16;

std::size_t slot(Verdict v) { return static_cast<std::size_t>(v); }

Session fresh_session(Time now) {
  Session s;
  s.expires = now;
  return s;
}

}  // namespace

NatModel::NatModel(NatConfig config, std::vector<Ipv4> public_ips, RandomSource& rng, RandomSource* tcp_rng)
    : config_(normalized(std::move(config))),
      rng_(rng),
      tcp_rng_(tcp_rng),
      table_(config_.expired_memory),
      unsolicited_(config_.max_unsolicited_tuples) {
  set_public_ips(std::move(public_ips));
}

void NatModel::set_public_ips(std::vector<Ipv4> public_ips) {
  public_ips_.clear();
  for (Ipv4 ip : public_ips) {
    if (std::find(public_ips_.begin(), public_ips_.end(), ip) == public_ips_.end()) public_ips_.push_back(ip);
  }
  one_to_one_.reset(public_ips_.size(), config_.one_to_one_hosts);
}

// --- Entry points -----------------------------------------------------------------

Verdict NatModel::outbound(Time now, PacketHeader& packet) {
  const Verdict v = outbound_impl(now, packet);
  ++counters_.outbound[slot(v)];
  return v;
}

Verdict NatModel::inbound(Time now, PacketHeader& packet) {
  const Verdict v = inbound_impl(now, packet);
  ++counters_.inbound[slot(v)];
  return v;
}

Verdict NatModel::inbound_icmp_error(Time now, PacketHeader& embedded) {
  const Verdict v = icmp_impl(now, embedded);
  ++counters_.icmp[slot(v)];
  return v;
}

Verdict NatModel::outbound_impl(Time now, PacketHeader& packet) {
  expire(now);
  if (!outbound_allowed(config_, packet)) return Verdict::kDropBlocked;
  if (public_ips_.empty()) return Verdict::kDropNoPublicIp;
  const bool to_self = owns_public_ip(packet.dst.ip);
  if (to_self && !config_.hairpinning) return Verdict::kDropNoHairpin;
  return config_.mode == NatMode::kOneToOne ? outbound_one_to_one(packet, to_self)
                                            : outbound_napt(now, packet, to_self);
}

Verdict NatModel::inbound_impl(Time now, PacketHeader& packet) {
  expire(now);
  if (!owns_public_ip(packet.dst.ip)) return Verdict::kDropNotForNat;
  if (!transport_allowed(config_, packet.transport)) return Verdict::kDropBlocked;
  if (config_.mode == NatMode::kOneToOne) return inbound_one_to_one(packet);
  const Verdict v = inbound_napt(now, packet, false);
  // For UDP every drop on this path means no mapping matched or its filter said no:
  // the packets conntrack keeps an entry for.
  if (v != Verdict::kForward) remember_unsolicited(now, packet);
  return v;
}

Verdict NatModel::icmp_impl(Time now, PacketHeader& embedded) {
  expire(now);
  if (!owns_public_ip(embedded.src.ip)) return Verdict::kDropNotForNat;
  if (!transport_allowed(config_, embedded.transport)) return Verdict::kDropBlocked;
  if (config_.mode == NatMode::kOneToOne) {
    const auto host = one_to_one_.host_at(*public_index(embedded.src.ip));
    if (!host) return Verdict::kDropNoMapping;
    embedded.src.ip = *host;
    return Verdict::kForward;
  }
  const Mapping* m = table_.find_public(embedded.transport, embedded.src);
  if (!m) {
    return table_.recently_expired(embedded.transport, embedded.src) ? Verdict::kDropExpired
                                                                     : Verdict::kDropNoMapping;
  }
  // Only errors about traffic this mapping really sent are believed; anything else
  // is noise or an attack on the mapping.
  if (!m->live_session(embedded.dst, now)) return Verdict::kDropFiltered;
  embedded.src = m->internal();
  return Verdict::kForward;
}

// --- NAPT -------------------------------------------------------------------------

Verdict NatModel::outbound_napt(Time now, PacketHeader& packet, bool to_self) {
  MappingKey key = make_mapping_key(config_.mapping, packet.transport, packet.src, packet.dst);
  if (config_.mapping != MappingBehavior::kEndpointIndependent) {
    // Replies to remotes that came in through a port mapping leave through it (a
    // conntrack entry of the DNAT); everything else as the NAT maps it (map_port).
    const MappingKey mapped{packet.transport, packet.src, Endpoint{}};
    if (Mapping* pm = table_.find(mapped); pm && pm->port_mapped && pm->live_session(packet.dst, now)) key = mapped;
  }
  Mapping* m = mapping_towards(key, packet.dst, now);
  if (packet.transport == Transport::kTcp) {
    const bool tracked = m && m->live_session(packet.dst, now);
    // A stray RST never deserves new state; other non-SYNs only with loose pickup.
    if (!tracked && !packet.tcp.syn && (packet.tcp.rst || !config_.tcp_loose_pickup)) {
      return Verdict::kDropTcpState;
    }
  }
  if (m && !m->live_session(packet.dst, now) &&
      reply_tuple_claimed(packet.transport, m->public_endpoint, packet.dst, now)) {
    ++counters_.tuple_clashes;
    m = nullptr;  // the new mapping supersedes the key's current one
  }
  if (!m) {
    auto created = create_mapping(now, key, packet.dst);
    if (!created) return created.error();
    m = *created;
  }

  if (packet.transport == Transport::kTcp) {
    track_tcp(*m, packet.dst, packet.tcp, Direction::kOutbound, now);
  } else {
    Session& s = touch_session(*m, packet.dst, now);
    s.expires = std::max(s.expires, now + udp_lifetime(s.replied));
    table_.set_expiry(*m, std::max(m->expires, now + udp_lifetime(m->replied)));
  }

  PacketHeader out = packet;
  out.src = m->public_endpoint;
  if (!to_self) {
    packet = out;
    return Verdict::kForward;
  }
  const Verdict v = inbound_napt(now, out, true);
  if (v != Verdict::kForward) return v;
  packet = out;
  return Verdict::kHairpin;
}

Verdict NatModel::inbound_napt(Time now, PacketHeader& packet, bool hairpin) {
  Mapping* m = table_.find_public(packet.transport, packet.dst);
  if (!m) {
    return table_.recently_expired(packet.transport, packet.dst) ? Verdict::kDropExpired
                                                                 : Verdict::kDropNoMapping;
  }
  const bool tcp = packet.transport == Transport::kTcp;
  if (tcp && !hairpin && !m->port_mapped && inbound_tcp_replies_only(config_) && !m->live_session(packet.src, now)) {
    return Verdict::kDropBlocked;
  }
  if (!m->port_mapped && !filter_allows(config_.filtering, *m, packet.src, now)) return Verdict::kDropFiltered;

  if (tcp) {
    if (!m->live_session(packet.src, now) && !packet.tcp.syn &&
        (packet.tcp.rst || !config_.tcp_loose_pickup)) {
      return Verdict::kDropTcpState;
    }
    track_tcp(*m, packet.src, packet.tcp, Direction::kInbound, now);
    m->replied = true;
  } else {
    m->replied = true;
    // Through a port mapping every remote is let in, and its replies go back the
    // same way: the remote becomes a session here, as conntrack records the flow.
    if (m->port_mapped && !hairpin) {
      Session& through = touch_session(*m, packet.src, now);
      through.expires = std::max(through.expires, now + udp_lifetime(true));
    }
    Session* s = m->live_session(packet.src, now);
    if (s) s->replied = true;
    if (config_.inbound_refresh) {
      const Time until = now + udp_lifetime(true);
      if (s) s->expires = std::max(s->expires, until);
      table_.set_expiry(*m, std::max(m->expires, until));
    }
  }
  packet.dst = m->internal();
  return Verdict::kForward;
}

// A remote the inside already talks to stays on the mapping its flow started on, as
// a conntrack entry keeps its translation; any other remote starts on the key's
// newest mapping. Without unsolicited tuples a key has one mapping and this is find().
Mapping* NatModel::mapping_towards(const MappingKey& key, Endpoint remote, Time now) {
  Mapping* m = table_.find_with_session(key, remote, now);
  return m ? m : table_.find(key);
}

// netfilter refuses a translation whose reply tuple (remote -> public endpoint) is
// already a conntrack entry; here that entry can only be an unsolicited packet's,
// since a flow of our own to that remote would be a live session.
bool NatModel::reply_tuple_claimed(Transport transport, Endpoint public_endpoint, Endpoint remote,
                                   Time now) const {
  return config_.unsolicited_inbound_claims_tuple && transport == Transport::kUdp &&
         unsolicited_.contains(transport, public_endpoint, remote, now);
}

void NatModel::remember_unsolicited(Time now, const PacketHeader& packet) {
  if (!config_.unsolicited_inbound_claims_tuple || packet.transport != Transport::kUdp) return;
  // No reply ever comes for such an entry, so the unreplied timer is the one that runs.
  unsolicited_.record(packet.transport, packet.dst, packet.src, now + config_.udp_unreplied_lifetime);
}

Result<Mapping*, Verdict> NatModel::create_mapping(Time now, const MappingKey& key, Endpoint destination,
                                                  std::uint16_t preferred_port) {
  if (config_.max_mappings > 0 && table_.size() >= config_.max_mappings) {
    return Err{Verdict::kDropPortExhausted};
  }
  const Ipv4 host = key.internal.ip;
  auto existing = hosts_.find(host);
  AllocationPolicy policy{config_.allocation, config_.preserve_fallback, config_.sequential_delta,
                          config_.preserve_parity};
  if (preferred_port != 0) policy.strategy = PortAllocation::kPreserve;
  const std::uint16_t port_hint = preferred_port != 0 ? preferred_port : key.internal.port;
  const PortRange whole = whole_range();

  RandomSource& rng = rng_for(key.transport);
  for (Ipv4 ip : candidate_ips(host, rng)) {
    PortRange range = whole;
    std::optional<PortRange> new_block;
    if (config_.port_block_size > 0) {
      if (existing != hosts_.end() && existing->second.block) {
        range = *existing->second.block;
      } else {
        new_block = ports_.allocate_block(ip, whole, config_.port_block_size, rng);
        if (!new_block) continue;
        range = *new_block;
      }
    }
    const auto port = allocate_port(now, key.transport, ip, range, port_hint, destination, policy);
    if (!port) {
      if (new_block) ports_.release_block(ip, whole, *new_block);
      continue;
    }
    HostState& hs = hosts_[host];
    if (hs.mappings == 0) hs.public_ip = ip;
    if (new_block) hs.block = new_block;
    ++hs.mappings;
    ++counters_.mappings_created;
    // The caller sets the real expiry as it records the packet that created it.
    return &table_.insert(key, Endpoint{ip, *port}, now, now);
  }
  return Err{Verdict::kDropPortExhausted};
}

// Linux checks each candidate's reply tuple and moves on when it is taken. Ports
// passed over are held during the search so the allocator offers others, then
// freed: the unsolicited entry claims one tuple, not the port.
std::optional<std::uint16_t> NatModel::allocate_port(Time now, Transport transport, Ipv4 ip, PortRange range,
                                                     std::uint16_t internal_port, Endpoint destination,
                                                     const AllocationPolicy& policy) {
  std::vector<std::uint16_t> passed_over;
  auto port = ports_.allocate(transport, ip, range, internal_port, policy, rng_for(transport));
  while (port && reply_tuple_claimed(transport, Endpoint{ip, *port}, destination, now)) {
    ++counters_.tuple_clashes;
    passed_over.push_back(*port);
    port = ports_.allocate(transport, ip, range, internal_port, policy, rng_for(transport));
  }
  for (std::uint16_t p : passed_over) ports_.release(transport, ip, p);
  return port;
}

std::vector<Ipv4> NatModel::candidate_ips(Ipv4 host, RandomSource& rng) {
  auto existing = hosts_.find(host);
  if (config_.pooling == PoolingBehavior::kPaired) {
    // Paired: a host holding mappings stays on its address, full or not.
    if (existing != hosts_.end()) return {existing->second.public_ip};
    // A new host goes to the address serving the fewest hosts: deterministic and
    // spreads subscribers as a CGN would.
    std::vector<std::pair<std::size_t, std::size_t>> load;  // (hosts, index)
    for (std::size_t i = 0; i < public_ips_.size(); ++i) load.emplace_back(0, i);
    for (const auto& entry : hosts_) {
      if (auto i = public_index(entry.second.public_ip)) ++load[*i].first;
    }
    std::stable_sort(load.begin(), load.end());
    std::vector<Ipv4> out;
    for (const auto& l : load) out.push_back(public_ips_[l.second]);
    return out;
  }
  // Arbitrary: a random address per mapping, the others as fallbacks when full.
  std::vector<Ipv4> out;
  const std::size_t start = rng.uniform(static_cast<std::uint32_t>(public_ips_.size()));
  for (std::size_t i = 0; i < public_ips_.size(); ++i)
    out.push_back(public_ips_[(start + i) % public_ips_.size()]);
  return out;
}

void NatModel::release(const Mapping& m) {
  ports_.release(m.transport(), m.public_endpoint.ip, m.public_endpoint.port);
  auto host = hosts_.find(m.internal().ip);
  if (host == hosts_.end()) return;
  if (--host->second.mappings == 0) {
    if (host->second.block) ports_.release_block(host->second.public_ip, whole_range(), *host->second.block);
    hosts_.erase(host);
  }
}

Session& NatModel::touch_session(Mapping& m, Endpoint remote, Time now) {
  auto it = m.sessions.find(remote);
  if (it != m.sessions.end()) {
    if (it->second.expires <= now) it->second = fresh_session(now);  // a new flow, not a resumed one
    return it->second;
  }
  if (m.sessions.size() >= std::max(kSessionPruneThreshold, m.prune_at) ||
      m.sessions.size() >= config_.max_sessions_per_mapping) {
    for (auto s = m.sessions.begin(); s != m.sessions.end();) {
      s = s->second.expires <= now ? m.sessions.erase(s) : std::next(s);
    }
    m.prune_at = 2 * m.sessions.size();
  }
  if (m.sessions.size() >= config_.max_sessions_per_mapping) {
    auto victim = std::min_element(m.sessions.begin(), m.sessions.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    m.sessions.erase(victim);
  }
  return m.sessions.emplace(remote, fresh_session(now)).first->second;
}

void NatModel::track_tcp(Mapping& m, Endpoint remote, TcpFlags flags, Direction dir, Time now) {
  Session* s = m.live_session(remote, now);
  if (s) {
    s->tcp = tcp_advance(s->tcp, flags, dir);
  } else {
    s = &touch_session(m, remote, now);
    s->tcp = tcp_start(flags, dir);
  }
  if (dir == Direction::kInbound) s->replied = true;
  s->expires =
      now + tcp_timeout(s->tcp.state, config_.tcp_transitory_timeout, config_.tcp_established_timeout);
  refresh_tcp_expiry(m, now);
}

void NatModel::refresh_tcp_expiry(Mapping& m, Time now) {
  // RFC 5382: a TCP mapping lives as long as any of its connections; a connection
  // moving to the closing timer can therefore shorten it.
  Time until = now;
  for (auto s = m.sessions.begin(); s != m.sessions.end();) {
    if (s->second.expires <= now) {
      s = m.sessions.erase(s);
    } else {
      until = std::max(until, s->second.expires);
      ++s;
    }
  }
  table_.set_expiry(m, until);
}

Duration NatModel::udp_lifetime(bool replied) const {
  return replied ? config_.udp_mapping_lifetime : config_.udp_unreplied_lifetime;
}

// --- One-to-one -------------------------------------------------------------------

Verdict NatModel::outbound_one_to_one(PacketHeader& packet, bool to_self) {
  const auto k = one_to_one_.bind(packet.src.ip);
  if (!k) return Verdict::kDropPortExhausted;
  PacketHeader out = packet;
  out.src.ip = public_ips_[*k];
  if (to_self) {
    const auto host = one_to_one_.host_at(*public_index(packet.dst.ip));
    if (!host) return Verdict::kDropNoMapping;
    out.dst.ip = *host;
  }
  packet = out;
  return to_self ? Verdict::kHairpin : Verdict::kForward;
}

Verdict NatModel::inbound_one_to_one(PacketHeader& packet) {
  const auto host = one_to_one_.host_at(*public_index(packet.dst.ip));
  if (!host) return Verdict::kDropNoMapping;
  packet.dst.ip = *host;
  return Verdict::kForward;
}

// --- Port mapping -------------------------------------------------------------------

Result<Endpoint, Verdict> NatModel::map_port(Time now, Transport transport, Endpoint internal, Duration lifetime,
                                             std::uint16_t suggested_port) {
  expire(now);
  if (!transport_allowed(config_, transport)) return Err{Verdict::kDropBlocked};
  if (public_ips_.empty()) return Err{Verdict::kDropNoPublicIp};
  if (config_.mode == NatMode::kOneToOne) {
    if (lifetime <= Duration(0)) return Endpoint{};
    const auto k = one_to_one_.bind(internal.ip);
    if (!k) return Err{Verdict::kDropPortExhausted};
    return Endpoint{public_ips_[*k], internal.port};
  }
  const MappingKey key{transport, internal, Endpoint{}};
  Mapping* m = table_.find(key);
  if (lifetime <= Duration(0)) {
    if (m && m->port_mapped) {
      m->port_mapped = false;
      table_.set_expiry(*m, now);
      expire(now);
    }
    return Endpoint{};
  }
  if (!m) {
    auto created = create_mapping(now, key, Endpoint{}, suggested_port);
    if (!created) return Err{created.error()};
    m = *created;
  }
  m->port_mapped = true;
  // The granted lifetime, not the longer of it and the current one: a renewal may
  // shorten a mapping (RFC 6887 section 15).
  table_.set_expiry(*m, now + std::min(lifetime, config_.port_mapping_max_lifetime));
  return m->public_endpoint;
}

// --- Events and queries -------------------------------------------------------------

void NatModel::flush() {
  counters_.mappings_flushed += table_.clear().size();
  unsolicited_.clear();
  ports_.clear();
  hosts_.clear();
  one_to_one_.reset(public_ips_.size(), config_.one_to_one_hosts);
}

void NatModel::change_public_ips(std::vector<Ipv4> public_ips) {
  flush();
  set_public_ips(std::move(public_ips));
}

void NatModel::expire(Time now) {
  for (const Mapping& m : table_.expire(now)) {
    release(m);
    ++counters_.mappings_expired;
  }
  unsolicited_.expire(now);
}

std::optional<Time> NatModel::next_expiry() const {
  const auto mapping = table_.next_expiry();
  const auto tuple = unsolicited_.next_expiry();
  if (!mapping || !tuple) return mapping ? mapping : tuple;
  return std::min(*mapping, *tuple);
}

bool NatModel::owns_public_ip(Ipv4 ip) const { return public_index(ip).has_value(); }

std::optional<std::size_t> NatModel::public_index(Ipv4 ip) const {
  for (std::size_t i = 0; i < public_ips_.size(); ++i) {
    if (public_ips_[i] == ip) return i;
  }
  return std::nullopt;
}

std::size_t NatModel::mapping_count(Time now) const {
  return config_.mode == NatMode::kOneToOne ? one_to_one_.bound_count() : table_.live_count(now);
}

std::vector<MappingInfo> NatModel::mappings(Time now) const {
  std::vector<MappingInfo> out;
  table_.for_each([&](const Mapping& m) {
    if (m.expires <= now) return;
    out.push_back(MappingInfo{m.transport(), m.internal(), m.public_endpoint, m.key.remote, m.created,
                              m.expires, m.sessions.size(), table_.superseded(m, now)});
  });
  return out;
}

std::optional<Endpoint> NatModel::find_public_endpoint(Transport transport, Endpoint internal,
                                                       Endpoint remote, Time now) const {
  if (config_.mode == NatMode::kOneToOne) {
    const auto k = one_to_one_.find(internal.ip);
    if (!k) return std::nullopt;
    return Endpoint{public_ips_[*k], internal.port};
  }
  const MappingKey key = make_mapping_key(config_.mapping, transport, internal, remote);
  if (const Mapping* m = table_.find_with_session(key, remote, now)) return m->public_endpoint;
  // What outbound() would pick after sweeping: the newest mapping still live.
  const Mapping* m = table_.find_live(key, now);
  if (!m || reply_tuple_claimed(transport, m->public_endpoint, remote, now)) return std::nullopt;
  return m->public_endpoint;
}

std::size_t NatModel::unsolicited_tuple_count(Time now) const { return unsolicited_.live_count(now); }

}  // namespace yt::nat
