// Plans behind a sequential NAT (server/core/sequential_plans.cpp): one at a time
// per public IP, each from the port a RefreshMapping probe shows, the next after the
// spacing; pairs on one LAN and pairs without prediction are not held back.
#include <gtest/gtest.h>

#include "server/core/tests/server_harness.h"

namespace yt::test {
namespace {

using namespace std::chrono_literals;

const Ipv4 kDormIp = Ipv4::from_octets(192, 0, 2, 50);
const Endpoint kRefreshA{kPrimary.ip, 3490};
const Endpoint kRefreshB{kPrimary.ip, 3491};

ServerConfig config_with_refresh() {
  ServerConfig config = test_config();
  config.refresh_endpoints = {kRefreshA, kRefreshB};
  return config;
}

// Logs in, probes from `mapped` and reports a sequential symmetric NAT (or a cone).
void online_as(Harness& h, FakeClient& c, Endpoint mapped, bool sequential) {
  h.login(c);
  ASSERT_TRUE(h.probe(c, mapped, c.token()).has_value());
  DiscoveryReport report;
  report.mapped_endpoint = mapped;
  report.profile.mapping = sequential ? MappingBehavior::kAddressPortDependent : MappingBehavior::kEndpointIndependent;
  report.profile.allocation = sequential ? PortAllocation::kSequential : PortAllocation::kPreserve;
  report.profile.port_delta = sequential ? 1 : 0;
  report.profile.mapping_known = true;
  // Its discovery's hairpin probe made a mapping the server never saw.
  report.profile.hairpinning = sequential;
  report.profile.public_ips = {mapped.ip};
  h.send(c, report);
}

class SequentialPlans : public ::testing::Test {
 protected:
  SequentialPlans() : h(storage, config_with_refresh()) {}
  void SetUp() override {
    dorm1 = &h.connect();
    dorm2 = &h.connect();
    cone = &h.connect();
    ASSERT_TRUE(storage.create_network(NetworkRecord{"lan", "", dorm1->key()}).ok());
    ASSERT_TRUE(storage.add_member("lan", dorm2->key()).ok());
    ASSERT_TRUE(storage.add_member("lan", cone->key()).ok());
    online_as(h, *dorm1, Endpoint{kDormIp, 20000}, true);
    online_as(h, *dorm2, Endpoint{kDormIp, 20005}, true);
  }
  std::vector<Endpoint> candidates_for_cone() {
    auto got = cone->take<TunnelInstruction>();
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? std::vector<Endpoint>{} : got[0].candidates;
  }

  MemoryStorage storage;
  Harness h;
  FakeClient* dorm1 = nullptr;
  FakeClient* dorm2 = nullptr;
  FakeClient* cone = nullptr;
};

TEST_F(SequentialPlans, OneAtATimeEachFromTheFreshProbe) {
  // The two dorm clients meet on the LAN: planned at once, nothing refreshed.
  EXPECT_EQ(dorm1->take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(dorm2->take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(h.server().stats().mapping_refreshes, 0u);

  online_as(h, *cone, Endpoint{Ipv4::from_octets(203, 0, 113, 9), 4500}, false);
  // Both dorm pairs wait; the first one's dorm side is asked for a fresh probe.
  EXPECT_TRUE(cone->take<TunnelInstruction>().empty());
  EXPECT_EQ(h.server().stats().plans_queued, 2u);
  auto first = dorm1->take<RefreshMapping>();
  auto other = dorm2->take<RefreshMapping>();
  ASSERT_EQ(first.size() + other.size(), 1u);
  FakeClient* asked = first.empty() ? dorm2 : dorm1;
  FakeClient* later = first.empty() ? dorm1 : dorm2;
  const Endpoint to = first.empty() ? other[0].to : first[0].to;
  EXPECT_EQ(to, kRefreshA);

  // Meanwhile other hosts took ports: the probe shows the counter at 20031.
  h.advance(50ms);
  ASSERT_TRUE(h.probe(*asked, Endpoint{kDormIp, 20031}, asked->token(), to).has_value());
  auto candidates = candidates_for_cone();
  ASSERT_FALSE(candidates.empty());
  // Predicted from the fresh base: the next mapping is 20032 (no unseen hairpin
  // mapping lies between the refresh probe and the punch).
  EXPECT_EQ(candidates.front(), (Endpoint{kDormIp, 20032}));
  EXPECT_EQ(asked->take<TunnelInstruction>().size(), 1u);

  // The other pair's turn comes after the spacing, not before.
  EXPECT_TRUE(later->take<RefreshMapping>().empty());
  h.advance(500ms);
  EXPECT_TRUE(later->take<RefreshMapping>().empty());
  h.advance(150ms);
  auto second = later->take<RefreshMapping>();
  ASSERT_EQ(second.size(), 1u);
  // Its probe never comes: after refresh_wait the plan goes ahead with what it has.
  h.advance(650ms);
  EXPECT_EQ(candidates_for_cone().front().ip, kDormIp);
  EXPECT_EQ(later->take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(h.server().stats().refreshes_missed, 1u);
  EXPECT_EQ(h.server().stats().tunnel_instructions, 6u);  // three pairs, two sides each
}

TEST_F(SequentialPlans, AQueuedPairWhosePeerLeftIsDropped) {
  online_as(h, *cone, Endpoint{Ipv4::from_octets(203, 0, 113, 9), 4500}, false);
  dorm1->inbox().clear();
  dorm2->inbox().clear();
  h.close(*cone);
  h.advance(2s);
  EXPECT_TRUE(dorm1->take<TunnelInstruction>().empty());
  EXPECT_TRUE(dorm2->take<TunnelInstruction>().empty());
  EXPECT_FALSE(h.server().next_deadline().has_value() && *h.server().next_deadline() < h.now());
}

TEST(SequentialPlansOff, WithoutSerializationEveryPairIsPlannedAtOnce) {
  MemoryStorage storage;
  ServerConfig config = config_with_refresh();
  config.serialize_sequential_plans = false;
  Harness h(storage, config);
  FakeClient& dorm = h.connect();
  FakeClient& cone = h.connect();
  ASSERT_TRUE(storage.create_network(NetworkRecord{"lan", "", dorm.key()}).ok());
  ASSERT_TRUE(storage.add_member("lan", cone.key()).ok());
  online_as(h, dorm, Endpoint{kDormIp, 20000}, true);
  online_as(h, cone, Endpoint{Ipv4::from_octets(203, 0, 113, 9), 4500}, false);
  EXPECT_EQ(cone.take<TunnelInstruction>().size(), 1u);
  EXPECT_TRUE(dorm.take<RefreshMapping>().empty());
  EXPECT_EQ(h.server().stats().plans_queued, 0u);
}

}  // namespace
}  // namespace yt::test
