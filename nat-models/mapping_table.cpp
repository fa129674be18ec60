#include "nat-models/mapping_table.h"

#include <algorithm>
#include <utility>

namespace yt::nat {
namespace {

std::uint64_t public_key(Transport transport, Endpoint e) {
  return std::uint64_t(static_cast<std::uint8_t>(transport)) << 48 | std::uint64_t(e.ip.value) << 16 | e.port;
}

// splitmix64 finalizer: std::hash of an integer is the identity in libstdc++, which
// would put structured keys (same IP, nearby ports) into neighbouring buckets.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

MappingKey make_mapping_key(MappingBehavior behavior, Transport transport, Endpoint internal,
                            Endpoint destination) {
  MappingKey key{transport, internal, Endpoint{}};
  switch (behavior) {
    case MappingBehavior::kEndpointIndependent: break;
    case MappingBehavior::kAddressDependent: key.remote.ip = destination.ip; break;
    case MappingBehavior::kAddressPortDependent: key.remote = destination; break;
  }
  return key;
}

std::size_t MappingKeyHash::operator()(const MappingKey& k) const noexcept {
  const std::uint64_t a = public_key(k.transport, k.internal);
  const std::uint64_t b = std::uint64_t(k.remote.ip.value) << 16 | k.remote.port;
  return static_cast<std::size_t>(mix(a ^ mix(b)));
}

Session* Mapping::live_session(Endpoint remote, Time now) {
  auto it = sessions.find(remote);
  return it != sessions.end() && it->second.expires > now ? &it->second : nullptr;
}

const Session* Mapping::live_session(Endpoint remote, Time now) const {
  auto it = sessions.find(remote);
  return it != sessions.end() && it->second.expires > now ? &it->second : nullptr;
}

bool Mapping::has_live_session_with_ip(Ipv4 ip, Time now) const {
  for (auto it = sessions.lower_bound(Endpoint{ip, 0}); it != sessions.end() && it->first.ip == ip; ++it) {
    if (it->second.expires > now) return true;
  }
  return false;
}

MappingTable::MappingTable(std::size_t expired_memory) : expired_memory_(expired_memory) {}

Mapping* MappingTable::find(const MappingKey& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &by_id_.at(it->second.back());
}

Mapping* MappingTable::find_public(Transport transport, Endpoint public_endpoint) {
  auto it = by_public_.find(public_key(transport, public_endpoint));
  return it == by_public_.end() ? nullptr : &by_id_.at(it->second);
}

const Mapping* MappingTable::find(const MappingKey& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &by_id_.at(it->second.back());
}

const Mapping* MappingTable::find_public(Transport transport, Endpoint public_endpoint) const {
  auto it = by_public_.find(public_key(transport, public_endpoint));
  return it == by_public_.end() ? nullptr : &by_id_.at(it->second);
}

Mapping* MappingTable::find_with_session(const MappingKey& key, Endpoint remote, Time now) {
  return const_cast<Mapping*>(std::as_const(*this).find_with_session(key, remote, now));
}

const Mapping* MappingTable::find_with_session(const MappingKey& key, Endpoint remote, Time now) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  for (auto id = it->second.rbegin(); id != it->second.rend(); ++id) {
    const Mapping& m = by_id_.at(*id);
    if (m.expires > now && m.live_session(remote, now)) return &m;
  }
  return nullptr;
}

const Mapping* MappingTable::find_live(const MappingKey& key, Time now) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  for (auto id = it->second.rbegin(); id != it->second.rend(); ++id) {
    const Mapping& m = by_id_.at(*id);
    if (m.expires > now) return &m;
  }
  return nullptr;
}

bool MappingTable::superseded(const Mapping& m, Time now) const {
  auto it = by_key_.find(m.key);
  if (it == by_key_.end()) return false;
  for (auto id = it->second.rbegin(); id != it->second.rend() && *id != m.id; ++id) {
    if (by_id_.at(*id).expires > now) return true;
  }
  return false;
}

Mapping& MappingTable::insert(const MappingKey& key, Endpoint public_endpoint, Time now, Time expires) {
  const MappingId id = next_id_++;
  Mapping& m = by_id_[id];
  m.id = id;
  m.key = key;
  m.public_endpoint = public_endpoint;
  m.created = now;
  m.expires = expires;
  by_key_[key].push_back(id);
  by_public_.emplace(public_key(key.transport, public_endpoint), id);
  by_expiry_.emplace(expires, id);
  return m;
}

void MappingTable::set_expiry(Mapping& m, Time expires) {
  if (m.expires == expires) return;
  by_expiry_.erase({m.expires, m.id});
  m.expires = expires;
  by_expiry_.emplace(expires, m.id);
}

std::vector<Mapping> MappingTable::expire(Time now) {
  std::vector<Mapping> removed;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    const MappingId id = by_expiry_.begin()->second;
    by_expiry_.erase(by_expiry_.begin());
    auto node = by_id_.extract(id);
    Mapping& m = node.mapped();
    forget_key(m);
    const std::uint64_t pk = public_key(m.key.transport, m.public_endpoint);
    by_public_.erase(pk);
    if (expired_memory_ > 0) {
      if (expired_order_.size() >= expired_memory_) {
        auto old = expired_.find(expired_order_.front());
        if (old != expired_.end() && --old->second == 0) expired_.erase(old);
        expired_order_.pop_front();
      }
      expired_order_.push_back(pk);
      ++expired_[pk];
    }
    removed.push_back(std::move(m));
  }
  return removed;
}

std::vector<Mapping> MappingTable::clear() {
  std::vector<Mapping> removed;
  removed.reserve(by_id_.size());
  for (auto& entry : by_expiry_) removed.push_back(std::move(by_id_.at(entry.second)));
  by_id_.clear();
  by_key_.clear();
  by_public_.clear();
  by_expiry_.clear();
  expired_order_.clear();
  expired_.clear();
  return removed;
}

void MappingTable::forget_key(const Mapping& m) {
  auto it = by_key_.find(m.key);
  if (it == by_key_.end()) return;
  // Removing the current mapping makes the next newest current again, as netfilter
  // falls back to the newest remaining entry from that source.
  auto& ids = it->second;
  auto pos = std::find(ids.begin(), ids.end(), m.id);
  if (pos != ids.end()) ids.erase(pos);
  if (ids.empty()) by_key_.erase(it);
}

bool MappingTable::recently_expired(Transport transport, Endpoint public_endpoint) const {
  const std::uint64_t pk = public_key(transport, public_endpoint);
  return expired_.count(pk) > 0 && by_public_.count(pk) == 0;
}

std::optional<Time> MappingTable::next_expiry() const {
  if (by_expiry_.empty()) return std::nullopt;
  return by_expiry_.begin()->first;
}

std::size_t MappingTable::live_count(Time now) const {
  std::size_t dead = 0;
  for (auto it = by_expiry_.begin(); it != by_expiry_.end() && it->first <= now; ++it) ++dead;
  return by_id_.size() - dead;
}

}  // namespace yt::nat
