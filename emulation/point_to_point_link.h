// A point-to-point link that costs one simulator event per packet instead of two.
//
// ns-3's PointToPointNetDevice schedules the packet's arrival at the far end and,
// at the sender, a TransmitComplete that takes the next packet off its queue: two
// events, a queue push and pop, and a dozen trace calls per hop. In a population
// run almost every event is a packet hop, so half of them only free the wire.
//
// OnePassPointToPointDevice keeps the sender's side as arithmetic: the wire is busy
// until `busy_until_`, a packet starts when the wire is free, and the arrival is
// scheduled at once at (start + transmission time + delay), exactly when ns-3's
// device would deliver it. A packet that would find `queue_limit` packets waiting
// (the DropTail queue's MaxSize, 100 by default) is dropped, as ns-3's would be.
// Arrival is PointToPointNetDevice::Receive on the far device, so the receive
// error model (link loss), PPP header and the upper layers are ns-3's own.
//
// On arrival, an IPv4 packet goes from the device straight to the node's
// Ipv4L3Protocol. ns-3 would pass it through Node::ReceiveFromDevice and the
// traffic control layer, and each of those walks a list of handlers with two
// entries per device of the node. The core router has a device per site, so at
// 10,000 sites that walk was most of the cost of a hop. Other protocols (IPv6 on
// the servers) take ns-3's path. On the way out, the node's IPv4 interface on this
// device hands packets straight to it too (the traffic control layer, with no
// queue disc here, only looked the device up in a map per packet).
//
// Not kept: the sender's MAC/PHY trace sources (MacTx, PhyTxBegin, sniffers),
// which nothing here connects, and link down (these links never go down).
#pragma once

#include <ns3/ipv4-l3-protocol.h>
#include <ns3/net-device-container.h>
#include <ns3/node.h>
#include <ns3/point-to-point-net-device.h>

#include <cstdint>
#include <deque>
#include <string>

namespace yt::emulation {

class LinkWindows;

class OnePassPointToPointDevice : public ns3::PointToPointNetDevice {
 public:
  static ns3::TypeId GetTypeId();

  bool Send(ns3::Ptr<ns3::Packet> packet, const ns3::Address& dest, uint16_t protocol) override;
  bool SendFrom(ns3::Ptr<ns3::Packet> packet, const ns3::Address& source, const ns3::Address& dest,
                uint16_t protocol) override;

  void SetReceiveCallback(ns3::NetDevice::ReceiveCallback callback) override;

  // Drops ICMP errors (unreachable, time exceeded, ...) addressed to this device's
  // node on arrival. For a host whose sockets read none: ns-3 would look each one
  // up in a list of all the host's UDP sockets, a few hundred while a birthday
  // punch holds its sockets, to find no one listening. A one-event device at the
  // far end sends them over the wire without scheduling their arrival at all
  // (unless this device has a receive error model to draw their loss from).
  void DiscardIcmpErrors() { discard_icmp_errors_ = true; }

  // Hands each packet sent to `windows` (link_windows.h) instead of putting it on
  // the wire, as device `index` there, and names that index as the origin of what
  // the node sends while handling a packet this device received.
  void DeferTo(LinkWindows* windows, uint32_t index);
  // Puts `packet` (IPv4 or IPv6, no PPP header yet) on the wire as if sent at
  // `sent` (not after the present, nor before an earlier call's): its arrival at
  // the far end is scheduled, or it is dropped at a full queue. `dropped_on_arrival`:
  // PeerDropsOnArrival, as it was when it was sent.
  void TransmitAt(ns3::Time sent, ns3::Ptr<ns3::Packet> packet, uint16_t ppp_protocol, bool dropped_on_arrival);
  // The wire's propagation delay and the far end's node (the link must be built).
  ns3::Time Delay();
  ns3::Ptr<ns3::Node> PeerNode();
  // Whether the device draws losses from a receive error model now.
  bool HasReceiveErrorModel() const;

 private:
  void Learn();  // rate, delay and peer, once the link is built
  void BypassTrafficControl();
  // The far end is a one-event device that would drop `packet` (IPv4, no PPP
  // header yet) on arrival: DiscardIcmpErrors.
  bool PeerDropsOnArrival(const ns3::Packet& packet) const;
  bool Up(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet, uint16_t protocol,
          const ns3::Address& from);

  bool discard_icmp_errors_ = false;
  LinkWindows* windows_ = nullptr;
  uint32_t window_index_ = 0;
  ns3::NetDevice::ReceiveCallback node_receive_;  // ns-3's path up, for what is not IPv4
  // Plain pointers, as ns-3's own events to a device are: the node's aggregate and
  // the channel keep both alive for the run, and a counted pointer to the peer
  // (which points back) would outlive Simulator::Destroy as a cycle.
  ns3::Ipv4L3Protocol* ipv4_ = nullptr;

  bool learned_ = false;
  ns3::DataRate rate_;
  ns3::Time delay_;
  ns3::Time gap_;
  ns3::PointToPointNetDevice* peer_ = nullptr;
  OnePassPointToPointDevice* peer_one_pass_ = nullptr;  // peer_, when it is one
  uint32_t peer_context_ = 0;
  uint32_t queue_limit_ = 100;
  ns3::Time busy_until_;
  std::deque<ns3::Time> departures_;  // end of transmission of each packet not yet on the wire's far side
};

// OnePassPointToPointDevice::DiscardIcmpErrors on each such device of `host`.
void discard_icmp_errors(ns3::Ptr<ns3::Node> host);

// Links `a` and `b` with a pair of OnePassPointToPointDevices on a
// PointToPointChannel: what PointToPointHelper::Install(a, b) builds, device for
// device (a MAC address each, a DropTail queue that stays empty, a
// NetDeviceQueueInterface).
ns3::NetDeviceContainer install_point_to_point(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b,
                                               const std::string& data_rate, ns3::Time delay);

}  // namespace yt::emulation
