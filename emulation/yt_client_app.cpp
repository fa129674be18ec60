#include "emulation/yt_client_app.h"

#include <ns3/ipv4-routing-table-entry.h>
#include <ns3/ipv4-static-routing-helper.h>

#include <ns3/inet-socket-address.h>
#include <ns3/ipv4.h>
#include <ns3/log.h>
#include <ns3/node.h>
#include <ns3/socket.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/udp-socket-factory.h>
#include <ns3/uinteger.h>

#include <algorithm>

#include "client/core/describe_event.h"
#include "emulation/ns3_conversions.h"

namespace yt::emulation {

NS_OBJECT_ENSURE_REGISTERED(YtClientApp);

ns3::TypeId YtClientApp::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("yt::emulation::YtClientApp")
          .SetParent<ns3::Application>()
          .AddConstructor<YtClientApp>()
          .AddAttribute("UdpPort", "Local UDP port for discovery and tunnels (0: ephemeral).",
                        ns3::UintegerValue(4500), ns3::MakeUintegerAccessor(&YtClientApp::udp_port_),
                        ns3::MakeUintegerChecker<uint16_t>());
  return tid;
}

YtClientApp::YtClientApp() = default;
YtClientApp::~YtClientApp() = default;

void YtClientApp::Setup(const std::string& name, ClientConfig config, std::optional<Identity> identity,
                        EventLog* log) {
  name_ = name;
  config_ = std::move(config);
  log_ = log;
  if (identity) identity_ = *identity;
}

int64_t YtClientApp::AssignStreams(int64_t stream) { return rng_.assign_streams(stream); }

void YtClientApp::StartApplication() {
  if (identity_.public_key == PublicKey{}) identity_ = Identity::generate(rng_);
  udp_ = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
  udp_->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), udp_port_));
  udp_->SetRecvCallback(ns3::MakeCallback(&YtClientApp::OnUdpReceive, this));

  // LAN candidates: every non-loopback address of this node with our UDP port.
  ns3::Ptr<ns3::Ipv4> ipv4 = GetNode()->GetObject<ns3::Ipv4>();
  config_.lan_endpoints.clear();
  for (uint32_t i = 1; i < ipv4->GetNInterfaces(); ++i) {
    for (uint32_t j = 0; j < ipv4->GetNAddresses(i); ++j) {
      config_.lan_endpoints.push_back(Endpoint{from_ns3(ipv4->GetAddress(i, j).GetLocal()), udp_port_});
    }
  }
  // The gateway to ask for a port mapping: the default route's next hop, as a real
  // client reads it from its routing table (the site's NAT router answers when its
  // profile has PCP or NAT-PMP on, nat_router.h).
  if (!config_.port_mapping_gateway) {
    ns3::Ipv4StaticRoutingHelper helper;
    ns3::Ptr<ns3::Ipv4StaticRouting> routing = helper.GetStaticRouting(ipv4);
    for (uint32_t r = 0; routing && r < routing->GetNRoutes(); ++r) {
      const ns3::Ipv4RoutingTableEntry route = routing->GetRoute(r);
      if (route.IsDefault() && route.IsGateway()) {
        config_.port_mapping_gateway = from_ns3(route.GetGateway());
        break;
      }
    }
  }
  core_ = std::make_unique<ClientCore>(config_, identity_, rng_);
  if (log_) log_->add(name_, "start, key " + node_id(identity_.public_key));
  core_->start(core_now());
  Pump();
}

void YtClientApp::StopApplication() {
  if (!core_) return;
  core_->stop(core_now());
  Pump();
  timer_.Cancel();
  streams_.clear();
  while (!listeners_.empty()) CloseConnection(listeners_.begin()->first);
  if (udp_) udp_->Close();
  while (!extra_udp_.empty()) CloseExtraSocket(extra_udp_.begin()->first);
}

void YtClientApp::DoDispose() {
  timer_.Cancel();
  streams_.clear();
  listeners_.clear();
  core_.reset();
  udp_ = nullptr;
  extra_udp_.clear();
  extra_udp_ids_.clear();
  ns3::Application::DoDispose();
}

void YtClientApp::OnUdpReceive(ns3::Ptr<ns3::Socket> socket) {
  SocketId id = 0;
  if (socket != udp_) {
    auto it = extra_udp_ids_.find(ns3::PeekPointer(socket));
    if (it == extra_udp_ids_.end()) return;  // closed meanwhile
    id = it->second;
  }
  ns3::Address from;
  while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
    Bytes bytes = from_packet(packet);
    core_->on_datagram(core_now(), from_ns3(ns3::InetSocketAddress::ConvertFrom(from)), bytes, id);
  }
  Pump();
}

void YtClientApp::CloseExtraSocket(SocketId socket) {
  auto it = extra_udp_.find(socket);
  if (it == extra_udp_.end()) return;
  it->second->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  it->second->Close();
  extra_udp_ids_.erase(ns3::PeekPointer(it->second));
  extra_udp_.erase(it);
}

void YtClientApp::OnTimer() {
  core_->on_timer(core_now());
  Pump();
}

void YtClientApp::NotifyNetworkChanged(const std::vector<Ipv4>& addresses) {
  if (!core_) return;
  std::vector<Endpoint> lan;
  for (Ipv4 ip : addresses) lan.push_back(Endpoint{ip, udp_port_});
  core_->on_network_changed(core_now(), std::move(lan));
  Pump();
}

void YtClientApp::Pump() {
  // Performing an output can complete synchronously inside ns-3 (e.g. a refused
  // connect): the loop folds that nested Pump() into the running one.
  if (!core_) return;
  loop_.pump(*core_,
             Overloaded{
                 [this](SendDatagram& d) { SendUdp(d); },
                 [this](CloseSocket& c) { CloseExtraSocket(c.socket); },
                 [this](yt::OpenStream& o) { OpenStream(o.conn, o.to, o.local_port); },
                 [this](yt::ListenStream& l) { Listen(l.listener, l.port); },
                 [this](SendStream& s) {
                   auto it = streams_.find(s.conn);
                   if (it != streams_.end()) it->second->send(s.data, s.droppable);
                 },
                 [this](CloseStream& c) { CloseConnection(c.conn); },
                 [this](ClientEvent& e) {
                   if (log_ && (log_packets_ || !std::holds_alternative<PacketReceived>(e))) {
                     log_->add(name_, describe(e));
                   }
                   if (on_event_) on_event_(e);
                 },
             },
             [this](std::optional<Time> deadline) { RearmTimer(deadline); });
}

void YtClientApp::RearmTimer(std::optional<Time> deadline) { timer_.Rearm(deadline, &YtClientApp::OnTimer, this); }

void YtClientApp::SendUdp(const SendDatagram& d) {
  if (udp_allowed_only_ &&
      std::find(udp_allowed_only_->begin(), udp_allowed_only_->end(), d.to.ip) == udp_allowed_only_->end()) {
    return;
  }
  ns3::Ptr<ns3::Packet> packet = to_packet(d.payload);
  if (d.ttl != 0) {
    // Ipv4L3Protocol takes a SocketIpTtlTag over the default TTL.
    ns3::SocketIpTtlTag ttl;
    ttl.SetTtl(d.ttl);
    packet->AddPacketTag(ttl);
  }
  ns3::Ptr<ns3::Socket> socket = udp_;
  if (d.socket != 0) {
    ns3::Ptr<ns3::Socket>& extra = extra_udp_[d.socket];
    if (!extra) {
      extra = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
      extra->Bind();  // an ephemeral port of its own: a NAT mapping of its own
      extra->SetRecvCallback(ns3::MakeCallback(&YtClientApp::OnUdpReceive, this));
      extra_udp_ids_[ns3::PeekPointer(extra)] = d.socket;
    }
    socket = extra;
  }
  socket->SendTo(packet, 0, to_ns3(d.to));
}

void YtClientApp::CloseConnection(ConnId conn) {
  if (auto it = listeners_.find(conn); it != listeners_.end()) {
    it->second->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                                  ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>());
    it->second->Close();
    listeners_.erase(it);
    return;
  }
  close_connection(streams_, conn);
}

void YtClientApp::Listen(ConnId listener, std::uint16_t port) {
  CloseConnection(listener);
  ns3::Ptr<ns3::Socket> socket = ns3::Socket::CreateSocket(GetNode(), ns3::TcpSocketFactory::GetTypeId());
  if (socket->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port)) != 0 || socket->Listen() != 0) {
    // The port is held (ns-3 binds a port once per node): reported from a new
    // event, never from inside the core's output handling.
    ns3::Simulator::ScheduleNow([this, listener] {
      if (!core_) return;
      core_->on_stream_closed(core_now(), listener);
      Pump();
    });
    return;
  }
  socket->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                            ns3::Callback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>(
                                [this, listener](ns3::Ptr<ns3::Socket> accepted, const ns3::Address& from) {
                                  OnAccepted(listener, accepted, from);
                                }));
  listeners_[listener] = socket;
}

void YtClientApp::OnAccepted(ConnId listener, ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
  if (!core_) {
    socket->Close();
    return;
  }
  const ConnId conn = next_accepted_++;
  adopt_ns3_stream(streams_, conn, socket,
                   Ns3StreamHandlers{[] {},
                                     [this, conn](ByteView bytes) { core_->on_stream_data(core_now(), conn, bytes); },
                                     [this] { Pump(); },
                                     [this, conn] {
                                       core_->on_stream_closed(core_now(), conn);
                                       Pump();
                                     }});
  core_->on_stream_accepted(core_now(), listener, conn, from_ns3(ns3::InetSocketAddress::ConvertFrom(from)));
  Pump();
}

void YtClientApp::OpenStream(ConnId conn, Endpoint to, std::uint16_t local_port) {
  open_ns3_stream(GetNode(), streams_, conn, to,
                  Ns3StreamHandlers{[this, conn] {
                                      core_->on_stream_connected(core_now(), conn);
                                      Pump();
                                    },
                                    [this, conn](ByteView bytes) { core_->on_stream_data(core_now(), conn, bytes); },
                                    [this] { Pump(); },
                                    [this, conn] {
                                      core_->on_stream_closed(core_now(), conn);
                                      Pump();
                                    }},
                  local_port);
}

}  // namespace yt::emulation
