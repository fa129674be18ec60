// HostRouting: the routing of the Internet's routers in a topology (the core and
// the region routers, emulation/topology.h). Every site address is an exact host
// route held in a hash table, so forwarding a packet costs one lookup however
// many sites hang off the router; ns-3's Ipv4StaticRouting walks its whole
// route list (a std::list, 256 connected routes on a region router) for every
// packet it forwards. Everything else (the router's own addresses, multicast,
// network and default routes, packets the router originates to a destination
// that has no host route) goes to an inner Ipv4StaticRouting, so the router
// behaves as a static router with the same routes would, at a different cost.
//
// A host route's destination must not be one of the router's own addresses
// (those are for local delivery, which the inner routing decides).
#pragma once

#include <ns3/ipv4-routing-helper.h>
#include <ns3/ipv4-routing-protocol.h>
#include <ns3/ipv4-static-routing.h>
#include <ns3/node.h>

#include <cstdint>
#include <unordered_map>

#include "protocol/endpoint.h"

namespace yt::emulation {

class HostRouting : public ns3::Ipv4RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId();
  HostRouting();
  ~HostRouting() override;

  // Packets to `destination` leave through `interface`, to `gateway` (0: the
  // destination is on the link). Replaces an earlier route to `destination`.
  // Call after the interface exists.
  void AddHostRoute(Ipv4 destination, Ipv4 gateway, uint32_t interface);
  std::size_t HostRouteCount() const { return hosts_.size(); }
  // The inner static routing: network and default routes go here.
  ns3::Ptr<ns3::Ipv4StaticRouting> GetStaticRouting() const { return static_; }

  // ns3::Ipv4RoutingProtocol
  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                       ns3::Ptr<ns3::NetDevice> oif,
                                       ns3::Socket::SocketErrno& sockerr) override;
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                  ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                  MulticastForwardCallback mcb, LocalDeliverCallback lcb, ErrorCallback ecb) override;
  void NotifyInterfaceUp(uint32_t interface) override;
  void NotifyInterfaceDown(uint32_t interface) override;
  void NotifyAddAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void NotifyRemoveAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override;
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream,
                         ns3::Time::Unit unit = ns3::Time::S) const override;

 protected:
  void DoDispose() override;

 private:
  struct HostRoute {
    uint32_t interface = 0;
    // Built once: forwarding hands the same route to every packet (ns-3 only
    // reads a forwarded packet's route).
    ns3::Ptr<ns3::Ipv4Route> route;
  };
  // The route for `destination` out of `interface`, with the interface's first
  // address as source (what Ipv4StaticRouting picks).
  ns3::Ptr<ns3::Ipv4Route> MakeRoute(ns3::Ipv4Address destination, ns3::Ipv4Address gateway,
                                     uint32_t interface) const;

  ns3::Ptr<ns3::Ipv4> ipv4_;
  ns3::Ptr<ns3::Ipv4StaticRouting> static_;
  std::unordered_map<uint32_t, HostRoute> hosts_;  // by destination address
};

// Installs HostRouting as the routing protocol (InternetStackHelper::SetRoutingHelper).
class HostRoutingHelper : public ns3::Ipv4RoutingHelper {
 public:
  HostRoutingHelper* Copy() const override { return new HostRoutingHelper(*this); }
  ns3::Ptr<ns3::Ipv4RoutingProtocol> Create(ns3::Ptr<ns3::Node> node) const override;
};

// The node's HostRouting, or null when its routing protocol is something else.
ns3::Ptr<HostRouting> host_routing_of(ns3::Ptr<ns3::Node> node);

}  // namespace yt::emulation
