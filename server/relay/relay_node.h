// A separate relay (yellowtail-relay), sans-IO: the relay core plus a control
// connection to the mediation server that introduced its pairs.
//
// The control connection: connect, Noise IK handshake pinning the server key (the
// server learns and authenticates ours: it admits only relay keys its operator
// listed), RelayRegister with where clients reach us, then RelayKeys from the
// server: the ticket keys binds are checked against, again at every rotation.
// Pings keep it alive; a lost connection is retried with jittered backoff. The relay
// keeps forwarding with the keys it holds while the server is away (tickets already
// issued stay good until the key retires), so a server outage costs relayed pairs
// nothing.
//
// Connection ids: the control connection's ids are chosen here, at kControlConnBase
// and up; the driver numbers the client streams it accepts below that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/backoff.h"
#include "protocol/handshake.h"
#include "protocol/identity.h"
#include "protocol/io_boundary.h"
#include "protocol/messages.h"
#include "protocol/random.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"
#include "protocol/time.h"
#include "server/relay/relay_config.h"
#include "server/relay/relay_core.h"

namespace yt {

struct RelayNodeConfig {
  Endpoint server;  // the mediation server's control endpoint
  PublicKey server_key{};
  std::string name;  // shown to clients and operators
  // Where clients reach us, as the server should tell them (our public address):
  // UDP, and the TCP listener for clients whose UDP is blocked (unset: none).
  Endpoint udp;
  Endpoint stream;
  // As a client's control connection (client/core/client_config.h): ping every 30
  // s, the server gone after 95 s of silence. Reconnect from 1 s to 10 s: a
  // deployment has a handful of relays, not thousands of clients, so trying often
  // costs the server nothing, and a relay back soon after its server is what its
  // pairs need (until then they are moved to the next best relay).
  Duration ping_interval = std::chrono::seconds(30);
  Duration server_timeout = std::chrono::seconds(95);
  Duration register_timeout = std::chrono::seconds(10);
  Duration reconnect_min = std::chrono::seconds(1);
  Duration reconnect_max = std::chrono::seconds(10);
  RelayConfig relay;
};

// What happened on the control connection, for the driver to log.
struct RelayNodeNotice {
  enum class Kind : std::uint8_t { kRegistered, kRefused, kLost, kKeysRotated } kind;
  std::string text;
};

class RelayNode {
 public:
  using Output = std::variant<OpenStream, SendDatagram, SendStream, CloseStream>;
  static constexpr ConnId kControlConnBase = ConnId{1} << 62;

  // `rng` must outlive the node.
  RelayNode(RelayNodeConfig config, Identity identity, RandomSource& rng);

  void start(Time now);

  void on_stream_connected(Time now, ConnId conn);
  // A client's stream to our TCP listener.
  void on_stream_accepted(Time now, ConnId conn, Endpoint remote);
  void on_stream_data(Time now, ConnId conn, ByteView data);
  void on_stream_closed(Time now, ConnId conn);
  void on_datagram(Time now, Endpoint from, ByteView data);
  void on_timer(Time now);
  std::optional<Time> next_deadline() const;
  std::vector<Output> drain_outputs();
  std::vector<RelayNodeNotice> take_notices();

  // Registered with the server and holding its ticket keys.
  bool registered() const { return phase_ == Phase::kRegistered; }
  bool has_keys() const { return has_keys_; }
  const RelayStats& stats() const { return relay_.stats(); }
  std::size_t pairs() const { return relay_.pairs(); }
  const PublicKey& public_key() const { return identity_.public_key; }

 private:
  enum class Phase : std::uint8_t { kIdle, kRetryWait, kConnecting, kHandshaking, kRegistering, kRegistered };
  bool is_control(ConnId conn) const { return conn >= kControlConnBase; }
  void open(Time now);
  void fail(Time now, RelayNodeNotice::Kind kind, std::string why, bool close_stream);
  void control_frame(Time now, ByteView frame);
  void control_message(Time now, ControlMessage& m);
  bool send(const ControlMessage& m);
  void send_frame(const ControlFrame& frame);
  void drain_relay();

  RelayNodeConfig config_;
  Identity identity_;
  RandomSource& rng_;
  RelayCore relay_;
  Backoff backoff_;
  Phase phase_ = Phase::kIdle;
  ConnId conn_ = 0;
  ConnId next_conn_ = kControlConnBase;
  Time attempt_started_{};
  Time retry_at_{};
  Time last_received_{};
  Time last_ping_{};
  std::uint64_t ping_nonce_ = 0;
  StreamFramer framer_;
  std::optional<HandshakeInitiator> initiator_;
  std::optional<Session> session_;
  bool has_keys_ = false;
  std::vector<Output> outputs_;
  std::vector<RelayNodeNotice> notices_;
};

}  // namespace yt
