#include "client/daemon/cli_format.h"

#include <cstdio>
#include <ctime>
#include <sstream>

#include "protocol/display_name.h"

namespace yt {
namespace {

// Every field is printed escaped: names and chat come from other people, and a line
// break or terminal escape in one must not draw a line of its own (display_name.h).
std::string text(const nlohmann::json& object, const char* key, const char* fallback = "-") {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_string()) return escape_unsafe(it->get<std::string>());
  return escape_unsafe(it->dump());
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

std::string connection_text(const nlohmann::json& peer) {
  std::string connection = text(peer, "connection", "none");
  std::string reason = text(peer, "reason", "");
  if (connection == "direct" || connection == "relayed") {
    std::string out = connection == "direct"
                          ? "direct " + text(peer, "path") + (text(peer, "direct_transport", "udp") == "tcp" ? " (tcp)" : "")
                          : "relayed via " + text(peer, "path") + " (" + text(peer, "relay_transport", "udp") + ")";
    auto rtt = peer.find("rtt_ms");
    if (rtt != peer.end() && rtt->is_number()) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, ", rtt %.2f ms", rtt->get<double>());
      out += buffer;
    }
    if (!reason.empty()) out += " (" + reason + ")";
    return out;
  }
  return "not reachable yet: " + (reason.empty() ? std::string("no tunnel") : reason);
}

std::string list_text(const nlohmann::json& result) {
  std::ostringstream out;
  const nlohmann::json networks = result.value("networks", nlohmann::json::array());
  const nlohmann::json peers = result.value("peers", nlohmann::json::array());
  if (networks.empty()) return "not in any network (yellowtail create NET / yellowtail join NET)\n";
  for (const nlohmann::json& network : networks) {
    std::string name = text(network, "name");
    bool online = network.value("online", true);
    out << "network " << name << " (" << (online ? "online" : "offline here") << ", "
        << text(network, "members") << " members)\n";
    bool any = false;
    for (const nlohmann::json& peer : peers) {
      const nlohmann::json in = peer.value("networks", nlohmann::json::array());
      bool member = false;
      for (const nlohmann::json& n : in) member = member || (n.is_string() && n.get<std::string>() == name);
      if (!member) continue;
      any = true;
      std::string nick = text(peer, "nickname", "");
      if (nick.empty()) nick = text(peer, "node_id");
      out << "  " << pad(nick, 16) << " " << pad(text(peer, "virtual_ip"), 15) << " "
          << pad(peer.value("online", false) ? "online" : "offline", 7) << " " << connection_text(peer) << "\n";
    }
    if (!any) out << "  (no other members)\n";
  }
  return out.str();
}

std::string status_text(const nlohmann::json& r) {
  std::ostringstream out;
  out << "state       " << text(r, "state");
  if (!r.value("logged_in", true)) {
    std::string why = r.value("logout_reason", std::string());
    out << (why.empty() ? " (logged out)" : " (logged out: " + why + ")");
  }
  out << "\n";
  out << "node        " << text(r, "node_id") << "\n";
  out << "nickname    " << text(r, "nickname", "(none)") << "\n";
  std::string ip = text(r, "virtual_ip");
  if (ip != "-") ip += "/" + text(r, "prefix_length");
  if (text(r, "ipv6") != "-") ip += ", " + text(r, "ipv6");
  out << "virtual IP  " << ip << "\n";
  if (auto adapter = r.find("adapter"); adapter != r.end() && adapter->is_object()) {
    out << "adapter     " << text(*adapter, "name") << ", MTU " << text(*adapter, "mtu") << "\n";
  }
  if (r.contains("bridge")) out << "bridge      " << text(r, "bridge") << "\n";
  out << "server      " << text(r, "server") << "\n";
  out << "public      " << text(r, "mapped_endpoint") << "\n";
  out << "NAT         " << text(r, "nat") << "\n";
  out << "port map    " << text(r, "port_mapping", "none") << "\n";
  out << "tcp map     " << text(r, "tcp_port_mapping", "none") << "\n";
  out << "networks    " << text(r, "networks") << ", peers " << text(r, "peers") << " ("
      << text(r, "direct_peers") << " direct, " << text(r, "relayed_peers", "0") << " relayed)\n";
  if (auto stats = r.find("stats"); stats != r.end() && stats->is_object()) {
    std::string line;
    for (const auto& [name, value] : stats->items()) {
      if (value.is_number() && value.get<double>() != 0) line += " " + name + "=" + value.dump();
    }
    out << "counters   " << (line.empty() ? " (all zero)" : line) << "\n";
  }
  return out.str();
}

std::string history_text(const nlohmann::json& result) {
  std::ostringstream out;
  const nlohmann::json messages = result.value("messages", nlohmann::json::array());
  if (messages.empty()) return "no chat messages\n";
  for (const nlohmann::json& m : messages) {
    std::time_t seconds = static_cast<std::time_t>(m.value("unix_ms", std::int64_t{0}) / 1000);
    char stamp[32];
    std::tm local{};
    ::localtime_r(&seconds, &local);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    std::string network = text(m, "network", "");
    // The node id beside the nickname: nicknames are not unique, so one peer could
    // take another's to pass for them.
    std::string id = text(m, "peer", "");
    std::string who = text(m, "nickname", "");
    who = who.empty() ? id : id.empty() ? who : who + " (" + id + ")";
    bool outgoing = m.value("outgoing", false);
    out << stamp << " ";
    if (!network.empty()) {
      out << "[" << network << "] " << (outgoing ? "me" : who);
    } else {
      out << (outgoing ? "me -> " + who : who + " -> me");
    }
    out << ": " << text(m, "text", "") << "\n";
  }
  return out.str();
}

}  // namespace

std::string format_result(const std::string& command, const nlohmann::json& result) {
  if (command == "list") return list_text(result);
  if (command == "status") return status_text(result);
  if (command == "chat-history") return history_text(result);
  if (command == "login") return "logged in as " + text(result, "virtual_ip") + "\n";
  if (command == "logout") return "logged out\n";
  if (command == "create") return "created network " + text(result, "argument") + "\n";
  if (command == "join") return "joined network " + text(result, "argument") + "\n";
  if (command == "leave") return "left network " + text(result, "argument") + "\n";
  if (command == "set-nick") return "nickname set to " + text(result, "argument") + "\n";
  if (command == "go-online" || command == "go-offline") {
    return "network " + text(result, "network") + ": " +
           (result.value("online", true) ? "online" : "offline on this machine") + "\n";
  }
  if (command == "ui") {
    // The URL alone on its line, so `xdg-open "$(yellowtail ui)"` works.
    return text(result, "url") + "\n";
  }
  if (command == "chat") {
    if (result.contains("network")) {
      std::string out = "sent to " + text(result, "sent") + " peer(s) in " + text(result, "network");
      if (result.value("no_tunnel", 0) > 0) out += "; " + text(result, "no_tunnel") + " without a direct tunnel yet";
      return out + "\n";
    }
    std::string nick = text(result, "nickname", "");
    return "sent to " + (nick.empty() ? text(result, "peer") : nick) + "\n";
  }
  return result.dump(2) + "\n";
}

}  // namespace yt
