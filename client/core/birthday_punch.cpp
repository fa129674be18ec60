#include "client/core/birthday_punch.h"

#include <algorithm>
#include <chrono>

namespace yt {
namespace {

// Ports a NAT hands out (and so the ones worth probing): 1024..65535, as RFC 6056
// and most NATs keep clear of the well-known ports.
constexpr std::uint32_t kLowestPort = 1024;
constexpr std::uint32_t kPorts = 65536 - kLowestPort;
// PunchProbe sequences of birthday datagrams start here, apart from the window's
// rounds (which count from 0), so a capture tells them apart.
constexpr std::uint32_t kSequenceBase = 0x40000000;

}  // namespace

BirthdayPunch::BirthdayPunch(const BirthdayPlan& plan, Time start, const ClientConfig& config) : plan_(plan) {
  const std::uint32_t pps =
      std::max<std::uint32_t>(1, std::min<std::uint32_t>(plan.rate_pps, config.birthday_max_pps));
  gap_ = std::chrono::duration_cast<Duration>(std::chrono::seconds(1)) / pps;
  next_at_ = start + std::chrono::milliseconds(plan.after_ms);
}

std::optional<Time> BirthdayPunch::next_deadline() const {
  if (finished_ || sent_ >= plan_.count) return std::nullopt;
  return next_at_;
}

void BirthdayPunch::on_timer(Time now, std::uint64_t tunnel_id, ClientContext& ctx) {
  if (finished_ || sent_ >= plan_.count || now < next_at_) return;
  send_one(tunnel_id, ctx);
  // A late timer does not send a burst to catch up: the pace is a cap.
  next_at_ += gap_;
  if (next_at_ <= now) next_at_ = now + gap_;
}

void BirthdayPunch::send_one(std::uint64_t tunnel_id, ClientContext& ctx) {
  const PunchProbe probe{tunnel_id, kSequenceBase + static_cast<std::uint32_t>(sent_)};
  ++sent_;
  if (plan_.role == BirthdayRole::kOpenPorts) {
    std::optional<SocketId> socket = ctx.open_socket();
    if (!socket) return;  // at the client's socket limit: this one is skipped
    sockets_.push_back(*socket);
    ctx.send_datagram(plan_.target, probe, plan_.ttl, *socket);
    ++ctx.stats.birthday_datagrams;
    return;
  }
  // kProbePorts: a port not probed yet (rejection sampling: count << kPorts).
  if (probed_.empty()) probed_.resize(kPorts);
  std::uint16_t port = 0;
  for (int tries = 0; tries < 64; ++tries) {
    const std::uint32_t index = ctx.rng.uniform(kPorts);
    port = static_cast<std::uint16_t>(kLowestPort + index);
    if (!probed_[index]) {
      probed_[index] = true;
      break;
    }
  }
  ctx.send_datagram(Endpoint{plan_.target.ip, port}, probe);
  ++ctx.stats.birthday_datagrams;
}

void BirthdayPunch::finish(SocketId keep, ClientContext& ctx) {
  finished_ = true;
  for (SocketId socket : sockets_) {
    if (socket != keep) ctx.close_socket(socket);
  }
  sockets_.erase(std::remove_if(sockets_.begin(), sockets_.end(), [keep](SocketId s) { return s != keep; }),
                 sockets_.end());
}

}  // namespace yt
