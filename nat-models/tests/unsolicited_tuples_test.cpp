#include "nat-models/unsolicited_tuples.h"

#include <gtest/gtest.h>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;

const Time kT0{};
const Endpoint kPublic = ep("198.51.100.1:40000");
const Endpoint kPeer = ep("203.0.113.2:3478");

struct Lookup {
  const char* name;
  Transport transport;
  Endpoint public_endpoint;
  Endpoint remote;
  Duration at;
  bool live;
};

// One entry, recorded for (UDP, kPeer -> kPublic) until kT0 + 30 s.
const Lookup kLookups[] = {
    {"same_tuple", Transport::kUdp, kPublic, kPeer, 0s, true},
    {"just_before_expiry", Transport::kUdp, kPublic, kPeer, 29s, true},
    {"at_expiry", Transport::kUdp, kPublic, kPeer, 30s, false},
    {"other_transport", Transport::kTcp, kPublic, kPeer, 0s, false},
    {"other_public_port", Transport::kUdp, ep("198.51.100.1:40001"), kPeer, 0s, false},
    {"other_public_ip", Transport::kUdp, ep("198.51.100.2:40000"), kPeer, 0s, false},
    {"other_remote_port", Transport::kUdp, kPublic, ep("203.0.113.2:3479"), 0s, false},
    {"other_remote_ip", Transport::kUdp, kPublic, ep("203.0.113.3:3478"), 0s, false},
};

class UnsolicitedLookupTest : public ::testing::TestWithParam<Lookup> {};

TEST_P(UnsolicitedLookupTest, OnlyTheExactTupleIsClaimedUntilItExpires) {
  const Lookup& l = GetParam();
  UnsolicitedTupleTable t(8);
  t.record(Transport::kUdp, kPublic, kPeer, kT0 + 30s);
  EXPECT_EQ(t.contains(l.transport, l.public_endpoint, l.remote, kT0 + l.at), l.live);
}

INSTANTIATE_TEST_SUITE_P(Lookups, UnsolicitedLookupTest, ::testing::ValuesIn(kLookups),
                         [](const ::testing::TestParamInfo<Lookup>& info) { return info.param.name; });

TEST(UnsolicitedTupleTableTest, RecordingAgainKeepsTheLaterExpiry) {
  UnsolicitedTupleTable t(8);
  t.record(Transport::kUdp, kPublic, kPeer, kT0 + 30s);
  t.record(Transport::kUdp, kPublic, kPeer, kT0 + 10s);
  EXPECT_EQ(t.next_expiry(), kT0 + 30s);
  t.record(Transport::kUdp, kPublic, kPeer, kT0 + 50s);
  EXPECT_EQ(t.next_expiry(), kT0 + 50s);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.contains(Transport::kUdp, kPublic, kPeer, kT0 + 49s));
}

TEST(UnsolicitedTupleTableTest, ExpireSweepsInOrder) {
  UnsolicitedTupleTable t(8);
  t.record(Transport::kUdp, kPublic, kPeer, kT0 + 20s);
  t.record(Transport::kUdp, kPublic, ep("203.0.113.3:1"), kT0 + 10s);
  EXPECT_EQ(t.next_expiry(), kT0 + 10s);
  EXPECT_EQ(t.live_count(kT0 + 10s), 1u);
  t.expire(kT0 + 10s);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.next_expiry(), kT0 + 20s);
  t.expire(kT0 + 20s);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.next_expiry());
}

TEST(UnsolicitedTupleTableTest, AFullTableForgetsTheEntryExpiringSoonest) {
  UnsolicitedTupleTable t(2);
  const Endpoint a = ep("203.0.113.1:1"), b = ep("203.0.113.2:1"), c = ep("203.0.113.3:1");
  t.record(Transport::kUdp, kPublic, b, kT0 + 20s);
  t.record(Transport::kUdp, kPublic, a, kT0 + 10s);
  t.record(Transport::kUdp, kPublic, b, kT0 + 25s);  // a refresh takes no room
  EXPECT_TRUE(t.contains(Transport::kUdp, kPublic, a, kT0));
  t.record(Transport::kUdp, kPublic, c, kT0 + 30s);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.contains(Transport::kUdp, kPublic, a, kT0));
  EXPECT_TRUE(t.contains(Transport::kUdp, kPublic, b, kT0));
  EXPECT_TRUE(t.contains(Transport::kUdp, kPublic, c, kT0));
}

TEST(UnsolicitedTupleTableTest, ZeroCapacityIsReadAsOne) {
  UnsolicitedTupleTable t(0);
  t.record(Transport::kUdp, kPublic, ep("203.0.113.1:1"), kT0 + 10s);
  t.record(Transport::kUdp, kPublic, ep("203.0.113.2:1"), kT0 + 10s);
  EXPECT_EQ(t.size(), 1u);
}

TEST(UnsolicitedTupleTableTest, ClearForgetsEverything) {
  UnsolicitedTupleTable t(8);
  t.record(Transport::kUdp, kPublic, kPeer, kT0 + 30s);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.next_expiry());
  EXPECT_FALSE(t.contains(Transport::kUdp, kPublic, kPeer, kT0));
}

}  // namespace
}  // namespace yt::nat
