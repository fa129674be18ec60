#include "emulation/background_flows.h"

#include <ns3/double.h>
#include <ns3/inet-socket-address.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {

ns3::TypeId BackgroundFlows::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("yt::emulation::BackgroundFlows")
                               .SetParent<ns3::Application>()
                               .AddConstructor<BackgroundFlows>();
  return tid;
}

BackgroundFlows::BackgroundFlows()
    : gap_(ns3::CreateObject<ns3::ExponentialRandomVariable>()),
      port_(ns3::CreateObject<ns3::UniformRandomVariable>()) {}

void BackgroundFlows::Setup(double flows_per_s, Ipv4 target) {
  flows_per_s_ = flows_per_s;
  target_ = target;
  gap_->SetAttribute("Mean", ns3::DoubleValue(1.0 / flows_per_s));
}

int64_t BackgroundFlows::AssignStreams(int64_t stream) {
  gap_->SetStream(stream);
  port_->SetStream(stream + 1);
  return 2;
}

void BackgroundFlows::StartApplication() {
  socket_ = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
  socket_->Bind();
  next_ = ns3::Simulator::Schedule(ns3::Seconds(gap_->GetValue()), &BackgroundFlows::OpenFlow, this);
}

void BackgroundFlows::StopApplication() {
  next_.Cancel();
  if (socket_) socket_->Close();
}

void BackgroundFlows::DoDispose() {
  next_.Cancel();
  socket_ = nullptr;
  ns3::Application::DoDispose();
}

void BackgroundFlows::OpenFlow() {
  // Above the server's own ports (control, discovery, refresh), so nothing of ours reads them.
  const auto port = static_cast<std::uint16_t>(port_->GetInteger(20000, 65535));
  socket_->SendTo(ns3::Create<ns3::Packet>(32), 0, to_ns3(Endpoint{target_, port}));
  ++flows_;
  next_ = ns3::Simulator::Schedule(ns3::Seconds(gap_->GetValue()), &BackgroundFlows::OpenFlow, this);
}

}  // namespace yt::emulation
