// go-online / go-offline per network, as the daemon's policy. The server shows us
// offline to the members of a network we are offline in and builds no new tunnel
// for that network, and the core sends no IP packet to a member we share only
// offline networks with (ClientCore::set_network_online). This class mutes the
// rest of what existing tunnels still carry: such members' packets and chat are
// not delivered to us, and our chat is not sent to them.
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
