// FakeNetwork: a deterministic simulated network for end-to-end tests of the client
// and server cores, with a manual clock.
//
// It plays every core's driver (protocol/io_boundary.h): it hands each core its
// inputs, drains the core's outputs after every input, and performs them:
//   - datagrams are delivered after the one-way delay, unless the seeded loss draw
//     drops them; a datagram to an address nobody owns is dropped and counted;
//   - a client's OpenStream to the server's control endpoint connects (the server
//     sees on_stream_accepted after one delay, the client on_stream_connected after
//     two); while the server is down the client sees on_stream_closed (refused)
//     after two delays. Stream bytes arrive in order after one delay, never lost;
//     a close reaches the other side after the bytes sent before it. A stream
//     opened from a `local_port` is seen by the server as coming from that port of
//     the client's public address (a port-preserving TCP NAT);
//   - a client's OpenStream to another client's public address is a TCP hole
//     punch: every client sits behind a stateful TCP filter that drops an
//     unsolicited SYN, so it connects only once the other client has opened one
//     toward it too, from the port it aims at and to this one's public address and
//     port (both sides then see on_stream_connected, one delay after the second
//     open); until then it stays pending, and the core gives up on its own.
//     Bytes then flow in order after one delay each way. UDP translators do not
//     apply: TCP is let out even where they drop UDP (udp-blocked). A client's
//     ListenStream is accepted and never reached: no gateway maps its port here;
// Time only moves in run_*(): to the earliest pending delivery or core deadline,
// one step at a time, and at most `max_steps` steps per call, so a core that keeps
// asking to be woken at the same instant fails the test instead of hanging it.
//
// Everything is ordered (deliveries by time then sequence number, cores by index), so
// the same seed and the same test inputs give the same event log, byte for byte.
//
// Clients have public addresses. An optional AddressTranslator per client lets a NAT
// model rewrite its datagrams later; the client is then reached at `public_ip`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "client/core/client_core.h"
#include "protocol/driver_loop.h"
#include "protocol/identity.h"
#include "protocol/random.h"
#include "server/core/memory_storage.h"
#include "server/core/server_core.h"
#include "tests/sim/address_translator.h"

namespace yt::sim {

struct NetworkOptions {
  std::uint64_t seed = 1;  // every node's randomness and the loss draws derive from it
  Duration one_way_delay = 10ms;
  double datagram_loss = 0.0;  // probability that one datagram is lost, 0..1
  std::size_t max_steps = 1'000'000;
};

struct ClientOptions {
  std::string name;
  Endpoint address;  // the client's UDP socket; also the source IP of its TCP connection
  // Tunables; `server`, `server_key`, `nickname` (if empty) and `lan_endpoints` (if
  // empty) are filled in by add_client.
  ClientConfig config;
  // When set, the client's datagrams pass through it and the client is reached at
  // `public_ip` instead of `address`. Not owned; must outlive the network.
  AddressTranslator* translator = nullptr;
  Ipv4 public_ip;
};

// One ClientEvent as the log records it.
struct RecordedEvent {
  Time at;
  std::size_t client = 0;
  ClientEvent event;
};

struct NetworkCounters {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_lost = 0;           // loss draw
  std::uint64_t datagrams_undeliverable = 0;  // nobody at that address (or dropped by a translator)
  std::uint64_t streams_opened = 0;
  std::uint64_t streams_refused = 0;
};

class FakeNetwork {
 public:
  explicit FakeNetwork(NetworkOptions options = {});
  ~FakeNetwork();
  FakeNetwork(const FakeNetwork&) = delete;
  FakeNetwork& operator=(const FakeNetwork&) = delete;

  // ---- the server (at most one)

  // Creates the server and starts it. `config.discovery_endpoints` is overwritten
  // with `discovery`; the password strength should be minimum() for speed.
  void add_server(Endpoint control, std::vector<Endpoint> discovery, ServerConfig config);
  // Crash: every control stream is reset (clients see on_stream_closed after one
  // delay), the ServerCore is destroyed, connections are refused until start_server.
  void stop_server();
  // A new ServerCore with the same identity over the same storage (a restart).
  void start_server();
  bool server_up() const { return server_ != nullptr; }
  ServerCore* server() { return server_.get(); }
  MemoryStorage& storage() { return storage_; }
  const PublicKey& server_key() const { return server_identity_.public_key; }
  Endpoint server_control() const { return server_control_; }

  // ---- clients

  // Adds a client (identity drawn from its own seeded stream); not started.
  std::size_t add_client(ClientOptions options);
  std::size_t client_count() const { return clients_.size(); }
  // A caller may change the core through this reference without a drain, so the
  // cached deadlines are recomputed before the next step.
  ClientCore& client(std::size_t i) {
    deadlines_stale_ = true;
    return *clients_.at(i).core;
  }
  const ClientCore& client(std::size_t i) const { return *clients_.at(i).core; }
  const std::string& client_name(std::size_t i) const { return clients_.at(i).name; }
  Endpoint client_address(std::size_t i) const { return clients_.at(i).address; }
  // The address peers and the server see for this client's datagrams.
  Endpoint client_public_endpoint(std::size_t i) const;

  // Runs `f(core, now)` as a driver input, then drains the core. Returns f's result.
  template <typename F>
  auto with_client(std::size_t i, F&& f) {
    ClientCore& core = client(i);
    if constexpr (std::is_void_v<decltype(f(core, now_))>) {
      f(core, now_);
      drain_client(i);
    } else {
      auto result = f(core, now_);
      drain_client(i);
      return result;
    }
  }
  void start_client(std::size_t i);
  void stop_client(std::size_t i);
  // A middlebox resets client i's TCP punch connections: both ends hear them close.
  void reset_peer_streams(std::size_t i);
  // The client's process dies and a new one starts with the same key and config (not
  // started): its TCP connections reset, in-flight stream data is lost; UDP to its
  // address reaches the new process.
  void restart_client(std::size_t i);
  // The client's machine moves to another network (Wi-Fi to LTE): its address
  // changes, its TCP connections break, the process and its UDP socket live on.
  // Untranslated clients only. `tell_client`: the client hears its streams reset;
  // otherwise they go silent, as a kernel's do when their address disappears (it
  // keeps retransmitting), and only the driver's network-change notice or the
  // control channel's own timeout ends them.
  void move_client(std::size_t i, Endpoint address, bool tell_client = true);

  // A raw datagram onto the wire (e.g. garbage from an attacker), delivered like any.
  void inject_datagram(Endpoint from, Endpoint to, Bytes payload);

  // ---- time

  Time now() const { return now_; }
  // Runs until `until` (now() == until afterwards). False when the step limit hit.
  bool run_until(Time until);
  bool run_for(Duration d) { return run_until(now_ + d); }
  // Runs until `done()` holds (checked after every step) or `limit` passes. True
  // when done() held.
  bool run_until(const std::function<bool()>& done, Duration limit);
  bool step_limit_hit() const { return step_limit_hit_; }

  // ---- observation

  const std::vector<RecordedEvent>& events() const { return events_; }
  // Events of one client, of one type, in order.
  template <typename E>
  std::vector<E> events_of(std::size_t i) const {
    std::vector<E> out;
    for (const RecordedEvent& r : events_) {
      if (r.client != i) continue;
      if (const E* e = std::get_if<E>(&r.event)) out.push_back(*e);
    }
    return out;
  }
  // "t=<us> <client> <describe(event)>" per line.
  std::string event_log() const;
  const NetworkCounters& counters() const { return counters_; }

  // Changing the delay mid-run keeps stream bytes in order (a later send never
  // overtakes an earlier one).
  void set_one_way_delay(Duration d) { options_.one_way_delay = d; }
  void set_datagram_loss(double p) { options_.datagram_loss = p; }

 private:
  // Every TCP stream of client i resets: the server sees it close; the client too
  // when `tell_client` (it lives on), not when its process is gone.
  void reset_client_streams(std::size_t i, bool tell_client);
  struct Client {
    std::string name;
    Endpoint address;
    // Extra sockets (SendDatagram::socket), each on a port of its own from 40000 up.
    std::map<SocketId, Endpoint> extra_sockets;
    std::uint16_t next_extra_port = 40000;
    // The socket bound to `local`, if any.
    std::optional<SocketId> socket_at(Endpoint local) const {
      if (local == address) return SocketId{0};
      for (const auto& [id, bound] : extra_sockets) {
        if (bound == local) return id;
      }
      return std::nullopt;
    }
    AddressTranslator* translator = nullptr;
    Ipv4 public_ip;
    std::unique_ptr<SeededRandom> rng;
    ClientConfig config;  // what the core was made with, for a restart
    Identity identity;
    std::unique_ptr<ClientCore> core;
    DriverLoop loop;
  };
  struct Stream {
    std::size_t client = 0;
    ConnId client_conn = 0;
    ConnId server_conn = 0;
    std::uint64_t server_generation = 0;
    bool open_at_client = true;
    bool open_at_server = true;
    Time last_to_server{};  // keeps each direction in order if the delay changes
    Time last_to_client{};
  };

  void schedule(Time at, std::function<void()> action);
  Time stream_arrival(Time& last);
  void drain_client(std::size_t i);
  void drain_server();
  void send_datagram(Endpoint from, Endpoint to, Bytes payload);
  void deliver_datagram(Endpoint from, Endpoint to, const Bytes& payload);
  void open_stream(std::size_t client, const OpenStream& open);
  // TCP hole punching between clients (top of file).
  struct PeerStream {
    std::size_t client = 0;
    ConnId conn = 0;
    Endpoint from;  // public address and local port
    Endpoint to;
    bool connected = false;
    bool open = true;
    std::optional<std::pair<std::size_t, ConnId>> other;
    Time last_to_other{};
  };
  bool open_peer_stream(std::size_t client, const OpenStream& open);
  PeerStream* peer_stream(std::size_t client, ConnId conn);
  void send_on_peer_stream(PeerStream& s, Bytes data);
  void close_peer_stream(PeerStream& s);
  Stream* stream_by_client(std::size_t client, ConnId conn);
  Stream* stream_by_server(ConnId conn);
  bool step(Time until);
  std::optional<Time> next_timer();
  // Each client core's next deadline as of its last drain: asking thousands of
  // cores at every step would cost more than the simulation.
  void refresh_deadlines();

  NetworkOptions options_;
  Time now_{};
  SeededRandom loss_rng_;
  std::uint64_t next_sequence_ = 0;
  std::map<std::pair<Time, std::uint64_t>, std::function<void()>> pending_;

  // Server
  Endpoint server_control_;
  std::vector<Endpoint> server_discovery_;
  ServerConfig server_config_;
  Identity server_identity_;
  std::unique_ptr<SeededRandom> server_rng_;
  MemoryStorage storage_;
  std::unique_ptr<ServerCore> server_;
  DriverLoop server_loop_;
  std::uint64_t server_generation_ = 0;
  bool server_configured_ = false;

  std::vector<Client> clients_;
  std::vector<std::optional<Time>> deadlines_;  // by client
  bool deadlines_stale_ = true;
  std::map<std::uint64_t, Stream> streams_;  // by stream id
  std::map<std::pair<std::size_t, ConnId>, PeerStream> peer_streams_;
  std::uint64_t next_stream_ = 1;
  std::map<std::pair<std::size_t, ConnId>, std::uint64_t> by_client_conn_;
  std::map<ConnId, std::uint64_t> by_server_conn_;
  ConnId next_server_conn_ = 1;

  std::vector<RecordedEvent> events_;
  NetworkCounters counters_;
  bool step_limit_hit_ = false;
};

}  // namespace yt::sim
