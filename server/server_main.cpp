// yellowtail-server: the mediation server (login, discovery, membership, tunnel
// instructions) on real sockets, with its state in SQLite.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <optional>

#include "platform/asio_server_driver.h"
#include "platform/fd_limit.h"
#include "platform/key_file.h"
#include "platform/metrics_http.h"
#include "platform/postgres_federation.h"
#include "platform/postgres_storage.h"
#include "platform/sqlite_storage.h"
#include "platform/system_random.h"
#include "server/core/punch_techniques.h"
#include "server/core/server_metrics.h"

namespace {

template <typename T, typename Parse>
bool parse_into(const std::string& text, T& out, Parse parse, const char* what) {
  auto value = parse(text);
  if (!value) {
    std::fprintf(stderr, "yellowtail-server: invalid %s '%s'\n", what, text.c_str());
    return false;
  }
  out = *value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "yellowtail-server: the mediation server. Logs clients in, assigns their virtual\n"
      "addresses, answers NAT discovery probes, keeps network membership and tells\n"
      "peers when and where to punch tunnels. State is kept in SQLite, or in PostgreSQL\n"
      "shared by several servers that then serve one user base together."};
  std::string listen = "0.0.0.0:12975";
  std::vector<std::string> discovery;
  std::string db = "/var/lib/yellowtail-server/server.db";
  std::string key_path = "/var/lib/yellowtail-server/server.key";
  std::string range = "25.0.0.0/8";
  std::string strength = "interactive";
  bool print_key = false;
  bool no_builtin_relay = false;
  std::string metrics;
  std::vector<std::string> relay_keys;
  std::vector<std::string> refresh;
  app.add_option("--listen", listen, "TCP control endpoint IP:PORT")->capture_default_str();
  app.add_option("--discovery", discovery,
                 "UDP discovery endpoint IP:PORT (repeatable; default: the --listen endpoint, UDP)");
  std::string name;
  app.add_option("--db", db,
                 "SQLite database file (':memory:' for none), or a PostgreSQL URL\n"
                 "(postgresql://user:password@host/db): every server given the same URL and the\n"
                 "same --key serves one user base; clients list them all (yellowtaild --server)")
      ->capture_default_str();
  app.add_option("--name", name, "this server's name among those sharing a PostgreSQL database (default: --listen)");
  app.add_option("--key", key_path, "server secret key file (created, mode 0600, if missing)")->capture_default_str();
  app.add_option("--range", range, "virtual IPv4 range handed to clients")->capture_default_str();
  app.add_option("--password-strength", strength, "argon2id cost for network passwords: interactive|minimum")
      ->check(CLI::IsMember({"interactive", "minimum"}))
      ->capture_default_str();
  app.add_option("--refresh-endpoint", refresh,
                 "UDP IP:PORT clients probe on request to show their NAT's newest port before a\n"
                 "tunnel plan predicts a sequential NAT (repeatable; 8 lets a client be refreshed 8\n"
                 "times per NAT mapping lifetime). Without any, such plans use discovery's ports");
  app.add_option("--relay-key", relay_keys,
                 "public key (hex) of a yellowtail-relay allowed to register (repeatable; its\n"
                 "--print-public-key); pairs get the relay closest to both sides");
  app.add_flag("--no-builtin-relay", no_builtin_relay,
               "do not relay on the discovery socket (pairs then use registered relays only)");
  app.add_option("--metrics", metrics,
                 "serve Prometheus metrics at http://IP:PORT/metrics (off by default; e.g. 127.0.0.1:9475)");
  std::string disable;
  app.add_option("--disable", disable,
                 "comma-separated punch techniques to leave out of tunnel plans: lan, prediction,\n"
                 "serialize, prepunch, follower-delay, birthday (birthday probing: a random-port\n"
                 "NAT against an endpoint-independent one; about 1,300 datagrams per such pair),\n"
                 "tcp (TCP hole punching where a side's UDP is blocked)");
  app.add_flag("--print-public-key", print_key, "print the server's public key (hex) and exit");
  CLI11_PARSE(app, argc, argv);

  if (!yt::SystemRandom::init()) {
    std::fprintf(stderr, "yellowtail-server: cannot initialize libsodium\n");
    return 1;
  }
  yt::SystemRandom rng;
  auto identity = yt::load_or_create_identity(key_path, rng);
  if (!identity) {
    std::fprintf(stderr, "yellowtail-server: %s\n", identity.error().c_str());
    return 1;
  }
  if (print_key) {
    std::printf("%s\n", yt::key_to_hex(identity->public_key).c_str());
    return 0;
  }

  yt::ServerConfig config;
  yt::Endpoint control;
  if (!parse_into(listen, control, yt::Endpoint::parse, "--listen endpoint")) return 2;
  if (!parse_into(range, config.address_range, yt::Ipv4Prefix::parse, "--range prefix")) return 2;
  if (discovery.empty()) discovery.push_back(listen);
  for (const std::string& d : discovery) {
    yt::Endpoint e;
    if (!parse_into(d, e, yt::Endpoint::parse, "--discovery endpoint")) return 2;
    config.discovery_endpoints.push_back(e);
  }
  for (const std::string& r : refresh) {
    yt::Endpoint e;
    if (!parse_into(r, e, yt::Endpoint::parse, "--refresh-endpoint")) return 2;
    config.refresh_endpoints.push_back(e);
  }
  config.password_strength =
      strength == "minimum" ? yt::PwhashStrength::minimum() : yt::PwhashStrength::interactive();
  config.builtin_relay = !no_builtin_relay;
  auto disabled = yt::parse_techniques(disable);
  if (!disabled) {
    std::fprintf(stderr, "yellowtail-server: --disable: %s\n", disabled.error().c_str());
    return 2;
  }
  config.disabled_techniques = *disabled;
  for (const std::string& hex : relay_keys) {
    auto key = yt::key_from_hex(hex);
    if (!key) {
      std::fprintf(stderr, "yellowtail-server: invalid --relay-key '%s' (want 64 hex digits)\n", hex.c_str());
      return 2;
    }
    config.relay_keys.push_back(*key);
  }

  std::optional<yt::Endpoint> metrics_at;  // checked before anything starts
  if (!metrics.empty()) {
    metrics_at.emplace();
    if (!parse_into(metrics, *metrics_at, yt::Endpoint::parse, "--metrics endpoint")) return 2;
  }

  boost::asio::io_context io;
  std::unique_ptr<yt::Storage> storage;
  std::unique_ptr<yt::PostgresFederation> federation;
  if (yt::is_postgres_url(db)) {
    auto opened = yt::PostgresStorage::open(db);
    if (!opened) {
      std::fprintf(stderr, "yellowtail-server: %s\n", opened.error().c_str());
      return 1;
    }
    storage = std::move(*opened);
    auto link = yt::PostgresFederation::open(io, db, name.empty() ? listen : name);
    if (!link) {
      std::fprintf(stderr, "yellowtail-server: %s\n", link.error().c_str());
      return 1;
    }
    federation = std::move(*link);
    config.federation_id = federation->server_id();
  } else {
    if (!name.empty()) std::fprintf(stderr, "yellowtail-server: --name only matters with a PostgreSQL --db; ignored\n");
    auto opened = yt::SqliteStorage::open(db);
    if (!opened) {
      std::fprintf(stderr, "yellowtail-server: %s\n", opened.error().c_str());
      return 1;
    }
    storage = std::move(*opened);
  }

  yt::raise_fd_limit();  // each connection is a descriptor; the driver sizes its cap by the limit
  auto driver = yt::AsioServerDriver::create(io, config, *identity, *storage, rng, control);
  if (!driver) {
    std::fprintf(stderr, "yellowtail-server: %s\n", driver.error().c_str());
    return 1;
  }
  (*driver)->start();
  if (federation) {
    federation->attach(**driver);
    std::fprintf(stderr, "yellowtail-server: server %u of those sharing %s\n", federation->server_id(),
                 yt::redact_postgres_url(db).c_str());
  }
  std::unique_ptr<yt::MetricsHttp> metrics_http;
  if (metrics_at) {
    const yt::Endpoint at = *metrics_at;
    const yt::ServerCore& core = (*driver)->core();
    auto served = yt::MetricsHttp::start(io, at, [&core] {
      return yt::server_metrics_text(core.stats(), yt::ServerGauges{core.online_clients(), core.admitted_connections(),
                                                                   core.max_connections(), core.relay_pairs(),
                                                                   core.mirrored_clients()},
                                     core.negotiations());
    });
    if (!served) {
      std::fprintf(stderr, "yellowtail-server: %s\n", served.error().c_str());
      return 1;
    }
    metrics_http = std::move(*served);
    std::fprintf(stderr, "yellowtail-server: metrics at http://%s/metrics\n",
                 metrics_http->endpoint().to_string().c_str());
  }
  std::fprintf(stderr, "yellowtail-server: listening on %s (TCP), discovery on",
               (*driver)->control_endpoint().to_string().c_str());
  for (const yt::Endpoint& e : (*driver)->discovery_endpoints()) std::fprintf(stderr, " %s", e.to_string().c_str());
  std::fprintf(stderr, " (UDP)\nyellowtail-server: public key %s\n", yt::key_to_hex(identity->public_key).c_str());
  std::fprintf(stderr, "yellowtail-server: at most %zu control connections (%zu per address)\n",
               (*driver)->core().max_connections(), config.admission.max_connections_per_address);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    std::fprintf(stderr, "yellowtail-server: signal %d, shutting down (%llu relay frames dropped for slow readers)\n",
                 signal, static_cast<unsigned long long>((*driver)->dropped_stream_writes()));
    // The other servers drop our clients now, and they fail over to them.
    if (federation) federation->stop();
    (*driver)->stop();
    io.stop();
  });
  io.run();
  return 0;
}
