// When to ask the server to plan a tunnel again. A peer we are both online with
// in a shared network but have no working tunnel to (punching failed, or the
// tunnel went down while both kept their server connections) would otherwise stay
// unreachable until one of us reconnects. The first request waits `first` (long
// enough for an instruction that is on its way), later ones back off to `max`.
// A peer whose new attempt is still in progress keeps its backoff, so a pair that
// can never go direct is asked for ever more rarely; only a working tunnel (or
// the peer no longer wanting one) starts it over. (ClientCore sends each request
// after a refresh probe: ClientConfig::tunnel_request_refresh_lead.)
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
  // Waits below a second are raised to one (a zero would spin the timer), and
  // `max` to at least `first`.
  TunnelRetry(Duration first, Duration max);

  // `wanting`: the peers that need a tunnel and have none, or a failed one, now;
  // `trying`: those whose (re-)planned attempt is still punching. Returns the
  // peers to request a plan for now, in key order.
  std::vector<PublicKey> due(Time now, const std::set<PublicKey>& wanting, const std::set<PublicKey>& trying);
  // Forget everything (the server connection is gone: a reconnect replans all).
  void clear() { pending_.clear(); }
  std::optional<Time> next_deadline() const;

 private:
  struct Pending {
    Time at;
    Duration wait;       // before the request after this one
    bool wanting = true;  // false while its attempt punches: `at` is no deadline then
  };
  Duration first_;
  Duration max_;
  std::map<PublicKey, Pending> pending_;
};

}  // namespace yt
