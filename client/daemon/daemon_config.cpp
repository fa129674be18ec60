#include "client/daemon/daemon_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "platform/tun_device.h"
#include "protocol/display_name.h"
#include "protocol/messages.h"

namespace yt {
namespace {

using Setter = std::function<Status<std::string>(const toml::node&, const std::string& key, DaemonSettings&)>;

std::string where(const toml::node& node, const std::string& source) {
  const toml::source_region& region = node.source();
  return source + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

Setter text(std::string DaemonSettings::*field) {
  return [field](const toml::node& node, const std::string& key, DaemonSettings& settings) -> Status<std::string> {
    const auto* value = node.as_string();
    if (!value) return Err{key + " must be a string"};
    settings.*field = value->get();
    return Ok{};
  };
}

Setter integer(std::int64_t DaemonSettings::*field) {
  return [field](const toml::node& node, const std::string& key, DaemonSettings& settings) -> Status<std::string> {
    const auto* value = node.as_integer();
    if (!value) return Err{key + " must be an integer"};
    settings.*field = value->get();
    return Ok{};
  };
}

Setter text_list(std::vector<std::string> DaemonSettings::*field) {
  return [field](const toml::node& node, const std::string& key, DaemonSettings& settings) -> Status<std::string> {
    const auto* array = node.as_array();
    if (!array) return Err{key + " must be an array of strings"};
    std::vector<std::string> values;
    for (const toml::node& element : *array) {
      const auto* value = element.as_string();
      if (!value) return Err{key + " must be an array of strings"};
      values.push_back(value->get());
    }
    settings.*field = std::move(values);
    return Ok{};
  };
}

// Every key the file may hold, by "section.key".
const std::map<std::string, Setter>& schema() {
  static const std::map<std::string, Setter> table = {
      {"server.address", text(&DaemonSettings::server)},
      {"server.key", text(&DaemonSettings::server_key)},
      {"client.nickname", text(&DaemonSettings::nickname)},
      {"client.state_dir", text(&DaemonSettings::state_dir)},
      {"client.key_file", text(&DaemonSettings::key_file)},
      {"client.udp", text(&DaemonSettings::udp)},
      {"client.port_mapping_lease", integer(&DaemonSettings::port_mapping_lease)},
      {"adapter.name", text(&DaemonSettings::device)},
      {"adapter.mtu", integer(&DaemonSettings::mtu)},
      {"adapter.ipv6_prefix", text(&DaemonSettings::ipv6_prefix)},
      {"adapter.routes", text_list(&DaemonSettings::routes)},
      {"control.socket", text(&DaemonSettings::control_socket)},
      {"control.group", text(&DaemonSettings::control_group)},
      {"log.level", text(&DaemonSettings::log_level)},
      {"chat.history", integer(&DaemonSettings::chat_history)},
      {"metrics.listen", text(&DaemonSettings::metrics)},
      {"ui.listen", text(&DaemonSettings::ui)},
  };
  return table;
}

}  // namespace

Status<std::string> apply_toml(std::string_view text, const std::string& source, DaemonSettings& settings) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    std::ostringstream out;
    out << source << ":" << error.source().begin.line << ":" << error.source().begin.column << ": "
        << error.description();
    return Err{out.str()};
  }
  // Applied to a copy, so a file with an error changes nothing.
  DaemonSettings updated = settings;
  for (const auto& [section_name, section] : root) {
    std::string section_key(section_name.str());
    const toml::table* table = section.as_table();
    if (!table) return Err{where(section, source) + ": '" + section_key + "' must be a [section]"};
    for (const auto& [name, node] : *table) {
      std::string key = section_key + "." + std::string(name.str());
      auto setter = schema().find(key);
      if (setter == schema().end()) return Err{where(node, source) + ": unknown setting '" + key + "'"};
      if (auto applied = setter->second(node, key, updated); !applied) {
        return Err{where(node, source) + ": " + applied.error()};
      }
    }
  }
  settings = std::move(updated);
  return Ok{};
}

Result<LogLevel, std::string> parse_log_level(const std::string& text) {
  static const std::pair<const char*, LogLevel> kLevels[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}, {"critical", LogLevel::kCritical},
      {"off", LogLevel::kOff}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) return level;
  }
  return Err{"log level '" + text + "' is not one of trace, debug, info, warn, error, critical, off"};
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kCritical: return "critical";
    case LogLevel::kOff: return "off";
  }
  return "?";
}

Result<DaemonConfig, std::string> validate(const DaemonSettings& s) {
  DaemonConfig config;
  if (s.server.empty()) return Err{std::string("the server address is not set (server.address or --server)")};
  // "IP:PORT" or, for several servers sharing one database, "IP:PORT,IP:PORT,...".
  std::vector<Endpoint> servers;
  std::string_view rest = s.server;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string one(rest.substr(0, comma));
    while (!one.empty() && one.front() == ' ') one.erase(one.begin());
    while (!one.empty() && one.back() == ' ') one.pop_back();
    auto server = Endpoint::parse(one);
    if (!server || server->port == 0) return Err{"server address '" + one + "' is not IPv4:PORT"};
    if (std::find(servers.begin(), servers.end(), *server) != servers.end()) {
      return Err{"server address '" + one + "' is given twice"};
    }
    servers.push_back(*server);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  config.server = servers.front();
  config.fallback_servers.assign(servers.begin() + 1, servers.end());
  if (s.server_key.empty()) return Err{std::string("the server key is not set (server.key or --server-key)")};
  auto key = key_from_hex(s.server_key);
  if (!key) return Err{std::string("server key must be 64 hex digits (yellowtail-server --print-public-key)")};
  config.server_key = *key;
  if (!s.nickname.empty()) {
    if (auto problem = display_name_problem(s.nickname, kMaxNicknameLength)) {
      return Err{"nickname cannot be used: " + *problem};
    }
  }
  config.nickname = s.nickname;
  if (s.state_dir.empty() || s.state_dir.front() != '/') {
    return Err{"state directory '" + s.state_dir + "' must be an absolute path"};
  }
  config.state_dir = s.state_dir;
  config.key_file = s.key_file.empty() ? s.state_dir + "/client.key" : s.key_file;
  auto udp = Endpoint::parse(s.udp);
  if (!udp) return Err{"UDP endpoint '" + s.udp + "' is not IPv4:PORT"};
  config.udp = *udp;
  config.tun = s.tun;
  config.batch = s.batch;
  config.offload = s.batch && s.offload;
  config.coalesce = config.offload && s.coalesce;
  config.port_mapping = s.port_mapping;
  if (s.port_mapping_lease < kMinPortMappingLease || s.port_mapping_lease > kMaxPortMappingLease) {
    return Err{"port mapping lease " + std::to_string(s.port_mapping_lease) + " s is outside " +
               std::to_string(kMinPortMappingLease) + ".." + std::to_string(kMaxPortMappingLease)};
  }
  config.port_mapping_lease_s = static_cast<std::uint32_t>(s.port_mapping_lease);
  auto bridge = Endpoint::parse(s.bridge);
  if (!bridge) return Err{"bridge endpoint '" + s.bridge + "' is not IPv4:PORT"};
  config.bridge = *bridge;
  if (!valid_interface_name(s.device)) {
    return Err{"adapter name '" + s.device + "' is not a valid interface name (1-15 letters, digits, '-', '_', '.')"};
  }
  config.device = s.device;
  if (s.mtu < kMinMtu || s.mtu > kMaxMtu) {
    return Err{"adapter MTU " + std::to_string(s.mtu) + " is outside " + std::to_string(kMinMtu) + ".." +
               std::to_string(kMaxMtu)};
  }
  config.mtu = static_cast<std::uint32_t>(s.mtu);
  auto ipv6 = Ipv6Prefix::parse(s.ipv6_prefix);
  if (!ipv6 || ipv6->length > 64 || ipv6->address[0] != 0xfd) {
    return Err{"IPv6 prefix '" + s.ipv6_prefix + "' must be a ULA prefix in fd00::/8 of length 64 or less"};
  }
  config.ipv6_prefix = *ipv6;
  for (const std::string& route : s.routes) {
    auto prefix = Ipv4Prefix::parse(route);
    if (!prefix) return Err{"route '" + route + "' is not an IPv4 prefix a.b.c.d/n with the host bits zero"};
    config.routes.push_back(*prefix);
  }
  if (s.control_socket.empty() || s.control_socket.front() != '/') {
    return Err{"control socket '" + s.control_socket + "' must be an absolute path"};
  }
  config.control_socket = s.control_socket;
  config.control_group = s.control_group;
  auto level = parse_log_level(s.log_level);
  if (!level) return Err{level.error()};
  config.log_level = *level;
  if (s.chat_history < 0 || s.chat_history > kMaxChatHistory) {
    return Err{"chat history " + std::to_string(s.chat_history) + " is outside 0.." + std::to_string(kMaxChatHistory)};
  }
  config.chat_history = static_cast<std::size_t>(s.chat_history);
  if (!s.metrics.empty()) {
    auto metrics = Endpoint::parse(s.metrics);
    if (!metrics) return Err{"metrics endpoint '" + s.metrics + "' is not IPv4:PORT"};
    config.metrics = *metrics;
  }
  if (!s.ui.empty()) {
    // A bare port is the common case ("--ui 9480"); the address then is loopback.
    bool bare_port = s.ui.find(':') == std::string::npos;
    auto ui = Endpoint::parse(bare_port ? std::string(kDefaultWebUiAddress) + ":" + s.ui : s.ui);
    if (!ui) return Err{"web UI address '" + s.ui + "' is not PORT or IPv4:PORT"};
    // Loopback only: the UI's token would cross any other network in plain HTTP,
    // and the Host check (web_access.h) assumes the address is this machine's own.
    if ((ui->ip.value >> 24) != 127) {
      return Err{"web UI address '" + s.ui + "' is not a loopback address (127.0.0.0/8); the UI is for this machine"};
    }
    config.ui = *ui;
  }
  return config;
}

}  // namespace yt
