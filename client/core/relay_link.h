// One side's hold on the relay of one tunnel (protocol/relay_ticket.h): it binds
// with the ticket the server gave, retrying with backoff until the relay answers,
// knows whether the relay took it (and the round trip of that exchange: the RTT to
// the relay), and wraps tunnel datagrams in RelayData for it.
//
// Transport: UDP, or TCP where UDP does not get through: for the server's built-in
// relay the control connection (RelayFrame), for a separate relay its TCP listener
// (RelayOffer::stream, client/core/relay_streams.h). TCP is used from the start
// when discovery found UDP blocked, and after kUdpTriesFirst binds went unanswered
// over UDP (a network that drops UDP to the relay only).
//
// A bound link is kept bound by the traffic it carries (the relay forgets a pair
// idle for two minutes, server/relay/relay_config.h); rebind() claims it again
// with a higher sequence, e.g. after a long stretch on a direct path.
#pragma once

#include <cstdint>
#include <optional>

#include "client/core/client_context.h"
#include "protocol/messages.h"
#include "protocol/time.h"

namespace yt {

class RelayLink {
 public:
  // `offer.endpoint` must be resolved (not the unset "the server's own" form).
  // The offer arrived at `now`; the first bind goes out at `bind_at`.
  RelayLink(const RelayOffer& offer, Time now, Time bind_at);

  // Sends a bind when one is due.
  void on_timer(Time now, ClientContext& ctx);
  std::optional<Time> next_deadline() const;

  enum class Answer { kIgnored, kBound, kRefused };
  // The relay's answer to one of our binds; kIgnored when it is not (another
  // pair, an older bind, already bound).
  Answer on_bound(Time now, Endpoint from, const RelayBound& m);
  // Whether `m`, arriving from `from`, is our peer's data through this link.
  bool carries(Endpoint from, const RelayData& m) const;

  // Wraps one encoded tunnel datagram for the relay and queues it.
  void send(Bytes datagram, ClientContext& ctx) const;
  // Binds again from now (a higher sequence moves our address at the relay).
  void rebind(Time now);

  Endpoint endpoint() const { return offer_.endpoint; }
  // Over the control connection (TCP) rather than UDP.
  bool via_server() const { return via_server_; }
  // Over TCP: the control connection or the relay's own listener.
  bool over_tcp() const { return via_server_ || via_stream_; }
  std::uint64_t pair_id() const { return offer_.ticket.pair_id; }
  bool bound() const { return bound_; }
  // The relay's answer that bound us said the other side was bound already.
  bool peer_bound() const { return peer_bound_; }
  // Why the relay refused us; nullopt while bound or still binding.
  std::optional<RelayBindResult> refusal() const { return refusal_; }
  std::optional<Duration> rtt() const { return rtt_; }
  // When the relay retires the ticket's key; nullopt when the offer did not say.
  std::optional<Time> valid_until() const { return valid_until_; }

  // First bind retry after this, doubling up to kMaxRetry: a lost bind costs a
  // second; a relay that does not answer at all (UDP blocked) costs one small
  // datagram every 16 s.
  static constexpr Duration kFirstRetry = std::chrono::seconds(1);
  static constexpr Duration kMaxRetry = std::chrono::seconds(16);
  // Unanswered UDP binds before a built-in relay is tried over the control
  // connection: 1 + 2 s of silence, far above any relay's round trip.
  static constexpr int kUdpTriesFirst = 2;

 private:
  void transmit(const Datagram& datagram, ClientContext& ctx) const;

  RelayOffer offer_;
  std::uint64_t sequence_ = 0;  // of the last bind sent
  Time sent_at_{};
  Time next_bind_at_{};
  Duration retry_ = kFirstRetry;
  bool bound_ = false;
  bool peer_bound_ = false;
  bool via_server_ = false;
  bool via_stream_ = false;
  int udp_binds_ = 0;
  std::optional<RelayBindResult> refusal_;
  std::optional<Duration> rtt_;
  std::optional<Time> valid_until_;
};

}  // namespace yt
