#include "client/core/membership.h"

#include <algorithm>

namespace yt {

namespace {

bool by_key(const MemberInfo& a, const MemberInfo& b) { return a.key < b.key; }

}  // namespace

void Membership::replace(NetworkSnapshot snapshot) {
  ++version_;
  networks_ = std::move(snapshot.networks);
  std::sort(networks_.begin(), networks_.end(),
            [](const NetworkInfo& a, const NetworkInfo& b) { return a.name < b.name; });
  for (NetworkInfo& n : networks_) std::sort(n.members.begin(), n.members.end(), by_key);
}

const NetworkInfo* Membership::network(const std::string& name) const {
  auto it = std::lower_bound(networks_.begin(), networks_.end(), name,
                             [](const NetworkInfo& n, const std::string& key) { return n.name < key; });
  if (it == networks_.end() || it->name != name) return nullptr;
  return &*it;
}

NetworkInfo* Membership::find(const std::string& name) {
  // networks_ is ours and not const: the const lookup's answer may be written.
  return const_cast<NetworkInfo*>(network(name));
}

void Membership::update(const MemberUpdate& update) {
  ++version_;
  NetworkInfo* network = find(update.network);
  if (!network) {
    // An update can overtake the snapshot that would have listed the network.
    auto it = std::lower_bound(networks_.begin(), networks_.end(), update.network,
                               [](const NetworkInfo& n, const std::string& key) { return n.name < key; });
    network = &*networks_.insert(it, NetworkInfo{update.network, {}});
  }
  auto& members = network->members;
  auto it = std::lower_bound(members.begin(), members.end(), update.member, by_key);
  if (it != members.end() && it->key == update.member.key) {
    *it = update.member;
  } else {
    members.insert(it, update.member);
  }
}

void Membership::remove(const MemberLeft& left) {
  ++version_;
  NetworkInfo* network = find(left.network);
  if (!network) return;
  if (left.key == self_) {
    networks_.erase(networks_.begin() + (network - networks_.data()));
    return;
  }
  auto& members = network->members;
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const MemberInfo& m) { return m.key == left.key; }),
                members.end());
}

bool Membership::in_a_network(const PublicKey& peer, const std::set<std::string>& excluded, bool online) const {
  if (peer == self_) return false;
  for (const NetworkInfo& n : networks_) {
    if (excluded.count(n.name)) continue;
    for (const MemberInfo& m : n.members) {
      if (m.key == peer && (m.online || !online)) return true;
    }
  }
  return false;
}

bool Membership::shares_network(const PublicKey& peer) const { return in_a_network(peer, {}, false); }

bool Membership::shares_network_outside(const PublicKey& peer, const std::set<std::string>& excluded) const {
  return in_a_network(peer, excluded, false);
}

bool Membership::online_in_network_outside(const PublicKey& peer, const std::set<std::string>& excluded) const {
  return in_a_network(peer, excluded, true);
}

std::map<PublicKey, MemberInfo> Membership::peers() const {
  std::map<PublicKey, MemberInfo> out;
  for (const NetworkInfo& n : networks_) {
    for (const MemberInfo& m : n.members) {
      if (m.key == self_) continue;
      auto [it, inserted] = out.emplace(m.key, m);
      if (!inserted && m.online) it->second.online = true;
    }
  }
  return out;
}

}  // namespace yt
