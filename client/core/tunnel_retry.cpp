#include "client/core/tunnel_retry.h"

#include <algorithm>

namespace yt {

TunnelRetry::TunnelRetry(Duration first, Duration max)
    : first_(std::max<Duration>(first, 1s)), max_(std::max<Duration>(max, first_)) {}

std::vector<PublicKey> TunnelRetry::due(Time now, const std::set<PublicKey>& wanting,
                                        const std::set<PublicKey>& trying) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    it->second.wanting = wanting.count(it->first) != 0;
    it = it->second.wanting || trying.count(it->first) ? std::next(it) : pending_.erase(it);
  }
  std::vector<PublicKey> out;
  for (const PublicKey& peer : wanting) {
    auto [it, inserted] = pending_.emplace(peer, Pending{now + first_, first_});
    if (inserted || now < it->second.at) continue;
    out.push_back(peer);
    it->second.wait = std::min(it->second.wait * 2, max_);
    it->second.at = now + it->second.wait;
  }
  return out;
}

std::optional<Time> TunnelRetry::next_deadline() const {
  std::optional<Time> next;
  for (const auto& [peer, pending] : pending_) {
    // A trying peer's time may pass while it punches: a deadline in the past that
    // due() would not move would fire the timer without end.
    if (pending.wanting && (!next || pending.at < *next)) next = pending.at;
  }
  return next;
}

}  // namespace yt
