#include "client/core/ip_router.h"

#include <algorithm>

namespace yt {

const char* to_string(IpRouteError e) {
  switch (e) {
    case IpRouteError::kNoAddress: return "no virtual IP yet";
    case IpRouteError::kMalformed: return "malformed IP packet";
    case IpRouteError::kUnsupported: return "IP version not routed";
    case IpRouteError::kTooLarge: return "packet too large";
    case IpRouteError::kBadSource: return "source is not our virtual IP";
    case IpRouteError::kNoRoute: return "no peer has that address";
    case IpRouteError::kNoTunnel: return "no direct tunnel to that peer";
    case IpRouteError::kPeerMuted: return "offline in every network shared with that peer";
    case IpRouteError::kSpoofedSource: return "source is not the sending peer's virtual IP";
    case IpRouteError::kNotForUs: return "destination is not us, broadcast or multicast";
  }
  return "?";
}

void IpRouter::set_address(Ipv4 ip, std::uint8_t prefix_length) {
  address_ = ip;
  prefix_length_ = std::min<std::uint8_t>(prefix_length, 32);
}

std::optional<Ipv4> IpRouter::directed_broadcast() const {
  // /31 (RFC 3021) and /32 have no broadcast address.
  if (!address_ || prefix_length_ > 30) return std::nullopt;
  Ipv4Prefix prefix{Ipv4{address_->value}, prefix_length_};
  prefix.base.value &= prefix.mask();
  return prefix.broadcast();
}

void IpRouter::sync(const Membership& membership) {
  if (synced_version_ == membership.version()) return;
  synced_version_ = membership.version();
  peers_ = membership.peers();
  by_address_.clear();
  // Two members with one address would be a server fault; the lower key keeps it,
  // so routing stays deterministic.
  for (const auto& [key, member] : peers_) by_address_.emplace(member.virtual_ip, key);
}

IpDestination IpRouter::classify(Ipv4 destination) const {
  if (destination == kLimitedBroadcast) return IpDestination::kLimitedBroadcast;
  if (is_multicast(destination)) return IpDestination::kMulticast;
  if (destination == directed_broadcast()) return IpDestination::kDirectedBroadcast;
  return IpDestination::kUnicast;
}

std::optional<Ipv4> IpRouter::address_of(const PublicKey& peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second.virtual_ip;
}

std::optional<Ipv4> IpRouter::member_address(const Ipv6Address& ip) const {
  if (!ipv6_base_ || !std::equal(ipv6_base_->begin(), ipv6_base_->end(), ip.begin())) return std::nullopt;
  return Ipv4{std::uint32_t(ip[12]) << 24 | std::uint32_t(ip[13]) << 16 | std::uint32_t(ip[14]) << 8 | ip[15]};
}

Result<IpRouter::Addresses, IpRouteError> IpRouter::parse(ByteView packet) const {
  if (!address_) return Err{IpRouteError::kNoAddress};
  Addresses out;
  if (ip_version(packet) == 6) {
    if (!ipv6_base_) return Err{IpRouteError::kUnsupported};
    auto header = parse_ipv6_header(packet);
    if (!header) return Err{IpRouteError::kMalformed};
    out.source = member_address(header->source);
    if (is_multicast(header->destination)) {
      out.destination = IpDestination::kMulticast;
    } else {
      out.unicast = member_address(header->destination);
    }
    return out;
  }
  auto header = parse_ipv4_header(packet);
  if (!header) {
    return Err{header.error() == IpPacketError::kNotIpv4 ? IpRouteError::kUnsupported : IpRouteError::kMalformed};
  }
  out.source = header->source;
  out.destination = classify(header->destination);
  if (out.destination == IpDestination::kUnicast) out.unicast = header->destination;
  return out;
}

Result<IpRoute, IpRouteError> IpRouter::route(ByteView packet, const HasTunnel& has_tunnel, std::size_t max_fanout,
                                              const Muted& muted) const {
  auto addresses = parse(packet);
  if (!addresses) return Err{addresses.error()};
  if (addresses->source != address_) return Err{IpRouteError::kBadSource};
  IpRoute route;
  route.destination = addresses->destination;
  if (route.destination == IpDestination::kUnicast) {
    if (!addresses->unicast) return Err{IpRouteError::kNoRoute};
    auto owner = by_address_.find(*addresses->unicast);
    if (owner == by_address_.end()) return Err{IpRouteError::kNoRoute};
    if (muted && muted(owner->second)) return Err{IpRouteError::kPeerMuted};
    if (!has_tunnel(owner->second)) return Err{IpRouteError::kNoTunnel};
    route.peers.push_back(owner->second);
    return route;
  }
  // peers_ holds each member once and never us: "once each, never back to ourselves".
  for (const auto& [key, member] : peers_) {
    if (muted && muted(key)) continue;
    if (!has_tunnel(key)) {
      if (member.online) ++route.no_tunnel;
    } else if (route.peers.size() < max_fanout) {
      route.peers.push_back(key);
    } else {
      ++route.over_fanout;
    }
  }
  return route;
}

Status<IpRouteError> IpRouter::check_received(ByteView packet, const PublicKey& sender) const {
  auto addresses = parse(packet);
  if (!addresses) return Err{addresses.error()};
  std::optional<Ipv4> owned = address_of(sender);
  if (!owned || addresses->source != owned) return Err{IpRouteError::kSpoofedSource};
  if (addresses->destination == IpDestination::kUnicast && addresses->unicast != address_) {
    return Err{IpRouteError::kNotForUs};
  }
  return Ok{};
}

}  // namespace yt
