// yellowtail-relay: a separate relay. Registers with a mediation server (whose
// operator allowed its key: yellowtail-server --relay-key), and forwards the sealed
// datagrams of the pairs that server gives it, over UDP and TCP.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <optional>

#include "platform/asio_relay_driver.h"
#include "platform/fd_limit.h"
#include "platform/key_file.h"
#include "platform/metrics_http.h"
#include "platform/system_random.h"
#include "server/relay/relay_metrics.h"

namespace {

bool parse_endpoint(const std::string& text, yt::Endpoint& out, const char* what) {
  auto value = yt::Endpoint::parse(text);
  if (!value) {
    std::fprintf(stderr, "yellowtail-relay: invalid %s '%s' (want IP:PORT)\n", what, text.c_str());
    return false;
  }
  out = *value;
  return true;
}

const char* kind_name(yt::RelayNodeNotice::Kind kind) {
  switch (kind) {
    case yt::RelayNodeNotice::Kind::kRegistered: return "registered";
    case yt::RelayNodeNotice::Kind::kRefused: return "not registered";
    case yt::RelayNodeNotice::Kind::kLost: return "server lost";
    case yt::RelayNodeNotice::Kind::kKeysRotated: return "keys rotated";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "yellowtail-relay: a relay for pairs of yellowtail clients that cannot reach each\n"
      "other directly. It registers with a mediation server, which must list its public\n"
      "key (yellowtail-server --relay-key; print it with --print-public-key), and\n"
      "forwards end-to-end encrypted datagrams between the two sides of each pair the\n"
      "server introduced, never anyone else's. Clients measure their round trip to it and\n"
      "the server gives each pair the relay closest to both sides."};
  std::string server, server_key_hex, udp, tcp, public_udp, public_tcp, name = "relay";
  std::string key_path = "/var/lib/yellowtail-relay/relay.key";
  bool print_key = false;
  app.add_option("--server", server, "the mediation server's control endpoint IP:PORT");
  app.add_option("--server-key", server_key_hex, "the server's public key (hex; yellowtail-server --print-public-key)");
  app.add_option("--udp", udp, "UDP endpoint to bind for clients, IP:PORT");
  app.add_option("--tcp", tcp, "TCP endpoint to listen on for clients whose UDP is blocked, IP:PORT (443 is best)");
  app.add_option("--public-udp", public_udp, "the UDP endpoint clients reach (default: --udp; set it behind a port forward)");
  app.add_option("--public-tcp", public_tcp, "the TCP endpoint clients reach (default: --tcp)");
  app.add_option("--name", name, "name shown to clients and operators")->capture_default_str();
  app.add_option("--key", key_path, "relay secret key file (created, mode 0600, if missing)")->capture_default_str();
  std::string metrics;
  app.add_option("--metrics", metrics,
                 "serve Prometheus metrics at http://IP:PORT/metrics (off by default; e.g. 127.0.0.1:9477)");
  app.add_flag("--print-public-key", print_key, "print the relay's public key (hex) and exit");
  CLI11_PARSE(app, argc, argv);

  if (!yt::SystemRandom::init()) {
    std::fprintf(stderr, "yellowtail-relay: cannot initialize libsodium\n");
    return 1;
  }
  yt::SystemRandom rng;
  auto identity = yt::load_or_create_identity(key_path, rng);
  if (!identity) {
    std::fprintf(stderr, "yellowtail-relay: %s\n", identity.error().c_str());
    return 1;
  }
  if (print_key) {
    std::printf("%s\n", yt::key_to_hex(identity->public_key).c_str());
    return 0;
  }
  if (server.empty() || server_key_hex.empty() || udp.empty()) {
    std::fprintf(stderr, "yellowtail-relay: --server, --server-key and --udp are required (see --help)\n");
    return 2;
  }

  yt::RelayNodeConfig config;
  config.name = name;
  if (!parse_endpoint(server, config.server, "--server endpoint")) return 2;
  auto server_key = yt::key_from_hex(server_key_hex);
  if (!server_key) {
    std::fprintf(stderr, "yellowtail-relay: invalid --server-key (want 64 hex digits)\n");
    return 2;
  }
  config.server_key = *server_key;
  yt::Endpoint udp_bind;
  if (!parse_endpoint(udp, udp_bind, "--udp endpoint")) return 2;
  std::optional<yt::Endpoint> tcp_bind;
  if (!tcp.empty()) {
    tcp_bind.emplace();
    if (!parse_endpoint(tcp, *tcp_bind, "--tcp endpoint")) return 2;
  }
  if (!public_udp.empty() && !parse_endpoint(public_udp, config.udp, "--public-udp endpoint")) return 2;
  if (!public_tcp.empty() && !parse_endpoint(public_tcp, config.stream, "--public-tcp endpoint")) return 2;

  std::optional<yt::Endpoint> metrics_at;  // checked before anything starts
  if (!metrics.empty()) {
    metrics_at.emplace();
    if (!parse_endpoint(metrics, *metrics_at, "--metrics endpoint")) return 2;
  }

  yt::raise_fd_limit();
  boost::asio::io_context io;
  auto driver = yt::AsioRelayDriver::create(io, config, *identity, rng, udp_bind, tcp_bind);
  if (!driver) {
    std::fprintf(stderr, "yellowtail-relay: %s\n", driver.error().c_str());
    return 1;
  }
  (*driver)->set_notice_handler([](const yt::RelayNodeNotice& n) {
    std::fprintf(stderr, "yellowtail-relay: %s: %s\n", kind_name(n.kind), n.text.c_str());
  });
  std::fprintf(stderr, "yellowtail-relay: public key %s\n", yt::key_to_hex(identity->public_key).c_str());
  std::fprintf(stderr, "yellowtail-relay: relaying on %s (UDP)", (*driver)->udp_endpoint().to_string().c_str());
  if (auto s = (*driver)->stream_endpoint()) std::fprintf(stderr, " and %s (TCP)", s->to_string().c_str());
  std::fprintf(stderr, "; server %s\n", config.server.to_string().c_str());
  (*driver)->start();
  std::unique_ptr<yt::MetricsHttp> metrics_http;
  if (metrics_at) {
    const yt::Endpoint at = *metrics_at;
    const yt::RelayNode& node = (*driver)->node();
    auto served = yt::MetricsHttp::start(io, at, [&node] {
      return yt::relay_metrics_text(node.stats(), node.pairs(), node.registered());
    });
    if (!served) {
      std::fprintf(stderr, "yellowtail-relay: %s\n", served.error().c_str());
      return 1;
    }
    metrics_http = std::move(*served);
    std::fprintf(stderr, "yellowtail-relay: metrics at http://%s/metrics\n", metrics_http->endpoint().to_string().c_str());
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    std::fprintf(stderr,
                 "yellowtail-relay: signal %d, shutting down (%llu datagrams forwarded, %llu dropped for slow TCP "
                 "readers)\n",
                 signal, static_cast<unsigned long long>((*driver)->node().stats().forwarded_packets),
                 static_cast<unsigned long long>((*driver)->dropped_stream_writes()));
    (*driver)->stop();
    io.stop();
  });
  io.run();
  return 0;
}
