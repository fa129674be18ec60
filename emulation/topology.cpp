#include "emulation/topology.h"

#include <ns3/double.h>
#include <ns3/error-model.h>
#include <ns3/pointer.h>
#include <ns3/string.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/point-to-point-net-device.h>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {

Topology::Topology() : core_(ns3::CreateObject<ns3::Node>()) {
  ns3::InternetStackHelper stack;
  stack.Install(core_);
}

ns3::Ptr<ns3::Node> Topology::AddServer(const LinkSpec& link) {
  // Each /30 holds the site address (.4k+1) and the router's side (.4k+2).
  if (servers_ >= 64) return nullptr;
  Ipv4 address = Ipv4{Ipv4::from_octets(198, 51, 100, 0).value + 4u * static_cast<uint32_t>(servers_++) + 1};
  ns3::Ptr<ns3::Node> node = ns3::CreateObject<ns3::Node>();
  Attach(node, address, link);
  return node;
}

ns3::Ptr<ns3::Node> Topology::AddPublicHost(const LinkSpec& link) {
  ns3::Ptr<ns3::Node> node = ns3::CreateObject<ns3::Node>();
  Ipv4 address = NextSiteAddress();
  if (address.value == 0) return nullptr;
  Attach(node, address, link);
  return node;
}

Ipv4 Topology::NextSiteAddress() {
  // 64 sites in 203.0.113.0/24, then 64 in 192.0.2.0/24.
  int k = sites_++;
  if (k < 64) return Ipv4{Ipv4::from_octets(203, 0, 113, 0).value + 4u * static_cast<uint32_t>(k) + 1};
  if (k < 128) return Ipv4{Ipv4::from_octets(192, 0, 2, 0).value + 4u * static_cast<uint32_t>(k - 64) + 1};
  return Ipv4{0};
}

void Topology::Attach(ns3::Ptr<ns3::Node> node, Ipv4 address, const LinkSpec& link) {
  if (!node->GetObject<ns3::Ipv4>()) {
    ns3::InternetStackHelper stack;
    stack.Install(node);
  }
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue(link.data_rate));
  p2p.SetChannelAttribute("Delay", ns3::TimeValue(to_ns3(link.delay)));
  ns3::NetDeviceContainer devices = p2p.Install(node, core_);
  if (link.loss_rate > 0) {
    for (uint32_t i = 0; i < devices.GetN(); ++i) {
      auto model = ns3::CreateObject<ns3::RateErrorModel>();
      model->SetAttribute("ErrorRate", ns3::DoubleValue(link.loss_rate));
      model->SetAttribute("ErrorUnit", ns3::StringValue("ERROR_UNIT_PACKET"));
      devices.Get(i)->SetAttribute("ReceiveErrorModel", ns3::PointerValue(model));
      loss_models_.push_back(model);
    }
  }

  ns3::Ipv4AddressHelper addresses;
  addresses.SetBase(to_ns3(Ipv4{address.value & ~3u}), "255.255.255.252", to_ns3(Ipv4{address.value & 3u}));
  addresses.Assign(devices);  // site gets `address`, the router the next one

  ns3::Ipv4StaticRoutingHelper routing;
  ns3::Ptr<ns3::Ipv4> ipv4 = node->GetObject<ns3::Ipv4>();
  uint32_t interface = ipv4->GetInterfaceForDevice(devices.Get(0));
  routing.GetStaticRouting(ipv4)->SetDefaultRoute(to_ns3(Ipv4{address.value + 1}), interface);
  nodes_.push_back(node);
}

Ipv4 Topology::AddressOf(ns3::Ptr<ns3::Node> node) const {
  ns3::Ptr<ns3::Ipv4> ipv4 = node->GetObject<ns3::Ipv4>();
  // Interface 0 is loopback; the access link is the first real interface.
  return from_ns3(ipv4->GetAddress(1, 0).GetLocal());
}

int64_t Topology::AssignStreams(int64_t stream) {
  int64_t used = 0;
  for (auto& object : loss_models_) used += ns3::DynamicCast<ns3::RateErrorModel>(object)->AssignStreams(stream + used);
  return used;
}

}  // namespace yt::emulation
