#include "client/daemon/network_presence.h"

namespace yt {

void NetworkPresence::set_offline(const std::string& network, bool offline) {
  if (offline) {
    offline_.insert(network);
  } else {
    offline_.erase(network);
  }
}

bool NetworkPresence::carries(const std::vector<NetworkInfo>& networks, const PublicKey& peer) const {
  for (const NetworkInfo& network : networks) {
    if (offline(network.name)) continue;
    for (const MemberInfo& member : network.members) {
      if (member.key == peer) return true;
    }
  }
  return false;
}

}  // namespace yt
