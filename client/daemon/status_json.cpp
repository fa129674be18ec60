#include "client/daemon/status_json.h"


namespace yt {

nlohmann::json stats_json(const ClientStats& s) {
  return nlohmann::json{
      {"malformed_datagrams", s.malformed_datagrams},
      {"unknown_tunnel", s.unknown_tunnel},
      {"unknown_session", s.unknown_session},
      {"relay_unknown_pair", s.relay_unknown_pair},
      {"auth_failures", s.auth_failures},
      {"replayed", s.replayed},
      {"handshake_failures", s.handshake_failures},
      {"control_failures", s.control_failures},
      {"packets_sent", s.packets_sent},
      {"packets_received", s.packets_received},
      {"reconnects", s.reconnects},
      {"birthday_datagrams", s.birthday_datagrams},
      {"port_mapping_requests", s.port_mapping_requests},
      {"port_mapping_malformed", s.port_mapping_malformed},
      {"tunnel_requests", s.tunnel_requests},
      {"ip_sent", s.ip_sent},
      {"ip_no_tunnel", s.ip_no_tunnel},
      {"ip_no_route", s.ip_no_route},
      {"ip_peer_muted", s.ip_peer_muted},
      {"ip_fanout_excess", s.ip_fanout_excess},
      {"ip_bad_source", s.ip_bad_source},
      {"ip_malformed", s.ip_malformed},
      {"ip_unsupported", s.ip_unsupported},
      {"ip_too_large", s.ip_too_large},
      {"ip_no_address", s.ip_no_address},
      {"ip_delivered", s.ip_delivered},
      {"spoofed_source", s.spoofed_source},
      {"not_for_us", s.not_for_us},
      {"ip_received_malformed", s.ip_received_malformed},
      {"ip_received_unsupported", s.ip_received_unsupported},
      {"chat_bad_network", s.chat_bad_network},
      {"received_muted", s.received_muted},
      {"tunnels_resumed", s.tunnels_resumed},
      {"network_changes", s.network_changes},
  };
}

namespace {

nlohmann::json optional_endpoint(std::optional<Endpoint> e) {
  return e ? nlohmann::json(e->to_string()) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json list_json(const ClientCore& core) {
  nlohmann::json networks = nlohmann::json::array();
  for (const NetworkInfo& network : core.networks()) {
    networks.push_back({{"name", network.name},
                        {"online", core.offline_networks().count(network.name) == 0},
                        {"members", network.members.size()}});
  }
  nlohmann::json peers = nlohmann::json::array();
  for (const PeerStatus& peer : core.peers()) {
    nlohmann::json in = nlohmann::json::array();
    for (const NetworkInfo& network : core.networks()) {
      for (const MemberInfo& member : network.members) {
        if (member.key == peer.key) in.push_back(network.name);
      }
    }
    const bool direct = peer.has_tunnel && peer.tunnel == TunnelState::kDirect;
    const bool relayed = peer.has_tunnel && peer.tunnel == TunnelState::kRelayed;
    std::string reason = peer.no_path_reason;
    if (peer.muted) reason = "you are offline in every network shared with it";
    nlohmann::json rtt = nullptr;
    if ((direct || relayed) && peer.rtt) rtt = static_cast<double>(peer.rtt->count()) / 1000.0;
    peers.push_back({{"node_id", node_id(peer.key)},
                     {"public_key", key_to_hex(peer.key)},
                     {"nickname", peer.nickname},
                     {"virtual_ip", peer.virtual_ip.to_string()},
                     {"online", peer.online},
                     {"networks", in},
                     {"connection", direct ? "direct" : relayed ? "relayed" : "none"},
                     // The peer's endpoint when direct, the relay's when relayed.
                     {"path", direct || relayed ? nlohmann::json(peer.path.to_string()) : nlohmann::json(nullptr)},
                     {"relay_transport",
                      relayed ? nlohmann::json(peer.relay_over_tcp ? "tcp" : "udp") : nlohmann::json(nullptr)},
                     // How the direct path runs: UDP, or a TCP punch connection.
                     {"direct_transport",
                      direct ? nlohmann::json(peer.direct_over_tcp ? "tcp" : "udp") : nlohmann::json(nullptr)},
                     {"rtt_ms", rtt},
                     {"reason", reason}});
  }
  return nlohmann::json{{"networks", networks}, {"peers", peers}};
}

nlohmann::json status_json(const ClientCore& core, const StatusExtras& extras) {
  nlohmann::json out;
  out["state"] = to_string(core.state());
  out["logged_in"] = !extras.logged_out;
  if (!extras.logout_reason.empty()) out["logout_reason"] = extras.logout_reason;
  out["node_id"] = node_id(core.public_key());
  out["public_key"] = key_to_hex(core.public_key());
  out["nickname"] = extras.nickname;
  out["server"] = extras.server.to_string();
  std::optional<Ipv4> ip = core.virtual_ip();
  out["virtual_ip"] = ip ? nlohmann::json(ip->to_string()) : nlohmann::json(nullptr);
  out["prefix_length"] = extras.prefix_length;
  out["mapped_endpoint"] = optional_endpoint(core.mapped_endpoint());
  // What discovery measured, e.g. "EIM/APDF preserve" or "APDM/APDF random".
  const std::optional<NatProfile> nat = core.nat_profile();
  out["nat"] = !nat ? nlohmann::json(nullptr) : nlohmann::json(nat->udp_blocked ? "udp-blocked" : nat->summary());
  // The gateway's mapping of our UDP port (PCP / NAT-PMP from the core, else UPnP
  // from the daemon), e.g. "pcp 203.0.113.5:61000" or "upnp 203.0.113.5:41641".
  const PortMappingOffer mapping = core.port_mapping();
  out["port_mapping"] = mapping.protocol == PortMappingProtocol::kNone
                            ? nlohmann::json(nullptr)
                            : nlohmann::json(std::string(to_string(mapping.protocol)) + " " +
                                             mapping.external.to_string());
  // The mapping of the TCP port we listen on (tcp_listener.h), the same way.
  const PortMappingOffer tcp_mapping = core.tcp_port_mapping();
  out["tcp_port_mapping"] = tcp_mapping.protocol == PortMappingProtocol::kNone
                                ? nlohmann::json(nullptr)
                                : nlohmann::json(std::string(to_string(tcp_mapping.protocol)) + " " +
                                                 tcp_mapping.external.to_string());
  if (extras.adapter) {
    std::optional<Ipv6Prefix> ipv6 = extras.adapter->ipv6();
    out["ipv6"] = ipv6 ? nlohmann::json(ipv6->to_string()) : nlohmann::json(nullptr);
    out["adapter"] = {{"name", extras.adapter->name()}, {"mtu", extras.adapter->mtu()}};
    if (const auto& problem = extras.adapter->ipv6_problem()) out["ipv6_problem"] = problem->message;
  } else {
    out["ipv6"] = nullptr;
  }
  if (extras.bridge) out["bridge"] = extras.bridge->to_string();
  std::vector<PeerStatus> peers = core.peers();
  std::size_t direct = 0, relayed = 0;
  for (const PeerStatus& p : peers) {
    direct += p.has_tunnel && p.tunnel == TunnelState::kDirect;
    relayed += p.has_tunnel && p.tunnel == TunnelState::kRelayed;
  }
  out["networks"] = core.networks().size();
  out["peers"] = peers.size();
  out["direct_peers"] = direct;
  out["relayed_peers"] = relayed;
  nlohmann::json stats = stats_json(core.stats());
  if (extras.adapter) {
    const AdapterCounters& c = extras.adapter->counters();
    stats["adapter_packets_read"] = c.packets_read;
    stats["adapter_packets_written"] = c.packets_written;
    stats["adapter_write_drops"] = c.write_drops;
    stats["adapter_read_errors"] = c.read_errors;
    stats["adapter_super_packets"] = c.super_packets;
    stats["adapter_offload_drops"] = c.offload_drops;
    stats["adapter_super_packets_written"] = c.super_packets_written;
  }
  out["stats"] = stats;
  return out;
}

}  // namespace yt
