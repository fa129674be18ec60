#include "client/core/discovery.h"

#include <algorithm>

namespace yt {

void Discovery::start(Time now, std::uint64_t token, const std::vector<Endpoint>& endpoints) {
  running_ = true;
  token_ = token;
  sent_ = 0;
  transactions_.clear();
  target_.reset();
  next_at_ = now;
  if (!endpoints.empty()) {
    target_ = endpoints.front();
    send_probe(now);
  }
}

void Discovery::send_probe(Time now) {
  std::uint64_t transaction = ctx_.rng.next_u64();
  transactions_.insert(transaction);
  ++sent_;
  next_at_ = now + ctx_.config.discovery_retry;
  ctx_.send_datagram(*target_, DiscoveryProbe{token_, transaction, false, false});
}

std::optional<DiscoveryResult> Discovery::on_reply(Time now, Endpoint from, const DiscoveryReply& reply) {
  if (transactions_.count(reply.transaction) == 0) {
    // Not an answer to any probe of ours: forged or misrouted.
    ++ctx_.stats.malformed_datagrams;
    return std::nullopt;
  }
  if (!running_) return std::nullopt;  // a duplicate answer after the run ended: normal
  running_ = false;
  return DiscoveryResult{reply.mapped, false};
}

std::optional<DiscoveryResult> Discovery::on_timer(Time now) {
  if (!running_ || now < next_at_) return std::nullopt;
  // The last probe also gets one discovery_retry to be answered before giving up.
  if (target_ && sent_ < ctx_.config.discovery_attempts) {
    send_probe(now);
    return std::nullopt;
  }
  running_ = false;
  return DiscoveryResult{Endpoint{}, true};
}

std::optional<Time> Discovery::next_deadline() const {
  if (!running_) return std::nullopt;
  return next_at_;
}

NatProfile basic_profile(const DiscoveryResult& result, const std::vector<Endpoint>& lan_endpoints) {
  NatProfile profile;
  profile.udp_blocked = result.udp_blocked;
  if (result.udp_blocked) return profile;  // nothing learned: keep the cautious defaults
  profile.behind_nat =
      std::find(lan_endpoints.begin(), lan_endpoints.end(), result.mapped) == lan_endpoints.end();
  profile.public_ips.push_back(result.mapped.ip);
  return profile;
}

}  // namespace yt
