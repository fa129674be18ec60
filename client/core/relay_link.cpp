#include "client/core/relay_link.h"

#include <algorithm>

namespace yt {

RelayLink::RelayLink(const RelayOffer& offer, Time now, Time bind_at) : offer_(offer), next_bind_at_(bind_at) {
  if (offer.valid_for_s > 0) valid_until_ = now + std::chrono::seconds(offer.valid_for_s);
}

void RelayLink::on_timer(Time now, ClientContext& ctx) {
  if (bound_ || refusal_ || now < next_bind_at_) return;
  const bool servers_own = ctx.server_relay && *ctx.server_relay == offer_.endpoint;
  if (!over_tcp() && (ctx.udp_blocked || udp_binds_ >= kUdpTriesFirst)) {
    if (servers_own) {
      via_server_ = true;
    } else if (!offer_.stream.is_unset() && ctx.send_to_relay_stream) {
      via_stream_ = true;
    }
  }
  ++sequence_;
  const RelayTicket& t = offer_.ticket;
  transmit(RelayBind{t.key_id, t.pair_id, t.side, sequence_, bind_mac(t.bind_secret, t.pair_id, t.side, sequence_)},
           ctx);
  if (!over_tcp()) ++udp_binds_;
  sent_at_ = now;
  next_bind_at_ = now + retry_;
  retry_ = std::min<Duration>(retry_ * 2, kMaxRetry);
}

std::optional<Time> RelayLink::next_deadline() const {
  if (bound_ || refusal_) return std::nullopt;
  return next_bind_at_;
}

RelayLink::Answer RelayLink::on_bound(Time now, Endpoint from, const RelayBound& m) {
  if (from != offer_.endpoint || m.pair_id != offer_.ticket.pair_id || m.side != offer_.ticket.side) {
    return Answer::kIgnored;
  }
  // Only the answer to the latest bind counts: an older one's round trip is not
  // measurable, and a newer bind is on its way anyway.
  if (bound_ || refusal_ || m.sequence != sequence_) return Answer::kIgnored;
  if (m.result == RelayBindResult::kReplayed) {
    // The relay holds a higher sequence for our side than we sent (it cannot be a
    // sequence of ours: we count up); bind again at once with the next one.
    next_bind_at_ = now;
    return Answer::kIgnored;
  }
  if (m.result != RelayBindResult::kBound) {
    refusal_ = m.result;
    return Answer::kRefused;
  }
  bound_ = true;
  if (!over_tcp()) udp_binds_ = 0;  // UDP gets through: only unanswered binds count
  peer_bound_ = m.peer_bound;
  rtt_ = now - sent_at_;
  retry_ = kFirstRetry;
  return Answer::kBound;
}

bool RelayLink::carries(Endpoint from, const RelayData& m) const {
  return from == offer_.endpoint && m.pair_id == offer_.ticket.pair_id && m.side == 1 - offer_.ticket.side;
}

void RelayLink::send(Bytes datagram, ClientContext& ctx) const {
  transmit(RelayData{offer_.ticket.pair_id, offer_.ticket.side, std::move(datagram)}, ctx);
}

void RelayLink::transmit(const Datagram& datagram, ClientContext& ctx) const {
  if (via_stream_) {
    ctx.send_to_relay_stream(offer_.stream, offer_.endpoint, datagram);
  } else if (!via_server_) {
    ctx.send_datagram(offer_.endpoint, datagram);
  } else if (ctx.send_to_server) {
    (void)ctx.send_to_server(RelayFrame{encode_datagram(datagram)});  // no connection: lost, like a UDP drop
  }
}

void RelayLink::rebind(Time now) {
  bound_ = false;
  refusal_.reset();
  next_bind_at_ = now;
  retry_ = kFirstRetry;
}

}  // namespace yt
