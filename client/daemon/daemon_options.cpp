#include "client/daemon/daemon_options.h"

namespace yt {

#define YT_COPY(field) [](const DaemonSettings& from, DaemonSettings& to) { to.field = from.field; }

DaemonOptions::DaemonOptions(CLI::App& app) {
  config_given_ = app.add_option("-c,--config", config_path_, "configuration file (TOML)")->capture_default_str();
  auto add = [&](CLI::Option* option, void (*copy)(const DaemonSettings&, DaemonSettings&)) {
    flags_.emplace_back(option, copy);
  };
  add(app.add_option("--server", given_.server, "mediation server control endpoint IP:PORT; several servers sharing one database:\n"
                     "IP:PORT,IP:PORT,... (tried in turn when one is down) [server.address]"),
      YT_COPY(server));
  add(app.add_option("--server-key", given_.server_key, "the server's public key (hex), pinned [server.key]"),
      YT_COPY(server_key));
  add(app.add_option("--nick", given_.nickname, "nickname shown to peers [client.nickname]"), YT_COPY(nickname));
  add(app.add_option("--state-dir", given_.state_dir,
                     "state directory: key, settings, chat history (default /var/lib/yellowtail) [client.state_dir]"),
      YT_COPY(state_dir));
  add(app.add_option("--key", given_.key_file,
                     "secret key file (default <state-dir>/client.key, created mode 0600) [client.key_file]"),
      YT_COPY(key_file));
  add(app.add_option("--udp", given_.udp, "local UDP endpoint for discovery and tunnels (default 0.0.0.0:0) [client.udp]"),
      YT_COPY(udp));
  add(app.add_option("--tun-name", given_.device, "adapter name (default yt0) [adapter.name]"), YT_COPY(device));
  add(app.add_option("--mtu", given_.mtu, "adapter MTU, 1280..1400 (default 1400) [adapter.mtu]"), YT_COPY(mtu));
  add(app.add_option("--ipv6-prefix", given_.ipv6_prefix,
                     "ULA /48 for the adapter's IPv6 address; the same on every member [adapter.ipv6_prefix]"),
      YT_COPY(ipv6_prefix));
  add(app.add_option("--route", given_.routes, "extra IPv4 prefix routed into the adapter, repeatable [adapter.routes]"),
      YT_COPY(routes));
  add(app.add_option("--control-socket", given_.control_socket,
                     "CLI control socket (default /run/yellowtail/control.sock) [control.socket]"),
      YT_COPY(control_socket));
  add(app.add_option("--control-group", given_.control_group, "group allowed to use the CLI (default: root only) [control.group]"),
      YT_COPY(control_group));
  add(app.add_option("--log-level", given_.log_level, "trace|debug|info|warn|error|critical|off (default info) [log.level]"),
      YT_COPY(log_level));
  add(app.add_option("--chat-history", given_.chat_history, "chat messages kept (default 1000) [chat.history]"),
      YT_COPY(chat_history));
  add(app.add_option("--metrics", given_.metrics,
                     "serve Prometheus metrics at http://IP:PORT/metrics, e.g. 127.0.0.1:9476 (default off) "
                     "[metrics.listen]"),
      YT_COPY(metrics));
  add(app.add_option("--ui", given_.ui,
                     "serve the web UI at http://127.0.0.1:PORT (PORT or IP:PORT, loopback only, e.g. 9480; "
                     "`yellowtail ui` prints its URL; default off) [ui.listen]"),
      YT_COPY(ui));
  add(app.add_flag("--no-tun", "no adapter: move datagrams through the local bridge port instead"),
      [](const DaemonSettings&, DaemonSettings& to) { to.tun = false; });
  add(app.add_flag("--no-batch",
                   "data plane: one datagram and one adapter packet per system call, as before batching "
                   "(recvmmsg/sendmmsg, reads until empty); implies --no-offload. For measurements "
                   "(bench/throughput.sh); env YT_NO_BATCH=1 does the same"),
      [](const DaemonSettings&, DaemonSettings& to) { to.batch = false; });
  add(app.add_flag("--no-offload",
                   "data plane: batched, but without the kernel's offloads (TUN TSO with virtio-net "
                   "headers, UDP GSO/GRO). For measurements; env YT_NO_OFFLOAD=1 does the same"),
      [](const DaemonSettings&, DaemonSettings& to) { to.offload = false; });
  add(app.add_flag("--no-coalesce",
                   "data plane: with offloads, write TCP segments from peers to the adapter one by one "
                   "instead of joined into GSO super-packets. For measurements; env YT_NO_COALESCE=1"),
      [](const DaemonSettings&, DaemonSettings& to) { to.coalesce = false; });
  add(app.add_flag("--no-port-mapping",
                   "never ask the gateway for a mapping of our UDP port (PCP, NAT-PMP, UPnP IGD)"),
      [](const DaemonSettings&, DaemonSettings& to) { to.port_mapping = false; });
  add(app.add_option("--port-mapping-lease", given_.port_mapping_lease,
                     "seconds of lease asked for that mapping, 10..86400 (default 7200) [client.port_mapping_lease]"),
      YT_COPY(port_mapping_lease));
  add(app.add_option("--bridge", given_.bridge, "with --no-tun: local bridge endpoint (default 127.0.0.1:0)"),
      YT_COPY(bridge));
  app.add_option("--create", create_, "create this network after the first login");
  app.add_option("--join", join_, "join this network after the first login");
  app.add_option("--password", password_, "password for --create / --join");
}

#undef YT_COPY

void DaemonOptions::apply(DaemonSettings& settings) const {
  for (const auto& [option, copy] : flags_) {
    if (option->count() > 0) copy(given_, settings);
  }
}

}  // namespace yt
