// Builds the simulated Internet: one core router with a point-to-point access link
// to every site. A site is a server, a host with a public address, or a NAT site: a
// chain of NAT routers (emulation/nat_router.h) with hosts on the innermost LAN.
//
// Address plan (all inside the simulation; documentation and private ranges only):
//   servers       198.51.100.0/24, one /30 slot per address: the server's access
//                 link is slot k (server .4k+1, core .4k+2). A server with several
//                 addresses takes one further slot per extra address and uses its
//                 .4k+1 as a secondary /32 on the same access interface; the core
//                 routes it there with a host route (RFC 5780 discovery needs two
//                 IPs; one link keeps both on the same path and delay). 64 slots.
//   public sites  203.0.113.0/24 (64 slots), then 192.0.2.0/24 (64 slots), one /30
//                 slot per access link as above: public hosts and the outermost NAT
//                 of each NAT site. Large runs go on in 198.18.0.0/15 (RFC 2544):
//                 127 regions of 256 slots (a /22 each), each region's access links
//                 on a region router linked to the core without delay or loss (the
//                 links numbered from 198.19.254.0/23; or all on the core, with
//                 TopologyOptions::region_routers off). Extra public IPs of a NAT (a pool, or new ones
//                 from ChangePublicIps) take further slots: the slot's .4k+1 is
//                 routed by the core to the NAT's access link (host route) and
//                 claimed by the NAT's routing; it is on no interface.
//   NAT site s    s = 1, 2, ... in creation order: innermost LAN 192.168.s.0/24
//                 for s <= 254, then 10.(s / 256).(s % 256).0/24 (single NATs
//                 only, up to 65535 sites): NAT router .1, hosts .2, .3, ...
//                 (one LAN per site, so addresses are unique in the whole run);
//                 in a chain, the LAN of the i-th NAT from the inside (i >= 1) is
//                 100.(63+i).s.0/24 (RFC 6598 shared address space; 100.64.s.0/24
//                 for the CGNAT of "home-behind-cgnat"): that NAT .1, the WAN
//                 addresses of the NAT inside it .2, .3, ... (its public IPs).
// Hosts and inner NATs have a default route to the next NAT out; the outermost NAT
// to the core. The core has no route to private or shared space, so packets to
// another site's LAN address die there, as on the real Internet.
//
// Links: access links are point-to-point with LinkSpec's rate, delay and loss (loss
// on both directions of the link). NAT LANs, and the links between the NATs of a
// chain, are CSMA (or point-to-point, LanSpec::point_to_point) with LanSpec's rate
// and a short delay and no loss; ARP caches on
// them are filled at build time so the first packets are not held for ARP (ns-3
// queues only 3 per unresolved address). NAT sites are IPv4-only
// (the NAT models are), so there is no ICMPv6 chatter on their LANs.
#pragma once

#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/node.h>

#include <map>
#include <string>
#include <vector>

#include "emulation/nat_router.h"
#include "nat-models/nat_config.h"
#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt::emulation {

struct LinkSpec {
  Duration delay = 10ms;           // one-way, access link to the core router
  std::string data_rate = "100Mbps";
  double loss_rate = 0.0;          // per packet, on the access link, both ways
};

// A NAT site's LAN and the links between the NATs of a chain.
struct LanSpec {
  // One-way. Ethernet and a quiet home Wi-Fi are well under a millisecond; what
  // matters to punching is that the LAN is much shorter than the access link.
  Duration delay = 200us;
  std::string data_rate = "1Gbps";
  // ns-3's CSMA channel stays busy for the whole propagation delay, so a CSMA LAN
  // carries one packet per `delay`: right for a wire's microseconds, wrong for a
  // slow hop (a busy Wi-Fi, a tethered phone), where back-to-back datagrams would
  // queue behind each other. AddNatSite therefore refuses a CSMA delay above
  // kMaxCsmaLanDelay. A point-to-point "LAN" pipelines packets like a real slow
  // hop; it links exactly two nodes, so it needs a site with one host (the links
  // of a NAT chain are then point-to-point too).
  bool point_to_point = false;
};
constexpr Duration kMaxCsmaLanDelay = 5ms;

struct NatSiteOptions {
  LanSpec lan;
  // Public IPs of the outermost NAT. 0: what its config needs, i.e. one, or in
  // one-to-one mode one per address on its LAN side (and at least as many as
  // one_to_one_hosts lists). Inner NATs of a chain always get what their config
  // needs, from their shared-space LAN.
  int public_ips = 0;
};

struct NatSite {
  std::vector<ns3::Ptr<ns3::Node>> hosts;    // on the innermost LAN: 192.168.s.2, .3, ...
  std::vector<ns3::Ptr<ns3::Node>> routers;  // innermost first, one per chain entry
  std::vector<ns3::Ptr<NatRouting>> nats;    // nats[i] is routers[i]'s routing
  std::vector<Ipv4> public_ips;              // the outermost NAT's public IPs, current
  int index = 0;                             // s in the address plan

  // False when AddNatSite refused its input (nothing was built).
  bool Valid() const { return !routers.empty(); }
  ns3::Ptr<NatRouting> Outermost() const { return nats.empty() ? nullptr : nats.back(); }
};

// For large runs (emulation/population_scenario.h): what keeps ns-3's per-packet
// cost flat as sites are added.
struct TopologyOptions {
  // Every site slot in 198.18.0.0/15 (behind region routers unless
  // region_routers is off), none in the documentation ranges.
  bool regions_only = false;
  // Whether the slots of 198.18.0.0/15 hang off region routers (a /22 each) or
  // straight off the core. Regions were what kept ns-3's per-packet route lookup
  // short; with host routes (host_routing.h) the core's lookup costs the same
  // for any number of sites, and a region router only adds two hops, four events
  // and a router's worth of work to every packet between regions. Off, a packet
  // from one site to another crosses the core alone (TTL-limited probes then die
  // there instead of at the region router: the same first router after the NAT).
  bool region_routers = true;
  // The FqCoDel queue disc ns-3 puts on every access link. Without it, a device's
  // own 100-packet drop-tail queue is all there is: the same unless a link is
  // congested, and cheaper per packet; access links are then the one-event device
  // of emulation/point_to_point_link.h (LAN and region links always are).
  bool queue_discs = true;
};

class Topology {
 public:
  explicit Topology(TopologyOptions options = TopologyOptions());

  // A server site with `addresses` public IPs (1..4; see the address plan).
  // Returns the node, or null when `addresses` is out of range or the server
  // range is full. AddressOf(node) is the first address, AddressesOf(node) all.
  ns3::Ptr<ns3::Node> AddServer(const LinkSpec& link = LinkSpec(), int addresses = 1);
  // A host with a public address (no NAT). Null when the site range is full.
  ns3::Ptr<ns3::Node> AddPublicHost(const LinkSpec& link = LinkSpec());

  // A NAT site: `chain` lists the NAT devices a packet from the LAN crosses,
  // innermost first (size 1: one NAT; 2: a home NAT behind a CGNAT, as from
  // nat::profile_chain()), `hosts` (0..200) hosts on the innermost LAN, `access`
  // the outermost NAT's access link. In one-to-one mode a config with an empty
  // one_to_one_hosts is given the addresses on its LAN side in order (host k owns
  // public IP k for good, like a cloud elastic IP). Returns an invalid NatSite
  // (nothing built) when the chain is empty, `hosts` is out of range, or the site
  // or NAT-site ranges are full.
  NatSite AddNatSite(std::vector<nat::NatConfig> chain, int hosts, const LinkSpec& access = LinkSpec(),
                     const NatSiteOptions& options = NatSiteOptions());

  // The outermost NAT of `site` gets as many new public IPs as it has now (a
  // PPPoE reconnect or DHCP renumbering): fresh site slots, routed to its access
  // link, then NatModel::change_public_ips (all mappings gone). The old addresses
  // stay routed to the NAT, which drops traffic to them (kDropNotForNat). Updates
  // site.public_ips and returns the new addresses; empty (nothing changed) when
  // the site is invalid or the site range is full.
  std::vector<Ipv4> ChangePublicIps(NatSite& site);

  // Roaming: `host` (any host node, e.g. of another site) joins the innermost LAN
  // of `to` with that LAN's next free address, which becomes its only working
  // address: every other interface of the host goes down (its routes with it) and
  // its default route points at `to`'s NAT. Sockets bound to the wildcard address
  // send from the new address from now on; connections bound to an old one go
  // silent, as on a real host. Returns the new address, or 0 (nothing changed)
  // when `to` is invalid, its LAN is point-to-point, or the LAN is full.
  Ipv4 MoveHost(ns3::Ptr<ns3::Node> host, const NatSite& to);

  // Sets the packet loss of `node`'s access link, both ways, from now on (1.0: the
  // link is cut; restore it with the LinkSpec's loss_rate). `node` is
  // a server, a public host, or a NAT site's outermost router. A link built
  // lossless gets its loss models on first use, drawing from streams `stream` and
  // `stream` + 1 (so runs that never call this draw the same numbers as before).
  // False when `node` has no access link.
  bool SetAccessLoss(ns3::Ptr<ns3::Node> node, double rate, int64_t stream);

  // The address of a node's first interface: the public address for servers and
  // public hosts, the LAN address for hosts behind NATs, the WAN-side address for
  // NAT routers.
  Ipv4 AddressOf(ns3::Ptr<ns3::Node> node) const;
  // Every address of that interface (a server's secondary addresses included).
  std::vector<Ipv4> AddressesOf(ns3::Ptr<ns3::Node> node) const;
  ns3::Ptr<ns3::Node> CoreRouter() const { return core_; }

  // Fixes the random streams of everything the topology built: loss models first
  // (as before NAT sites existed, so public-only runs draw the same numbers), then
  // the NAT models, then the CSMA backoff. Returns the number of streams used.
  int64_t AssignStreams(int64_t stream);

 private:
  struct Attachment {
    uint32_t site_interface = 0;  // on the attached node
    uint32_t core_interface = 0;  // on `router`
    ns3::Ptr<ns3::Node> router;   // the core router, or the site's region router
    Ipv4 site_address;            // the attached node's address on the link
  };
  // Connects `node` to the core router (or, for a slot in 198.18.0.0/15, to that
  // slot's region router) and gives it `address`/30 (the router takes the next
  // address). Installs the Internet stack on `node` if it has none.
  Attachment Attach(ns3::Ptr<ns3::Node> node, Ipv4 address, const LinkSpec& link);
  // Packets to `address` (the site's own address, or an extra public IP of it) go
  // to the node of `at`: a host route on its router and, behind a region router,
  // one on the core (HostRouting, emulation/host_routing.h).
  void RouteToSite(Ipv4 address, const Attachment& at);
  // Region r's router, made on first use: a lossless link of no delay to the core,
  // which routes the region's /22 of slots there (and each site address by a
  // host route).
  ns3::Ptr<ns3::Node> Region(int r);
  Ipv4 NextSiteAddress();
  int SlotCapacity() const;

  TopologyOptions options_;
  ns3::Ptr<ns3::Node> core_;
  std::vector<ns3::Ptr<ns3::Node>> nodes_;
  std::vector<ns3::Ptr<ns3::Object>> loss_models_;
  std::map<ns3::Node*, ns3::NetDeviceContainer> access_devices_;  // both ends of each access link
  std::map<ns3::Node*, Attachment> attachments_;                  // each attached node's
  struct RegionRouter {
    ns3::Ptr<ns3::Node> node;
    Ipv4 address;              // its side of the link to the core
    uint32_t core_interface = 0;
  };
  std::map<int, RegionRouter> regions_;
  std::vector<ns3::Ptr<NatRouting>> nat_routings_;
  ns3::NetDeviceContainer lan_devices_;  // CSMA devices of every NAT site
  int servers_ = 0;
  int sites_ = 0;
  int nat_sites_ = 0;
};

}  // namespace yt::emulation
