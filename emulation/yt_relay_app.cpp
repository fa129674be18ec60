#include "emulation/yt_relay_app.h"

#include <ns3/inet-socket-address.h>
#include <ns3/node.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {

NS_OBJECT_ENSURE_REGISTERED(YtRelayApp);

ns3::TypeId YtRelayApp::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("yt::emulation::YtRelayApp").SetParent<ns3::Application>().AddConstructor<YtRelayApp>();
  return tid;
}

YtRelayApp::YtRelayApp() = default;
YtRelayApp::~YtRelayApp() = default;

void YtRelayApp::Setup(RelayNodeConfig config, Identity identity, EventLog* log) {
  config_ = std::move(config);
  identity_ = std::move(identity);
  log_ = log;
}

int64_t YtRelayApp::AssignStreams(int64_t stream) { return rng_.assign_streams(stream); }

void YtRelayApp::StartApplication() {
  udp_ = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
  udp_->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), config_.udp.port));
  udp_->SetRecvCallback(ns3::MakeCallback(&YtRelayApp::OnUdpReceive, this));
  node_ = std::make_unique<RelayNode>(config_, identity_, rng_);
  running_ = true;
  if (log_) log_->add(config_.name, "relay start on " + config_.udp.to_string());
  node_->start(core_now());
  Pump();
}

void YtRelayApp::StopApplication() {
  if (!running_) return;
  running_ = false;
  if (log_) log_->add(config_.name, "relay stops");
  timer_.Cancel();
  for (auto& [conn, stream] : streams_) stream->close();  // the server sees the end
  streams_.clear();
  if (udp_) udp_->Close();
}

void YtRelayApp::DoDispose() {
  timer_.Cancel();
  streams_.clear();
  node_.reset();
  udp_ = nullptr;
  ns3::Application::DoDispose();
}

void YtRelayApp::OnUdpReceive(ns3::Ptr<ns3::Socket> socket) {
  ns3::Address from;
  while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
    if (!running_) continue;
    Bytes bytes = from_packet(packet);
    node_->on_datagram(core_now(), from_ns3(ns3::InetSocketAddress::ConvertFrom(from)), bytes);
  }
  Pump();
}

void YtRelayApp::OnTimer() {
  node_->on_timer(core_now());
  Pump();
}

void YtRelayApp::Pump() {
  if (!node_ || !running_) return;
  loop_.pump(*node_,
             Overloaded{
                 [this](SendDatagram& d) { udp_->SendTo(to_packet(d.payload), 0, to_ns3(d.to)); },
                 [this](yt::OpenStream& o) {
                   const ConnId conn = o.conn;
                   open_ns3_stream(GetNode(), streams_, conn, o.to,
                                   Ns3StreamHandlers{[this, conn] {
                                                       if (!running_) return;
                                                       node_->on_stream_connected(core_now(), conn);
                                                       Pump();
                                                     },
                                                     [this, conn](ByteView bytes) {
                                                       if (running_) node_->on_stream_data(core_now(), conn, bytes);
                                                     },
                                                     [this] { Pump(); },
                                                     [this, conn] {
                                                       if (!running_) return;
                                                       node_->on_stream_closed(core_now(), conn);
                                                       Pump();
                                                     }});
                 },
                 [this](SendStream& s) {
                   auto it = streams_.find(s.conn);
                   if (it != streams_.end()) it->second->send(s.data, s.droppable);
                 },
                 [this](CloseStream& c) { close_connection(streams_, c.conn); },
             },
             [this](std::optional<Time> deadline) { RearmTimer(deadline); });
  for (const RelayNodeNotice& n : node_->take_notices()) {
    if (log_) log_->add(config_.name, n.text);
  }
}

void YtRelayApp::RearmTimer(std::optional<Time> deadline) {
  timer_.Rearm(running_ ? deadline : std::nullopt, &YtRelayApp::OnTimer, this);
}

}  // namespace yt::emulation
