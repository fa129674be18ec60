// yellowtail-load: a real yellowtail-server (a child process on loopback, its own
// SQLite database) under thousands of real client cores in this process, over
// real sockets. Phases, each timed and printed:
//   1. login storm: every client logs in at once (handshake, login, discovery,
//      sync): logins per second and latency percentiles
//   2. memory: the server's resident memory per online client, and what that
//      makes clients per GiB
//   3. networks: one member of each network creates it, the others join at once:
//      requests per second and latency percentiles
//   4. tunnels: the server plans every pair of every network; pairs up (both
//      sides) per second
//   5. restart storm: the server is killed (SIGKILL) and started again on its
//      database; every client must come back: time until all are synced, busy
//      answers given, and no client left behind
// Exit status 0 when every phase completed within --timeout, 1 otherwise, 2 for
// bad arguments.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/load_worker.h"
#include "bench/load/server_process.h"
#include "bench/load/workers.h"
#include "platform/fd_limit.h"
#include "platform/system_random.h"

namespace {

using namespace yt;
using namespace yt::load;
using namespace std::chrono_literals;

struct Options {
  std::size_t clients = 1000;
  std::size_t network_size = 8;
  std::string server_binary;
  double timeout_s = 120;
  double down_s = 3;
  bool restart = true;
  std::uint16_t port = 23975;
  std::size_t workers = 0;  // 0: as few as the descriptor limit allows
};

using Clock = std::chrono::steady_clock;


// The q-quantile (0..1) of `v` (sorted here), nearest rank.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(rank, v.size() - 1)];
}

std::string percentiles_ms(const std::vector<double>& seconds) {
  char text[96];
  std::snprintf(text, sizeof text, "p50 %.0f / p90 %.0f / p99 %.0f / max %.0f ms", quantile(seconds, 0.5) * 1000,
                quantile(seconds, 0.9) * 1000, quantile(seconds, 0.99) * 1000, quantile(seconds, 1.0) * 1000);
  return text;
}

std::string default_server_binary(const char* argv0) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path sibling = self.parent_path().parent_path() / "server" / "yellowtail-server";
    if (std::filesystem::exists(sibling)) return sibling.string();
  }
  return argv0 ? "yellowtail-server" : "";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "yellowtail-load: measures a real yellowtail-server under thousands of real clients.\n"
      "Starts the server on loopback (127.0.0.1, its own database in a temporary directory),\n"
      "runs the clients in worker processes (each client on its own 127.1.x.y address, real\n"
      "sockets, two descriptors each), and prints logins/s, memory per client, requests/s,\n"
      "tunnel pairs/s and how a SIGKILL-and-restart storm is absorbed."};
  app.add_option("--clients", o.clients, "clients")->check(CLI::Range(2, 60000))->capture_default_str();
  app.add_option("--network-size", o.network_size, "members per network (clients are split into networks)")
      ->check(CLI::Range(2, 256))
      ->capture_default_str();
  app.add_option("--server-binary", o.server_binary, "yellowtail-server to run (default: the build's)");
  app.add_option("--port", o.port, "loopback TCP/UDP port for the server")->capture_default_str();
  app.add_option("--workers", o.workers, "client processes (default: as few as the descriptor limit allows)")
      ->check(CLI::Range(1, 64));
  app.add_option("--timeout", o.timeout_s, "seconds each phase may take")->check(CLI::Range(1.0, 3600.0))->capture_default_str();
  app.add_option("--down", o.down_s, "seconds the server stays dead in the restart storm")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_flag("!--no-restart", o.restart, "skip the restart storm");
  CLI11_PARSE(app, argc, argv);
  if (o.server_binary.empty()) o.server_binary = default_server_binary(argv[0]);
  ::signal(SIGPIPE, SIG_IGN);  // a worker that died is reported, not fatal

  // Each worker holds two descriptors per client and a few of its own.
  const std::size_t limit = raise_fd_limit();
  std::size_t per_worker = limit > 256 ? (limit - 128) / 2 : 0;
  per_worker -= per_worker % o.network_size;  // whole networks per worker
  if (per_worker == 0) {
    std::fprintf(stderr, "yellowtail-load: the descriptor limit (%zu, ulimit -n) is too low\n", limit);
    return 2;
  }
  std::size_t workers = (o.clients + per_worker - 1) / per_worker;
  if (o.workers > workers) workers = o.workers;
  std::size_t slice = (o.clients + workers - 1) / workers;
  slice += (o.network_size - slice % o.network_size) % o.network_size;
  if (slice > per_worker) {
    std::fprintf(stderr, "yellowtail-load: %zu clients per worker exceed the descriptor limit (%zu)\n", slice, limit);
    return 2;
  }

  char dir_template[] = "/tmp/yellowtail-load.XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::fprintf(stderr, "yellowtail-load: cannot make a temporary directory\n");
    return 1;
  }
  const std::string dir = dir_template;
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_dir{dir};

  const Ipv4 loopback = Ipv4::from_octets(127, 0, 0, 1);
  ServerLaunch launch{o.server_binary, dir, Endpoint{loopback, o.port},
                      {Endpoint{loopback, o.port}, Endpoint{Ipv4::from_octets(127, 0, 0, 2), o.port}}};
  auto key = ServerProcess::public_key(launch);
  if (!key) {
    std::fprintf(stderr, "yellowtail-load: %s\n", key.error().c_str());
    return 2;
  }
  ServerProcess server(launch);
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "yellowtail-load: %s\n", started.error().c_str());
    return 1;
  }
  std::this_thread::sleep_for(200ms);
  const std::uint64_t rss_idle = server.rss_bytes().value_or(0);

  std::vector<WorkerSlice> slices;
  for (std::size_t first = 0; first < o.clients; first += slice) {
    slices.push_back(WorkerSlice{first, std::min(slice, o.clients - first), o.network_size, launch.control, *key});
  }
  std::printf("yellowtail-load: %zu clients in networks of %zu, in %zu worker process%s, against %s\n", o.clients,
              o.network_size, slices.size(), slices.size() == 1 ? "" : "es", o.server_binary.c_str());
  std::fflush(stdout);
  Workers pool;
  if (auto made = pool.start(slices, o.timeout_s); !made) {
    std::fprintf(stderr, "yellowtail-load: %s\n", made.error().c_str());
    return 1;
  }
  bool complete = true;
  auto check = [&](const PhaseResult& r, const std::string& phase) {
    if (r.complete) return;
    std::printf("    %s did not complete within %.0f s\n", phase.c_str(), o.timeout_s);
    complete = false;
  };

  // 1. Login storm.
  std::printf("\n== 1. login storm: %zu clients log in at once\n", o.clients);
  PhaseResult login = pool.run("login", o.clients, o.timeout_s, "synced");
  check(login, "login");
  std::printf("    %zu synced in %.2f s: %.0f logins/s; login to sync %s; %llu busy answers\n", login.progress,
              login.seconds, static_cast<double>(login.progress) / login.seconds,
              percentiles_ms(login.samples["login"]).c_str(), static_cast<unsigned long long>(login.values["busy"]));

  // 2. Memory.
  std::this_thread::sleep_for(200ms);
  const std::uint64_t rss_online = server.rss_bytes().value_or(0);
  const double per_client = rss_online > rss_idle ? static_cast<double>(rss_online - rss_idle) / o.clients : 0;
  std::printf("\n== 2. server memory\n    RSS idle %.1f MiB, with %zu online %.1f MiB: %.0f bytes per client, "
              "%.0f clients per GiB\n",
              rss_idle / 1048576.0, o.clients, rss_online / 1048576.0, per_client,
              per_client > 0 ? 1073741824.0 / per_client : 0.0);

  // 3. Networks, 4. tunnels (planned as members join).
  const std::size_t groups = (o.clients + o.network_size - 1) / o.network_size;
  std::printf("\n== 3. networks: %zu networks, creates then joins\n", groups);
  PhaseResult networks = pool.run("networks", o.clients, o.timeout_s, "requests answered");
  check(networks, "networks");
  const std::vector<double>& joins = networks.samples["join"];
  std::printf("    %zu creates (%s); %zu joins (%s); %.0f requests/s over %.2f s; %llu refused\n",
              networks.samples["create"].size(), percentiles_ms(networks.samples["create"]).c_str(), joins.size(),
              percentiles_ms(joins).c_str(), static_cast<double>(networks.progress) / networks.seconds,
              networks.seconds, static_cast<unsigned long long>(networks.values["refused"]));
  if (networks.values["refused"] > 0) complete = false;
  std::size_t sides = 0;
  for (const WorkerSlice& s : slices) {
    for (std::size_t k = 0; k < s.count; k += o.network_size) {
      const std::size_t members = std::min(o.network_size, s.count - k);
      sides += members * (members - 1);
    }
  }
  std::printf("\n== 4. tunnels: %zu pairs planned by the server and punched\n", sides / 2);
  PhaseResult tunnels = pool.run("tunnels", sides, o.timeout_s, "tunnel ends up");
  check(tunnels, "tunnels");
  const double tunnels_took = networks.seconds + tunnels.seconds;
  std::printf("    %zu of %zu pairs up on both sides %.2f s after the first create: %.0f pairs/s\n",
              tunnels.progress / 2, sides / 2, tunnels_took, static_cast<double>(tunnels.progress) / 2 / tunnels_took);

  // 5. Restart storm.
  if (o.restart) {
    std::printf("\n== 5. restart storm: SIGKILL, %.0f s down, a fresh server on the same database\n", o.down_s);
    // The workers start watching before the kill: a client that is back before
    // the coordinator notices the server is up must count too. Latencies are then
    // taken from the server's return.
    const Clock::time_point armed = Clock::now();
    Clock::time_point returned = armed;
    std::string restart_error;
    PhaseResult back = pool.run("restart", o.clients, o.timeout_s, "back", [&] {
      server.kill_hard();
      std::this_thread::sleep_for(std::chrono::duration<double>(o.down_s));
      if (auto started = server.start(); !started) restart_error = started.error();
      returned = Clock::now();
    });
    if (!restart_error.empty()) {
      std::fprintf(stderr, "yellowtail-load: %s\n", restart_error.c_str());
      return 1;
    }
    const double offset = std::chrono::duration<double>(returned - armed).count();
    for (double& s : back.samples["restart"]) s = std::max(0.0, s - offset);
    check(back, "restart");
    std::printf("    %zu of %zu back and synced %.2f s after the restart (%s); %llu busy answers; %zu left behind\n",
                back.progress, o.clients, back.seconds, percentiles_ms(back.samples["restart"]).c_str(),
                static_cast<unsigned long long>(back.values["busy"]), o.clients - back.progress);
  }

  pool.stop();
  server.stop();
  std::printf("\n%s\n", complete ? "all phases complete" : "SOME PHASES DID NOT COMPLETE");
  return complete ? 0 : 1;
}
