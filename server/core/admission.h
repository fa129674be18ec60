// Admission control: what keeps one source, or everyone at once, from taking the
// server away from the rest.
//
//  - Connections: at most max_connections in all and max_connections_per_address
//    from one IP address; one over is told "busy" and closed at once.
//  - Handshakes: each costs the server three X25519 operations, the one expensive
//    step a stranger can make it do. A token bucket per source address and one for
//    the whole server bound that work; a msg1 over either is answered with a
//    kServerBusy reject naming when to retry, without any DH.
//
// WireGuard answers load with a cookie reply, whose job is to prove the sender owns
// its source address before the responder spends a DH on it. Our control channel is
// TCP: the three-way handshake has proven the address already, so the per-address
// bucket can act on it directly. The global bucket turns a login storm after a
// restart (every client reconnecting at once) into a queue: each client over the
// rate gets a retry time further out, so they come back spread over the rate
// instead of all at once.
//
// Sans-IO like the rest of the core: time comes in as `now`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "protocol/endpoint.h"
#include "protocol/token_bucket.h"
#include "protocol/time.h"

namespace yt {

struct AdmissionConfig {
  // Total control connections. Each holds a file descriptor in the driver and a few
  // KB here; 20,000 fits the usual 64k descriptor limit with room for storage and
  // discovery sockets. The driver lowers it to what its descriptor limit allows.
  std::size_t max_connections = 20000;
  // Per source IP. A household behind one NAT runs a handful of clients; a CGNAT
  // address may carry a few hundred subscribers, of whom few run yellowtail.
  std::size_t max_connections_per_address = 64;
  // Handshakes per second from one IP (and the burst it may spend at once). A real
  // client makes one per reconnect; 2/s with a burst of 16 lets a whole household
  // reconnect at once and holds a flooder to 2 DH-costing msg1s a second.
  double handshakes_per_address_per_second = 2;
  double handshake_burst_per_address = 16;
  // Handshakes per second for the whole server (and burst). One handshake and login
  // cost well under a millisecond of one core, so 2,000/s leaves most of the core to
  // everything else and absorbs a 10,000-client storm in about 5 s.
  double handshakes_per_second = 2000;
  double handshake_burst = 4000;
  // Password checks (join) and hashes (create) per source address: each costs an
  // argon2id run (tens of ms and 64 MiB at the interactive cost) on the server's one
  // thread, and a wrong guess must not be cheap to repeat. 10 at once, then one
  // every 5 s: a person who mistypes never notices; an online guesser gets 17,000
  // guesses a day per address instead of hundreds a minute.
  double password_attempts_per_address_per_second = 0.2;
  double password_attempt_burst_per_address = 10;
  // Retry times handed out under load are capped here, so a client is never sent
  // away for long on a misjudged rate.
  Duration max_retry_after = 60s;
};

enum class AdmissionVerdict : std::uint8_t { kAdmit, kTooManyConnections, kTooManyFromAddress };

class Admission {
 public:
  explicit Admission(AdmissionConfig config) : config_(config), global_(config.handshakes_per_second, config.handshake_burst) {}

  // A new connection from `remote`: counted when admitted (release it with closed()).
  AdmissionVerdict connection(Ipv4 remote);
  void closed(Ipv4 remote);

  // A handshake from `remote` at `now`: nullopt to go ahead, or how long the client
  // should wait before trying again.
  std::optional<Duration> handshake(Time now, Ipv4 remote);

  // A password check or hash for `remote` at `now`: nullopt to go ahead, or how
  // long until the next one is allowed.
  std::optional<Duration> password_attempt(Time now, Ipv4 remote);

  std::size_t connections() const { return total_; }
  std::size_t tracked_addresses() const { return buckets_.size(); }
  const AdmissionConfig& config() const { return config_; }
  void set_max_connections(std::size_t max) { config_.max_connections = max; }

 private:
  void prune(Time now);

  AdmissionConfig config_;
  TokenBucket global_;
  std::map<Ipv4, TokenBucket> buckets_;
  std::map<Ipv4, TokenBucket> password_buckets_;
  std::map<Ipv4, std::size_t> per_address_;
  std::size_t total_ = 0;
  // The end of the virtual queue of clients sent away by the global bucket: each new
  // one gets the next slot, so a storm comes back spread over the rate.
  Time next_slot_{};
  static constexpr std::size_t kPruneAtLeast = 4096;
  std::size_t prune_at_ = kPruneAtLeast;
};

}  // namespace yt
