// Unsolicited inbound tuples: (transport, remote -> public endpoint) of packets from
// the Internet side that matched no mapping or failed its filter, kept for a while
// because Linux conntrack keeps an entry for them (see
// NatConfig::unsolicited_inbound_claims_tuple). NatModel records them and asks
// whether one is live before a new flow uses a public endpoint towards that remote;
// this file only keeps the table bounded and its expiry index consistent.
//
// Memory: at most `capacity` entries, each in one hash map and one ordered index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "nat-models/packet.h"
#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt::nat {

class UnsolicitedTupleTable {
 public:
  // capacity: most entries held at once; 0 is read as 1.
  explicit UnsolicitedTupleTable(std::size_t capacity);

  // Records a packet from `remote` to `public_endpoint`, live until `expires`. A
  // tuple already present keeps the later of its two expiries. When the table is
  // full, the entry expiring soonest (expired ones first; among equal expiries, the
  // one recorded or refreshed longest ago) makes room.
  void record(Transport transport, Endpoint public_endpoint, Endpoint remote, Time expires);
  // Whether the tuple has an entry live at `now` (expires > now), swept or not.
  bool contains(Transport transport, Endpoint public_endpoint, Endpoint remote, Time now) const;

  // Removes every entry with expires <= now.
  void expire(Time now);
  void clear();

  std::optional<Time> next_expiry() const;
  std::size_t size() const { return entries_.size(); }
  std::size_t live_count(Time now) const;

 private:
  // (transport, public endpoint), (remote): both fit in 64 bits, and a pair of
  // integers is ordered and cheap to hash.
  using Key = std::pair<std::uint64_t, std::uint64_t>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  static Key make_key(Transport transport, Endpoint public_endpoint, Endpoint remote);
  void erase_soonest();

  // Expiry, then recording order: with a manual clock many entries share one
  // expiry, and the oldest of them should go first.
  using Order = std::pair<Time, std::uint64_t>;

  std::size_t capacity_;
  std::uint64_t next_order_ = 0;
  std::unordered_map<Key, Order, KeyHash> entries_;
  std::map<Order, Key> by_expiry_;
};

}  // namespace yt::nat
