// When to ask the server to plan a tunnel again. A peer we are both online with
// in a shared network but have no working tunnel to (punching failed, or the
// tunnel went down while both kept their server connections) would otherwise stay
// unreachable until one of us reconnects. The first request waits `first` (long
// enough for an instruction that is on its way), later ones back off to `max`, and
// a peer that no longer wants a tunnel, or has one, starts over.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "protocol/identity.h"
#include "protocol/time.h"

namespace yt {

class TunnelRetry {
 public:
  TunnelRetry(Duration first, Duration max) : first_(first), max_(max) {}

  // `wanting`: the peers that need a tunnel and have no working one, now. Returns
  // those to request a plan for now, in key order.
  std::vector<PublicKey> due(Time now, const std::set<PublicKey>& wanting);
  // Forget everything (the server connection is gone: a reconnect replans all).
  void clear() { pending_.clear(); }
  std::optional<Time> next_deadline() const;

 private:
  struct Pending {
    Time at;
    Duration wait;  // before the request after this one
  };
  Duration first_;
  Duration max_;
  std::map<PublicKey, Pending> pending_;
};

}  // namespace yt
