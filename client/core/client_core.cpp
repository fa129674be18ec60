// ClientCore wires the parts together: the control channel (connection and login),
// discovery, the membership view, pending requests and the tunnel table. It owns the
// order of effects: every input is handled to completion, appending to one output
// queue, before the driver drains it.
#include "client/core/client_core.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "client/core/client_context.h"
#include "client/core/control_channel.h"
#include "client/core/discovery.h"
#include "client/core/ip_router.h"
#include "client/core/mapping_lifetime.h"
#include "client/core/membership.h"
#include "client/core/peer_cache.h"
#include "client/core/port_mapping.h"
#include "client/core/network_presence.h"
#include "client/core/relay_prober.h"
#include "client/core/relay_streams.h"
#include "client/core/requests.h"
#include "client/core/tcp_listener.h"
#include "client/core/tcp_mapping_probe.h"
#include "client/core/tunnel_retry.h"
#include "client/core/tunnel_table.h"
#include "protocol/display_name.h"
#include "protocol/peer_data_view.h"

namespace yt {

struct ClientCore::Impl {
  Impl(ClientConfig config, Identity identity, RandomSource& rng)
      : ctx(std::move(config), identity, rng),
        control(ctx),
        discovery(ctx),
        membership(identity.public_key),
        presence(ctx.config.offline_networks),
        tunnels(ctx),
        retry(ctx.config.tunnel_retry_first, ctx.config.tunnel_retry_max),
        relay_streams(ctx),
        tcp_probe(ctx),
        lifetime(ctx),
        port_mapper(ctx),
        tcp_listener(ctx),
        configured_keepalive(ctx.config.keepalive_interval) {
    ctx.send_to_server = [this](const ControlMessage& m) { return control.send(m); };
    tunnels.resume = [this](std::uint64_t id, Endpoint from) { return resume_plan(id, from); };
    ctx.send_to_relay_stream = [this](Endpoint stream, Endpoint relay, const Datagram& d) {
      relay_streams.send(stream, relay, d);
    };
  }

  ClientContext ctx;
  ControlChannel control;
  Discovery discovery;
  Membership membership;
  NetworkPresence presence;
  RequestTracker requests;
  TunnelTable tunnels;
  IpRouter router;
  TunnelRetry retry;
  RelayProber relay_prober;
  RelayStreams relay_streams;
  TcpMappingProbe tcp_probe;
  MappingLifetime lifetime;
  GatewayPortMapper port_mapper;
  TcpListener tcp_listener;
  // The driver's own mapping (UPnP in the daemon), taken only while the fallback
  // is wanted, that is while port_mapper has given up (PortMappingFallback).
  bool fallback_wanted = false;
  PortMappingOffer driver_mapping;
  const Duration configured_keepalive;
  // What went to the server last on this connection: sent again when the port
  // mapping changes after it.
  std::optional<DiscoveryReport> last_report;
  std::uint64_t discovery_token = 0;
  // The server's discovery addresses: the only places RefreshMapping may send us.
  std::set<Ipv4> server_ips;
  // Discovery finished while the relays were still being measured, or while the
  // server was still learning our TCP mapping: the report waits for them (at most
  // RelayProber::kRoundTime, TcpMappingProbe::kTimeout), so that the first plans,
  // which follow the report, already pick the relay by the measured round trips
  // and can punch over TCP.
  std::optional<DiscoveryResult> held_report;
  // Sends the held report once nothing holds it any more.
  void release_report(Time now);
  // A datagram for a tunnel (probe, handshake, data) that came by `from`: false
  // when it is not one of those.
  bool on_peer_datagram(Time now, const PeerPath& from, Datagram& datagram);
  std::map<PublicKey, Time> held_requests;  // RequestTunnel waiting for its refresh probe's head start

  bool started = false;
  bool online = false;  // discovery finished on the current connection
  std::optional<Ipv4> virtual_ip;
  std::uint8_t prefix_length = 8;
  // Resume ids of every member (peer_cache.h), rebuilt when the membership changed.
  std::map<std::uint64_t, MemberInfo> resume_ids;
  std::optional<std::uint64_t> resume_ids_version;
  std::optional<Endpoint> mapped;
  std::optional<NatProfile> nat_profile;

  void handle(Time now, std::vector<ControlNotice> notices);
  void handle_message(Time now, ControlMessage& message);
  void connection_ended();
  // Asks the server again for the tunnels that should exist but do not work.
  void request_missing_tunnels(Time now);
  // What stop() does: every connection, request and tunnel ends with `why`.
  void shut_down(Time now, const std::string& why);
  void finish_discovery(Time now, const DiscoveryResult& result);
  // The plan for a member's resume id, punching back to where it came from.
  std::optional<TunnelInstruction> resume_plan(std::uint64_t tunnel_id, Endpoint from);
  TunnelInstruction resume_instruction(const PublicKey& peer, Ipv4 peer_ip, Endpoint at) const;
  // Tunnels' keepalive from the measured mapping lifetime (or the configured one).
  void follow_lifetime();
  // (Re)starts the gateway port mapping for our main socket, when we know where.
  void start_port_mapping(Time now);
  // Tells the driver whether its fallback protocol is wanted, on changes only;
  // unwanted drops the driver's mapping.
  void want_fallback(bool wanted);
  // The mapping to offer: the core's own before the driver's.
  PortMappingOffer offered_mapping() const;
  // The port mapping may have changed: the server hears a change with a repeated
  // report.
  void port_mapping_changed();
  // A relay datagram that came over a relay's TCP listener, from `relay` (its UDP
  // endpoint, the name the tunnels know it by).
  void on_relay_stream_datagram(Time now, Endpoint relay, Datagram& datagram);
  // Reports a finished round of relay measurements, then any report it held up.
  void report_relay_rtts(Time now);
  void prune_tunnels();
  // Sends a request already registered under `id`; unregisters it if it cannot go.
  Result<std::uint32_t, SendError> submit(std::uint32_t id, const ControlMessage& message);

  Result<SendReport, IpRouteError> send_ip(Time now, ByteView packet);
  // send_ip's two steps: where the packet goes (refusals counted), then sealing it
  // for each peer of the route through the outputs.
  Result<IpRoute, IpRouteError> route_ip(ByteView packet);
  Result<SendReport, IpRouteError> send_routed(Time now, ByteView packet, const IpRoute& route);
  // One received PeerData of a batch: a packet into `out`, anything else as
  // on_datagram handles it.
  void receive_data(Time now, Endpoint from, const PeerDataView& view, PacketBatch& out);
  // Cryptokey routing of a packet received in ip_mode; counts what it refuses.
  bool accept_ip(const PublicKey& peer, ByteView packet);
  void on_chat(const PublicKey& peer, PeerPayload& payload);
  // Hands an opened peer payload to its consumer (events, the tunnel itself).
  void deliver(std::pair<PublicKey, PeerPayload>& received, bool relayed);
  void on_relay_frame(Time now, const RelayFrame& frame);
  std::string nickname_of(const PublicKey& peer) const;
};

void ClientCore::Impl::handle(Time now, std::vector<ControlNotice> notices) {
  for (ControlNotice& notice : notices) {
    if (auto* in = std::get_if<ControlLoggedIn>(&notice)) {
      virtual_ip = in->reply.virtual_ip;
      router.set_address(in->reply.virtual_ip, in->reply.prefix_length);
      prefix_length = in->reply.prefix_length;
      if (ctx.config.ipv6_base) router.set_ipv6_base(*ctx.config.ipv6_base);
      tunnels.set_server_lost(false);
      ctx.emit(LoggedIn{in->reply.virtual_ip, in->reply.prefix_length});
      // A server bound to the wildcard address (0.0.0.0, its default) names its
      // discovery endpoints that way: they are at the address we reached it at.
      std::vector<Endpoint> endpoints = in->reply.discovery_endpoints;
      for (Endpoint& e : endpoints) {
        if (e.ip.value == 0) e.ip = ctx.config.server.ip;
      }
      discovery.start(now, in->reply.discovery_token, endpoints);
      discovery_token = in->reply.discovery_token;
      tcp_probe.start(now, control.current_server(), in->reply.discovery_token);
      server_ips.clear();
      for (const Endpoint& e : endpoints) server_ips.insert(e.ip);
      // Where the server's built-in relay is (RelayOffer with an unset endpoint).
      ctx.server_relay.reset();
      if (!endpoints.empty()) ctx.server_relay = endpoints.front();
    } else if (auto* failed = std::get_if<ControlLoginFailed>(&notice)) {
      connection_ended();
      ctx.emit(LoginFailed{std::move(failed->reason)});
    } else if (auto* lost = std::get_if<ControlLost>(&notice)) {
      connection_ended();
      ctx.emit(ServerLost{std::move(lost->reason)});
    } else if (auto* replaced = std::get_if<ControlReplaced>(&notice)) {
      shut_down(now, "this key logged in elsewhere");
      ctx.emit(LoggedInElsewhere{replaced->by});
    } else if (auto* received = std::get_if<ControlReceived>(&notice)) {
      handle_message(now, received->message);
    }
  }
}

void ClientCore::Impl::connection_ended() {
  discovery.cancel();
  tcp_probe.cancel();
  lifetime.cancel();
  relay_prober.cancel();
  held_report.reset();
  retry.clear();  // the next session gets every pair planned anew
  held_requests.clear();
  online = false;
  last_report.reset();
  tunnels.set_server_lost(true);
  for (std::uint32_t id : requests.take_all()) {
    ctx.emit(RequestDone{id, ReplyCode::kNotLoggedIn, "connection to the server lost"});
  }
}

void ClientCore::Impl::request_missing_tunnels(Time now) {
  if (!online) {
    retry.clear();  // a new session gets every pair planned anew
    held_requests.clear();
    return;
  }
  std::set<PublicKey> wanting, trying;
  for (const PublicKey& key : presence.plannable(membership)) {
    const Tunnel* tunnel = tunnels.find(key);
    if (!tunnel || tunnel->state() == TunnelState::kFailed) {
      wanting.insert(key);
    } else if (tunnel->relayed() && !tunnel->punch_window_open()) {
      // Connected, but a direct path is worth asking for again (with backoff);
      // not from behind blocked UDP, where no punch can work.
      if (!ctx.udp_blocked && ctx.config.punch) wanting.insert(key);
    } else if (!tunnel->can_send() || tunnel->relayed()) {
      trying.insert(key);
    } else if (tunnel->relay_needs_ticket(now, ctx.config.relay_ticket_margin)) {
      // Direct, and soon without a relay to fall back to: a ticket lives an hour at
      // most (protocol/relay_ticket.h), and a re-plan brings a new one.
      wanting.insert(key);
    }
  }
  std::vector<PublicKey> due = retry.due(now, wanting, trying);
  if (!due.empty()) {
    const bool refreshed = ctx.config.tunnel_request_refresh && discovery.send_refresh_probe();
    const Time at = refreshed ? now + ctx.config.tunnel_request_refresh_lead : now;
    for (const PublicKey& peer : due) held_requests.emplace(peer, at);
  }
  for (auto it = held_requests.begin(); it != held_requests.end();) {
    if (now < it->second) {
      ++it;
      continue;
    }
    // Asked only if still needed: a plan may have come meanwhile, or the peer gone.
    if (wanting.count(it->first) && control.send(RequestTunnel{it->first})) ++ctx.stats.tunnel_requests;
    it = held_requests.erase(it);
  }
}

void ClientCore::Impl::finish_discovery(Time now, const DiscoveryResult& result) {
  if (result.udp_blocked && relay_prober.has_list() && !relay_prober.over_tcp()) {
    // Our echoes over UDP cannot come back: measure what we can reach over TCP.
    relay_prober.remeasure_over_tcp(now, control.rtt());
    relay_prober.on_timer(now, ctx);
    report_relay_rtts(now);  // nothing to wait for (the built-in relay only): report now
  }
  if (relay_prober.measuring() || tcp_probe.pending()) {
    held_report = result;
    return;
  }
  if (!result.udp_blocked) mapped = result.mapped;
  ctx.udp_blocked = result.udp_blocked;
  nat_profile = result.profile;
  ctx.emit(DiscoveryDone{result.mapped, result.udp_blocked, result.profile});
  // Before the report, which makes us online: members of these networks must never
  // see us online, not even for a moment (the server keeps this per session).
  for (const std::string& network : presence.offline_networks()) control.send(SetNetworkOnline{0, network, false});
  last_report = DiscoveryReport{result.mapped, result.profile, offered_mapping(), tcp_listener.current()};
  control.send(*last_report);
  online = true;
  std::optional<Endpoint> quiet_endpoint = discovery.quiet_endpoint();
  if (!result.udp_blocked && ctx.config.measure_mapping_lifetime && quiet_endpoint) {
    // Endpoint-independent filtering (or unknown): one shared mapping, which our
    // other traffic refreshes (mapping_lifetime.h).
    const bool quiet = !result.profile.filtering_known ||
                       result.profile.filtering == FilteringBehavior::kEndpointIndependent;
    lifetime.start(now, *quiet_endpoint, discovery_token, result.mapped, quiet);
    lifetime.on_timer(now);
  }
}

TunnelInstruction ClientCore::Impl::resume_instruction(const PublicKey& peer, Ipv4 peer_ip, Endpoint at) const {
  const PublicKey& self = ctx.identity.public_key;
  TunnelInstruction plan;
  plan.peer = peer;
  plan.peer_virtual_ip = peer_ip;
  plan.tunnel_id = resume_tunnel_id(self, peer);
  plan.role = self < peer ? TunnelRole::kInitiator : TunnelRole::kResponder;
  plan.start_delay_ms = 0;
  plan.candidates = {at};
  return plan;
}

std::optional<TunnelInstruction> ClientCore::Impl::resume_plan(std::uint64_t tunnel_id, Endpoint from) {
  if (resume_ids_version != membership.version()) {
    resume_ids.clear();
    for (const auto& [key, member] : membership.peers()) resume_ids[resume_tunnel_id(ctx.identity.public_key, key)] = member;
    resume_ids_version = membership.version();
  }
  auto it = resume_ids.find(tunnel_id);
  if (it == resume_ids.end()) return std::nullopt;
  ++ctx.stats.tunnels_resumed;
  return resume_instruction(it->second.key, it->second.virtual_ip, from);
}

void ClientCore::Impl::start_port_mapping(Time now) {
  if (!ctx.config.port_mapping) return;
  if (!ctx.config.port_mapping_gateway || ctx.config.lan_endpoints.empty()) {
    // Nothing to ask PCP or NAT-PMP with; UPnP finds its gateway by multicast.
    want_fallback(true);
    return;
  }
  want_fallback(false);
  port_mapper.start(now, *ctx.config.port_mapping_gateway, ctx.config.lan_endpoints.front().port,
                    ctx.config.port_mapping_lifetime_s);
  if (ctx.config.tcp_punch) {
    const std::uint16_t port = ctx.config.tcp_listen_port != 0 ? ctx.config.tcp_listen_port
                                                               : ctx.config.lan_endpoints.front().port;
    tcp_listener.start(now, *ctx.config.port_mapping_gateway, port, ctx.config.port_mapping_lifetime_s);
  }
}

void ClientCore::Impl::want_fallback(bool wanted) {
  if (wanted == fallback_wanted) return;
  fallback_wanted = wanted;
  if (!wanted) driver_mapping = {};
  ctx.emit(PortMappingFallback{wanted});
}

PortMappingOffer ClientCore::Impl::offered_mapping() const {
  PortMappingOffer own = port_mapper.current();
  return own.protocol != PortMappingProtocol::kNone ? own : driver_mapping;
}

void ClientCore::Impl::port_mapping_changed() {
  if (port_mapper.gave_up()) want_fallback(true);
  if (!online || !last_report) return;  // the first report will carry it
  const PortMappingOffer offer = offered_mapping();
  const PortMappingOffer tcp = tcp_listener.current();
  // Only the protocol and the endpoint matter to peers; a renewed lease is no news.
  const auto same = [](const PortMappingOffer& a, const PortMappingOffer& b) {
    return a.protocol == b.protocol && a.external == b.external;
  };
  if (same(offer, last_report->port_mapping) && same(tcp, last_report->tcp_port_mapping)) return;
  last_report->port_mapping = offer;
  last_report->tcp_port_mapping = tcp;
  control.send(*last_report);
}

void ClientCore::Impl::follow_lifetime() {
  ctx.config.keepalive_interval = lifetime.keepalive().value_or(configured_keepalive);
}

void ClientCore::Impl::report_relay_rtts(Time now) {
  std::optional<RelayRtts> report = relay_prober.take_report();
  if (!report) return;
  control.send(*report);
  release_report(now);
}

void ClientCore::Impl::release_report(Time now) {
  if (!held_report || relay_prober.measuring() || tcp_probe.pending()) return;
  DiscoveryResult result = std::move(*held_report);
  held_report.reset();
  finish_discovery(now, result);
}

void ClientCore::Impl::prune_tunnels() {
  std::vector<PublicKey> gone;
  for (const auto& entry : tunnels.tunnels()) {
    if (!membership.shares_network(entry.first)) gone.push_back(entry.first);
  }
  for (const PublicKey& peer : gone) tunnels.remove(peer, "no longer shares a network");
}

void ClientCore::Impl::handle_message(Time now, ControlMessage& message) {
  if (auto* reply = std::get_if<Reply>(&message)) {
    std::optional<PendingRequest> request = requests.complete(reply->request_id);
    if (!request) return;  // answered after we gave up on it (connection loss)
    if (request->kind == RequestKind::kSetNickname && reply->code == ReplyCode::kOk) {
      ctx.config.nickname = request->argument;  // so the next login keeps it
    }
    ctx.emit(RequestDone{reply->request_id, reply->code, std::move(reply->message)});
    if (request->kind == RequestKind::kLeaveNetwork && reply->code == ReplyCode::kOk) {
      // The server tells the others with MemberLeft and us only with a fresh
      // snapshot, which does not prune (see NetworkSnapshot); so our own leave prunes here.
      membership.remove(MemberLeft{request->argument, ctx.identity.public_key});
      prune_tunnels();
      // The server forgot our choice with the membership; a later join starts online.
      presence.set_online(request->argument, true);
    }
  } else if (auto* snapshot = std::get_if<NetworkSnapshot>(&message)) {
    // No pruning here: a snapshot too large for one frame is completed by
    // MemberUpdates that follow it (server/core/presence.cpp), so a peer missing
    // from it may still share a network. A tunnel that really lost its reason to
    // exist goes silent at the other end too and ends by peer_timeout.
    membership.replace(std::move(*snapshot));
    ctx.emit(Synced{});
  } else if (auto* update = std::get_if<MemberUpdate>(&message)) {
    membership.update(*update);
    if (update->member.online) {
      tunnels.set_peer_offline(update->member.key, false);
    } else {
      tunnels.note_peer_went_offline(update->member.key);
    }
    ctx.emit(MembershipChanged{update->network, update->member.key});
  } else if (auto* left = std::get_if<MemberLeft>(&message)) {
    membership.remove(*left);
    ctx.emit(MembershipChanged{left->network, left->key});
    prune_tunnels();
  } else if (auto* instruction = std::get_if<TunnelInstruction>(&message)) {
    if (instruction->relay && instruction->relay->endpoint.is_unset()) {
      // The server's own relay; without a discovery endpoint we cannot reach it.
      if (ctx.server_relay) {
        instruction->relay->endpoint = *ctx.server_relay;
      } else {
        instruction->relay.reset();
      }
    }
    tunnels.instruct(now, *instruction);
  } else if (auto* refresh = std::get_if<RefreshMapping>(&message)) {
    // Only to the server's own addresses: a message must not aim our probes at a
    // third party.
    if (!server_ips.count(refresh->to.ip) || !discovery.send_refresh_probe(refresh->to)) ++ctx.stats.control_failures;
  } else if (auto* offline = std::get_if<PeerOffline>(&message)) {
    tunnels.set_peer_offline(offline->peer, true);
  } else if (auto* frame = std::get_if<RelayFrame>(&message)) {
    on_relay_frame(now, *frame);
  } else if (auto* relays = std::get_if<RelayList>(&message)) {
    relay_prober.start(now, *relays, ctx.server_relay);
    relay_prober.on_timer(now, ctx);  // the first echoes go out now
  } else {
    // Client-to-server messages echoed back, or a LoginReply out of turn.
    ++ctx.stats.control_failures;
  }
}

Result<std::uint32_t, SendError> ClientCore::Impl::submit(std::uint32_t id, const ControlMessage& message) {
  if (!control.send(message)) {
    (void)requests.complete(id);
    return Err{SendError::kNotLoggedIn};
  }
  return id;
}

Result<SendReport, IpRouteError> ClientCore::Impl::send_ip(Time now, ByteView packet) {
  router.sync(membership);
  auto route = route_ip(packet);
  if (!route) return Err{route.error()};
  return send_routed(now, packet, *route);
}

Result<IpRoute, IpRouteError> ClientCore::Impl::route_ip(ByteView packet) {
  ClientStats& st = ctx.stats;
  auto route = router.route(
      packet,
      [this](const PublicKey& peer) {
        const Tunnel* tunnel = tunnels.find(peer);
        return tunnel && tunnel->can_send();
      },
      ctx.config.max_broadcast_fanout, presence.muted_predicate(membership));
  if (route && packet.size() > ctx.config.max_payload) route = Err{IpRouteError::kTooLarge};
  if (!route) {
    switch (route.error()) {
      case IpRouteError::kNoAddress: ++st.ip_no_address; break;
      case IpRouteError::kMalformed: ++st.ip_malformed; break;
      case IpRouteError::kUnsupported: ++st.ip_unsupported; break;
      case IpRouteError::kTooLarge: ++st.ip_too_large; break;
      case IpRouteError::kBadSource: ++st.ip_bad_source; break;
      case IpRouteError::kNoRoute: ++st.ip_no_route; break;
      case IpRouteError::kNoTunnel: ++st.ip_no_tunnel; break;
      case IpRouteError::kPeerMuted: ++st.ip_peer_muted; break;
      case IpRouteError::kSpoofedSource:
      case IpRouteError::kNotForUs: break;  // receive-side reasons
    }
    return Err{route.error()};
  }
  return route;
}

Result<SendReport, IpRouteError> ClientCore::Impl::send_routed(Time now, ByteView packet, const IpRoute& route) {
  ClientStats& st = ctx.stats;
  SendReport report{0, route.no_tunnel, route.over_fanout};
  PeerPayload payload = PeerPayload::packet(packet.to_bytes());
  for (const PublicKey& peer : route.peers) {
    if (tunnels.send(now, peer, payload)) {
      ++report.sent;
    } else {
      ++report.no_tunnel;  // an exhausted session: as good as no tunnel
    }
  }
  if (route.destination == IpDestination::kUnicast && report.sent == 0) {
    ++st.ip_no_tunnel;
    return Err{IpRouteError::kNoTunnel};
  }
  st.ip_sent += report.sent;
  st.ip_no_tunnel += report.no_tunnel;
  st.ip_fanout_excess += report.over_fanout;
  return report;
}

bool ClientCore::Impl::accept_ip(const PublicKey& peer, ByteView packet) {
  ClientStats& st = ctx.stats;
  router.sync(membership);
  auto accepted = router.check_received(packet, peer);
  if (accepted) {
    ++st.ip_delivered;
    return true;
  }
  switch (accepted.error()) {
    case IpRouteError::kMalformed: ++st.ip_received_malformed; break;
    case IpRouteError::kUnsupported: ++st.ip_received_unsupported; break;
    case IpRouteError::kSpoofedSource: ++st.spoofed_source; break;
    default: ++st.not_for_us; break;  // kNotForUs, or no address of ours yet
  }
  return false;
}

std::string ClientCore::Impl::nickname_of(const PublicKey& peer) const {
  for (const NetworkInfo& n : membership.networks()) {
    for (const MemberInfo& m : n.members) {
      if (m.key == peer) return m.nickname;
    }
  }
  return {};
}

void ClientCore::Impl::on_chat(const PublicKey& peer, PeerPayload& payload) {
  if (!payload.network.empty()) {
    // A peer may only speak in a network we share with it: otherwise a member of
    // one network could make text appear in another's chat.
    const NetworkInfo* network = membership.network(payload.network);
    bool shared = network && std::any_of(network->members.begin(), network->members.end(),
                                         [&](const MemberInfo& m) { return m.key == peer; });
    if (!shared) {
      ++ctx.stats.chat_bad_network;
      return;
    }
  }
  ctx.emit(ChatReceived{peer, std::string(payload.body.begin(), payload.body.end()), std::move(payload.network),
                        nickname_of(peer)});
}

// ---------------------------------------------------------------------------------

ClientCore::ClientCore(ClientConfig config, Identity identity, RandomSource& rng)
    : impl_(std::make_unique<Impl>(std::move(config), identity, rng)) {}

ClientCore::~ClientCore() = default;

void ClientCore::start(Time now) {
  if (impl_->started) return;
  impl_->started = true;
  impl_->control.start(now);
  // Before login: the gateway is one LAN hop away, so the mapping is there by the
  // time discovery ends and the first report carries it.
  impl_->start_port_mapping(now);
}

void ClientCore::stop(Time now) {
  if (impl_->started) impl_->shut_down(now, "client stopped");
}

void ClientCore::Impl::shut_down(Time now, const std::string& why) {
  started = false;
  control.stop(now);
  port_mapper.stop(now);
  tcp_listener.stop(now);
  want_fallback(false);
  discovery.cancel();
  tcp_probe.cancel();
  lifetime.cancel();
  retry.clear();
  held_requests.clear();
  online = false;
  for (std::uint32_t id : requests.take_all()) ctx.emit(RequestDone{id, ReplyCode::kNotLoggedIn, why});
  tunnels.clear(why);
  tunnels.set_server_lost(false);
  membership.clear();
  relay_prober.cancel();
  held_report.reset();
  relay_streams.close_all();
}

void ClientCore::on_stream_connected(Time now, ConnId conn) {
  if (impl_->relay_streams.owns(conn)) return impl_->relay_streams.on_connected(now, conn);
  if (TunnelTable::owns_stream(conn)) return impl_->tunnels.on_stream_connected(conn);
  if (impl_->tcp_probe.owns(conn)) return impl_->tcp_probe.on_connected(now, conn);
  impl_->handle(now, impl_->control.on_connected(now, conn));
}

void ClientCore::on_stream_data(Time now, ConnId conn, ByteView data) {
  if (impl_->relay_streams.owns(conn)) {
    for (auto& [relay, datagram] : impl_->relay_streams.on_data(now, conn, data)) {
      impl_->on_relay_stream_datagram(now, relay, datagram);
    }
    return;
  }
  if (TunnelTable::owns_stream(conn)) {
    for (auto& [path, frame] : impl_->tunnels.on_stream_data(conn, data)) {
      auto decoded = decode_datagram(frame);
      if (!decoded || !impl_->on_peer_datagram(now, path, decoded.value())) ++impl_->ctx.stats.malformed_datagrams;
    }
    return;
  }
  if (impl_->tcp_probe.owns(conn)) return;  // the server sends nothing on it
  impl_->handle(now, impl_->control.on_data(now, conn, data));
}

void ClientCore::on_stream_accepted(Time now, ConnId listener, ConnId conn, Endpoint remote) {
  (void)now;
  if (!impl_->tcp_listener.owns_listener(listener) || !impl_->tcp_listener.listening() ||
      !TunnelTable::owns_stream(conn)) {
    impl_->ctx.outputs.emplace_back(CloseStream{conn});
    return;
  }
  impl_->tunnels.on_stream_accepted(conn, remote);
}

void ClientCore::on_stream_closed(Time now, ConnId conn) {
  if (impl_->tcp_listener.owns_listener(conn)) {
    if (impl_->tcp_listener.on_listener_closed(now)) impl_->port_mapping_changed();
    return;
  }
  if (impl_->relay_streams.owns(conn)) return impl_->relay_streams.on_closed(now, conn);
  if (TunnelTable::owns_stream(conn)) return impl_->tunnels.on_stream_closed(now, conn);
  if (impl_->tcp_probe.owns(conn)) {
    impl_->tcp_probe.on_closed(now, conn);
    impl_->release_report(now);
    return;
  }
  impl_->handle(now, impl_->control.on_closed(now, conn));
}

void ClientCore::on_datagram(Time now, Endpoint from, ByteView data, SocketId socket) {
  Impl& s = *impl_;
  if (socket == 0 && (s.port_mapper.owns(from) || s.tcp_listener.owns_datagram(from))) {
    // Both mappers read the gateway's answers; each takes its own protocol's.
    s.port_mapper.on_datagram(now, from, data);
    s.tcp_listener.on_datagram(now, from, data);
    s.port_mapping_changed();
    return;
  }
  auto decoded = decode_datagram(data);
  if (!decoded) {
    ++s.ctx.stats.malformed_datagrams;
    return;
  }
  Datagram& datagram = decoded.value();
  if (auto* reply = std::get_if<DiscoveryReply>(&datagram)) {
    if (s.lifetime.on_reply(now, *reply)) {
      s.follow_lifetime();
      return;
    }
    if (auto result = s.discovery.on_reply(now, from, *reply)) s.finish_discovery(now, *result);
  } else if (s.on_peer_datagram(now, PeerPath{from, false, socket}, datagram)) {
    return;
  } else if (auto* relayed = std::get_if<RelayData>(&datagram)) {
    if (auto received = s.tunnels.on_relay_data(now, from, *relayed)) s.deliver(*received, true);
  } else if (auto* bound = std::get_if<RelayBound>(&datagram)) {
    s.tunnels.on_relay_bound(now, from, *bound);
  } else if (auto* hairpin = std::get_if<HairpinProbe>(&datagram)) {
    if (auto result = s.discovery.on_hairpin(now, from, *hairpin)) s.finish_discovery(now, *result);
  } else if (auto* echo = std::get_if<RelayEchoReply>(&datagram)) {
    if (s.control.on_echo_reply(now, from, echo->nonce)) return;  // the server is back
    s.relay_prober.on_reply(now, from, *echo);
    s.report_relay_rtts(now);
  } else {
    // A DiscoveryProbe or RelayBind: only servers and relays take those.
    ++s.ctx.stats.malformed_datagrams;
  }
}

bool ClientCore::Impl::on_peer_datagram(Time now, const PeerPath& from, Datagram& datagram) {
  if (auto* probe = std::get_if<PunchProbe>(&datagram)) {
    tunnels.on_punch(now, from, probe->tunnel_id, probe->sequence, false);
  } else if (auto* ack = std::get_if<PunchAck>(&datagram)) {
    tunnels.on_punch(now, from, ack->tunnel_id, ack->sequence, true);
  } else if (auto* init = std::get_if<PeerHandshakeInit>(&datagram)) {
    tunnels.on_handshake_init(now, from, *init);
  } else if (auto* resp = std::get_if<PeerHandshakeResp>(&datagram)) {
    tunnels.on_handshake_resp(now, from, *resp);
  } else if (auto* data_msg = std::get_if<PeerData>(&datagram)) {
    if (auto received = tunnels.on_data(now, from, *data_msg)) deliver(*received, false);
  } else {
    return false;
  }
  return true;
}

void ClientCore::Impl::on_relay_frame(Time now, const RelayFrame& frame) {
  // From the server's built-in relay over the control connection: as if it had
  // come from the relay's UDP endpoint.
  auto decoded = decode_datagram(frame.datagram);
  if (!decoded || !ctx.server_relay) {
    ++ctx.stats.malformed_datagrams;
    return;
  }
  if (auto* bound = std::get_if<RelayBound>(&decoded.value())) {
    tunnels.on_relay_bound(now, *ctx.server_relay, *bound);
  } else if (auto* data = std::get_if<RelayData>(&decoded.value())) {
    if (auto received = tunnels.on_relay_data(now, *ctx.server_relay, *data)) deliver(*received, true);
  } else {
    ++ctx.stats.malformed_datagrams;
  }
}

void ClientCore::Impl::on_relay_stream_datagram(Time now, Endpoint relay, Datagram& datagram) {
  if (auto* bound = std::get_if<RelayBound>(&datagram)) {
    tunnels.on_relay_bound(now, relay, *bound);
  } else if (auto* data = std::get_if<RelayData>(&datagram)) {
    if (auto received = tunnels.on_relay_data(now, relay, *data)) deliver(*received, true);
  } else if (auto* echo = std::get_if<RelayEchoReply>(&datagram)) {
    relay_prober.on_reply(now, relay, *echo);
    report_relay_rtts(now);
  } else {
    ++ctx.stats.malformed_datagrams;  // a relay sends nothing else
  }
}

void ClientCore::Impl::deliver(std::pair<PublicKey, PeerPayload>& received, bool relayed) {
  PeerPayload& payload = received.second;
  bool carries_content = payload.type == PeerPayloadType::kPacket || payload.type == PeerPayloadType::kChat;
  if (carries_content && presence.muted(membership, received.first)) {
    ++ctx.stats.received_muted;
    return;
  }
  switch (payload.type) {
    case PeerPayloadType::kPacket:
      if (ctx.config.ip_mode && !accept_ip(received.first, payload.body)) break;
      ctx.emit(PacketReceived{received.first, std::move(payload.body), relayed});
      break;
    case PeerPayloadType::kChat:
      on_chat(received.first, payload);
      break;
    case PeerPayloadType::kKeepalive:
    case PeerPayloadType::kPing:
    case PeerPayloadType::kPong:
      break;  // the tunnel's own business (tunnel.h)
  }
}

void ClientCore::on_timer(Time now) {
  Impl& s = *impl_;
  s.handle(now, s.control.on_timer(now));
  if (auto result = s.discovery.on_timer(now)) s.finish_discovery(now, *result);
  s.lifetime.on_timer(now);
  s.follow_lifetime();
  s.port_mapper.on_timer(now);
  s.tcp_listener.on_timer(now);
  s.port_mapping_changed();
  s.relay_prober.on_timer(now, s.ctx);
  s.report_relay_rtts(now);
  s.relay_streams.on_timer(now);
  s.tcp_probe.on_timer(now);
  s.release_report(now);
  s.tunnels.on_timer(now);
  s.request_missing_tunnels(now);
}

void ClientCore::on_network_changed(Time now, std::vector<Endpoint> lan_endpoints) {
  Impl& s = *impl_;
  if (!s.started) return;
  ++s.ctx.stats.network_changes;
  s.ctx.config.lan_endpoints = std::move(lan_endpoints);
  s.relay_streams.close_all();
  s.start_port_mapping(now);  // a new network may have a new gateway, and our port a new mapping
  s.handle(now, s.control.reconnect_now(now, "the network changed"));
  s.tunnels.on_network_changed(now);
}

void ClientCore::on_driver_port_mapping(Time now, PortMappingOffer offer) {
  Impl& s = *impl_;
  if (!s.fallback_wanted) return;
  if (offer.protocol == PortMappingProtocol::kNone || offer.external.ip.value == 0 || offer.external.port == 0) {
    on_driver_port_mapping_lost(now);
    return;
  }
  s.driver_mapping = offer;
  s.port_mapping_changed();
}

void ClientCore::on_driver_port_mapping_lost(Time) {
  Impl& s = *impl_;
  s.driver_mapping = {};
  s.port_mapping_changed();
}

std::optional<Time> ClientCore::next_deadline() const {
  const Impl& s = *impl_;
  std::optional<Time> next = s.control.next_deadline();
  std::optional<Time> held;
  for (const auto& [peer, at] : s.held_requests) held = held ? std::min(*held, at) : at;
  for (std::optional<Time> t :
       {s.discovery.next_deadline(), s.tunnels.next_deadline(), s.retry.next_deadline(), held,
        s.relay_prober.next_deadline(), s.relay_streams.next_deadline(), s.lifetime.next_deadline(),
        s.tcp_probe.next_deadline(), s.port_mapper.next_deadline(), s.tcp_listener.next_deadline()}) {
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

Result<std::uint32_t, SendError> ClientCore::create_network(Time now, const std::string& name,
                                                            const std::string& password) {
  if (!impl_->online) return Err{SendError::kNotLoggedIn};
  if (!valid_display_name(name, kMaxNameLength) || password.size() > kMaxPasswordLength) {
    return Err{SendError::kInvalidArgument};
  }
  std::uint32_t id = impl_->requests.add(RequestKind::kCreateNetwork, name);
  return impl_->submit(id, CreateNetwork{id, name, password});
}

Result<std::uint32_t, SendError> ClientCore::join_network(Time now, const std::string& name,
                                                          const std::string& password) {
  if (!impl_->online) return Err{SendError::kNotLoggedIn};
  if (!valid_display_name(name, kMaxNameLength) || password.size() > kMaxPasswordLength) {
    return Err{SendError::kInvalidArgument};
  }
  std::uint32_t id = impl_->requests.add(RequestKind::kJoinNetwork, name);
  return impl_->submit(id, JoinNetwork{id, name, password});
}

Result<std::uint32_t, SendError> ClientCore::leave_network(Time now, const std::string& name) {
  if (!impl_->online) return Err{SendError::kNotLoggedIn};
  if (!valid_display_name(name, kMaxNameLength)) return Err{SendError::kInvalidArgument};
  std::uint32_t id = impl_->requests.add(RequestKind::kLeaveNetwork, name);
  return impl_->submit(id, LeaveNetwork{id, name});
}

Status<SendError> ClientCore::set_network_online(Time now, const std::string& network, bool online) {
  (void)now;
  if (!valid_display_name(network, kMaxNameLength)) return Err{SendError::kInvalidArgument};
  Impl& s = *impl_;
  if (!s.presence.set_online(network, online)) return Ok{};
  // Without a session the change waits for the next login (finish_discovery).
  if (s.online) s.control.send(SetNetworkOnline{0, network, online});
  return Ok{};
}

Result<std::uint32_t, SendError> ClientCore::set_nickname(Time now, const std::string& nickname) {
  if (!impl_->online) return Err{SendError::kNotLoggedIn};
  if (!valid_display_name(nickname, kMaxNicknameLength)) return Err{SendError::kInvalidArgument};
  std::uint32_t id = impl_->requests.add(RequestKind::kSetNickname, nickname);
  return impl_->submit(id, SetNickname{id, nickname});
}

Status<SendError> ClientCore::send_to_peer(Time now, const PublicKey& peer, ByteView payload,
                                           PeerPayloadType type) {
  Impl& s = *impl_;
  switch (type) {
    case PeerPayloadType::kKeepalive:
      if (!payload.empty()) return Err{SendError::kInvalidArgument};
      break;
    case PeerPayloadType::kChat:
      if (payload.size() > kMaxChatLength) return Err{SendError::kTooLarge};
      break;
    case PeerPayloadType::kPacket:
      break;
    default:
      return Err{SendError::kInvalidArgument};
  }
  if (payload.size() > s.ctx.config.max_payload) return Err{SendError::kTooLarge};
  if (type != PeerPayloadType::kKeepalive && s.presence.muted(s.membership, peer)) return Err{SendError::kPeerMuted};
  // A kChat payload is the text of a private chat (empty network).
  PeerPayload sealed;
  sealed.type = type;
  sealed.body = payload.to_bytes();
  return s.tunnels.send(now, peer, sealed);
}

Result<SendReport, IpRouteError> ClientCore::send_ip_packet(Time now, ByteView ip_packet) {
  return impl_->send_ip(now, ip_packet);
}

void ClientCore::send_ip_batch(Time now, const std::vector<ByteView>& packets, PacketBatch& out) {
  Impl& s = *impl_;
  s.router.sync(s.membership);
  for (ByteView packet : packets) {
    auto route = s.route_ip(packet);
    if (!route) continue;  // counted
    // The common case, a unicast packet to a peer on a direct path, is sealed
    // straight into the batch; broadcasts and relayed tunnels take the general way.
    if (route->destination == IpDestination::kUnicast && route->peers.size() == 1 &&
        s.tunnels.seal_packet(now, route->peers.front(), packet, out)) {
      ++s.ctx.stats.ip_sent;
      continue;
    }
    (void)s.send_routed(now, packet, *route);
  }
}

void ClientCore::on_datagram_batch(Time now, const std::vector<ReceivedDatagram>& datagrams, PacketBatch& out) {
  Impl& s = *impl_;
  for (const ReceivedDatagram& datagram : datagrams) {
    if (auto view = peek_peer_data(datagram.data)) {
      s.receive_data(now, datagram.from, *view, out);
    } else {
      on_datagram(now, datagram.from, datagram.data);
    }
  }
}

void ClientCore::Impl::receive_data(Time now, Endpoint from, const PeerDataView& view, PacketBatch& out) {
  // Room for the whole sealed part: the plaintext is shorter, and a too-short one
  // is refused by the session before anything is written.
  std::uint8_t* plaintext = out.begin_entry(view.sealed.size());
  auto opened = tunnels.open_data(now, PeerPath{from, false}, view.receiver_index, view.sealed, plaintext);
  if (!opened) return;
  if (opened->other) {
    std::pair<PublicKey, PeerPayload> received{opened->peer, std::move(*opened->other)};
    deliver(received, false);
    return;
  }
  // A kPacket: the checks of deliver(), then the packet stays where it was opened.
  ByteView packet(plaintext + 1, opened->size - 1);
  if (presence.muted(membership, opened->peer)) {
    ++ctx.stats.received_muted;
    return;
  }
  if (ctx.config.ip_mode && !accept_ip(opened->peer, packet)) return;
  out.commit_entry(1, packet.size(), from, &opened->peer);
}

Status<SendError> ClientCore::send_chat(Time now, const PublicKey& peer, std::string text) {
  if (text.empty()) return Err{SendError::kInvalidArgument};
  if (text.size() > kMaxChatLength) return Err{SendError::kTooLarge};
  if (impl_->presence.muted(impl_->membership, peer)) return Err{SendError::kPeerMuted};
  return impl_->tunnels.send(now, peer, PeerPayload::chat("", Bytes(text.begin(), text.end())));
}

Result<SendReport, SendError> ClientCore::send_network_chat(Time now, const std::string& network, std::string text) {
  Impl& s = *impl_;
  if (text.empty()) return Err{SendError::kInvalidArgument};
  if (text.size() > kMaxChatLength) return Err{SendError::kTooLarge};
  const NetworkInfo* info = s.membership.network(network);
  if (!info) return Err{SendError::kInvalidArgument};
  if (s.presence.offline_in(network)) return Err{SendError::kOfflineInNetwork};
  PeerPayload payload = PeerPayload::chat(network, Bytes(text.begin(), text.end()));
  SendReport report;
  // Members are unique within one network, so each peer gets one copy.
  for (const MemberInfo& m : info->members) {
    if (m.key == s.ctx.identity.public_key) continue;
    const Tunnel* tunnel = s.tunnels.find(m.key);
    if (tunnel && tunnel->can_send() && s.tunnels.send(now, m.key, payload)) {
      ++report.sent;
    } else if (m.online || tunnel) {
      ++report.no_tunnel;
    }
  }
  return report;
}

std::vector<ClientCore::Output> ClientCore::drain_outputs() {
  std::vector<Output> out;
  out.swap(impl_->ctx.outputs);
  return out;
}

ClientState ClientCore::state() const {
  const Impl& s = *impl_;
  if (!s.started) return ClientState::kStopped;
  switch (s.control.phase()) {
    case ControlChannel::Phase::kIdle:
      return ClientState::kStopped;
    case ControlChannel::Phase::kConnecting:
    case ControlChannel::Phase::kRetryWait:
      return ClientState::kConnecting;
    case ControlChannel::Phase::kHandshaking:
    case ControlChannel::Phase::kLoggingIn:
      return ClientState::kLoggingIn;
    case ControlChannel::Phase::kLoggedIn:
      return s.online ? ClientState::kOnline : ClientState::kDiscovering;
  }
  return ClientState::kStopped;
}

const PublicKey& ClientCore::public_key() const { return impl_->ctx.identity.public_key; }

std::optional<Ipv4> ClientCore::virtual_ip() const { return impl_->virtual_ip; }

std::optional<Endpoint> ClientCore::mapped_endpoint() const { return impl_->mapped; }

std::optional<NatProfile> ClientCore::nat_profile() const { return impl_->nat_profile; }

PortMappingOffer ClientCore::port_mapping() const { return impl_->offered_mapping(); }
PortMappingOffer ClientCore::tcp_port_mapping() const { return impl_->tcp_listener.current(); }

const std::vector<NetworkInfo>& ClientCore::networks() const { return impl_->membership.networks(); }

namespace {

std::string no_path_reason(const MemberInfo& member, const Tunnel* tunnel) {
  if (tunnel && tunnel->can_send()) return {};
  if (!member.online) return "peer offline";
  if (!tunnel) return "waiting for the server to plan a tunnel";
  switch (tunnel->state()) {
    case TunnelState::kWaiting: return "punching scheduled";
    case TunnelState::kPunching: return "punching";
    case TunnelState::kHandshaking: return "handshaking";
    case TunnelState::kDirect:
    case TunnelState::kRelayed: return {};
    case TunnelState::kFailed: return tunnel->failure() + "; asking again later";
  }
  return {};
}

}  // namespace

std::vector<PeerStatus> ClientCore::peers() const {
  const Impl& s = *impl_;
  std::vector<PeerStatus> out;
  for (const auto& [key, member] : s.membership.peers()) {
    PeerStatus status;
    status.key = key;
    status.nickname = member.nickname;
    status.virtual_ip = member.virtual_ip;
    status.online = member.online;
    if (const Tunnel* tunnel = s.tunnels.find(key)) {
      status.has_tunnel = true;
      status.tunnel = tunnel->state();
      if (tunnel->can_send()) status.path = tunnel->path().endpoint;
      status.relay_over_tcp = tunnel->relayed() && tunnel->relay() && tunnel->relay()->over_tcp();
      status.direct_over_tcp = tunnel->direct() && tunnel->path().stream != 0;
      status.last_received = tunnel->last_received();
      status.rtt = tunnel->rtt();
    }
    status.no_path_reason = no_path_reason(member, s.tunnels.find(key));
    status.muted = s.presence.muted(s.membership, key);
    out.push_back(std::move(status));
  }
  return out;
}

const std::set<std::string>& ClientCore::offline_networks() const { return impl_->presence.offline_networks(); }
PeerCache ClientCore::peer_cache() const {
  const Impl& s = *impl_;
  PeerCache cache;
  if (s.virtual_ip) cache.virtual_ip = *s.virtual_ip;
  cache.prefix_length = s.prefix_length;
  cache.networks.networks = s.membership.networks();
  for (const auto& [peer, tunnel] : s.tunnels.tunnels()) {
    if (tunnel.direct()) cache.direct.push_back({peer, tunnel.path().endpoint});
  }
  return cache;
}

bool ClientCore::restore_peers(Time now, const PeerCache& cache) {
  Impl& s = *impl_;
  if (s.online || s.virtual_ip) return false;  // the server's view is the one that counts
  if (cache.virtual_ip.value == 0) return false;  // saved before any login: nothing to resume
  s.virtual_ip = cache.virtual_ip;
  s.prefix_length = cache.prefix_length;
  s.router.set_address(cache.virtual_ip, cache.prefix_length);
  s.membership.replace(cache.networks);
  const auto peers = s.membership.peers();
  for (const PeerCache::Path& path : cache.direct) {
    auto member = peers.find(path.peer);
    if (member == peers.end() || path.peer == s.ctx.identity.public_key) continue;
    s.tunnels.instruct(now, s.resume_instruction(path.peer, member->second.virtual_ip, path.endpoint),
                       PlanSource::kResume);
    ++s.ctx.stats.tunnels_resumed;
  }
  // Nobody vouches for these peers' liveness but themselves.
  s.tunnels.set_server_lost(true);
  return true;
}

ClientCore::MappingLifetimeStatus ClientCore::mapping_lifetime() const {
  return {impl_->lifetime.lower_bound(), impl_->lifetime.upper_bound(), impl_->ctx.config.keepalive_interval};
}

const ClientStats& ClientCore::stats() const { return impl_->ctx.stats; }

}  // namespace yt
