// Birthday probing for one tunnel (protocol/messages.h, BirthdayPlan): the side
// whose NAT picks a random port per destination opens many sockets, each sending
// one probe to the peer, so that many mappings toward the peer exist at random
// ports; the other side probes random ports of that NAT's address until one of its
// probes lands on one of them. A probe that gets through is an ordinary punch
// (Tunnel::on_punch): the answer goes back from the socket it arrived on, and the
// tunnel's path keeps that socket.
//
// Paced: one datagram every 1/rate seconds, the rate the server asked for capped by
// ClientConfig::birthday_max_pps, and bounded: `count` datagrams in all.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "client/core/client_context.h"
#include "protocol/messages.h"
#include "protocol/time.h"

namespace yt {

class BirthdayPunch {
 public:
  // Starts at `start` + plan.after_ms. Precondition: plan.role != kNone, plan.count > 0.
  BirthdayPunch(const BirthdayPlan& plan, Time start, const ClientConfig& config);

  // Sends what is due by `now`.
  void on_timer(Time now, std::uint64_t tunnel_id, ClientContext& ctx);
  // When the next datagram is due; nullopt once all are sent.
  std::optional<Time> next_deadline() const;

  // The tunnel's direct path uses `keep` (0: the main socket): the other sockets
  // close, and nothing more is sent.
  void finish(SocketId keep, ClientContext& ctx);
  // Every socket closes (the tunnel closed, or its window ended without a path).
  void finish_all(ClientContext& ctx) { finish(0, ctx); }

  BirthdayRole role() const { return plan_.role; }
  std::size_t sent() const { return sent_; }
  const std::vector<SocketId>& sockets() const { return sockets_; }

 private:
  void send_one(std::uint64_t tunnel_id, ClientContext& ctx);

  BirthdayPlan plan_;
  Duration gap_;
  Time next_at_;
  std::size_t sent_ = 0;
  bool finished_ = false;
  std::vector<SocketId> sockets_;     // kOpenPorts: the sockets opened, in order
  // kProbePorts: which ports (from kLowestPort) were probed. A bit per port, 8 KiB:
  // a set of up to 4,096 ports cost a tree node per probe and its cache misses.
  std::vector<bool> probed_;
};

}  // namespace yt
