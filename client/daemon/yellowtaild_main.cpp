// yellowtaild: the yellowtail client daemon. This version runs the datagram bridge
// (--no-tun); the TUN adapter and the CLI's control socket come next.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <ctime>

#include "client/core/describe_event.h"
#include "client/daemon/datagram_bridge.h"
#include "platform/asio_client_driver.h"
#include "platform/key_file.h"
#include "platform/system_random.h"

namespace {

void log_line(const std::string& text) {
  std::time_t t = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::localtime(&t));
  std::fprintf(stderr, "%s yellowtaild: %s\n", stamp, text.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "yellowtaild: the yellowtail client daemon. Logs in to a mediation server, joins\n"
      "networks and builds encrypted peer-to-peer tunnels to their members."};
  std::string server, server_key_hex, key_path = "/var/lib/yellowtail/client.key", nickname;
  std::string udp = "0.0.0.0:0", bridge = "127.0.0.1:0";
  std::string create, join, password;
  bool no_tun = false;
  app.add_option("--server", server, "mediation server control endpoint IP:PORT")->required();
  app.add_option("--server-key", server_key_hex, "the server's public key (hex), pinned")->required();
  app.add_option("--key", key_path, "this client's secret key file (created, mode 0600, if missing)")
      ->capture_default_str();
  app.add_option("--nick", nickname, "nickname shown to peers");
  app.add_option("--udp", udp, "local UDP endpoint for discovery and tunnels")->capture_default_str();
  app.add_flag("--no-tun", no_tun, "no TUN adapter: move datagrams through the local bridge port instead");
  app.add_option("--bridge", bridge, "with --no-tun: local bridge endpoint")->capture_default_str();
  app.add_option("--create", create, "create this network after login");
  app.add_option("--join", join, "join this network after login");
  app.add_option("--password", password, "password for --create / --join");
  CLI11_PARSE(app, argc, argv);

  if (!no_tun) {
    std::fprintf(stderr, "yellowtaild: TUN mode is not available in this build yet; run with --no-tun\n");
    return 2;
  }
  yt::ClientConfig config;
  auto server_endpoint = yt::Endpoint::parse(server);
  auto server_key = yt::key_from_hex(server_key_hex);
  auto udp_endpoint = yt::Endpoint::parse(udp);
  auto bridge_endpoint = yt::Endpoint::parse(bridge);
  if (!server_endpoint) return std::fprintf(stderr, "yellowtaild: invalid --server '%s'\n", server.c_str()), 2;
  if (!server_key) return std::fprintf(stderr, "yellowtaild: --server-key must be 64 hex digits\n"), 2;
  if (!udp_endpoint) return std::fprintf(stderr, "yellowtaild: invalid --udp '%s'\n", udp.c_str()), 2;
  if (!bridge_endpoint) return std::fprintf(stderr, "yellowtaild: invalid --bridge '%s'\n", bridge.c_str()), 2;
  config.server = *server_endpoint;
  config.server_key = *server_key;
  config.nickname = nickname;

  if (!yt::SystemRandom::init()) return std::fprintf(stderr, "yellowtaild: cannot initialize libsodium\n"), 1;
  yt::SystemRandom rng;
  auto identity = yt::load_or_create_identity(key_path, rng);
  if (!identity) return std::fprintf(stderr, "yellowtaild: %s\n", identity.error().c_str()), 1;

  boost::asio::io_context io;
  auto driver = yt::AsioClientDriver::create(io, config, *identity, rng, *udp_endpoint);
  if (!driver) return std::fprintf(stderr, "yellowtaild: %s\n", driver.error().c_str()), 1;
  auto bridge_socket = yt::DatagramBridge::create(io, *bridge_endpoint, **driver);
  if (!bridge_socket) return std::fprintf(stderr, "yellowtaild: %s\n", bridge_socket.error().c_str()), 1;

  yt::AsioClientDriver& d = **driver;
  yt::DatagramBridge& b = **bridge_socket;
  bool requested = false;
  d.set_event_handler([&](const yt::ClientEvent& event) {
    log_line(yt::describe(event));
    if (auto* packet = std::get_if<yt::PacketReceived>(&event)) b.deliver(packet->peer, packet->packet);
    if (std::holds_alternative<yt::Synced>(event) && !requested) {
      requested = true;
      // Deferred: the handler runs inside the driver's drain loop.
      boost::asio::post(io, [&] {
        if (!create.empty()) (void)d.core().create_network(d.now(), create, password);
        if (!join.empty()) (void)d.core().join_network(d.now(), join, password);
        d.pump();
      });
    }
  });
  log_line("key " + yt::node_id(identity->public_key) + ", udp " + d.udp_endpoint().to_string() + ", bridge " +
           b.local_endpoint().to_string());
  b.start();
  d.start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    log_line("shutting down");
    d.stop();
    io.stop();
  });
  io.run();
  return 0;
}
