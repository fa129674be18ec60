#include "nat-models/firewall.h"

#include <algorithm>

namespace yt::nat {

bool transport_allowed(const NatConfig& config, Transport transport) {
  return transport != Transport::kUdp || config.udp_allowed;
}

bool outbound_allowed(const NatConfig& config, const PacketHeader& packet) {
  if (!transport_allowed(config, packet.transport)) return false;
  if (packet.transport != Transport::kTcp || config.tcp_allowed_dst_ports.empty()) return true;
  const auto& ports = config.tcp_allowed_dst_ports;
  return std::find(ports.begin(), ports.end(), packet.dst.port) != ports.end();
}

bool inbound_tcp_replies_only(const NatConfig& config) { return !config.tcp_allowed_dst_ports.empty(); }

}  // namespace yt::nat
