// The load generator's clients: thousands of real ClientCores, each driven by its
// own AsioClientDriver (real UDP and TCP sockets) on one io_context, each on a
// loopback address of its own (127.1.0.1, 127.1.0.2, ...), so the server's
// per-address limits see them as separate machines. Every event is timestamped
// so the phases can report latencies.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/asio_client_driver.h"
#include "protocol/random.h"

namespace yt::load {

using Clock = std::chrono::steady_clock;

struct LoadClient {
  std::unique_ptr<AsioClientDriver> driver;
  std::optional<Clock::time_point> started;     // of the current login phase
  std::optional<Clock::time_point> synced;      // first Synced since `started`
  std::uint64_t busy = 0;                       // "server busy" login refusals
  std::uint64_t login_failures = 0;             // other login failures
  std::string last_failure;                     // the latest login failure or server loss
  std::map<std::uint32_t, Clock::time_point> requests;  // id -> sent at
  std::vector<std::pair<std::uint32_t, ReplyCode>> done; // request id, outcome
  std::vector<double> request_seconds;          // by completion order, with `done`
  std::size_t tunnels_up = 0;                   // peers with a tunnel up now
  std::map<PublicKey, bool> up;                 // peer -> tunnel up
};

class LoadClients {
 public:
  // First address 127.1.0.1; at most 65,534 clients.
  static constexpr std::size_t kMaxClients = 65534;
  static Ipv4 address_of(std::size_t i) { return Ipv4{Ipv4::from_octets(127, 1, 0, 0).value + static_cast<std::uint32_t>(i) + 1}; }

  LoadClients(boost::asio::io_context& io, RandomSource& rng) : io_(io), rng_(rng) {}

  // Creates clients first .. first + count - 1 of `server` (not started), each on
  // address_of(its number). Errors: a socket that cannot be bound (the message
  // says which).
  Status<std::string> create(std::size_t first, std::size_t count, Endpoint server, const PublicKey& server_key);

  // Starts every client's login now; each one's `started` is set and `synced` cleared.
  void start_all();
  // The current login phase: clients synced since their `started`.
  std::size_t synced() const;

  // Sends a request through client i's core; false when the core refused it.
  bool create_network(std::size_t i, const std::string& name, const std::string& password);
  bool join_network(std::size_t i, const std::string& name, const std::string& password);

  std::size_t size() const { return clients_.size(); }
  LoadClient& operator[](std::size_t i) { return clients_[i]; }
  const LoadClient& operator[](std::size_t i) const { return clients_[i]; }

 private:
  void on_event(std::size_t i, const ClientEvent& event);

  boost::asio::io_context& io_;
  RandomSource& rng_;
  std::vector<LoadClient> clients_;
};

}  // namespace yt::load
