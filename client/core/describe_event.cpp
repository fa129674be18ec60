#include "client/core/describe_event.h"

#include "protocol/display_name.h"

namespace yt {
namespace {

std::string text(const LoggedIn& e) {
  return "logged in as " + e.virtual_ip.to_string() + "/" + std::to_string(e.prefix_length);
}
std::string text(const LoginFailed& e) { return "login failed: " + e.reason; }
std::string text(const ServerLost& e) { return "server lost: " + e.reason; }
std::string text(const LoggedInElsewhere& e) {
  return "logged out: this key logged in from " + e.by.to_string() + " (a copy of this key elsewhere?)";
}
std::string text(const DiscoveryDone& e) {
  if (e.udp_blocked) return "discovery: UDP blocked";
  return "discovery: mapped " + e.mapped_endpoint.to_string() + ", " + e.profile.summary();
}
std::string text(const Synced&) { return "synced"; }
std::string text(const RequestDone& e) {
  std::string s = "request " + std::to_string(e.request_id) + ": " + to_string(e.code);
  if (!e.message.empty()) s += " (" + e.message + ")";
  return s;
}
std::string text(const MembershipChanged& e) { return "membership changed in " + e.network + ": " + node_id(e.member); }
std::string text(const TunnelUp& e) {
  return "tunnel up to " + node_id(e.peer) + " via " + e.path.to_string() + " after " +
         std::to_string(to_ms(e.time_to_direct)) + " ms";
}
std::string text(const TunnelRelayed& e) {
  if (e.fallback) {
    return "tunnel to " + node_id(e.peer) + ": direct path went silent, relayed via " + e.relay.to_string();
  }
  return "tunnel to " + node_id(e.peer) + " relayed via " + e.relay.to_string() + " after " +
         std::to_string(to_ms(e.time_to_relay)) + " ms (still punching for a direct path)";
}
std::string text(const TunnelDown& e) { return "tunnel down to " + node_id(e.peer) + ": " + e.reason; }
std::string text(const TunnelFailed& e) { return "tunnel failed to " + node_id(e.peer) + ": " + e.reason; }
std::string text(const PacketReceived& e) {
  return "packet from " + node_id(e.peer) + ": " + std::to_string(e.packet.size()) + " bytes";
}
// Names and text from peers are escaped: a line break in a chat must not start a
// forged line in the log (journald splits on it), nor an escape sequence reach a
// terminal that follows the log.
std::string text(const ChatReceived& e) {
  std::string from = e.nickname.empty() ? node_id(e.peer) : escape_unsafe(e.nickname) + " (" + node_id(e.peer) + ")";
  return (e.network.empty() ? "chat from " : "chat in " + escape_unsafe(e.network) + " from ") + from + ": " +
         escape_unsafe(e.text);
}

std::string text(const PortMappingFallback& e) {
  return e.wanted ? "port mapping: no PCP or NAT-PMP mapping from the gateway; other protocols may try"
                  : "port mapping: asking the gateway with PCP and NAT-PMP again";
}

}  // namespace

std::string describe(const ClientEvent& event) {
  return std::visit([](const auto& e) { return text(e); }, event);
}

}  // namespace yt
