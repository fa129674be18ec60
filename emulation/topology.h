// Builds the simulated Internet: one core router with a point-to-point access link
// to every site. A site is a server, a host with a public address, or (with the
// NAT models) a NAT router with hosts on its LAN. Addresses come from the
// documentation ranges: servers 198.51.100.0/24, public sites 203.0.113.0/24 and
// 192.0.2.0/24, each site on its own /30 access link.
#pragma once

#include <ns3/node-container.h>
#include <ns3/node.h>

#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt::emulation {

struct LinkSpec {
  Duration delay = 10ms;           // one-way, access link to the core router
  std::string data_rate = "100Mbps";
  double loss_rate = 0.0;          // per packet, on the access link, both ways
};

class Topology {
 public:
  Topology();

  // A server site. Returns the node; its address is server_address(node).
  ns3::Ptr<ns3::Node> AddServer(const LinkSpec& link = LinkSpec());
  // A host with a public address (no NAT).
  ns3::Ptr<ns3::Node> AddPublicHost(const LinkSpec& link = LinkSpec());

  // The address of a node's access interface (its public address for servers
  // and public hosts).
  Ipv4 AddressOf(ns3::Ptr<ns3::Node> node) const;
  ns3::Ptr<ns3::Node> CoreRouter() const { return core_; }

  // Sets the loss model seeds to ns-3 streams starting at `stream`.
  int64_t AssignStreams(int64_t stream);

 private:
  // Connects `node` to the core router and gives it `address`/30 (the router takes
  // the next address). Installs the Internet stack on `node` if it has none.
  void Attach(ns3::Ptr<ns3::Node> node, Ipv4 address, const LinkSpec& link);
  Ipv4 NextSiteAddress();

  ns3::Ptr<ns3::Node> core_;
  std::vector<ns3::Ptr<ns3::Node>> nodes_;
  std::vector<ns3::Ptr<ns3::Object>> loss_models_;
  int servers_ = 0;
  int sites_ = 0;
};

}  // namespace yt::emulation
