#include "client/core/mapping_lifetime.h"

#include <algorithm>

namespace yt {

void MappingLifetime::start(Time now, Endpoint server, std::uint64_t token, Endpoint mapped, bool quiet_required) {
  server_ = server;
  token_ = token;
  quiet_required_ = quiet_required;
  if (measured_for_ && *measured_for_ == mapped) {
    // Same NAT, same mapping: carry on where we were (a wait abandoned at a
    // reconnect is sent again), or stay with the verdict.
    if (!upper_ && step_ < kWaits.size() && inconclusive_ < kMaxInconclusive) next_send_at_ = now;
    return;
  }
  measured_for_ = mapped;
  step_ = 0;
  tries_ = 0;
  inconclusive_ = 0;
  lower_.reset();
  upper_.reset();
  pending_.reset();
  next_send_at_ = now;
}

void MappingLifetime::cancel() {
  pending_.reset();
  next_send_at_.reset();
}

void MappingLifetime::send(Time now) {
  const std::uint64_t transaction = ctx_.rng.next_u64();
  ctx_.send_datagram(server_, LifetimeProbe{token_, transaction, kWaits[step_]});
  pending_ = Pending{transaction, now + std::chrono::seconds(kWaits[step_]) + kAnswerGrace, ctx_.datagrams_sent};
  next_send_at_.reset();
}

void MappingLifetime::next_step(Time now, bool repeat) {
  pending_.reset();
  if (!repeat) {
    ++step_;
    tries_ = 0;
    inconclusive_ = 0;
  }
  if (step_ < kWaits.size()) next_send_at_ = now;
}

void MappingLifetime::on_timer(Time now) {
  if (next_send_at_ && now >= *next_send_at_) {
    send(now);
    return;
  }
  if (!pending_ || now < pending_->deadline) return;
  // Unanswered: the mapping (or the filter's state for the server) was gone.
  if (++tries_ < 2) {
    next_step(now, /*repeat=*/true);
    return;
  }
  upper_ = std::chrono::seconds(kWaits[step_]);
  pending_.reset();
}

std::optional<Time> MappingLifetime::next_deadline() const {
  if (next_send_at_) return next_send_at_;
  if (pending_) return pending_->deadline;
  return std::nullopt;
}

bool MappingLifetime::on_reply(Time now, const DiscoveryReply& reply) {
  if (!pending_ || reply.transaction != pending_->transaction) return false;
  const bool idle = ctx_.datagrams_sent == pending_->sent_after;
  if (quiet_required_ && !idle) {
    // Our other traffic kept the shared mapping alive: try this wait again.
    pending_.reset();
    if (++inconclusive_ < kMaxInconclusive) next_send_at_ = now;
    return true;
  }
  lower_ = std::chrono::seconds(kWaits[step_]);
  next_step(now, /*repeat=*/false);
  return true;
}

std::optional<Duration> MappingLifetime::keepalive() const {
  if (lower_) {
    return std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(std::chrono::duration<double>(*lower_).count() * kKeepaliveShare));
  }
  if (upper_) return std::min<Duration>(kFloorKeepalive, *upper_ / 3);
  return std::nullopt;
}

}  // namespace yt
