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
// Limits (relay_config.h): pairs held, packets per side, bytes per pair, bind
// attempts per source address, payload size. Every refusal is counted in stats()
// under its reason, and a refused bind is answered with the reason (RelayBound), so
// the client can say why.
//
// Stream transport: the same datagram encodings, one per u16-length frame
// (protocol/stream_framer.h). A stream that breaks the framing is closed.
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

class RelayCore {
 public:
  using Output = std::variant<SendDatagram, SendStream, CloseStream>;

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
  void on_timer(Time now);
  std::optional<Time> next_deadline() const;
  std::vector<Output> drain_outputs();

  const RelayStats& stats() const { return stats_; }
  std::size_t pairs() const { return pairs_.size(); }

 private:
  // Where a side is reached: a UDP endpoint (through our socket `local`), or an
  // accepted stream.
  struct Address {
    Endpoint udp;
    ConnId conn = 0;  // non-zero: the stream
    Endpoint local;
    Ipv4 ip() const { return udp.ip; }
    bool operator==(const Address& o) const { return conn == o.conn && (conn != 0 || udp == o.udp); }
  };
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
  std::vector<Output> outputs_;
};

}  // namespace yt
