// yellowtaild: the yellowtail client daemon. Creates the virtual adapter (or, with
// --no-tun, a local datagram bridge), logs in to the mediation server, builds
// tunnels to the members of its networks and serves the yellowtail CLI on a local
// control socket. Configuration: daemon_config.h; flags: yellowtaild --help.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <unistd.h>

#include "client/daemon/chat_history.h"
#include "client/daemon/client_metrics.h"
#include "client/daemon/control_session.h"
#include "client/daemon/daemon_config.h"
#include "client/daemon/daemon_options.h"
#include "client/daemon/daemon_service.h"
#include "client/daemon/daemon_state.h"
#include "client/daemon/peer_cache_file.h"
#include "client/daemon/datagram_bridge.h"
#include "client/daemon/tun_adapter.h"
#include "client/daemon/upnp_port_mapper.h"
#include "client/daemon/virtual_addresses.h"
#include "client/daemon/web_server.h"
#include "client/daemon/web_token.h"
#include "platform/asio_client_driver.h"
#include "platform/default_gateway.h"
#include "platform/file_lock.h"
#include "platform/key_file.h"
#include "platform/metrics_http.h"
#include "platform/state_dir.h"
#include "platform/system_random.h"
#include "platform/unix_listener.h"

namespace {

// Start-up failures go to stderr as one plain line, before and regardless of the
// log level, so that a refused start always says why.
int refuse(const std::string& why, int code = 1) {
  std::fprintf(stderr, "yellowtaild: %s\n", why.c_str());
  return code;
}

spdlog::level::level_enum to_spdlog(yt::LogLevel level) {
  switch (level) {
    case yt::LogLevel::kTrace: return spdlog::level::trace;
    case yt::LogLevel::kDebug: return spdlog::level::debug;
    case yt::LogLevel::kInfo: return spdlog::level::info;
    case yt::LogLevel::kWarn: return spdlog::level::warn;
    case yt::LogLevel::kError: return spdlog::level::err;
    case yt::LogLevel::kCritical: return spdlog::level::critical;
    case yt::LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

// Reads the config file (an explicit --config must exist; the default may not),
// then the flags over it, then validates.
yt::Result<yt::DaemonConfig, std::string> load_config(const yt::DaemonOptions& options) {
  yt::DaemonSettings settings;
  auto text = yt::read_small_file(options.config_path(), 1 << 20);
  if (!text) return yt::Err{text.error()};
  if (*text) {
    if (auto applied = yt::apply_toml(**text, options.config_path(), settings); !applied) {
      return yt::Err{applied.error()};
    }
  } else if (options.config_given()) {
    return yt::Err{"config file " + options.config_path() + " does not exist"};
  }
  // The data plane's switches also come from the environment (for scripts that
  // start the daemon through layers that do not pass flags); flags still win.
  auto env_on = [](const char* name) {
    const char* v = ::getenv(name);
    return v && *v && std::string(v) != "0";
  };
  if (env_on("YT_NO_BATCH")) settings.batch = false;
  if (env_on("YT_NO_OFFLOAD")) settings.offload = false;
  if (env_on("YT_NO_COALESCE")) settings.coalesce = false;
  options.apply(settings);
  return yt::validate(settings);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "yellowtaild: the yellowtail client daemon. Adds a virtual network adapter, logs in\n"
      "to a mediation server, and builds encrypted peer-to-peer tunnels to the members of\n"
      "its networks. Control it with the `yellowtail` command. Flags win over the config\n"
      "file; [section.key] names the file setting of each flag."};
  yt::DaemonOptions options(app);
  CLI11_PARSE(app, argc, argv);

  auto loaded = load_config(options);
  if (!loaded) return refuse(loaded.error(), 2);
  const yt::DaemonConfig config = std::move(*loaded);

  spdlog::set_default_logger(spdlog::stderr_logger_st("yellowtaild"));
  // Under systemd the journal adds its own timestamps; the level tag stays.
  spdlog::set_pattern(::getenv("INVOCATION_ID") ? "[%l] %v" : "%Y-%m-%d %H:%M:%S.%e [%l] %v");
  spdlog::set_level(to_spdlog(config.log_level));

  if (!yt::SystemRandom::init()) return refuse("cannot initialize libsodium's random generator");
  yt::SystemRandom rng;
  if (auto ready = yt::prepare_state_dir(config.state_dir); !ready) return refuse(ready.error());
  // Taken before anything else in the directory is read, and before the adapter:
  // a second daemon on this state must change nothing on its way out.
  auto state_lock = yt::FileLock::acquire_pid_file(config.state_dir + "/yellowtaild.lock",
                                                   "state directory " + config.state_dir,
                                                   "stop that one first, or give this one its own --state-dir");
  if (!state_lock) return refuse(state_lock.error());
  std::string state_path = config.state_dir + "/state.json";
  auto state = yt::load_daemon_state(state_path);
  if (!state) return refuse(state.error());
  auto history = yt::ChatHistory::open(config.state_dir + "/chat.jsonl", config.chat_history);
  if (!history) return refuse(history.error());
  if (history->skipped_lines() > 0) {
    spdlog::warn("chat history: skipped {} damaged lines", history->skipped_lines());
  }
  auto identity = yt::load_or_create_identity(config.key_file, rng);
  if (!identity) return refuse(identity.error());
  // The key is the node's identity: two daemons with one key (two state dirs, one
  // --key) would also log each other out in turn.
  auto key_lock = yt::FileLock::acquire_existing(config.key_file, "key file " + config.key_file,
                                                 "each daemon needs its own key");
  if (!key_lock) return refuse(key_lock.error());

  boost::asio::io_context io;
  std::unique_ptr<yt::TunAdapter> adapter;
  if (config.tun) {
    auto created = yt::TunAdapter::create(io, config.device, config.mtu, config.routes, config.offload);
    if (!created) return refuse(created.error());
    adapter = std::move(*created);
    adapter->set_coalesce(config.coalesce);
  }

  yt::ClientConfig client;
  client.server = config.server;
  client.fallback_servers = config.fallback_servers;
  client.server_key = config.server_key;
  client.nickname = state->nickname.empty() ? config.nickname : state->nickname;
  client.offline_networks = state->offline_networks;
  client.ip_mode = config.tun;
  client.port_mapping = config.port_mapping;
  client.port_mapping_lifetime_s = config.port_mapping_lease_s;
  // Where to ask for a port mapping (client/core/port_mapping.h): the router our
  // default route goes through. Only the daemon looks it up, so tests that drive
  // the Asio driver on the host never send PCP to the host's real router.
  if (config.port_mapping) client.port_mapping_gateway = yt::default_gateway();
  if (config.tun) client.ipv6_base = yt::ipv6_base(config.ipv6_prefix);
  std::vector<std::string> own_interfaces;
  if (adapter) own_interfaces.push_back(adapter->name());
  // Left to the system, the UDP port is the one we had last time when it is free:
  // our NAT's mappings and our peers' filters still lead to it after a restart.
  auto driver = yt::Result<std::unique_ptr<yt::AsioClientDriver>, std::string>(yt::Err{std::string()});
  if (config.udp.port == 0 && state->udp_port != 0) {
    driver = yt::AsioClientDriver::create(io, client, *identity, rng, yt::Endpoint{config.udp.ip, state->udp_port},
                                          own_interfaces);
    if (!driver) spdlog::info("UDP port {} of the last run is taken; using another", state->udp_port);
  }
  if (!driver) driver = yt::AsioClientDriver::create(io, client, *identity, rng, config.udp, own_interfaces);
  if (!driver) return refuse(driver.error());
  yt::AsioClientDriver& d = **driver;
  if (auto watching = d.follow_address_changes(own_interfaces); !watching) {
    spdlog::warn("address changes (roaming) are noticed by timeouts only: {}", watching.error());
  }
  if (config.udp.port == 0 && state->udp_port != d.udp_endpoint().port) {
    state->udp_port = d.udp_endpoint().port;
    if (auto saved = yt::save_daemon_state(state_path, *state); !saved) spdlog::error("{}", saved.error());
  }

  std::unique_ptr<yt::DatagramBridge> bridge;
  if (!config.tun) {
    auto created = yt::DatagramBridge::create(io, config.bridge, d);
    if (!created) return refuse(created.error());
    bridge = std::move(*created);
  }

  auto listener = yt::UnixListener::create(io, config.control_socket, config.control_group);
  if (!listener) return refuse(listener.error());

  const bool logged_out = state->logged_out;
  yt::DaemonService service(io, config, d, adapter.get(), bridge.get(), std::move(*state), state_path,
                            std::move(*history));
  // Our peers as we last knew them: reachable even if the server is not (a restart
  // during an outage). Only when we mean to go online: a logged-out daemon is silent.
  const std::string peer_cache_path = config.state_dir + "/peers.cache";
  if (!logged_out) {
    auto cached = yt::load_peer_cache(peer_cache_path, *identity);
    if (!cached) {
      spdlog::warn("{}; starting without it", cached.error());
    } else if (*cached && d.core().restore_peers(d.now(), **cached)) {
      service.use_address((*cached)->virtual_ip, (*cached)->prefix_length);
      spdlog::info("restored {} network(s) from {}; resuming {} direct tunnel(s) until the server answers",
                   (*cached)->networks.networks.size(), peer_cache_path, (*cached)->direct.size());
    }
  }
  yt::TimeToDirectHistogram time_to_direct;
  std::unique_ptr<yt::MetricsHttp> metrics;
  if (config.metrics) {
    auto served = yt::MetricsHttp::start(io, *config.metrics, [&] {
      return yt::client_metrics_text(d.core(), adapter ? &adapter->counters() : nullptr, time_to_direct);
    });
    if (!served) return refuse(served.error());
    metrics = std::move(*served);
    spdlog::info("metrics at http://{}/metrics", metrics->endpoint().to_string());
  }
  // After the service, so it is destroyed first: its pages call into the service.
  std::unique_ptr<yt::WebUiServer> web_ui;
  if (config.ui) {
    auto token = yt::load_or_create_web_token(config.state_dir + "/ui.token", rng);
    if (!token) return refuse(token.error());
    auto served = yt::WebUiServer::start(io, *config.ui, std::move(*token),
                                         [&](const yt::ControlRequest& request, yt::WebReply reply) {
                                           service.handle(request, std::move(reply));
                                         });
    if (!served) return refuse(served.error());
    web_ui = std::move(*served);
    service.set_web_ui_url(web_ui->url());
    service.set_chat_listener([&](const yt::ChatEntry& entry) { web_ui->publish_chat(entry); });
    // Not the token: logs are often readable by more people than the state directory.
    spdlog::info("web UI at http://{}/ (`yellowtail ui` prints its URL with the token)",
                 web_ui->endpoint().to_string());
  }
  // UPnP IGD, when the core's PCP / NAT-PMP found no mapping (PortMappingFallback).
  // Destroyed before the driver: it deletes the mapping on its way out.
  std::unique_ptr<yt::UpnpPortMapper> upnp;
  if (config.port_mapping) {
    upnp = std::make_unique<yt::UpnpPortMapper>(io, d.udp_endpoint().port, client.port_mapping_lifetime_s,
                                                [&](std::optional<yt::PortMappingOffer> mapping) {
                                                  if (mapping) {
                                                    d.core().on_driver_port_mapping(d.now(), *mapping);
                                                  } else {
                                                    d.core().on_driver_port_mapping_lost(d.now());
                                                  }
                                                  d.pump();
                                                });
  }
  bool requested = false;
  d.set_event_handler([&](const yt::ClientEvent& event) {
    service.on_event(event);
    if (const auto* fallback = std::get_if<yt::PortMappingFallback>(&event); fallback && upnp) {
      upnp->set_wanted(fallback->wanted);
    }
    if (const auto* up = std::get_if<yt::TunnelUp>(&event)) time_to_direct.observe(up->time_to_direct);
    if (web_ui && !std::holds_alternative<yt::PacketReceived>(event)) web_ui->state_changed();
    if (std::holds_alternative<yt::Synced>(event) || std::holds_alternative<yt::MembershipChanged>(event) ||
        std::holds_alternative<yt::TunnelUp>(event)) {
      if (auto saved = yt::save_peer_cache(peer_cache_path, d.core().peer_cache(), *identity); !saved) {
        spdlog::error("{}", saved.error());
      }
    }
    if (std::holds_alternative<yt::Synced>(event) && !requested) {
      requested = true;
      // Deferred: the handler runs inside the driver's drain loop.
      boost::asio::post(io, [&] {
        if (!options.create().empty()) (void)d.core().create_network(d.now(), options.create(), options.password());
        if (!options.join().empty()) (void)d.core().join_network(d.now(), options.join(), options.password());
        d.pump();
      });
    }
  });
  yt::ControlSessionCount control_sessions;
  (*listener)->start([&](yt::UnixListener::Socket socket) {
    spdlog::debug("control connection from uid {}", yt::peer_uid(socket));
    std::make_shared<yt::ControlSession>(
        std::move(socket),
        [&](const yt::ControlRequest& request, yt::ControlSession::Reply reply) {
          service.handle(request, std::move(reply));
        },
        control_sessions)
        ->start();
  });
  if (config.batch) {
    // The batched data plane (docs/data-plane.md): IP packets from peers come a
    // batch at a time, and the adapter's are read and sealed a batch at a time.
    d.enable_batching(yt::AsioClientDriver::BatchOptions{config.offload}, yt::TunAdapter::kWriteHeadroom,
                      [&](yt::PacketBatch& batch) { service.on_peer_packets(batch); });
    if (adapter) adapter->start_batch([&](const std::vector<yt::ByteView>& packets) { d.send_ip_batch(packets); });
  } else if (adapter) {
    adapter->start([&](yt::ByteView packet) { service.on_adapter_packet(packet); });
  }
  if (bridge) bridge->start();

  spdlog::info("data plane: {}", !config.batch ? "one packet per system call (--no-batch)"
                                 : std::string("batched") +
                                       (adapter && adapter->offload() ? ", TUN TSO" : "") +
                                       (adapter && adapter->coalesce() ? ", TUN GRO" : "") +
                                       (d.udp_gso() ? ", UDP GSO" : "") + (d.udp_gro() ? ", UDP GRO" : ""));
  spdlog::info("key {} ({}), udp {}, {}, control socket {}", yt::node_id(identity->public_key),
               yt::key_to_hex(identity->public_key), d.udp_endpoint().to_string(),
               adapter ? "adapter " + adapter->name() : "bridge " + bridge->local_endpoint().to_string(),
               config.control_socket);
  service.start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info("signal {}, shutting down", signal);
    d.stop();
    io.stop();
  });
  io.run();
  return 0;
}
