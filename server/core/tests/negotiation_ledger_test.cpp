// Tunnel negotiations and their reported outcomes: the ledger alone (counting,
// dedup, memory and its cap, foreign plans), then through a real ServerCore, whose
// clients report over the control protocol: counted by NAT-pair class, and every
// report that is not counted is counted under its reason.
#include "server/core/negotiation_ledger.h"

#include <gtest/gtest.h>

#include "server/core/tests/server_harness.h"

namespace yt::test {
namespace {

using namespace std::chrono_literals;

const Time kStart = time_from_us(1'000'000);

PublicKey key_of(std::uint8_t fill) {
  PublicKey k;
  k.fill(fill);
  return k;
}

std::uint64_t count_of(const NegotiationCounts& n, const std::string& pair, NegotiationOutcome outcome) {
  auto it = n.outcomes.find({pair, outcome});
  return it == n.outcomes.end() ? 0 : it->second;
}

TEST(NegotiationLedger, TheFirstReportOfAPlanIsCountedOnceByItsPairClass) {
  NegotiationLedger ledger(5min, 100);
  const PublicKey a = key_of(1), b = key_of(2);
  ledger.planned(kStart, 7, a, b, "apdm-random+eim");
  using V = NegotiationLedger::Verdict;
  EXPECT_EQ(ledger.report(kStart + 1s, a, TunnelOutcome{7, b, NegotiationOutcome::kDirect, 420}), V::kCounted);
  // The other side's report, and a repeat: duplicates, whatever they say.
  EXPECT_EQ(ledger.report(kStart + 1s, b, TunnelOutcome{7, a, NegotiationOutcome::kRelayed, 0}), V::kDuplicate);
  EXPECT_EQ(ledger.report(kStart + 2s, a, TunnelOutcome{7, b, NegotiationOutcome::kDirect, 420}), V::kDuplicate);
  EXPECT_EQ(count_of(ledger.counts(), "apdm-random+eim", NegotiationOutcome::kDirect), 1u);
  EXPECT_EQ(count_of(ledger.counts(), "apdm-random+eim", NegotiationOutcome::kRelayed), 0u);
  EXPECT_EQ(ledger.counts().time_to_direct.count(), 1u);
  EXPECT_EQ(ledger.counts().unreported, 0u);
}

TEST(NegotiationLedger, ReportsThatAreNotASidesOrOfNoKnownPlanAreRefused) {
  NegotiationLedger ledger(5min, 100);
  const PublicKey a = key_of(1), b = key_of(2), stranger = key_of(3);
  ledger.planned(kStart, 7, a, b, "eim+eim");
  using V = NegotiationLedger::Verdict;
  EXPECT_EQ(ledger.report(kStart, stranger, TunnelOutcome{7, b, NegotiationOutcome::kFailed, 0}), V::kNotASide);
  EXPECT_EQ(ledger.report(kStart, a, TunnelOutcome{7, stranger, NegotiationOutcome::kFailed, 0}), V::kNotASide);
  EXPECT_EQ(ledger.report(kStart, a, TunnelOutcome{7, a, NegotiationOutcome::kFailed, 0}), V::kNotASide);
  EXPECT_EQ(ledger.report(kStart, a, TunnelOutcome{8, b, NegotiationOutcome::kFailed, 0}), V::kUnknown);
  ledger.foreign(kStart, 9);
  EXPECT_EQ(ledger.report(kStart, a, TunnelOutcome{9, b, NegotiationOutcome::kDirect, 10}), V::kForeign);
  EXPECT_TRUE(ledger.counts().outcomes.empty());
  // None of them used up the real report.
  EXPECT_EQ(ledger.report(kStart, b, TunnelOutcome{7, a, NegotiationOutcome::kFailed, 0}), V::kCounted);
  EXPECT_EQ(count_of(ledger.counts(), "eim+eim", NegotiationOutcome::kFailed), 1u);
  EXPECT_EQ(ledger.counts().time_to_direct.count(), 0u);
}

TEST(NegotiationLedger, PlansAreForgottenAfterTheirMemoryAndTheOldestFirstWhenFull) {
  NegotiationLedger ledger(5min, 3);
  const PublicKey a = key_of(1), b = key_of(2);
  ledger.planned(kStart, 1, a, b, "eim+eim");
  ledger.planned(kStart + 1min, 2, a, b, "eim+eim");
  ledger.foreign(kStart + 1min, 3);  // foreign ones are never "unreported" here
  ledger.planned(kStart + 2min, 4, a, b, "eim+eim");  // over the cap: 1 goes
  EXPECT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger.counts().unreported, 1u);
  using V = NegotiationLedger::Verdict;
  EXPECT_EQ(ledger.report(kStart + 2min, a, TunnelOutcome{1, b, NegotiationOutcome::kDirect, 5}), V::kUnknown);
  EXPECT_EQ(ledger.report(kStart + 2min, a, TunnelOutcome{2, b, NegotiationOutcome::kDirect, 5}), V::kCounted);
  // 2 (reported) and 3 (foreign) are past their memory at +6 min, 4 not yet.
  ledger.expire(kStart + 6min);
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger.counts().unreported, 1u);
  ledger.expire(kStart + 7min);
  EXPECT_EQ(ledger.size(), 0u);
  EXPECT_EQ(ledger.counts().unreported, 2u);
}

TEST(NegotiationLedger, APlanMadeAgainUnderTheSameIdIsNotForgottenByItsOlderEntry) {
  NegotiationLedger ledger(5min, 100);
  const PublicKey a = key_of(1), b = key_of(2);
  ledger.planned(kStart, 1, a, b, "eim+eim");
  ledger.planned(kStart + 4min, 1, a, b, "adm+eim");
  ledger.expire(kStart + 5min);  // the first one's time: the newer entry stays
  EXPECT_EQ(ledger.report(kStart + 5min, b, TunnelOutcome{1, a, NegotiationOutcome::kRelayed, 0}),
            NegotiationLedger::Verdict::kCounted);
  EXPECT_EQ(count_of(ledger.counts(), "adm+eim", NegotiationOutcome::kRelayed), 1u);
}

// ---- through the server core

NatProfile profile(MappingBehavior mapping, PortAllocation allocation = PortAllocation::kPreserve) {
  NatProfile p;
  p.mapping = mapping;
  p.allocation = allocation;
  p.mapping_known = true;
  return p;
}

// Two clients online with the NAT profiles given, then in one network: the
// server plans their tunnel.
struct PlannedPair {
  MemoryStorage storage;
  Harness h;
  FakeClient* a = nullptr;
  FakeClient* b = nullptr;
  std::uint64_t tunnel_id = 0;

  PlannedPair(const NatProfile& pa, const NatProfile& pb) : h(storage) {
    a = &h.connect();
    b = &h.connect();
    online(*a, pa);
    online(*b, pb);
    EXPECT_EQ(h.request(*a, CreateNetwork{1, "lan", "pw"}).code, ReplyCode::kOk);
    EXPECT_EQ(h.request(*b, JoinNetwork{2, "lan", "pw"}).code, ReplyCode::kOk);
    auto ta = a->take<TunnelInstruction>();
    auto tb = b->take<TunnelInstruction>();
    EXPECT_EQ(ta.size(), 1u);
    EXPECT_EQ(tb.size(), 1u);
    if (!ta.empty()) tunnel_id = ta[0].tunnel_id;
    a->inbox().clear();
    b->inbox().clear();
  }
  void online(FakeClient& c, const NatProfile& p) {
    h.login(c);
    const Endpoint mapped{c.remote().ip, static_cast<std::uint16_t>(50000 + c.conn())};
    ASSERT_TRUE(h.probe(c, mapped, c.token()).has_value());
    h.send(c, DiscoveryReport{mapped, p});
  }
  const NegotiationCounts& counts() { return h.server().negotiations(); }
  const ServerStats& stats() { return h.server().stats(); }
};

TEST(ServerCoreNegotiations, TheFirstSideToReportIsCountedUnderThePairsNatClasses) {
  PlannedPair p(profile(MappingBehavior::kEndpointIndependent),
                profile(MappingBehavior::kAddressPortDependent, PortAllocation::kRandom));
  p.h.send(*p.b, TunnelOutcome{p.tunnel_id, p.a->key(), NegotiationOutcome::kDirect, 380});
  p.h.send(*p.a, TunnelOutcome{p.tunnel_id, p.b->key(), NegotiationOutcome::kDirect, 390});
  EXPECT_EQ(count_of(p.counts(), "apdm-random+eim", NegotiationOutcome::kDirect), 1u);
  EXPECT_EQ(p.counts().outcomes.size(), 1u);
  EXPECT_EQ(p.counts().time_to_direct.count(), 1u);
  EXPECT_EQ(p.stats().tunnel_outcomes_duplicate, 1u);
  // No answer, and the connections stay.
  EXPECT_TRUE(p.a->inbox().empty());
  EXPECT_TRUE(p.b->inbox().empty());
  EXPECT_FALSE(p.a->closed());
  EXPECT_FALSE(p.b->closed());
}

TEST(ServerCoreNegotiations, EachPlanOfAPairIsItsOwnNegotiation) {
  PlannedPair p(profile(MappingBehavior::kAddressPortDependent, PortAllocation::kSequential),
                profile(MappingBehavior::kAddressPortDependent, PortAllocation::kRandom));
  p.h.send(*p.a, TunnelOutcome{p.tunnel_id, p.b->key(), NegotiationOutcome::kRelayed, 0});
  // The relayed pair asks again later (client/core/tunnel_retry.h): a new plan.
  p.h.advance(30s);
  p.h.send(*p.a, RequestTunnel{p.b->key()});
  auto again = p.b->take<TunnelInstruction>();
  ASSERT_EQ(again.size(), 1u);
  ASSERT_NE(again[0].tunnel_id, p.tunnel_id);
  p.h.send(*p.b, TunnelOutcome{again[0].tunnel_id, p.a->key(), NegotiationOutcome::kDirect, 1200});
  EXPECT_EQ(count_of(p.counts(), "apdm-random+apdm-seq", NegotiationOutcome::kRelayed), 1u);
  EXPECT_EQ(count_of(p.counts(), "apdm-random+apdm-seq", NegotiationOutcome::kDirect), 1u);
}

TEST(ServerCoreNegotiations, ReportsOfUnknownTunnelsOrFromOthersThanItsSidesAreCountedAndIgnored) {
  PlannedPair p(profile(MappingBehavior::kEndpointIndependent), profile(MappingBehavior::kEndpointIndependent));
  FakeClient& carol = p.h.connect();
  p.online(carol, profile(MappingBehavior::kAddressDependent));
  p.h.send(carol, TunnelOutcome{p.tunnel_id, p.a->key(), NegotiationOutcome::kFailed, 0});
  EXPECT_EQ(p.stats().tunnel_outcomes_not_a_side, 1u);
  p.h.send(*p.a, TunnelOutcome{p.tunnel_id + 1, p.b->key(), NegotiationOutcome::kFailed, 0});
  EXPECT_EQ(p.stats().tunnel_outcomes_unknown, 1u);
  EXPECT_TRUE(p.counts().outcomes.empty());
  EXPECT_FALSE(carol.closed());
  // The pair's own report still counts.
  p.h.send(*p.a, TunnelOutcome{p.tunnel_id, p.b->key(), NegotiationOutcome::kFailed, 0});
  EXPECT_EQ(count_of(p.counts(), "eim+eim", NegotiationOutcome::kFailed), 1u);
}

TEST(ServerCoreNegotiations, APlanNobodyReportsIsForgottenAndCounted) {
  PlannedPair p(profile(MappingBehavior::kEndpointIndependent), NatProfile{});  // b's mapping unmeasured
  EXPECT_EQ(p.counts().unreported, 0u);
  // Keep both connections alive past the memory (5 min) with pings.
  for (int i = 0; i < 7; ++i) {
    p.h.advance(50s);
    p.h.send(*p.a, Ping{1});
    p.h.send(*p.b, Ping{1});
  }
  // Too late: the plan is forgotten (at the latest when this report arrives).
  p.h.send(*p.a, TunnelOutcome{p.tunnel_id, p.b->key(), NegotiationOutcome::kDirect, 100});
  EXPECT_EQ(p.stats().tunnel_outcomes_unknown, 1u);
  EXPECT_EQ(p.counts().unreported, 1u);
  EXPECT_TRUE(p.counts().outcomes.empty());
}

}  // namespace
}  // namespace yt::test
