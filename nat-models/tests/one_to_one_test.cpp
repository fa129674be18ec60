#include "nat-models/one_to_one.h"

#include <gtest/gtest.h>

#include "nat-models/nat_profiles.h"
#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;
using test::Harness;
using test::ip;
using test::kHostA;
using test::kHostB;
using test::kPublic1;
using test::kPublic2;
using test::kRemote1;
using test::kStranger;

NatConfig static_one_to_one() {
  NatConfig c = *profile("one-to-one");
  c.one_to_one_hosts = {kHostA.ip};
  return c;
}

TEST(OneToOneTableTest, StaticThenDynamicBindings) {
  OneToOneTable t;
  t.reset(3, {ip("10.0.0.9"), ip("10.0.0.9"), ip("10.0.0.7")});
  EXPECT_EQ(t.find(ip("10.0.0.9")), 0u);
  EXPECT_EQ(t.host_at(1), std::nullopt);  // the duplicate is skipped
  EXPECT_EQ(t.host_at(2), ip("10.0.0.7"));
  EXPECT_EQ(t.bind(ip("10.0.0.5")), 1u);
  EXPECT_EQ(t.bind(ip("10.0.0.6")), std::nullopt);
  EXPECT_EQ(t.bound_count(), 3u);
}

TEST(OneToOneTest, InboundReachesAStaticHostBeforeItEverSends) {
  Harness h(static_one_to_one(), {kPublic1, kPublic2});
  const auto r = h.in(udp_packet(kStranger, Endpoint{kPublic1, 3389}));
  EXPECT_EQ(r.verdict, Verdict::kForward);
  EXPECT_EQ(r.packet.dst, (Endpoint{kHostA.ip, 3389}));  // port untouched
  EXPECT_EQ(h.tcp_in(kStranger, Endpoint{kPublic1, 22}, kTcpSyn), Verdict::kForward);
  EXPECT_EQ(h.udp_in(kStranger, Endpoint{kPublic2, 22}), Verdict::kDropNoMapping);  // nobody there yet
}

TEST(OneToOneTest, OutboundKeepsThePortAndEveryoneMayAnswer) {
  Harness h(static_one_to_one(), {kPublic1, kPublic2});
  EXPECT_EQ(h.udp_out(kHostA, kRemote1), (Endpoint{kPublic1, kHostA.port}));
  EXPECT_EQ(h.udp_in(kStranger, Endpoint{kPublic1, kHostA.port}), Verdict::kForward);
  // No timers: an hour later it still works.
  h.advance(1h);
  EXPECT_EQ(h.udp_in(kStranger, Endpoint{kPublic1, kHostA.port}), Verdict::kForward);
}

TEST(OneToOneTest, UnlistedHostsGetAFreeAddressUntilNoneIsLeft) {
  Harness h(static_one_to_one(), {kPublic1, kPublic2});
  EXPECT_EQ(h.udp_out(kHostB, kRemote1), (Endpoint{kPublic2, kHostB.port}));
  EXPECT_EQ(h.nat().mapping_count(h.now), 2u);
  EXPECT_EQ(h.out(udp_packet(ep("10.0.0.4:1"), kRemote1)).verdict, Verdict::kDropPortExhausted);
  EXPECT_EQ(h.nat().find_public_endpoint(Transport::kUdp, kHostB, kRemote1, h.now),
            (Endpoint{kPublic2, kHostB.port}));
}

TEST(OneToOneTest, HairpinAndIcmp) {
  Harness h(static_one_to_one(), {kPublic1, kPublic2});
  ASSERT_TRUE(h.udp_out(kHostB, kRemote1));
  const auto r = h.out(udp_packet(kHostB, Endpoint{kPublic1, 7}));
  EXPECT_EQ(r.verdict, Verdict::kHairpin);
  EXPECT_EQ(r.packet.src, (Endpoint{kPublic2, kHostB.port}));
  EXPECT_EQ(r.packet.dst, (Endpoint{kHostA.ip, 7}));

  PacketHeader embedded = udp_packet(Endpoint{kPublic1, 5}, kRemote1);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, embedded), Verdict::kForward);
  EXPECT_EQ(embedded.src, (Endpoint{kHostA.ip, 5}));
}

TEST(OneToOneTest, FlushKeepsStaticBindingsAndIpChangeMovesThem) {
  Harness h(static_one_to_one(), {kPublic1, kPublic2});
  ASSERT_TRUE(h.udp_out(kHostB, kRemote1));
  h.nat().flush();
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);
  EXPECT_EQ(h.udp_in(kStranger, Endpoint{kPublic1, 1}), Verdict::kForward);
  EXPECT_EQ(h.udp_in(kStranger, Endpoint{kPublic2, 1}), Verdict::kDropNoMapping);

  const Ipv4 renewed = ip("198.51.100.50");
  h.nat().change_public_ips({renewed});
  EXPECT_EQ(h.udp_in(kStranger, Endpoint{kPublic1, 1}), Verdict::kDropNotForNat);
  const auto r = h.in(udp_packet(kStranger, Endpoint{renewed, 1}));
  EXPECT_EQ(r.verdict, Verdict::kForward);
  EXPECT_EQ(r.packet.dst.ip, kHostA.ip);
}

}  // namespace
}  // namespace yt::nat
