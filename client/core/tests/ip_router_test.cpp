// The IP layer's routing (ip_router.h): unicast by virtual IP, LAN emulation fan-out
// (once per peer, never to us, capped), source checks both ways.
#include "client/core/ip_router.h"

#include <gtest/gtest.h>

#include <set>

namespace yt {
namespace {

PublicKey key(std::uint8_t b) {
  PublicKey k{};
  k[0] = b;
  return k;
}
Ipv4 vip(std::uint8_t b) { return Ipv4::from_octets(25, 0, 0, b); }
MemberInfo member(std::uint8_t b, bool online = true) {
  return MemberInfo{key(b), "m" + std::to_string(b), vip(b), online};
}

const Ipv4 kMdns = Ipv4::from_octets(224, 0, 0, 251);
const Ipv4 kSsdp = Ipv4::from_octets(239, 255, 255, 250);
const Ipv4 kDirected = Ipv4::from_octets(25, 255, 255, 255);

Bytes udp(Ipv4 src, Ipv4 dst) { return make_ipv4_packet(src, dst, kIpProtocolUdp, Bytes{1, 2, 3, 4}); }

// We are member 1. "lan": 1, 2, 3; "games": 1, 2, 4 (offline). Peer 2 is in both.
struct IpRouterTest : ::testing::Test {
  void SetUp() override {
    membership.replace(NetworkSnapshot{{NetworkInfo{"lan", {member(1), member(2), member(3)}},
                                        NetworkInfo{"games", {member(1), member(2), member(4, false)}}}});
    router.set_address(vip(1), 8);
    router.sync(membership);
  }
  IpRouter::HasTunnel tunnels_to(std::set<std::uint8_t> ids) {
    return [ids](const PublicKey& k) { return ids.count(k[0]) > 0; };
  }

  Membership membership{key(1)};
  IpRouter router;
  IpRouter::HasTunnel all = [](const PublicKey&) { return true; };
};

TEST_F(IpRouterTest, UnicastGoesToThePeerOwningTheDestination) {
  auto r = router.route(udp(vip(1), vip(3)), all, 256);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->destination, IpDestination::kUnicast);
  EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(3)}));
}

TEST_F(IpRouterTest, UnicastWithoutARouteOrATunnelIsRefused) {
  EXPECT_EQ(router.route(udp(vip(1), vip(99)), all, 256).error(), IpRouteError::kNoRoute);
  EXPECT_EQ(router.route(udp(vip(1), Ipv4::from_octets(8, 8, 8, 8)), all, 256).error(), IpRouteError::kNoRoute);
  EXPECT_EQ(router.route(udp(vip(1), vip(1)), all, 256).error(), IpRouteError::kNoRoute);  // ourselves
  EXPECT_EQ(router.route(udp(vip(1), vip(3)), tunnels_to({2}), 256).error(), IpRouteError::kNoTunnel);
}

TEST_F(IpRouterTest, BroadcastAndMulticastReachEveryPeerWithATunnelOnce) {
  for (Ipv4 dst : {kLimitedBroadcast, kDirected, kMdns, kSsdp}) {
    auto r = router.route(udp(vip(1), dst), all, 256);
    ASSERT_TRUE(r.ok()) << dst.to_string();
    // Peer 2 shares two networks with us and still appears once; we never do.
    EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(2), key(3), key(4)})) << dst.to_string();
    EXPECT_EQ(r->no_tunnel, 0u);
    EXPECT_EQ(r->over_fanout, 0u);
  }
  EXPECT_EQ(router.route(udp(vip(1), kLimitedBroadcast), all, 256)->destination, IpDestination::kLimitedBroadcast);
  EXPECT_EQ(router.route(udp(vip(1), kDirected), all, 256)->destination, IpDestination::kDirectedBroadcast);
  EXPECT_EQ(router.route(udp(vip(1), kMdns), all, 256)->destination, IpDestination::kMulticast);
}

TEST_F(IpRouterTest, BroadcastCountsOnlinePeersWithoutATunnel) {
  // 3 is online without a tunnel: counted. 4 is offline without one: expected, silent.
  auto r = router.route(udp(vip(1), kMdns), tunnels_to({2}), 256);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(2)}));
  EXPECT_EQ(r->no_tunnel, 1u);
  // Nobody reachable is still a route, just an empty one.
  auto none = router.route(udp(vip(1), kMdns), tunnels_to({}), 256);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->peers.empty());
  EXPECT_EQ(none->no_tunnel, 2u);
}

TEST_F(IpRouterTest, FanoutIsCappedInKeyOrderAndTheExcessCounted) {
  auto r = router.route(udp(vip(1), kLimitedBroadcast), all, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(2), key(3)}));
  EXPECT_EQ(r->over_fanout, 1u);
  auto zero = router.route(udp(vip(1), kLimitedBroadcast), all, 0);
  EXPECT_TRUE(zero->peers.empty());
  EXPECT_EQ(zero->over_fanout, 3u);
}

TEST_F(IpRouterTest, OutgoingPacketsMustComeFromOurAddress) {
  EXPECT_EQ(router.route(udp(vip(2), vip(3)), all, 256).error(), IpRouteError::kBadSource);
  // The loop guard: a broadcast received from peer 2, fed back by the adapter.
  EXPECT_EQ(router.route(udp(vip(2), kLimitedBroadcast), all, 256).error(), IpRouteError::kBadSource);
  EXPECT_EQ(router.route(udp(Ipv4{}, kLimitedBroadcast), all, 256).error(), IpRouteError::kBadSource);
}

TEST_F(IpRouterTest, MalformedPacketsAndIpv6WithoutABaseAreRefused) {
  Bytes truncated = udp(vip(1), vip(2));
  truncated.pop_back();
  EXPECT_EQ(router.route(truncated, all, 256).error(), IpRouteError::kMalformed);
  EXPECT_EQ(router.route(Bytes{}, all, 256).error(), IpRouteError::kMalformed);
  Bytes v6(40, 0);
  v6[0] = 0x60;
  EXPECT_EQ(router.route(v6, all, 256).error(), IpRouteError::kUnsupported);
  EXPECT_EQ(router.check_received(truncated, key(2)).error(), IpRouteError::kMalformed);
  EXPECT_EQ(router.check_received(v6, key(2)).error(), IpRouteError::kUnsupported);
}

// Member IPv6 addresses: a 96-bit base (the daemon's ULA /48, subnet 0) and the
// member's virtual IPv4 address.
constexpr std::array<std::uint8_t, 12> kBase{0xfd, 0x79, 0x6c, 0x74, 0x74, 0x61};
Ipv6Address v6(Ipv4 ip) {
  Ipv6Address a{};
  std::copy(kBase.begin(), kBase.end(), a.begin());
  for (int i = 0; i < 4; ++i) a[12 + i] = static_cast<std::uint8_t>(ip.value >> (24 - 8 * i));
  return a;
}
Ipv6Address v6_multicast(std::uint8_t group) {
  Ipv6Address a{0xff, 0x02};
  a[15] = group;
  return a;
}
Ipv6Address v6_link_local(std::uint8_t id) {
  Ipv6Address a{0xfe, 0x80};
  a[15] = id;
  return a;
}
Bytes udp6(const Ipv6Address& src, const Ipv6Address& dst) {
  return make_ipv6_packet(src, dst, kIpProtocolUdp, Bytes{1, 2, 3, 4});
}

TEST_F(IpRouterTest, Ipv6RoutesByTheMemberAddressEmbeddingTheVirtualIp) {
  router.set_ipv6_base(kBase);
  auto r = router.route(udp6(v6(vip(1)), v6(vip(3))), all, 256);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->destination, IpDestination::kUnicast);
  EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(3)}));
  EXPECT_EQ(router.route(udp6(v6(vip(1)), v6(vip(99))), all, 256).error(), IpRouteError::kNoRoute);
  EXPECT_EQ(router.route(udp6(v6(vip(1)), v6_link_local(3)), all, 256).error(), IpRouteError::kNoRoute);
  EXPECT_EQ(router.route(udp6(v6(vip(1)), v6(vip(3))), tunnels_to({2}), 256).error(), IpRouteError::kNoTunnel);
  // Another member's address, or a link-local one, as the source: not ours.
  EXPECT_EQ(router.route(udp6(v6(vip(2)), v6(vip(3))), all, 256).error(), IpRouteError::kBadSource);
  EXPECT_EQ(router.route(udp6(v6_link_local(1), v6_multicast(0xfb)), all, 256).error(), IpRouteError::kBadSource);
}

TEST_F(IpRouterTest, Ipv6MulticastIsLanEmulationLikeIpv4) {
  router.set_ipv6_base(kBase);
  auto r = router.route(udp6(v6(vip(1)), v6_multicast(0xfb)), tunnels_to({2, 3}), 256);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->destination, IpDestination::kMulticast);
  EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(2), key(3)}));
  // Loop guard: a peer's multicast fed back by the adapter keeps the peer's source.
  EXPECT_EQ(router.route(udp6(v6(vip(2)), v6_multicast(0xfb)), all, 256).error(), IpRouteError::kBadSource);
}

TEST_F(IpRouterTest, Ipv6FromAPeerMustCarryItsOwnMemberAddress) {
  router.set_ipv6_base(kBase);
  EXPECT_TRUE(router.check_received(udp6(v6(vip(2)), v6(vip(1))), key(2)).ok());
  EXPECT_TRUE(router.check_received(udp6(v6(vip(2)), v6_multicast(1)), key(2)).ok());
  EXPECT_EQ(router.check_received(udp6(v6(vip(3)), v6(vip(1))), key(2)).error(), IpRouteError::kSpoofedSource);
  EXPECT_EQ(router.check_received(udp6(v6_link_local(2), v6(vip(1))), key(2)).error(),
            IpRouteError::kSpoofedSource);
  EXPECT_EQ(router.check_received(udp6(v6(vip(2)), v6(vip(3))), key(2)).error(), IpRouteError::kNotForUs);
  EXPECT_EQ(router.check_received(udp6(v6(vip(2)), v6_link_local(1)), key(2)).error(), IpRouteError::kNotForUs);
  Bytes truncated = udp6(v6(vip(2)), v6(vip(1)));
  truncated.pop_back();
  EXPECT_EQ(router.check_received(truncated, key(2)).error(), IpRouteError::kMalformed);
  // A different base is a different address space: not a member address.
  Ipv6Address foreign = v6(vip(2));
  foreign[5] ^= 1;
  EXPECT_EQ(router.check_received(udp6(foreign, v6(vip(1))), key(2)).error(), IpRouteError::kSpoofedSource);
}

TEST_F(IpRouterTest, MutedPeersGetNothingAndAreNotCountedInBroadcasts) {
  auto muted = [](const PublicKey& k) { return k[0] == 3; };
  EXPECT_EQ(router.route(udp(vip(1), vip(3)), all, 256, muted).error(), IpRouteError::kPeerMuted);
  EXPECT_TRUE(router.route(udp(vip(1), vip(2)), all, 256, muted).ok());
  auto r = router.route(udp(vip(1), kMdns), tunnels_to({2}), 256, muted);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->peers, (std::vector<PublicKey>{key(2)}));
  EXPECT_EQ(r->no_tunnel, 0u);  // 3 is muted, 4 offline: neither is "missing a tunnel"
}

TEST_F(IpRouterTest, NothingIsRoutedBeforeWeHaveAnAddress) {
  IpRouter fresh;
  fresh.sync(membership);
  EXPECT_EQ(fresh.route(udp(vip(1), vip(2)), all, 256).error(), IpRouteError::kNoAddress);
  EXPECT_EQ(fresh.check_received(udp(vip(2), vip(1)), key(2)).error(), IpRouteError::kNoAddress);
  EXPECT_EQ(fresh.directed_broadcast(), std::nullopt);
}

TEST_F(IpRouterTest, ReceivedPacketsMustComeFromTheSendersAddressToUs) {
  EXPECT_TRUE(router.check_received(udp(vip(2), vip(1)), key(2)).ok());
  for (Ipv4 dst : {kLimitedBroadcast, kDirected, kMdns, kSsdp}) {
    EXPECT_TRUE(router.check_received(udp(vip(2), dst), key(2)).ok()) << dst.to_string();
  }
  // Peer 2 claiming peer 3's address: cryptokey routing says no.
  EXPECT_EQ(router.check_received(udp(vip(3), vip(1)), key(2)).error(), IpRouteError::kSpoofedSource);
  EXPECT_EQ(router.check_received(udp(vip(3), kMdns), key(2)).error(), IpRouteError::kSpoofedSource);
  // A sender we know nothing of owns no address.
  EXPECT_EQ(router.check_received(udp(vip(9), vip(1)), key(9)).error(), IpRouteError::kSpoofedSource);
  // Right source, but for someone else.
  EXPECT_EQ(router.check_received(udp(vip(2), vip(3)), key(2)).error(), IpRouteError::kNotForUs);
  EXPECT_EQ(router.check_received(udp(vip(2), Ipv4::from_octets(8, 8, 8, 8)), key(2)).error(),
            IpRouteError::kNotForUs);
}

TEST_F(IpRouterTest, DirectedBroadcastFollowsThePrefix) {
  EXPECT_EQ(router.directed_broadcast(), kDirected);
  IpRouter r16;
  r16.set_address(Ipv4::from_octets(10, 7, 3, 4), 16);
  EXPECT_EQ(r16.directed_broadcast(), Ipv4::from_octets(10, 7, 255, 255));
  EXPECT_EQ(r16.classify(Ipv4::from_octets(10, 7, 255, 255)), IpDestination::kDirectedBroadcast);
  EXPECT_EQ(r16.classify(Ipv4::from_octets(25, 255, 255, 255)), IpDestination::kUnicast);
  IpRouter r31;
  r31.set_address(Ipv4::from_octets(10, 0, 0, 1), 31);
  EXPECT_EQ(r31.directed_broadcast(), std::nullopt);
  IpRouter r32;
  r32.set_address(Ipv4::from_octets(10, 0, 0, 1), 40);  // clamped to /32
  EXPECT_EQ(r32.directed_broadcast(), std::nullopt);
  EXPECT_EQ(r32.classify(kLimitedBroadcast), IpDestination::kLimitedBroadcast);
}

TEST_F(IpRouterTest, SyncPicksUpMembershipChanges) {
  EXPECT_EQ(router.route(udp(vip(1), vip(5)), all, 256).error(), IpRouteError::kNoRoute);
  membership.update(MemberUpdate{"lan", member(5)});
  // Not synced yet: the table is the old one.
  EXPECT_EQ(router.route(udp(vip(1), vip(5)), all, 256).error(), IpRouteError::kNoRoute);
  router.sync(membership);
  EXPECT_EQ(router.route(udp(vip(1), vip(5)), all, 256)->peers, (std::vector<PublicKey>{key(5)}));
  EXPECT_EQ(router.address_of(key(5)), vip(5));
  membership.remove(MemberLeft{"lan", key(5)});
  router.sync(membership);
  EXPECT_EQ(router.route(udp(vip(1), vip(5)), all, 256).error(), IpRouteError::kNoRoute);
  EXPECT_EQ(router.address_of(key(5)), std::nullopt);
  membership.clear();
  router.sync(membership);
  EXPECT_EQ(router.route(udp(vip(1), kMdns), all, 256)->peers.size(), 0u);
}

TEST(IpRouteError, EveryErrorHasAName) {
  for (auto e : {IpRouteError::kNoAddress, IpRouteError::kMalformed, IpRouteError::kUnsupported,
                 IpRouteError::kTooLarge, IpRouteError::kBadSource, IpRouteError::kNoRoute, IpRouteError::kNoTunnel,
                 IpRouteError::kSpoofedSource, IpRouteError::kNotForUs, IpRouteError::kPeerMuted}) {
    EXPECT_STRNE(to_string(e), "?");
  }
}

}  // namespace
}  // namespace yt
