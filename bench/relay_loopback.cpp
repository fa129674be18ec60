// Relayed throughput through a real yellowtail-server relay on loopback: the Asio
// server driver and two Asio client drivers in one process and one thread, over
// real UDP sockets, with punching off on both clients so the built-in relay is
// the only path. Alice keeps a window of datagrams in flight to bob; the program
// prints datagrams and Mbit/s delivered, and CPU per datagram (all three parties
// together: client seal, relay forward, client open).
//
// usage: relay_loopback [--seconds S] [--size BYTES] [--window N]
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "platform/asio_client_driver.h"
#include "platform/asio_server_driver.h"
#include "platform/system_random.h"
#include "server/core/memory_storage.h"

namespace {

using namespace yt;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int usage(const char* why) {
  if (why) std::fprintf(stderr, "relay_loopback: %s\n", why);
  std::fprintf(stderr, "usage: relay_loopback [--seconds S (1-60, default 3)] [--size BYTES (16-1400, default 1200)] "
                       "[--window N (1-4096, default 64)]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  long size = 1200, window = 64;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(nullptr);
      return 0;
    }
    if (i + 1 >= argc) return usage(("missing value for " + arg).c_str());
    char* end = nullptr;
    double v = std::strtod(argv[++i], &end);
    if (*end != '\0') return usage(("not a number: " + std::string(argv[i])).c_str());
    if (arg == "--seconds" && v >= 1 && v <= 60) {
      seconds = v;
    } else if (arg == "--size" && v >= 16 && v <= 1400) {
      size = static_cast<long>(v);
    } else if (arg == "--window" && v >= 1 && v <= 4096) {
      window = static_cast<long>(v);
    } else {
      return usage(("bad option or value out of range: " + arg).c_str());
    }
  }
  if (!SystemRandom::init()) return std::fprintf(stderr, "relay_loopback: libsodium failed to initialize\n"), 1;

  const Endpoint any{Ipv4::from_octets(127, 0, 0, 1), 0};
  SystemRandom rng;
  boost::asio::io_context io;
  MemoryStorage storage;
  Identity server_identity = Identity::generate(rng);
  ServerConfig server_config;
  server_config.discovery_endpoints = {any};
  server_config.password_strength = PwhashStrength::minimum();
  // Measure forwarding, not the per-pair budgets that protect a shared relay.
  server_config.relay.packets_per_second_per_side = 1e9;
  server_config.relay.packet_burst_per_side = 1e9;
  server_config.relay.bytes_per_second_per_pair = 1e12;
  server_config.relay.byte_burst_per_pair = 1e12;
  auto server = AsioServerDriver::create(io, server_config, server_identity, storage, rng, any);
  if (!server.ok()) return std::fprintf(stderr, "relay_loopback: %s\n", server.error().c_str()), 1;
  (*server)->start();

  std::uint64_t received = 0, sent = 0;
  bool synced[2] = {false, false}, relayed[2] = {false, false};
  std::uint32_t create_id = 0, join_id = 0;
  bool created = false, joined = false;
  std::unique_ptr<AsioClientDriver> clients[2];
  for (int i = 0; i < 2; ++i) {
    ClientConfig config;
    config.server = (*server)->control_endpoint();
    config.server_key = server_identity.public_key;
    config.nickname = i == 0 ? "alice" : "bob";
    config.punch = false;
    auto client = AsioClientDriver::create(io, config, Identity::generate(rng), rng, any);
    if (!client.ok()) return std::fprintf(stderr, "relay_loopback: %s\n", client.error().c_str()), 1;
    clients[i] = std::move(*client);
    clients[i]->set_event_handler([&, i](const ClientEvent& e) {
      if (std::holds_alternative<Synced>(e)) synced[i] = true;
      if (std::holds_alternative<TunnelRelayed>(e)) relayed[i] = true;
      if (auto* d = std::get_if<RequestDone>(&e)) {
        if (d->request_id == create_id) created = true;
        if (d->request_id == join_id) joined = true;
      }
      if (i == 1 && std::holds_alternative<PacketReceived>(e)) ++received;
    });
    clients[i]->start();
  }
  auto run_until = [&](const std::function<bool()>& done, const char* what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(10));
      if (io.stopped()) io.restart();
    }
    if (!done()) std::fprintf(stderr, "relay_loopback: gave up waiting for %s\n", what);
    return done();
  };
  if (!run_until([&] { return synced[0] && synced[1]; }, "both clients to log in")) return 1;
  create_id = *clients[0]->core().create_network(clients[0]->now(), "bench", "bench");
  clients[0]->pump();
  if (!run_until([&] { return created; }, "the network")) return 1;
  join_id = *clients[1]->core().join_network(clients[1]->now(), "bench", "bench");
  clients[1]->pump();
  if (!run_until([&] { return joined && relayed[0] && relayed[1]; }, "a relayed tunnel")) return 1;

  const PublicKey bob = clients[1]->core().public_key();
  const Bytes payload(static_cast<std::size_t>(size), 0x5a);
  const std::uint64_t forwarded_before = (*server)->core().relay_stats().forwarded_packets;
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  std::uint64_t refused = 0;
  while (std::chrono::steady_clock::now() < stop) {
    while (sent - received < static_cast<std::uint64_t>(window)) {
      if (!clients[0]->core().send_to_peer(clients[0]->now(), bob, payload).ok()) {
        ++refused;
        break;
      }
      ++sent;
    }
    clients[0]->pump();
    io.poll();
    if (io.stopped()) io.restart();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  const std::uint64_t forwarded = (*server)->core().relay_stats().forwarded_packets - forwarded_before;
  std::printf("relayed through a real yellowtail-server relay on loopback (one thread: client, relay, client)\n");
  std::printf("  %.1f s, %ld-byte payloads, window %ld: sent %llu, delivered %llu (%.1f%%), relay forwarded %llu\n",
              wall, size, window, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
              sent ? 100.0 * static_cast<double>(received) / static_cast<double>(sent) : 0.0,
              static_cast<unsigned long long>(forwarded));
  std::printf("  %.0f datagrams/s, %.1f Mbit/s of payload, %.2f us CPU per datagram end to end\n",
              static_cast<double>(received) / wall, static_cast<double>(received) * static_cast<double>(size) * 8 / wall / 1e6,
              received ? cpu / static_cast<double>(received) * 1e6 : 0.0);
  if (refused) std::printf("  (%llu sends refused by the core)\n", static_cast<unsigned long long>(refused));
  return received > 0 ? 0 : 1;
}
