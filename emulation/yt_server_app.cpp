#include "emulation/yt_server_app.h"

#include <ns3/inet-socket-address.h>
#include <ns3/node.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/udp-socket-factory.h>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {

NS_OBJECT_ENSURE_REGISTERED(YtServerApp);

ns3::TypeId YtServerApp::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("yt::emulation::YtServerApp")
                               .SetParent<ns3::Application>()
                               .AddConstructor<YtServerApp>();
  return tid;
}

YtServerApp::YtServerApp() = default;
YtServerApp::~YtServerApp() = default;

void YtServerApp::Setup(const std::string& name, ServerConfig config, Identity identity, Storage* storage,
                        uint16_t control_port, EventLog* log) {
  name_ = name;
  config_ = std::move(config);
  identity_ = identity;
  storage_ = storage;
  control_port_ = control_port;
  log_ = log;
}

int64_t YtServerApp::AssignStreams(int64_t stream) { return rng_.assign_streams(stream); }

void YtServerApp::StartApplication() {
  core_ = std::make_unique<ServerCore>(config_, identity_, *storage_, rng_);
  std::vector<ns3::Ptr<ns3::Node>> nodes = {GetNode()};
  nodes.insert(nodes.end(), control_nodes_.begin(), control_nodes_.end());
  for (const ns3::Ptr<ns3::Node>& node : nodes) {
    ns3::Ptr<ns3::Socket> listener = ns3::Socket::CreateSocket(node, ns3::TcpSocketFactory::GetTypeId());
    listener->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), control_port_));
    listener->Listen();
    listener->SetAcceptCallback(ns3::MakeCallback(&YtServerApp::OnAcceptRequest, this),
                                ns3::MakeCallback(&YtServerApp::OnAccept, this));
    listeners_.push_back(listener);
  }
  std::vector<Endpoint> udp_endpoints = config_.discovery_endpoints;
  udp_endpoints.insert(udp_endpoints.end(), config_.refresh_endpoints.begin(), config_.refresh_endpoints.end());
  for (const Endpoint& local : udp_endpoints) {
    ns3::Ptr<ns3::Socket> socket = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
    socket->Bind(to_ns3(local));
    socket->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>(
        [this, local](ns3::Ptr<ns3::Socket> s) { OnUdpReceive(s, local); }));
    udp_[local] = socket;
  }
  if (log_) log_->add(name_, "server up, key " + node_id(identity_.public_key));
}

void YtServerApp::StopApplication() {
  // An outage: every connection drops at once, without goodbye. Storage stays.
  timer_.Cancel();
  streams_.clear();
  for (const ns3::Ptr<ns3::Socket>& listener : listeners_) listener->Close();
  listeners_.clear();
  for (auto& [local, socket] : udp_) socket->Close();
  udp_.clear();
  core_.reset();
  if (log_) log_->add(name_, "server down");
}

void YtServerApp::DoDispose() {
  timer_.Cancel();
  // Control connections may sit on other nodes (AddControlNode), which outlive
  // this one while the routers beside them may not: no FIN on the way out.
  for (auto& [conn, stream] : streams_) stream->abandon();
  streams_.clear();
  core_.reset();
  listeners_.clear();
  control_nodes_.clear();
  udp_.clear();
  ns3::Application::DoDispose();
}

void YtServerApp::OnAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
  if (!core_) {
    socket->Close();
    return;
  }
  ConnId conn = next_conn_++;
  auto receive = [this, conn](ns3::Ptr<ns3::Socket> s) {
    while (ns3::Ptr<ns3::Packet> packet = s->Recv()) {
      if (packet->GetSize() == 0) break;
      Bytes bytes = from_packet(packet);
      core_->on_stream_data(core_now(), conn, bytes);
    }
    Pump();
  };
  auto closed = [this, conn](ns3::Ptr<ns3::Socket>) {
    auto it = streams_.find(conn);
    if (it == streams_.end()) return;
    destroy_later(std::move(it->second));  // this closure is one of its callbacks
    streams_.erase(it);
    if (!core_) return;
    core_->on_stream_closed(core_now(), conn);
    Pump();
  };
  socket->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>(receive));
  socket->SetCloseCallbacks(ns3::Callback<void, ns3::Ptr<ns3::Socket>>(closed),
                            ns3::Callback<void, ns3::Ptr<ns3::Socket>>(closed));
  streams_[conn] = std::make_unique<Ns3StreamConnection>(socket);
  core_->on_stream_accepted(core_now(), conn, from_ns3(ns3::InetSocketAddress::ConvertFrom(from)));
  Pump();
}

void YtServerApp::OnUdpReceive(ns3::Ptr<ns3::Socket> socket, Endpoint local) {
  ns3::Address from;
  while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
    Bytes bytes = from_packet(packet);
    core_->on_datagram(core_now(), local, from_ns3(ns3::InetSocketAddress::ConvertFrom(from)), bytes);
  }
  Pump();
}

void YtServerApp::OnTimer() {
  if (!core_) return;
  core_->on_timer(core_now());
  Pump();
}

void YtServerApp::Pump() {
  if (!core_) return;
  loop_.pump(*core_,
             Overloaded{
                 [this](SendDatagram& d) { SendUdp(d); },
                 [this](SendStream& s) {
                   auto it = streams_.find(s.conn);
                   if (it != streams_.end()) it->second->send(s.data, s.droppable);
                 },
                 [this](CloseStream& c) { CloseConnection(c.conn); },
             },
             [this](std::optional<Time> deadline) { RearmTimer(deadline); });
}

void YtServerApp::SendUdp(const SendDatagram& d) {
  auto it = udp_.find(d.from);
  if (it == udp_.end()) it = udp_.begin();  // `from` unset: the primary socket
  if (it != udp_.end()) it->second->SendTo(to_packet(d.payload), 0, to_ns3(d.to));
}

void YtServerApp::RearmTimer(std::optional<Time> deadline) { timer_.Rearm(deadline, &YtServerApp::OnTimer, this); }

void YtServerApp::CloseConnection(ConnId conn) { close_connection(streams_, conn); }

}  // namespace yt::emulation
