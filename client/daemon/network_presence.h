// go-online / go-offline per network, as the daemon's policy. The protocol has no
// per-network presence message yet, so "offline in a network" is enforced on this
// machine: members reachable only through networks we are offline in are not
// carried - their packets and chat are not delivered to us, and our unicast
// packets and chat are not sent to them. The server (and so those members) still
// see us online, and a broadcast from our adapter still goes to every tunnel the
// core has, so this is a local mute, not invisibility (see README).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "protocol/identity.h"
#include "protocol/messages.h"

namespace yt {

class NetworkPresence {
 public:
  explicit NetworkPresence(std::set<std::string> offline = {}) : offline_(std::move(offline)) {}

  bool offline(const std::string& network) const { return offline_.count(network) != 0; }
  void set_offline(const std::string& network, bool offline);
  const std::set<std::string>& offline_networks() const { return offline_; }
  bool any_offline() const { return !offline_.empty(); }

  // True when `peer` shares at least one of `networks` that we are online in.
  bool carries(const std::vector<NetworkInfo>& networks, const PublicKey& peer) const;

 private:
  std::set<std::string> offline_;
};

}  // namespace yt
