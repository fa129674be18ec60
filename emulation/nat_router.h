// NatRouting: an ns-3 NAT router. It is the top-level Ipv4RoutingProtocol of a
// router node and runs one yt::nat::NatModel (nat-models/) between the node's LAN
// interfaces and its WAN interface; an inner Ipv4StaticRouting does the ordinary
// route lookups and local delivery.
//
// What RouteInput does with a unicast packet (multicast and broadcast always go to
// the static routing, which delivers them locally and never forwards them):
//   from a LAN interface
//     UDP/TCP to one of the model's public IPs, or routed out of the WAN ->
//                model.outbound(): kForward rewrites the source and sends it out,
//                kHairpin rewrites both ends and sends it back into the LAN, drops
//                are silent (no ICMP, as NATs do) and counted by verdict;
//     anything else routed out of the WAN (ICMP queries and errors, other
//                protocols) -> dropped and counted in
//                NatRouterCounters::untranslatable: the model translates no ICMP
//                queries and no outbound ICMP errors (nat-models/README.md);
//     UDP to the router's own address, port 5351, when the profile answers PCP
//                or NAT-PMP -> answered from the model (AnswerPortMapping);
//     anything else for the router's own addresses (a ping) -> delivered locally.
//   from the WAN interface
//     UDP/TCP -> model.inbound(): kForward rewrites the destination and sends it
//                into the LAN; packets to an address the model does not own get
//                kDropNotForNat (a NAT does not route unsolicited traffic inwards).
//     ICMP destination-unreachable / time-exceeded -> model.inbound_icmp_error()
//                on the quoted header: on kForward the quoted source address and
//                port and the outer destination are rewritten and the error is
//                sent to the internal host (so a UDP socket's IcmpCallback fires).
//                The quoted transport checksum is left stale; ns-3 never checks it.
//     other packets for one of the router's own addresses (e.g. a ping to its WAN
//                address) -> delivered locally; the rest dropped (untranslatable).
//   anything else (LAN to LAN, to the router itself) -> the static routing.
//
// Rewriting: the UDP header is rebuilt and the TCP header re-serialized (sequence
// numbers and options kept) with the new ports, both with checksums computed over
// the new pseudo-header whether or not ns-3's global ChecksumEnabled is set; the IP
// header is copied (TTL, id, ToS kept; IpForward decrements the TTL) with the new
// addresses and a fresh header checksum. Fragments (non-first or more-fragments)
// and truncated transport headers are dropped (untranslatable); our datagrams stay
// below every link MTU.
//
// Time for the model is ns-3 simulation time (core_now()); its randomness is an
// Ns3RandomSource fixed by AssignStreams(), so one seed gives the same mappings.
// One model per router; the router is single-threaded like all of ns-3.
#pragma once

#include <ns3/ipv4-routing-helper.h>
#include <ns3/ipv4-routing-protocol.h>
#include <ns3/ipv4-static-routing.h>
#include <ns3/node.h>
#include <ns3/traced-callback.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "emulation/ns3_random_source.h"
#include "protocol/random.h"
#include "nat-models/nat_config.h"
#include "nat-models/nat_model.h"
#include "nat-models/packet.h"
#include "nat-models/verdict.h"
#include "protocol/endpoint.h"

namespace yt::emulation {

// What the router did beyond the model's own per-verdict counters
// (NatModel::counters()).
struct NatRouterCounters {
  std::uint64_t outbound_forwarded = 0;  // LAN -> WAN, translated
  std::uint64_t hairpinned = 0;          // LAN -> own public endpoint -> LAN
  std::uint64_t inbound_forwarded = 0;   // WAN -> LAN, translated
  std::uint64_t icmp_forwarded = 0;      // ICMP errors translated into the LAN
  std::uint64_t model_drops = 0;         // any drop verdict, all three entry points
  // Crossing the NAT but not translatable: ICMP other than inbound errors, other
  // IP protocols, fragments, truncated UDP/TCP/ICMP headers.
  std::uint64_t untranslatable = 0;
  std::uint64_t no_route = 0;  // translated, but no route to the new destination
  // UDP to the router's LAN address port 5351 while the profile answers PCP or
  // NAT-PMP (nat-models/port_mapping_service.h), and the answers sent.
  std::uint64_t port_mapping_requests = 0;
  std::uint64_t port_mapping_answers = 0;
};

enum class NatDirection : std::uint8_t { kOutbound = 0, kInbound = 1, kIcmpError = 2 };

class NatRouting : public ns3::Ipv4RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId();
  NatRouting();
  ~NatRouting() override;

  // Makes this router a NAT: `config` (normalized by the model), `public_ips` (the
  // Internet-side addresses the model hands out; they need not be configured on an
  // interface, but the Internet must route them to this node), and the ns-3
  // interface index facing the Internet. Every other non-loopback interface is LAN.
  // Call after the interfaces exist. Calling it again replaces the model (all
  // mappings and the model's counters are lost). Before the first call the router
  // forwards like a plain static router.
  void SetNat(nat::NatConfig config, std::vector<Ipv4> public_ips, uint32_t wan_interface);
  // Fixes the model's random stream; returns the number of streams used (1).
  int64_t AssignStreams(int64_t stream);
  // Every packet the router translates waits a uniform 0..`max` before it goes on
  // (access-link jitter; packets may overtake each other, as on a real link). The
  // delay comes from the model's random stream, drawn only when `max` > 0, so a
  // router without jitter makes the same mappings for the same seed.
  void SetJitter(Duration max) { jitter_max_ = max; }

  // The inner static routing: add ordinary routes here (default route, LAN routes).
  ns3::Ptr<ns3::Ipv4StaticRouting> GetStaticRouting() const { return static_; }
  uint32_t GetWanInterface() const { return wan_interface_; }

  // Scenario access. Null before SetNat(). Use it for events (model->flush() is a
  // NAT reboot; change_public_ips() changes the translation only; Topology::
  // ChangePublicIps also routes the new addresses), counters and mapping dumps.
  nat::NatModel* GetModel() { return model_.get(); }
  const nat::NatModel* GetModel() const { return model_.get(); }
  const NatRouterCounters& GetRouterCounters() const { return counters_; }

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

  // Trace source "Translation": every packet handed to the model, with the header
  // as it arrived and the verdict.
  typedef void (*TranslationCallback)(NatDirection direction, const nat::PacketHeader& before,
                                      nat::Verdict verdict);

 protected:
  void DoDispose() override;

 private:
  bool FromLan(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, uint32_t iif,
               const UnicastForwardCallback& ucb);
  bool FromWan(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, uint32_t iif,
               const UnicastForwardCallback& ucb, const LocalDeliverCallback& lcb);
  // PCP / NAT-PMP addressed to the router itself, answered from the model when the
  // profile says so; false (not consumed) for anything else.
  bool AnswerPortMapping(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header);
  // UDP/TCP through the model in either direction; always consumes the packet.
  void TranslateTransport(NatDirection direction, ns3::Ptr<const ns3::Packet> p,
                          const ns3::Ipv4Header& header, const UnicastForwardCallback& ucb);
  // An ICMP error from the WAN. Returns false when it is not one (not consumed).
  bool TranslateIcmpError(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                          const UnicastForwardCallback& ucb);
  void Forward(ns3::Ptr<ns3::Packet> packet, const ns3::Ipv4Header& header, const UnicastForwardCallback& ucb);
  ns3::Ptr<ns3::Ipv4Route> Lookup(ns3::Ipv4Address destination) const;

  ns3::Ptr<ns3::Ipv4> ipv4_;
  ns3::Ptr<ns3::Ipv4StaticRouting> static_;
  uint32_t wan_interface_ = 0;  // 0 (loopback) = not a NAT yet
  Ns3RandomSource rng_;         // declared before model_: the model borrows it
  // The model's draws for TCP mappings (NatModel's tcp_rng): seeded from the run
  // and the NAT's address rather than an ns-3 stream, so adding it moved no other
  // stream of the simulation.
  std::unique_ptr<SeededRandom> tcp_rng_;
  Duration jitter_max_{0};
  std::unique_ptr<nat::NatModel> model_;
  NatRouterCounters counters_;
  ns3::TracedCallback<NatDirection, const nat::PacketHeader&, nat::Verdict> translation_trace_;
};

// Installs NatRouting as the routing protocol (use with
// InternetStackHelper::SetRoutingHelper); SetNat() comes later.
class NatRoutingHelper : public ns3::Ipv4RoutingHelper {
 public:
  NatRoutingHelper* Copy() const override { return new NatRoutingHelper(*this); }
  ns3::Ptr<ns3::Ipv4RoutingProtocol> Create(ns3::Ptr<ns3::Node> node) const override;
};

// The node's NatRouting, or null when its routing protocol is something else.
ns3::Ptr<NatRouting> nat_routing_of(ns3::Ptr<ns3::Node> node);

}  // namespace yt::emulation
