// The IP layer of the client core: which peers a packet from the adapter goes to
// (routing by virtual IP and LAN emulation), and whether a packet from a peer may be
// written to the adapter (cryptokey routing, docs/architecture.md section 3 "Data plane").
//
// Outgoing (route):
//   - the source must be our own virtual IP, else kBadSource. This refuses spoofing
//     and is also the loop guard: a packet received from a peer and fed back into the
//     adapter carries the peer's source, so it is never re-forwarded;
//   - unicast to a peer's virtual IP goes to that peer (kNoTunnel without a direct
//     tunnel, kPeerMuted for a muted peer: see route()), to any other address
//     kNoRoute (ourselves included);
//   - 255.255.255.255, the directed broadcast of our prefix (25.255.255.255 for
//     25.0.0.0/8; none for /31 and /32) and multicast 224.0.0.0/4 go to every peer
//     that shares a network with us and has a direct tunnel, once each however many
//     networks we share with it, never to ourselves, in key order, at most
//     `max_fanout` of them. A peer with a direct tunnel gets the copy even when the
//     server last called it offline: the server may have lost it while the tunnel
//     still works (outage survival). Online peers without a direct tunnel are counted.
// Incoming (check_received): a well-formed IPv4 packet whose source is the sending
// peer's virtual IP and whose destination is our virtual IP, the limited or directed
// broadcast, or multicast. Anything else is refused with the reason.
//
// IPv6, once set_ipv6_base gave the member address layout: every member's IPv6
// address is the base's 96 bits followed by its virtual IPv4 address (the daemon's
// ULA, client/daemon/virtual_addresses.h), so the same table routes both families
// and no protocol message carries IPv6 addresses. The rules are the IPv4 ones with
// those addresses: the source must be our (outgoing) or the sender's (incoming)
// member address, unicast goes to the member owning the destination, and multicast
// ff00::/8 is LAN emulation. Any other IPv6 address (link-local, global) is
// kBadSource / kNoRoute / kNotForUs. Without a base, IPv6 is kUnsupported.
// Addresses come from the membership view (sync) and LoginReply (set_address).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "client/core/ip_packet.h"
#include "client/core/membership.h"
#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/result.h"

namespace yt {

enum class IpRouteError : std::uint8_t {
  kNoAddress,      // we have no virtual IP yet (not logged in)
  kMalformed,      // not a well-formed IPv4 or IPv6 packet (ip_packet.h)
  kUnsupported,    // another IP version, or IPv6 without set_ipv6_base: not routed
  kTooLarge,       // outgoing: over ClientConfig::max_payload (the adapter MTU is too big)
  kBadSource,      // outgoing: the source is not our virtual IP
  kNoRoute,        // outgoing unicast: no peer of ours has that address
  kNoTunnel,       // outgoing unicast: the peer has no direct tunnel (yet)
  kPeerMuted,      // outgoing unicast: we are offline in every network shared with it
  kSpoofedSource,  // incoming: the source is not the sending peer's virtual IP
  kNotForUs,       // incoming: the destination is neither us nor broadcast/multicast
};
const char* to_string(IpRouteError e);

enum class IpDestination : std::uint8_t {
  kUnicast,
  kLimitedBroadcast,   // 255.255.255.255
  kDirectedBroadcast,  // the broadcast address of our virtual prefix
  kMulticast,          // 224.0.0.0/4, ff00::/8
};

struct IpRoute {
  IpDestination destination = IpDestination::kUnicast;
  std::vector<PublicKey> peers;  // one copy to each, in this order (one peer for unicast)
  std::size_t no_tunnel = 0;     // broadcast: online peers left out, no direct tunnel
  std::size_t over_fanout = 0;   // broadcast: peers with a tunnel left out by the cap
};

class IpRouter {
 public:
  // True when a copy can be sent to that peer now (a direct tunnel).
  using HasTunnel = std::function<bool(const PublicKey&)>;
  // True for a peer nothing may be sent to by choice (offline in every network we
  // share: ClientCore::set_network_online). Null: nobody.
  using Muted = std::function<bool(const PublicKey&)>;

  // Our address and prefix length from LoginReply; until then every packet is
  // refused with kNoAddress. A prefix length over 32 is taken as 32.
  void set_address(Ipv4 ip, std::uint8_t prefix_length);
  // The first 96 bits of every member's IPv6 address (see above).
  void set_ipv6_base(const std::array<std::uint8_t, 12>& base) { ipv6_base_ = base; }
  std::optional<Ipv4> address() const { return address_; }
  // The directed broadcast of our prefix; nullopt without an address or for /31, /32.
  std::optional<Ipv4> directed_broadcast() const;

  // Rebuilds the address table when the view changed since the last sync (cheap
  // otherwise). Call before route / check_received / address_of.
  void sync(const Membership& membership);

  // Where a packet from the adapter goes. Does not check its size. Muted peers get
  // no copy of a broadcast and are not counted in it.
  Result<IpRoute, IpRouteError> route(ByteView packet, const HasTunnel& has_tunnel, std::size_t max_fanout,
                                      const Muted& muted = nullptr) const;
  // Whether a packet that `sender` sent us may be written to the adapter.
  Status<IpRouteError> check_received(ByteView packet, const PublicKey& sender) const;

  IpDestination classify(Ipv4 destination) const;
  std::optional<Ipv4> address_of(const PublicKey& peer) const;

 private:
  // A packet's addresses, both families in IPv4 terms: a member IPv6 address is
  // its embedded IPv4 address, any other IPv6 address has none.
  struct Addresses {
    std::optional<Ipv4> source;
    IpDestination destination = IpDestination::kUnicast;
    std::optional<Ipv4> unicast;  // kUnicast only: the member address, if it is one
  };
  // Common checks: an address, a routed version, well formed.
  Result<Addresses, IpRouteError> parse(ByteView packet) const;
  std::optional<Ipv4> member_address(const Ipv6Address& ip) const;

  std::optional<Ipv4> address_;
  std::optional<std::array<std::uint8_t, 12>> ipv6_base_;
  std::uint8_t prefix_length_ = 32;
  std::optional<std::uint64_t> synced_version_;
  std::map<PublicKey, MemberInfo> peers_;           // every member but us, once (Membership::peers)
  std::unordered_map<Ipv4, PublicKey> by_address_;  // virtual IP -> peer
};

}  // namespace yt
