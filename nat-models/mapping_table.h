// The NAT's translation state: mappings (internal endpoint [+ remote part] <->
// public endpoint), each with the remote endpoints it has talked to (sessions: the
// filter state and, for TCP, connection tracking). Indexed three ways: by mapping
// key (outbound lookup), by public endpoint (inbound lookup) and by expiry time
// (sweeping, next_expiry()). Policy (what a key is, how long things live, when a key
// needs another mapping) belongs to NatModel; this file only keeps the indexes
// consistent.
//
// A key usually has one mapping. With NatConfig::unsolicited_inbound_claims_tuple a
// key can gain newer ones; the newest is its *current* mapping (new flows start
// there) and the older ones are *superseded*: still found by public endpoint, still
// serving the remotes they have live sessions with, expiring on their own timers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nat-models/packet.h"
#include "nat-models/tcp_state.h"
#include "protocol/endpoint.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt::nat {

// What decides whether two outbound flows share a mapping (RFC 4787 section 4.1):
// the internal endpoint plus the part of the destination that the mapping
// behaviour looks at (nothing for EIM, the IP for ADM, IP and port for APDM).
struct MappingKey {
  Transport transport = Transport::kUdp;
  Endpoint internal;
  Endpoint remote;  // zeroed where the mapping behaviour ignores it

  friend bool operator==(const MappingKey& a, const MappingKey& b) {
    return a.transport == b.transport && a.internal == b.internal && a.remote == b.remote;
  }
};

MappingKey make_mapping_key(MappingBehavior behavior, Transport transport, Endpoint internal,
                            Endpoint destination);

struct MappingKeyHash {
  std::size_t operator()(const MappingKey& k) const noexcept;
};

// One remote endpoint a mapping has exchanged packets with.
struct Session {
  Time expires;
  bool replied = false;  // an inbound packet from this remote has passed
  TcpTrack tcp;          // TCP only
};

using MappingId = std::uint64_t;

struct Mapping {
  MappingId id = 0;
  MappingKey key;
  Endpoint public_endpoint;
  Time created;
  // Change only through MappingTable::set_expiry, which keeps the expiry index.
  Time expires;
  bool replied = false;  // any inbound packet has passed this mapping
  // Made by a port mapping request (NatModel::map_port): endpoint-independent and
  // open to every remote, whatever the NAT's own behaviours.
  bool port_mapped = false;
  // Ordered by (IP, port) so that address-dependent filtering scans one IP's run.
  // May hold expired sessions until the next prune (NatModel::touch_session).
  std::map<Endpoint, Session> sessions;
  // A new session prunes the expired ones once `sessions` reaches this size.
  std::size_t prune_at = 0;

  Transport transport() const { return key.transport; }
  Endpoint internal() const { return key.internal; }
  // The live session with `remote`, or nullptr.
  Session* live_session(Endpoint remote, Time now);
  const Session* live_session(Endpoint remote, Time now) const;
  // Whether any live session has this remote IP.
  bool has_live_session_with_ip(Ipv4 ip, Time now) const;
};

class MappingTable {
 public:
  // expired_memory: how many expired public endpoints to remember (see
  // recently_expired); 0 disables it.
  explicit MappingTable(std::size_t expired_memory);

  // nullptr when absent. find() gives the key's current (newest) mapping.
  // Expired-but-not-swept mappings are returned: callers sweep with expire(now)
  // first. Pointers stay valid until that mapping is removed.
  Mapping* find(const MappingKey& key);
  Mapping* find_public(Transport transport, Endpoint public_endpoint);
  const Mapping* find(const MappingKey& key) const;
  const Mapping* find_public(Transport transport, Endpoint public_endpoint) const;
  // The newest of the key's mappings that has a live session with `remote` at
  // `now` (and is itself live), or nullptr. Scans the key's mappings, newest first.
  Mapping* find_with_session(const MappingKey& key, Endpoint remote, Time now);
  const Mapping* find_with_session(const MappingKey& key, Endpoint remote, Time now) const;
  // The newest of the key's mappings still live at `now`, or nullptr: find() for
  // const callers that cannot sweep first.
  const Mapping* find_live(const MappingKey& key, Time now) const;
  // Whether a newer mapping of the same key is live at `now`.
  bool superseded(const Mapping& m, Time now) const;

  // Precondition: (transport, public_endpoint) is not present. If `key` has
  // mappings already, the new one becomes its current mapping and they stay,
  // superseded.
  Mapping& insert(const MappingKey& key, Endpoint public_endpoint, Time now, Time expires);
  void set_expiry(Mapping& m, Time expires);

  // Removes every mapping with expires <= now, soonest first, remembers their
  // public endpoints as recently expired, and hands them back so the owner can
  // release their ports.
  std::vector<Mapping> expire(Time now);
  // Removes everything, without remembering anything as expired (reboot, address
  // change), and hands the mappings back.
  std::vector<Mapping> clear();

  // Whether (transport, public_endpoint) belonged to a mapping that expired, among
  // the last `expired_memory` expiries, and has not been reused since.
  bool recently_expired(Transport transport, Endpoint public_endpoint) const;

  std::optional<Time> next_expiry() const;
  std::size_t size() const { return by_id_.size(); }
  std::size_t live_count(Time now) const;

  template <typename F>
  void for_each(F&& f) const {
    for (const auto& entry : by_expiry_) f(by_id_.at(entry.second));
  }

 private:
  // Drops m from its key's list (the key goes with its last mapping).
  void forget_key(const Mapping& m);

  std::unordered_map<MappingId, Mapping> by_id_;
  // The key's mappings, oldest first: back() is the current one.
  std::unordered_map<MappingKey, std::vector<MappingId>, MappingKeyHash> by_key_;
  std::unordered_map<std::uint64_t, MappingId> by_public_;
  std::set<std::pair<Time, MappingId>> by_expiry_;
  MappingId next_id_ = 1;

  std::size_t expired_memory_;
  std::deque<std::uint64_t> expired_order_;
  std::unordered_map<std::uint64_t, std::uint32_t> expired_;  // public key -> times queued
};

}  // namespace yt::nat
