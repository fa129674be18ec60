#include "server/core/admission.h"

#include <algorithm>

namespace yt {

AdmissionVerdict Admission::connection(Ipv4 remote) {
  if (total_ >= config_.max_connections) return AdmissionVerdict::kTooManyConnections;
  std::size_t& from = per_address_[remote];
  if (from >= config_.max_connections_per_address) {
    if (from == 0) per_address_.erase(remote);
    return AdmissionVerdict::kTooManyFromAddress;
  }
  ++from;
  ++total_;
  return AdmissionVerdict::kAdmit;
}

void Admission::closed(Ipv4 remote) {
  auto it = per_address_.find(remote);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --total_;
}

std::optional<Duration> Admission::handshake(Time now, Ipv4 remote) {
  prune(now);
  auto it = buckets_.find(remote);
  if (it == buckets_.end()) {
    it = buckets_.emplace(remote, TokenBucket(config_.handshakes_per_address_per_second,
                                              config_.handshake_burst_per_address)).first;
  }
  if (!it->second.take(now)) return std::min(config_.max_retry_after, std::max<Duration>(1s, it->second.wait(now)));
  if (global_.take(now)) return std::nullopt;
  // Over the server's rate: a place in a virtual queue, one slot per 1/rate, so
  // clients sent away come back spread out instead of all at once.
  Duration slot(static_cast<std::int64_t>(1e6 / std::max(config_.handshakes_per_second, 1e-6)));
  next_slot_ = std::max(next_slot_, now + global_.wait(now)) + slot;
  return std::min(config_.max_retry_after, std::max<Duration>(1s, next_slot_ - now));
}

std::optional<Duration> Admission::password_attempt(Time now, Ipv4 remote) {
  prune(now);
  auto it = password_buckets_
                .try_emplace(remote, config_.password_attempts_per_address_per_second,
                             config_.password_attempt_burst_per_address)
                .first;
  if (it->second.take(now)) return std::nullopt;
  return std::max<Duration>(1s, it->second.wait(now));
}

void Admission::prune(Time now) {
  // A full bucket is the same as no bucket: dropping those bounds the table by the
  // addresses active in the last burst/rate seconds (8 s by default).
  if (buckets_.size() + password_buckets_.size() < prune_at_) return;
  for (auto* table : {&buckets_, &password_buckets_}) {
    for (auto it = table->begin(); it != table->end();) {
      it = it->second.full(now) ? table->erase(it) : std::next(it);
    }
  }
  prune_at_ = std::max<std::size_t>(kPruneAtLeast, 2 * (buckets_.size() + password_buckets_.size()));
}

}  // namespace yt
