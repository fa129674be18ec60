// The sans-IO relay: forwards the sealed datagrams of server-introduced pairs between
// their two sides, over UDP or a TCP stream (port 443 for clients whose UDP is
// blocked); the two sides of one pair may use different transports. It sees
// ciphertext only and holds no tunnel keys: RelayData payloads are the peers' own
// sealed datagrams, forwarded unchanged.
//
// Admission (protocol/relay_ticket.h): a side is bound by a RelayBind whose mac
// verifies under the current or previous ticket key and whose sequence is above the
// last one accepted for that side; it is never an open relay. A bound side may
// re-bind from a new address (its NAT rebound, or it moved from UDP to TCP).
//
// Echo: a RelayEcho is answered with a RelayEchoReply of the same size, so clients
// can measure their round trip to each relay (the server picks each pair's relay by
// the sum of both sides' round trips).
//
// Limits (relay_config.h): pairs held, packets per side, bytes per pair, bind
// attempts per source address, payload size. Every refusal is counted in stats()
// under its reason, and a refused bind is answered with the reason (RelayBound), so
// the client can say why.
//
// Stream transport: the same datagram encodings, one per u16-length frame
// (protocol/stream_framer.h). A stream that breaks the framing is closed.
//
// Channel transport: whole datagrams over a reliable channel the embedding owns
// and frames itself, e.g. a client's sealed control connection to the server whose
// relay this is (a client whose UDP is blocked reaches the built-in relay that
// way, over the TCP connection it already has). Outputs for it are SendOnChannel.
//
// Driver contract as for every core (protocol/io_boundary.h): inputs with `now`,
// outputs drained after each input, one deadline.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/io_boundary.h"
#include "protocol/messages.h"
#include "protocol/relay_ticket.h"
#include "protocol/stream_framer.h"
#include "protocol/time.h"
#include "protocol/token_bucket.h"
#include "server/relay/relay_config.h"
#include "server/relay/relay_stats.h"

namespace yt {

// One datagram for the embedding to deliver on its channel `channel`.
struct SendOnChannel {
  ConnId channel = 0;
  Bytes datagram;
};

class RelayCore {
 public:
  using Output = std::variant<SendDatagram, SendStream, CloseStream, SendOnChannel>;

  explicit RelayCore(RelayConfig config = {});

  // The server's ticket keys: binds under `current` or `previous` are accepted, any
  // older key id counts as expired. Call again at each rotation.
  void set_ticket_keys(TicketKeyring current, std::optional<TicketKeyring> previous);

  // `local`: the socket it arrived on, and the one answers and forwarded data to
  // that side leave from (a server relays on its discovery sockets); unset for a
  // relay with one socket.
  void on_datagram(Time now, Endpoint local, Endpoint from, ByteView data);
  void on_datagram(Time now, Endpoint from, ByteView data) { on_datagram(now, Endpoint{}, from, data); }
  void on_stream_accepted(Time now, ConnId conn, Endpoint remote);
  void on_stream_data(Time now, ConnId conn, ByteView data);
  void on_stream_closed(Time now, ConnId conn);
  // One datagram from channel `channel` (ids of their own, apart from streams').
  void on_channel_datagram(Time now, ConnId channel, Endpoint remote, ByteView data);
  // Sides bound over the channel are unreachable until they bind again.
  void on_channel_closed(Time now, ConnId channel);
  void on_timer(Time now);
  std::optional<Time> next_deadline() const;
  std::vector<Output> drain_outputs();

  const RelayStats& stats() const { return stats_; }
  std::size_t pairs() const { return pairs_.size(); }

 private:
  // Where a side is reached: a UDP endpoint (through our socket `local`), an
  // accepted stream, or a channel. `udp` is the remote address in every case.
  enum class Via : std::uint8_t { kUdp, kStream, kChannel };
  struct Address {
    Endpoint udp;
    ConnId conn = 0;  // the stream or channel
    Endpoint local;
    Via via = Via::kUdp;
    Ipv4 ip() const { return udp.ip; }
    bool operator==(const Address& o) const {
      return via == o.via && (via == Via::kUdp ? udp == o.udp : conn == o.conn);
    }
  };
  void forget_connection(Via via, ConnId conn);
  // Sets where a side is reached, keeping connections_ current.
  void set_address(std::uint64_t pair_id, std::uint8_t side, std::optional<Address> address);
  struct Side {
    std::optional<Address> address;
    std::uint64_t sequence = 0;  // of the last accepted bind
    TokenBucket packets;
  };
  struct Pair {
    Pair(const RelayConfig& c)
        : sides{Side{std::nullopt, 0, TokenBucket(c.packets_per_second_per_side, c.packet_burst_per_side)},
                Side{std::nullopt, 0, TokenBucket(c.packets_per_second_per_side, c.packet_burst_per_side)}},
          bytes(c.bytes_per_second_per_pair, c.byte_burst_per_pair) {}
    Side sides[2];
    TokenBucket bytes;
    Time last_active{};
  };
  struct Stream {
    Endpoint remote;
    StreamFramer framer;
  };

  void receive(Time now, const Address& from, ByteView data);
  // The per-source-address budget binds and echoes share (a hash or an answer each).
  bool admit_address_work(Time now, Ipv4 ip);
  void bind(Time now, const Address& from, const RelayBind& m);
  void forward(Time now, const Address& from, RelayData& m);
  void send(const Address& to, const Datagram& datagram);
  void send_bytes(const Address& to, Bytes bytes);
  void touch(std::uint64_t pair_id, Pair& pair, Time now);
  // The key a bind names, or why not.
  std::optional<RelayBindResult> key_for(std::uint32_t key_id, TicketKey& key) const;

  RelayConfig config_;
  RelayStats stats_;
  std::optional<TicketKeyring> current_, previous_;
  std::map<std::uint64_t, Pair> pairs_;
  std::set<std::pair<Time, std::uint64_t>> expiry_;  // (idle deadline, pair id)
  std::map<Ipv4, TokenBucket> bind_rate_;
  std::size_t prune_bind_rate_at_ = 4096;
  std::map<ConnId, Stream> streams_;
  // The sides bound over each stream or channel, so that closing one costs its own
  // sides, not a scan of every pair.
  std::map<std::pair<Via, ConnId>, std::set<std::pair<std::uint64_t, std::uint8_t>>> connections_;
  std::vector<Output> outputs_;
};

}  // namespace yt
