// Appearing offline in a network (Hamachi's go-offline): the one place that knows
// which networks we appear offline in and what that means for each peer.
//
// The server shows us offline to that network's members and plans no tunnel for it
// (SetNetworkOnline, restated before every DiscoveryReport). Here, for the peers we
// share ONLY offline networks with ("muted" peers), nothing flows either way over a
// tunnel that still exists for an older reason: no IP packet or chat is sent to
// them and none of theirs is delivered to us. The rule lives in the core so the
// daemon and the simulator apply the same one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "client/core/membership.h"
#include "protocol/identity.h"

namespace yt {

class NetworkPresence {
 public:
  // Names that are not valid network names are dropped: the server could not
  // decode them, and restating them would close every session.
  explicit NetworkPresence(std::set<std::string> offline);

  bool offline_in(const std::string& network) const { return offline_.count(network) != 0; }
  // True when this changed anything.
  bool set_online(const std::string& network, bool online);
  const std::set<std::string>& offline_networks() const { return offline_; }

  // We are offline in every network shared with `peer` (and share at least one).
  bool muted(const Membership& membership, const PublicKey& peer) const;
  // `peer` is online in a network we are online in: the server's condition for a
  // tunnel, so one is due.
  const std::set<PublicKey>& plannable(const Membership& membership) const;
  // For IpRouter: null when we are offline nowhere, the common case. Valid until
  // the membership or the offline set changes.
  std::function<bool(const PublicKey&)> muted_predicate(const Membership& membership) const;

 private:
  // Derived from the membership view and the offline set, recomputed only when
  // either changed, not per packet or timer tick.
  struct Reach {
    std::set<PublicKey> muted;
    std::set<PublicKey> plannable;
  };
  const Reach& reach(const Membership& membership) const;

  std::set<std::string> offline_;
  std::uint64_t version_ = 0;  // bumped whenever offline_ changes
  mutable Reach reach_;  // a cache: the answers depend only on the two versions
  mutable std::optional<std::pair<std::uint64_t, std::uint64_t>> reach_for_;  // (membership, offline) versions
};

}  // namespace yt
