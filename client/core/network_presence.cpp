#include "client/core/network_presence.h"

#include <iterator>

#include "protocol/display_name.h"
#include "protocol/messages.h"

namespace yt {

NetworkPresence::NetworkPresence(std::set<std::string> offline) : offline_(std::move(offline)) {
  for (auto it = offline_.begin(); it != offline_.end();) {
    it = valid_display_name(*it, kMaxNameLength) ? std::next(it) : offline_.erase(it);
  }
}

bool NetworkPresence::set_online(const std::string& network, bool online) {
  bool changed = online ? offline_.erase(network) != 0 : offline_.insert(network).second;
  if (changed) ++version_;
  return changed;
}

const NetworkPresence::Reach& NetworkPresence::reach(const Membership& membership) const {
  if (reach_for_ != std::pair{membership.version(), version_}) {
    reach_for_ = {membership.version(), version_};
    reach_ = Reach{};
    for (const auto& [key, member] : membership.peers()) {
      if (!membership.shares_network_outside(key, offline_)) reach_.muted.insert(key);
      if (membership.online_in_network_outside(key, offline_)) reach_.plannable.insert(key);
    }
  }
  return reach_;
}

bool NetworkPresence::muted(const Membership& membership, const PublicKey& peer) const {
  return !offline_.empty() && reach(membership).muted.count(peer) != 0;
}

const std::set<PublicKey>& NetworkPresence::plannable(const Membership& membership) const {
  return reach(membership).plannable;
}

std::function<bool(const PublicKey&)> NetworkPresence::muted_predicate(const Membership& membership) const {
  if (offline_.empty()) return nullptr;
  const std::set<PublicKey>* muted = &reach(membership).muted;
  return [muted](const PublicKey& peer) { return muted->count(peer) != 0; };
}

}  // namespace yt
