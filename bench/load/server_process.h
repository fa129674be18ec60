// A real yellowtail-server as a child process, for the load generator: started on
// loopback with its database and key in a directory of ours, watched for memory
// (VmRSS from /proc), killed with SIGKILL and started again on the same database.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/result.h"

namespace yt::load {

struct ServerLaunch {
  std::string binary;     // yellowtail-server
  std::string directory;  // server.db, server.key and server.log go here
  Endpoint control;       // TCP listen endpoint
  std::vector<Endpoint> discovery;  // UDP discovery endpoints (the first is the built-in relay)
};

class ServerProcess {
 public:
  // The server's public key (its --print-public-key), creating the key file.
  static Result<PublicKey, std::string> public_key(const ServerLaunch& launch);

  explicit ServerProcess(ServerLaunch launch) : launch_(std::move(launch)) {}
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (at most 10 s) until it accepts TCP connections.
  Status<std::string> start();
  // SIGKILL, and reaped: nothing flushed, as in a crash.
  void kill_hard();
  // SIGTERM, then SIGKILL after 5 s.
  void stop();
  bool running() const { return pid_ > 0; }
  // Resident memory of the server process, bytes; nullopt when it cannot be read.
  std::optional<std::uint64_t> rss_bytes() const;

 private:
  ServerLaunch launch_;
  pid_t pid_ = -1;
};

}  // namespace yt::load
