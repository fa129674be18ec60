#include "nat-models/unsolicited_tuples.h"

#include <algorithm>

namespace yt::nat {
namespace {

// splitmix64 finalizer, as in mapping_table.cpp: remotes of a scan differ in a few
// low bits, which an identity hash would put into neighbouring buckets.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t pack(Endpoint e) { return std::uint64_t(e.ip.value) << 16 | e.port; }

}  // namespace

UnsolicitedTupleTable::UnsolicitedTupleTable(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::size_t UnsolicitedTupleTable::KeyHash::operator()(const Key& k) const noexcept {
  return static_cast<std::size_t>(mix(k.first ^ mix(k.second)));
}

UnsolicitedTupleTable::Key UnsolicitedTupleTable::make_key(Transport transport, Endpoint public_endpoint,
                                                           Endpoint remote) {
  return {std::uint64_t(static_cast<std::uint8_t>(transport)) << 48 | pack(public_endpoint), pack(remote)};
}

void UnsolicitedTupleTable::record(Transport transport, Endpoint public_endpoint, Endpoint remote,
                                   Time expires) {
  const Key key = make_key(transport, public_endpoint, remote);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (it->second.first >= expires) return;
    by_expiry_.erase(it->second);
    it->second = Order{expires, next_order_++};
    by_expiry_.emplace(it->second, key);
    return;
  }
  // Evicting the soonest-expiring entry keeps the newest packets' state, as
  // conntrack's early drop sacrifices old unreplied entries when its table is full.
  if (entries_.size() >= capacity_) erase_soonest();
  const Order order{expires, next_order_++};
  entries_.emplace(key, order);
  by_expiry_.emplace(order, key);
}

bool UnsolicitedTupleTable::contains(Transport transport, Endpoint public_endpoint, Endpoint remote,
                                     Time now) const {
  auto it = entries_.find(make_key(transport, public_endpoint, remote));
  return it != entries_.end() && it->second.first > now;
}

void UnsolicitedTupleTable::expire(Time now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first.first <= now) erase_soonest();
}

void UnsolicitedTupleTable::clear() {
  entries_.clear();
  by_expiry_.clear();
}

std::optional<Time> UnsolicitedTupleTable::next_expiry() const {
  if (by_expiry_.empty()) return std::nullopt;
  return by_expiry_.begin()->first.first;
}

std::size_t UnsolicitedTupleTable::live_count(Time now) const {
  std::size_t dead = 0;
  for (auto it = by_expiry_.begin(); it != by_expiry_.end() && it->first.first <= now; ++it) ++dead;
  return entries_.size() - dead;
}

void UnsolicitedTupleTable::erase_soonest() {
  entries_.erase(by_expiry_.begin()->second);
  by_expiry_.erase(by_expiry_.begin());
}

}  // namespace yt::nat
