#include "emulation/point_to_point_link.h"

#include <ns3/drop-tail-queue.h>
#include <ns3/error-model.h>
#include <ns3/icmpv4-l4-protocol.h>
#include <ns3/icmpv4.h>
#include <ns3/log.h>
#include <ns3/mac48-address.h>
#include <ns3/net-device-queue-interface.h>
#include <ns3/point-to-point-channel.h>
#include <ns3/pointer.h>
#include <ns3/ppp-header.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/traffic-control-layer.h>
#include <ns3/ipv4-interface.h>
#include <ns3/queue-disc.h>
#include <ns3/queue-item.h>

#include <algorithm>

#include "emulation/link_windows.h"

namespace yt::emulation {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;

// ICMP types that report an error about a packet we sent (RFC 792): unreachable,
// source quench, redirect, time exceeded, parameter problem. Read from the bytes,
// without the copy and header objects a PeekHeader would cost per packet.
bool is_icmp_error(const ns3::Packet& packet) {
  uint8_t head[64];
  const uint32_t size = packet.CopyData(head, sizeof head);
  if (size < 20 || head[9] != ns3::Icmpv4L4Protocol::PROT_NUMBER) return false;
  const uint32_t header_length = 4u * (head[0] & 0x0f);
  if (size <= header_length) return false;
  const uint8_t type = head[header_length];
  return type == ns3::Icmpv4Header::ICMPV4_DEST_UNREACH || type == 4 || type == 5 ||
         type == ns3::Icmpv4Header::ICMPV4_TIME_EXCEEDED || type == 12;
}

// What the traffic control layer does for a device without a queue disc, without
// its per-packet lookup of the device in a map (one entry per device: 10,000 on the
// core) and its queue-state checks (this device's queue never stops).
class DirectTrafficControl : public ns3::TrafficControlLayer {
 public:
  explicit DirectTrafficControl(ns3::Ptr<ns3::TrafficControlLayer> node_layer) : node_layer_(node_layer) {}

  void Send(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<ns3::QueueDiscItem> item) override {
    item->AddHeader();
    ns3::SocketPriorityTag priority;  // a one-queue device drops it, as the layer does
    item->GetPacket()->RemovePacketTag(priority);
    device->Send(item->GetPacket(), item->GetAddress(), item->GetProtocol());
  }
  // A packet for one of the interface's own addresses goes up the node's layer.
  void Receive(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet, uint16_t protocol,
               const ns3::Address& from, const ns3::Address& to, ns3::NetDevice::PacketType type) override {
    node_layer_->Receive(device, packet, protocol, from, to, type);
  }

 private:
  ns3::Ptr<ns3::TrafficControlLayer> node_layer_;
};

}  // namespace

ns3::TypeId OnePassPointToPointDevice::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("yt::OnePassPointToPointDevice")
                               .SetParent<ns3::PointToPointNetDevice>()
                               .SetGroupName("Yellowtail")
                               .AddConstructor<OnePassPointToPointDevice>();
  return tid;
}

void OnePassPointToPointDevice::Learn() {
  learned_ = true;
  ns3::DataRateValue rate;
  GetAttribute("DataRate", rate);
  rate_ = rate.Get();
  ns3::TimeValue gap;
  GetAttribute("InterframeGap", gap);
  gap_ = gap.Get();
  ns3::Ptr<ns3::PointToPointChannel> channel = ns3::DynamicCast<ns3::PointToPointChannel>(GetChannel());
  ns3::TimeValue delay;
  channel->GetAttribute("Delay", delay);
  delay_ = delay.Get();
  for (std::size_t i = 0; i < channel->GetNDevices(); ++i) {
    ns3::Ptr<ns3::PointToPointNetDevice> device = channel->GetPointToPointDevice(i);
    if (ns3::PeekPointer(device) != this) peer_ = ns3::PeekPointer(device);
  }
  peer_one_pass_ = dynamic_cast<OnePassPointToPointDevice*>(peer_);
  peer_context_ = peer_->GetNode()->GetId();
  queue_limit_ = GetQueue()->GetMaxSize().GetValue();
}

void OnePassPointToPointDevice::BypassTrafficControl() {
  ns3::Ptr<ns3::Node> node = GetNode();
  ns3::Ptr<ns3::Ipv4L3Protocol> ipv4 = node->GetObject<ns3::Ipv4L3Protocol>();
  ns3::Ptr<ns3::TrafficControlLayer> layer = node->GetObject<ns3::TrafficControlLayer>();
  if (!ipv4 || !layer || layer->GetRootQueueDiscOnDevice(this)) return;
  const int32_t interface = ipv4->GetInterfaceForDevice(this);
  if (interface < 0) return;
  ipv4->GetInterface(static_cast<uint32_t>(interface))->SetTrafficControl(ns3::CreateObject<DirectTrafficControl>(layer));
}

bool OnePassPointToPointDevice::Send(ns3::Ptr<ns3::Packet> packet, const ns3::Address& /*dest*/,
                                     uint16_t protocol) {
  if (!learned_) {
    Learn();
    // Reached through the traffic control layer this once: its IPv4 interface's
    // next packets come straight here.
    BypassTrafficControl();
  }
  if (protocol != kEtherIpv4 && protocol != kEtherIpv6) return false;
  const bool dropped_on_arrival = protocol == kEtherIpv4 && PeerDropsOnArrival(*packet);
  const uint16_t ppp_protocol = protocol == kEtherIpv4 ? kPppIpv4 : kPppIpv6;
  if (windows_) {
    windows_->Enter(window_index_, packet, ppp_protocol, dropped_on_arrival);
  } else {
    TransmitAt(ns3::Simulator::Now(), packet, ppp_protocol, dropped_on_arrival);
  }
  return true;
}

void OnePassPointToPointDevice::TransmitAt(ns3::Time sent, ns3::Ptr<ns3::Packet> packet, uint16_t ppp_protocol,
                                           bool dropped_on_arrival) {
  ns3::PppHeader ppp;
  ppp.SetProtocol(ppp_protocol);
  packet->AddHeader(ppp);

  while (!departures_.empty() && departures_.front() <= sent) departures_.pop_front();
  // The first entry is on the wire; the rest wait in the queue.
  if (!departures_.empty() && departures_.size() - 1 >= queue_limit_) return;
  const ns3::Time start = std::max(sent, busy_until_);
  const ns3::Time transmitted = start + rate_.CalculateBytesTxTime(packet->GetSize());
  busy_until_ = transmitted + gap_;
  departures_.push_back(busy_until_);
  if (dropped_on_arrival) return;  // it took its time on the wire all the same
  ns3::Simulator::ScheduleWithContext(peer_context_, transmitted + delay_ - ns3::Simulator::Now(),
                                      &ns3::PointToPointNetDevice::Receive, peer_, packet->Copy());
}

void OnePassPointToPointDevice::DeferTo(LinkWindows* windows, uint32_t index) {
  if (!learned_) Learn();
  windows_ = windows;
  window_index_ = index;
}

ns3::Time OnePassPointToPointDevice::Delay() {
  if (!learned_) Learn();
  return delay_;
}

ns3::Ptr<ns3::Node> OnePassPointToPointDevice::PeerNode() {
  if (!learned_) Learn();
  return peer_->GetNode();
}

bool OnePassPointToPointDevice::HasReceiveErrorModel() const {
  ns3::PointerValue error_model;
  GetAttribute("ReceiveErrorModel", error_model);
  return error_model.Get<ns3::ErrorModel>() != nullptr;
}

bool OnePassPointToPointDevice::PeerDropsOnArrival(const ns3::Packet& packet) const {
  if (!peer_one_pass_ || !peer_one_pass_->discard_icmp_errors_ || !is_icmp_error(packet)) return false;
  // A receive error model would draw a loss for the packet first; skipping it would
  // shift that model's random stream.
  return !peer_one_pass_->HasReceiveErrorModel();
}

void OnePassPointToPointDevice::SetReceiveCallback(ns3::NetDevice::ReceiveCallback callback) {
  node_receive_ = callback;
  ns3::PointToPointNetDevice::SetReceiveCallback(ns3::MakeCallback(&OnePassPointToPointDevice::Up, this));
}

bool OnePassPointToPointDevice::Up(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet,
                                   uint16_t protocol, const ns3::Address& from) {
  // What the node sends while it handles this packet comes from this device.
  const LinkWindows::Origin origin(windows_, window_index_);
  if (protocol == kEtherIpv4) {
    if (discard_icmp_errors_ && is_icmp_error(*packet)) return true;
    if (!ipv4_) ipv4_ = ns3::PeekPointer(GetNode()->GetObject<ns3::Ipv4L3Protocol>());
    if (ipv4_) {
      // What Node::NonPromiscReceiveFromDevice passes on: addressed to us, a host packet.
      ipv4_->Receive(device, packet, protocol, from, GetAddress(), ns3::NetDevice::PACKET_HOST);
      return true;
    }
  }
  return node_receive_.IsNull() ? false : node_receive_(device, packet, protocol, from);
}

bool OnePassPointToPointDevice::SendFrom(ns3::Ptr<ns3::Packet> packet, const ns3::Address& /*source*/,
                                         const ns3::Address& dest, uint16_t protocol) {
  return Send(packet, dest, protocol);
}

void discard_icmp_errors(ns3::Ptr<ns3::Node> host) {
  for (uint32_t i = 0; i < host->GetNDevices(); ++i) {
    if (auto device = ns3::DynamicCast<OnePassPointToPointDevice>(host->GetDevice(i))) device->DiscardIcmpErrors();
  }
}

ns3::NetDeviceContainer install_point_to_point(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b,
                                               const std::string& data_rate, ns3::Time delay) {
  ns3::Ptr<ns3::PointToPointChannel> channel = ns3::CreateObject<ns3::PointToPointChannel>();
  channel->SetAttribute("Delay", ns3::TimeValue(delay));
  ns3::NetDeviceContainer devices;
  for (ns3::Ptr<ns3::Node> node : {a, b}) {
    ns3::Ptr<OnePassPointToPointDevice> device = ns3::CreateObject<OnePassPointToPointDevice>();
    device->SetAttribute("DataRate", ns3::DataRateValue(ns3::DataRate(data_rate)));
    device->SetAddress(ns3::Mac48Address::Allocate());
    node->AddDevice(device);
    device->SetQueue(ns3::CreateObject<ns3::DropTailQueue<ns3::Packet>>());
    device->Attach(channel);
    // Traffic control looks for this interface (to install or remove queue discs).
    // The device's own queue stays empty, so it is never told to stop.
    device->AggregateObject(ns3::CreateObject<ns3::NetDeviceQueueInterface>());
    devices.Add(device);
  }
  return devices;
}

}  // namespace yt::emulation
