// The relay core (server/relay/relay_core.h) fed arbitrary datagrams and stream bytes
// from four senders, with binds made under the key it trusts in the seeds. Checks
// that it is never an open relay: everything it sends goes to an address that bound
// with a valid ticket (or answers a bind attempt or an echo, at the echo's size),
// and stream output only to live streams.
#include <set>

#include "fuzz/fuzz_support.h"
#include "server/relay/relay_core.h"

using namespace yt;

namespace {

Endpoint sender_endpoint(std::uint8_t i) { return Endpoint{Ipv4::from_octets(198, 51, 100, 1 + i), 40000}; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  RelayConfig config;
  config.max_pairs = 4;
  config.packets_per_second_per_side = 50;
  config.packet_burst_per_side = 20;
  RelayCore relay(config);
  relay.set_ticket_keys(fuzz::relay_keys(), std::nullopt);
  Time now = time_from_us(1'000'000);
  std::set<Endpoint> bound_udp;           // sent a bind the relay accepted
  std::set<Endpoint> asked_udp;           // sent anything that decodes as a bind
  std::set<Endpoint> echoed_udp;          // sent anything that decodes as an echo
  std::set<ConnId> open_streams;

  auto check_outputs = [&] {
    for (auto& output : relay.drain_outputs()) {
      if (auto* d = std::get_if<SendDatagram>(&output)) {
        auto decoded = decode_datagram(d->payload);
        FUZZ_CHECK(decoded.ok());
        if (auto* bound = std::get_if<RelayBound>(&*decoded)) {
          FUZZ_CHECK(asked_udp.count(d->to));
          if (bound->result == RelayBindResult::kBound) bound_udp.insert(d->to);
        } else if (std::holds_alternative<RelayEchoReply>(*decoded)) {
          FUZZ_CHECK(echoed_udp.count(d->to));
          FUZZ_CHECK(d->payload.size() == encode_datagram(RelayEcho{}).size());  // never amplified
        } else {
          FUZZ_CHECK(std::holds_alternative<RelayData>(*decoded));
          FUZZ_CHECK(bound_udp.count(d->to));
        }
      } else if (auto* s = std::get_if<SendStream>(&output)) {
        FUZZ_CHECK(open_streams.count(s->conn));
      } else if (auto* c = std::get_if<CloseStream>(&output)) {
        FUZZ_CHECK(open_streams.count(c->conn));  // it broke the framing
        open_streams.erase(c->conn);
      }
    }
  };

  ByteView in = fuzz::view(data, size);
  std::size_t pos = 0;
  while (pos + 2 <= in.size()) {
    std::uint8_t op = in[pos], length = in[pos + 1];
    pos += 2;
    ByteView body(in.data() + pos, std::min<std::size_t>(length, in.size() - pos));
    pos += body.size();
    std::uint8_t kind = op & 3, sender = (op >> 2) & 3;
    auto decoded = decode_datagram(body);
    switch (kind) {
      case 0:
        if (decoded && std::holds_alternative<RelayBind>(*decoded)) asked_udp.insert(sender_endpoint(sender));
        if (decoded && std::holds_alternative<RelayEcho>(*decoded)) echoed_udp.insert(sender_endpoint(sender));
        relay.on_datagram(now, sender_endpoint(sender), body);
        break;
      case 1: {
        ConnId conn = sender + 1;
        if (!open_streams.count(conn)) {
          relay.on_stream_accepted(now, conn, sender_endpoint(sender));
          open_streams.insert(conn);
        }
        relay.on_stream_data(now, conn, body);
        break;
      }
      case 2:
        relay.on_stream_closed(now, sender + 1);
        open_streams.erase(sender + 1);
        break;
      case 3:
        now += std::chrono::milliseconds(100) * length;
        relay.on_timer(now);
        break;
    }
    check_outputs();
  }
  FUZZ_CHECK(relay.pairs() <= config.max_pairs);
  return 0;
}
