#include "emulation/host_routing.h"

#include <ns3/ipv4.h>
#include <ns3/ipv4-route.h>
#include <ns3/output-stream-wrapper.h>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {

NS_OBJECT_ENSURE_REGISTERED(HostRouting);

ns3::TypeId HostRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("yt::emulation::HostRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .AddConstructor<HostRouting>();
  return tid;
}

HostRouting::HostRouting() : static_(ns3::CreateObject<ns3::Ipv4StaticRouting>()) {}
HostRouting::~HostRouting() = default;

void HostRouting::AddHostRoute(Ipv4 destination, Ipv4 gateway, uint32_t interface) {
  hosts_[destination.value] = HostRoute{interface, MakeRoute(to_ns3(destination), to_ns3(gateway), interface)};
}

ns3::Ptr<ns3::Ipv4Route> HostRouting::MakeRoute(ns3::Ipv4Address destination, ns3::Ipv4Address gateway,
                                                uint32_t interface) const {
  auto route = ns3::Create<ns3::Ipv4Route>();
  route->SetDestination(destination);
  route->SetGateway(gateway);
  route->SetSource(ipv4_->GetAddress(interface, 0).GetLocal());
  route->SetOutputDevice(ipv4_->GetNetDevice(interface));
  return route;
}

void HostRouting::DoDispose() {
  hosts_.clear();
  if (static_) static_->Dispose();
  static_ = nullptr;
  ipv4_ = nullptr;
  ns3::Ipv4RoutingProtocol::DoDispose();
}

ns3::Ptr<ns3::Ipv4Route> HostRouting::RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                                  ns3::Ptr<ns3::NetDevice> oif, ns3::Socket::SocketErrno& sockerr) {
  auto it = hosts_.find(header.GetDestination().Get());
  if (it == hosts_.end() || (oif && oif != it->second.route->GetOutputDevice())) {
    return static_->RouteOutput(p, header, oif, sockerr);
  }
  sockerr = ns3::Socket::ERROR_NOTERROR;
  // A copy: a sender may set the source of the route it is given.
  const ns3::Ipv4Route& r = *it->second.route;
  return MakeRoute(r.GetDestination(), r.GetGateway(), it->second.interface);
}

bool HostRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                             ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                             MulticastForwardCallback mcb, LocalDeliverCallback lcb, ErrorCallback ecb) {
  auto it = hosts_.find(header.GetDestination().Get());
  if (it == hosts_.end()) return static_->RouteInput(p, header, idev, ucb, mcb, lcb, ecb);
  // As Ipv4StaticRouting does for a packet it would forward.
  if (!ipv4_->IsForwarding(static_cast<uint32_t>(ipv4_->GetInterfaceForDevice(idev)))) {
    ecb(p, header, ns3::Socket::ERROR_NOROUTETOHOST);
    return true;
  }
  ucb(it->second.route, p, header);
  return true;
}

void HostRouting::NotifyInterfaceUp(uint32_t interface) { static_->NotifyInterfaceUp(interface); }
void HostRouting::NotifyInterfaceDown(uint32_t interface) { static_->NotifyInterfaceDown(interface); }
void HostRouting::NotifyAddAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) {
  static_->NotifyAddAddress(interface, address);
}
void HostRouting::NotifyRemoveAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) {
  static_->NotifyRemoveAddress(interface, address);
}

void HostRouting::SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) {
  ipv4_ = ipv4;
  static_->SetIpv4(ipv4);
}

void HostRouting::PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit unit) const {
  *stream->GetStream() << "Host routes: " << hosts_.size() << "\n";
  static_->PrintRoutingTable(stream, unit);
}

ns3::Ptr<ns3::Ipv4RoutingProtocol> HostRoutingHelper::Create(ns3::Ptr<ns3::Node>) const {
  return ns3::CreateObject<HostRouting>();
}

ns3::Ptr<HostRouting> host_routing_of(ns3::Ptr<ns3::Node> node) {
  ns3::Ptr<ns3::Ipv4> ipv4 = node ? node->GetObject<ns3::Ipv4>() : nullptr;
  return ipv4 ? ns3::DynamicCast<HostRouting>(ipv4->GetRoutingProtocol()) : nullptr;
}

}  // namespace yt::emulation
