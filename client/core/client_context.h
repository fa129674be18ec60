// State every part of the client core shares: its configuration, identity, injected
// randomness, counters and the one output queue the driver drains.
//
// One ClientContext per ClientCore, owned by it; the parts (control channel,
// discovery, tunnels) hold a reference and never outlive it. Outputs are appended in
// the order they must be performed, so parts that run in sequence within one input
// produce one well-ordered queue.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "client/core/client_config.h"
#include "client/core/client_types.h"
#include "client/core/client_events.h"
#include "client/core/client_stats.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/random.h"

namespace yt {

struct ClientContext {
  ClientContext(ClientConfig config_in, Identity identity_in, RandomSource& rng_in)
      : config(std::move(config_in)), identity(identity_in), rng(rng_in) {}

  ClientConfig config;
  Identity identity;
  RandomSource& rng;
  ClientStats stats;
  std::vector<ClientOutput> outputs;
  // Sends one message on the control connection; false when there is none. Set by
  // the core, whose control channel owns the connection.
  std::function<bool(const ControlMessage&)> send_to_server;
  // Sends one datagram over the TCP stream to a separate relay's listener
  // `stream`, whose UDP endpoint is `relay` (client/core/relay_streams.h).
  std::function<void(Endpoint stream, Endpoint relay, const Datagram&)> send_to_relay_stream;
  // What discovery found and the login reply said: whether our UDP is blocked, and
  // the server's primary discovery endpoint, where its built-in relay is (the one
  // relay a client can also reach over the control connection).
  bool udp_blocked = false;
  std::optional<Endpoint> server_relay;
  // The local TCP port whose mapping the server learned (tcp_mapping_probe.h):
  // TCP punches leave from it. nullopt until then, or when that failed.
  std::optional<std::uint16_t> tcp_punch_port;
  // TCP punch connections (tcp_punch.h) take ids from here on, apart from the
  // control channel's (small), the TCP mapping probe's and the relay streams'
  // (relay_streams.h).
  static constexpr ConnId kFirstPunchConn = ConnId{1} << 61;
  ConnId next_punch_conn = kFirstPunchConn;

  void emit(ClientEvent event) { outputs.emplace_back(std::move(event)); }
  // A client names its socket, not a local endpoint (io_boundary.h): 0 is the main one.
  void send_datagram(Endpoint to, const Datagram& datagram, std::uint8_t ttl = 0, SocketId socket = 0) {
    outputs.emplace_back(SendDatagram{Endpoint{}, to, encode_datagram(datagram), ttl, socket});
    ++datagrams_sent;
  }
  void send_bytes(Endpoint to, Bytes payload, SocketId socket = 0) {
    outputs.emplace_back(SendDatagram{Endpoint{}, to, std::move(payload), 0, socket});
    ++datagrams_sent;
  }

  // Extra sockets (birthday probing): a number not in use, or nullopt when
  // config.max_extra_sockets are open already.
  std::optional<SocketId> open_socket() {
    if (extra_sockets.size() >= config.max_extra_sockets) return std::nullopt;
    for (std::size_t tries = 0; tries < 65535; ++tries) {
      next_socket = next_socket == 65535 ? 1 : static_cast<SocketId>(next_socket + 1);
      if (extra_sockets.insert(next_socket).second) return next_socket;
    }
    return std::nullopt;
  }
  void close_socket(SocketId socket) {
    if (socket != 0 && extra_sockets.erase(socket)) outputs.emplace_back(CloseSocket{socket});
  }
  std::set<SocketId> extra_sockets;
  SocketId next_socket = 0;
  // Every UDP datagram queued so far: whether our socket was quiet in a while.
  std::uint64_t datagrams_sent = 0;
};

}  // namespace yt
