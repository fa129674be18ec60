// The client's TCP streams to separate relays' listeners (RelayOffer::stream, port
// 443 where deployed): how a client whose UDP does not get through reaches a relay
// that is not the server's own. One stream per relay, shared by every tunnel relayed
// there and by the round-trip measurement; datagrams travel in u16-length frames,
// as the relay core's stream transport expects (server/relay/relay_core.h).
//
// A stream is opened on first use; what is sent before it connects waits (at most
// kMaxQueued datagrams; more are dropped like UDP under load). A stream that fails or
// closes is forgotten, and the next send opens a new one. A stream nothing was sent
// on for kIdleClose is closed: its relay forgets idle pairs after two minutes anyway.
//
// Connection ids: from kFirstConn up, apart from the control channel's.
#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "client/core/client_context.h"
#include "protocol/messages.h"
#include "protocol/stream_framer.h"
#include "protocol/time.h"

namespace yt {

class RelayStreams {
 public:
  static constexpr ConnId kFirstConn = ConnId{1} << 62;
  static constexpr std::size_t kMaxQueued = 64;
  static constexpr Duration kIdleClose = std::chrono::minutes(3);

  explicit RelayStreams(ClientContext& ctx) : ctx_(ctx) {}
  RelayStreams(const RelayStreams&) = delete;
  RelayStreams& operator=(const RelayStreams&) = delete;

  // Sends `datagram` to the relay whose listener is `stream`; `relay` is that
  // relay's UDP endpoint, the name its answers are reported under.
  void send(Endpoint stream, Endpoint relay, const Datagram& datagram);

  bool owns(ConnId conn) const { return conn >= kFirstConn && conn < kFirstAcceptedConn; }
  void on_connected(Time now, ConnId conn);
  // The datagrams that arrived, each with the relay (UDP endpoint) it came from.
  std::vector<std::pair<Endpoint, Datagram>> on_data(Time now, ConnId conn, ByteView data);
  void on_closed(Time now, ConnId conn);
  void on_timer(Time now);
  std::optional<Time> next_deadline() const;
  void close_all();

  // A stream to `stream` is connected.
  bool connected(Endpoint stream) const;

 private:
  struct Stream {
    ConnId conn = 0;
    Endpoint relay;
    bool connected = false;
    std::vector<Bytes> queued;  // framed, waiting for the connect
    StreamFramer framer;
    Time idle_since{};  // when on_timer last saw it unused
    bool used = false;  // sent or received on since then
  };
  std::map<Endpoint, Stream>::iterator by_conn(ConnId conn);

  ClientContext& ctx_;
  std::map<Endpoint, Stream> streams_;  // by the relay's listener
  ConnId next_conn_ = kFirstConn;
};

}  // namespace yt
