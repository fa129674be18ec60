// Discovery (discovery.h): the probe schedule, retries, absence waits, the
// udp-blocked fallback, filter-state memory across runs, and the report through
// ClientCore.
#include "client/core/discovery.h"

#include <gtest/gtest.h>

#include "client/core/client_context.h"
#include "client/core/tests/test_support.h"

namespace yt::test {
namespace {

const Endpoint kAlice{Ipv4::from_octets(192, 168, 1, 10), 40001};
const Endpoint kMapped{Ipv4::from_octets(203, 0, 113, 9), 61000};
const Ipv4 kVip = Ipv4::from_octets(25, 1, 2, 3);

// The server's 2 IPs x 2 ports; kDiscovery (test_support.h) is the primary.
const Endpoint kP = kDiscovery;
const Endpoint kAP{kDiscovery.ip, 3479};
const Endpoint kAI{Ipv4::from_octets(198, 51, 100, 2), 3478};
const Endpoint kAB{Ipv4::from_octets(198, 51, 100, 2), 3479};
const std::vector<Endpoint> kFour = {kP, kAP, kAI, kAB};

// ---- the Discovery part alone, over a bare ClientContext

struct Sent {
  Endpoint to;
  Datagram datagram;
};

struct Harness {
  explicit Harness(ClientConfig config = {}) : ctx(with_lan(std::move(config)), Identity{}, rng), d(ctx) {}

  static ClientConfig with_lan(ClientConfig config) {
    if (config.lan_endpoints.empty()) config.lan_endpoints = {kAlice};
    return config;
  }

  std::vector<Sent> take() {
    std::vector<Sent> out;
    for (auto& o : ctx.outputs) {
      auto& d = std::get<SendDatagram>(o);
      out.push_back(Sent{d.to, *decode_datagram(d.payload)});
    }
    ctx.outputs.clear();
    return out;
  }
  static std::vector<std::pair<Endpoint, DiscoveryProbe>> probes(const std::vector<Sent>& sent) {
    std::vector<std::pair<Endpoint, DiscoveryProbe>> out;
    for (const Sent& s : sent) {
      if (auto* p = std::get_if<DiscoveryProbe>(&s.datagram)) out.emplace_back(s.to, *p);
    }
    return out;
  }
  static std::vector<std::pair<Endpoint, HairpinProbe>> hairpins(const std::vector<Sent>& sent) {
    std::vector<std::pair<Endpoint, HairpinProbe>> out;
    for (const Sent& s : sent) {
      if (auto* p = std::get_if<HairpinProbe>(&s.datagram)) out.emplace_back(s.to, *p);
    }
    return out;
  }
  // Answers `probe` as the server would: from the endpoint the change flags name.
  std::optional<DiscoveryResult> answer(Time now, Endpoint to, const DiscoveryProbe& probe, Endpoint mapped) {
    Endpoint from = to;
    if (probe.change_ip || probe.change_port) {
      for (const Endpoint& e : kFour) {
        if ((e.ip != to.ip) == probe.change_ip && (e.port != to.port) == probe.change_port) from = e;
      }
    }
    return d.on_reply(now, from, DiscoveryReply{probe.transaction, mapped, from});
  }
  // Fires timers up to `until`; the result if one of them ended the run.
  std::optional<DiscoveryResult> run_until(Time until) {
    for (int guard = 0; guard < 1000; ++guard) {
      auto t = d.next_deadline();
      if (!t || *t > until) break;
      now = *t;
      if (auto r = d.on_timer(now)) return r;
    }
    return std::nullopt;
  }

  SeededRandom rng{1, 7};
  ClientContext ctx;
  Discovery d;
  Time now = kT0;
};

TEST(DiscoverySchedule, FilteringRoundSendsThreeProbesToThePrimaryAtOnce) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto probes = Harness::probes(h.take());
  ASSERT_EQ(probes.size(), 3u);
  for (const auto& [to, p] : probes) {
    EXPECT_EQ(to, kP);  // nothing to the alternates yet: their filter state stays closed
    EXPECT_EQ(p.token, 42u);
  }
  EXPECT_FALSE(probes[0].second.change_ip || probes[0].second.change_port);
  EXPECT_TRUE(probes[1].second.change_ip && probes[1].second.change_port);  // EIF test
  EXPECT_TRUE(!probes[2].second.change_ip && probes[2].second.change_port);  // ADF test
  EXPECT_EQ(h.d.next_deadline(), kT0 + 500ms);
}

TEST(DiscoverySchedule, PortRestrictedConeFullRunWithTimings) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  // The plain probe's answer after 30 ms; the change replies are filtered.
  const Endpoint mapped{kMapped.ip, kAlice.port};
  EXPECT_FALSE(h.answer(kT0 + 30ms, round1[0].first, round1[0].second, mapped));
  // A second chance for both change requests, at once.
  auto again = Harness::probes(h.take());
  ASSERT_EQ(again.size(), 2u);
  EXPECT_TRUE(again[0].second.change_ip);
  EXPECT_TRUE(again[1].second.change_port);
  // The round ends one round trip plus the absence wait after the answer.
  EXPECT_EQ(h.d.next_deadline(), kT0 + 30ms + 30ms + 100ms);
  EXPECT_FALSE(h.run_until(kT0 + 160ms));
  EXPECT_EQ(h.now, kT0 + 160ms);

  // Mapping round: AP and AB sent the filtered change replies, so the NAT may hold
  // state for them (discovery.h, claimed endpoints): only AI, the clean one, first.
  auto round2 = h.take();
  auto probes = Harness::probes(round2);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].first, kAI);
  EXPECT_FALSE(probes[0].second.change_ip || probes[0].second.change_port);
  EXPECT_TRUE(Harness::hairpins(round2).empty());

  // AI saw the primary mapping: endpoint-independent, so AP and AB are never probed
  // (on Linux that would move our mapping); the hairpin probe goes now.
  Time t = kT0 + 190ms;
  EXPECT_FALSE(h.answer(t, probes[0].first, probes[0].second, mapped));
  auto round3 = h.take();
  EXPECT_TRUE(Harness::probes(round3).empty());
  auto hairpins = Harness::hairpins(round3);
  ASSERT_EQ(hairpins.size(), 1u);
  EXPECT_EQ(hairpins[0].first, mapped);

  auto result = h.d.on_hairpin(t + 1ms, mapped, hairpins[0].second);
  ASSERT_TRUE(result);
  EXPECT_FALSE(h.d.running());
  EXPECT_EQ(result->mapped, mapped);
  EXPECT_FALSE(result->udp_blocked);
  const NatProfile& p = result->profile;
  EXPECT_EQ(p.mapping, MappingBehavior::kEndpointIndependent);
  EXPECT_TRUE(p.mapping_known);
  EXPECT_EQ(p.filtering, FilteringBehavior::kAddressPortDependent);
  EXPECT_TRUE(p.filtering_known);
  EXPECT_EQ(p.allocation, PortAllocation::kPreserve);
  EXPECT_TRUE(p.hairpinning);
  EXPECT_EQ(p.summary(), "EIM/APDF preserve hairpin");
}

// A port-dependent filter on a NAT that maps per destination: the clean endpoint
// shows a new mapping, so the claimed ones cannot move anything and are probed too,
// as a second back-to-back batch (their steps measure the allocation).
TEST(DiscoverySchedule, ANewMappingAtTheCleanEndpointReleasesTheHeldProbes) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  const Endpoint primary{kMapped.ip, 5000};
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, primary);
  h.take();
  h.run_until(kT0 + 140ms);
  auto batch1 = Harness::probes(h.take());
  ASSERT_EQ(batch1.size(), 1u);
  EXPECT_EQ(batch1[0].first, kAI);
  EXPECT_FALSE(h.answer(kT0 + 160ms, kAI, batch1[0].second, Endpoint{kMapped.ip, 5001}));
  auto round3 = h.take();
  auto batch2 = Harness::probes(round3);
  ASSERT_EQ(batch2.size(), 2u);
  EXPECT_EQ(batch2[0].first, kAP);  // configuration order within the batch
  EXPECT_EQ(batch2[1].first, kAB);
  ASSERT_EQ(Harness::hairpins(round3).size(), 1u);
  EXPECT_EQ(round3.back().to, primary);  // the hairpin probe last
  EXPECT_FALSE(h.answer(kT0 + 180ms, kAP, batch2[0].second, Endpoint{kMapped.ip, 5002}));
  EXPECT_FALSE(h.answer(kT0 + 180ms, kAB, batch2[1].second, Endpoint{kMapped.ip, 5003}));
  auto result = h.run_until(kT0 + 1s);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->profile.mapping, MappingBehavior::kAddressPortDependent);
  EXPECT_TRUE(result->profile.mapping_known);
  EXPECT_EQ(result->profile.allocation, PortAllocation::kSequential);
  EXPECT_EQ(result->profile.port_delta, 1);
  EXPECT_FALSE(result->profile.hairpinning);
}

// Only claimed endpoints (one IP, two ports, the other-port reply filtered): no
// evidence either way, so nothing claimed is probed and the mapping stays a guess.
TEST(DiscoverySchedule, WithoutACleanEndpointNothingClaimedIsProbed) {
  Harness h;
  h.d.start(kT0, 42, {kP, kAP});
  auto round1 = Harness::probes(h.take());
  ASSERT_EQ(round1.size(), 2u);
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, kMapped);
  h.take();
  h.run_until(kT0 + 140ms);
  auto sent = h.take();
  EXPECT_TRUE(Harness::probes(sent).empty());
  ASSERT_EQ(Harness::hairpins(sent).size(), 1u);
  auto result = h.run_until(kT0 + 1s);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->profile.mapping_known);
  EXPECT_EQ(result->profile.filtering, FilteringBehavior::kAddressPortDependent);
  EXPECT_TRUE(result->profile.filtering_known);
  for (const auto& [to, p] : Harness::probes(h.take())) EXPECT_NE(to, kAP);
}

// The clean endpoint never answers: after its attempts the held probes are dropped
// (no evidence of new mappings) and the run still ends, bounded.
TEST(DiscoverySchedule, AnUnansweredCleanBatchDropsTheHeldProbesAndEnds) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, kMapped);
  h.take();
  auto result = h.run_until(kT0 + 20s);
  ASSERT_TRUE(result);
  EXPECT_LE(h.now, kT0 + 20ms + 120ms + 6 * 500ms + 100ms);
  for (const auto& [to, p] : Harness::probes(h.take())) {
    EXPECT_TRUE(to == kAI || to == kP) << to.to_string();  // AP and AB never
  }
  EXPECT_FALSE(result->profile.mapping_known);
}

TEST(DiscoverySchedule, AllChangeRepliesEndTheFilteringRoundAtOnce) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  for (const auto& [to, p] : round1) h.answer(kT0 + 20ms, to, p, kMapped);
  // EIF: the mapping round left with the last reply, no waiting (the change
  // requests were resent when the first reply came, before the others arrived).
  auto round2 = h.take();
  std::size_t to_alternates = 0;
  for (const auto& [to, p] : Harness::probes(round2)) to_alternates += to != kP;
  EXPECT_EQ(to_alternates, 3u);
  EXPECT_EQ(Harness::hairpins(round2).size(), 1u);
}

TEST(DiscoverySchedule, WithoutHairpinningTheRunEndsAfterTheAbsenceWait) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  for (const auto& [to, p] : round1) h.answer(kT0 + 20ms, to, p, kMapped);
  auto round2 = Harness::probes(h.take());
  for (const auto& [to, p] : round2) EXPECT_FALSE(h.answer(kT0 + 40ms, to, p, kMapped));
  EXPECT_EQ(h.d.next_deadline(), kT0 + 20ms + 100ms);
  auto result = h.run_until(kT0 + 1s);
  ASSERT_TRUE(result);
  EXPECT_EQ(h.now, kT0 + 120ms);
  EXPECT_FALSE(result->profile.hairpinning);
  EXPECT_EQ(result->profile.filtering, FilteringBehavior::kEndpointIndependent);
  EXPECT_EQ(result->profile.allocation, PortAllocation::kRandom);  // 61000 is not our port
}

TEST(DiscoverySchedule, LateChangeRepliesAfterTheMappingRoundAreIgnored) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, kMapped);
  h.take();
  h.run_until(kT0 + 140ms);  // filtering round over
  auto round2 = h.take();
  ASSERT_FALSE(round2.empty());
  // Now the NAT's filter is open to AB: a change reply that passes proves nothing.
  EXPECT_FALSE(h.answer(kT0 + 150ms, round1[1].first, round1[1].second, kMapped));
  EXPECT_EQ(h.ctx.stats.malformed_datagrams, 0u);
  for (const auto& [to, p] : Harness::probes(round2)) h.answer(kT0 + 160ms, to, p, kMapped);
  auto result = h.run_until(kT0 + 1s);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->profile.filtering, FilteringBehavior::kAddressPortDependent);
  EXPECT_TRUE(result->profile.filtering_known);
}

TEST(DiscoverySchedule, AChangeRequestTheServerCouldNotHonourIsNoFilteringEvidence) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, kMapped);
  // The "other IP" reply comes from the probed endpoint itself.
  h.d.on_reply(kT0 + 20ms, kP, DiscoveryReply{round1[1].second.transaction, kMapped, kP});
  h.d.on_reply(kT0 + 20ms, kP, DiscoveryReply{round1[2].second.transaction, kMapped, kP});
  // Both answered: the mapping round left at once (after the change requests' resends).
  for (const auto& [to, p] : Harness::probes(h.take())) {
    if (to != kP) h.answer(kT0 + 40ms, to, p, kMapped);
  }
  auto result = h.run_until(kT0 + 1s);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->profile.filtering_known);
  EXPECT_TRUE(result->profile.mapping_known);
}

TEST(DiscoverySchedule, UnansweredMappingProbesAreRetriedThenLeftUnknown) {
  Harness h;
  h.d.start(kT0, 42, {kP, kAI});
  auto round1 = Harness::probes(h.take());
  ASSERT_EQ(round1.size(), 2u);  // plain + change-IP only (no other-port endpoint)
  EXPECT_TRUE(round1[1].second.change_ip);
  EXPECT_FALSE(round1[1].second.change_port);
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, kMapped);
  h.answer(kT0 + 20ms, round1[1].first, round1[1].second, kMapped);
  h.take();
  // AI never answers: six sends, 500 ms apart, then the run ends with what it has.
  auto result = h.run_until(kT0 + 10s);
  ASSERT_TRUE(result);
  EXPECT_EQ(h.now, kT0 + 20ms + 6 * 500ms);
  auto sent = h.take();
  EXPECT_EQ(Harness::probes(sent).size(), 5u);    // the resends to AI
  EXPECT_EQ(Harness::hairpins(sent).size(), 5u);  // the hairpin probe rides along
  EXPECT_FALSE(result->profile.mapping_known);
  EXPECT_EQ(result->profile.mapping, MappingBehavior::kAddressPortDependent);
  EXPECT_EQ(result->profile.filtering, FilteringBehavior::kEndpointIndependent);
  EXPECT_TRUE(result->profile.filtering_known);
}

TEST(DiscoverySchedule, NoEndpointsEndsAtTheNextTimerAsBlocked) {
  Harness h;
  h.d.start(kT0, 42, {});
  EXPECT_TRUE(h.take().empty());
  EXPECT_EQ(h.d.next_deadline(), kT0);
  auto result = h.d.on_timer(kT0);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->udp_blocked);
}

TEST(DiscoverySchedule, ARerunOnTheSameMappingKeepsTheCleanFilteringReading) {
  Harness h;
  auto run = [&h](Time at, bool change_replies_pass, Endpoint mapped) {
    h.take();  // the previous run's resends
    h.d.start(at, 42, kFour);
    auto round1 = Harness::probes(h.take());
    h.answer(at + 20ms, round1[0].first, round1[0].second, mapped);
    if (change_replies_pass) {
      h.answer(at + 20ms, round1[1].first, round1[1].second, mapped);
      h.answer(at + 20ms, round1[2].first, round1[2].second, mapped);
    }
    std::vector<Sent> sent = h.take();
    h.run_until(at + 140ms);
    for (Sent& s : h.take()) sent.push_back(s);
    for (const auto& [to, p] : Harness::probes(sent)) {
      if (to == kP) continue;
      if (auto r = h.answer(at + 160ms, to, p, mapped)) return r;
    }
    return h.run_until(at + 10s);
  };
  // A clean first run on an EIM/APDF NAT.
  auto first = run(kT0, false, kMapped);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->profile.filtering, FilteringBehavior::kAddressPortDependent);
  // A reconnect a minute later: the NAT still lets the alternates in on that mapping.
  auto second = run(kT0 + 60s, true, kMapped);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->profile.filtering, FilteringBehavior::kAddressPortDependent);
  EXPECT_TRUE(second->profile.filtering_known);
  // A new mapping (the NAT rebooted, a new network): its filter state is fresh.
  const Endpoint other{kMapped.ip, 61001};
  auto third = run(kT0 + 120s, true, other);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->profile.filtering, FilteringBehavior::kEndpointIndependent);
  // Long after the last alternate probe the state has expired: believed again.
  auto fourth = run(kT0 + 1h, false, other);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->profile.filtering, FilteringBehavior::kAddressPortDependent);
}

TEST(DiscoverySchedule, ARerunWithoutACleanReadingReportsFilteringUnknown) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  h.answer(kT0 + 20ms, round1[0].first, round1[0].second, kMapped);
  h.take();
  h.run_until(kT0 + 140ms);
  ASSERT_FALSE(h.take().empty());  // the mapping round went out...
  h.d.cancel();                    // ...and the connection dropped before the end

  h.d.start(kT0 + 5s, 43, kFour);
  round1 = Harness::probes(h.take());
  for (const auto& [to, p] : round1) h.answer(kT0 + 5s + 20ms, to, p, kMapped);
  for (const auto& [to, p] : Harness::probes(h.take())) h.answer(kT0 + 5s + 40ms, to, p, kMapped);
  auto result = h.run_until(kT0 + 10s);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->profile.filtering_known);
  EXPECT_EQ(result->profile.filtering, FilteringBehavior::kAddressPortDependent);
}

TEST(DiscoverySchedule, StrayHairpinAndReplyTransactionsAreCounted) {
  Harness h;
  h.d.start(kT0, 42, kFour);
  auto round1 = Harness::probes(h.take());
  EXPECT_FALSE(h.d.on_hairpin(kT0, kMapped, HairpinProbe{round1[0].second.transaction}));  // not a hairpin id
  EXPECT_FALSE(h.d.on_hairpin(kT0, kMapped, HairpinProbe{12345}));
  EXPECT_FALSE(h.d.on_reply(kT0, kP, DiscoveryReply{12345, kMapped, kP}));
  EXPECT_EQ(h.ctx.stats.malformed_datagrams, 3u);
  EXPECT_TRUE(h.d.running());
}

// ---- through ClientCore: what is sent, reported and emitted

struct DiscoveryTest : ::testing::Test {
  void SetUp() override {
    c.start(kT0);
    conn = handshake(c, server, kT0);
    c.data(kT0, conn, server.seal(ok_login(kVip, 4242)));
    answer_tcp_mapping(c, kT0);
  }
  Identity server_id = make_server_identity();
  ScriptedServer server{server_id};
  Driven c{1, kAlice, server_id.public_key};
  ConnId conn = 0;
};

TEST_F(DiscoveryTest, ProbeCarriesTheTokenToThePrimaryEndpoint) {
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), 1u);  // one endpoint: no change requests to make
  EXPECT_EQ(probes[0].first, kDiscovery);
  EXPECT_EQ(probes[0].second.token, 4242u);
  EXPECT_FALSE(probes[0].second.change_ip);
  EXPECT_EQ(c.core->state(), ClientState::kDiscovering);
}

TEST_F(DiscoveryTest, ReplyGivesTheMappedEndpointAndTheHairpinTestEndsIt) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0 + 30ms, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction, kMapped, kDiscovery}));
  EXPECT_TRUE(c.events_of<DiscoveryDone>().empty());  // behind a NAT: hairpin test first
  auto hairpin = c.sent<HairpinProbe>();
  ASSERT_EQ(hairpin.size(), 1u);
  EXPECT_EQ(hairpin[0].first, kMapped);
  c.datagram(kT0 + 31ms, kMapped, encode_datagram(hairpin[0].second));

  auto done = c.events_of<DiscoveryDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].mapped_endpoint, kMapped);
  EXPECT_FALSE(done[0].udp_blocked);
  EXPECT_TRUE(done[0].profile.hairpinning);
  EXPECT_EQ(c.core->mapped_endpoint(), kMapped);
  ASSERT_TRUE(c.core->nat_profile());
  EXPECT_EQ(c.core->nat_profile()->summary(), done[0].profile.summary());
  EXPECT_EQ(c.core->state(), ClientState::kOnline);

  auto report = server.messages(c.take_stream(conn));
  ASSERT_EQ(report.size(), 1u);
  const auto& r = std::get<DiscoveryReport>(report[0]);
  EXPECT_EQ(r.mapped_endpoint, kMapped);
  EXPECT_TRUE(r.profile.behind_nat);  // mapped differs from our socket address
  EXPECT_FALSE(r.profile.udp_blocked);
  EXPECT_EQ(r.profile.public_ips, std::vector<Ipv4>{kMapped.ip});
  // One endpoint: mapping and filtering are guesses, and say so.
  EXPECT_FALSE(r.profile.mapping_known);
  EXPECT_FALSE(r.profile.filtering_known);
  EXPECT_EQ(r.profile.summary(), "APDM?/APDF? random hairpin");
}

TEST_F(DiscoveryTest, NoHairpinMeansDoneAfterTheAbsenceWait) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0 + 30ms, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction, kMapped, kDiscovery}));
  std::vector<Time> fired = c.run_timers(kT0 + 1s);
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(fired[0], kT0 + 130ms);
  auto done = c.events_of<DiscoveryDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].profile.hairpinning);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
}

TEST_F(DiscoveryTest, NotBehindNatWhenTheMappedEndpointIsOurOwn) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction, kAlice, kDiscovery}));
  EXPECT_TRUE(c.sent<HairpinProbe>().empty());  // nothing to hairpin through
  auto report = server.messages(c.take_stream(conn));
  ASSERT_EQ(report.size(), 1u);
  EXPECT_FALSE(std::get<DiscoveryReport>(report[0]).profile.behind_nat);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
}

TEST_F(DiscoveryTest, RetriesEveryHalfSecondThenDeclaresUdpBlockedAndStillGoesOnline) {
  std::vector<Time> fired = c.run_timers(kT0 + 10s);
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), 6u);  // discovery_attempts
  // Attempts at 0, 0.5, ..., 2.5 s; the verdict one retry interval after the last.
  auto done = c.events_of<DiscoveryDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].udp_blocked);
  EXPECT_TRUE(done[0].profile.udp_blocked);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
  EXPECT_EQ(c.core->mapped_endpoint(), std::nullopt);
  ASSERT_GE(fired.size(), 6u);
  for (int k = 0; k < 6; ++k) EXPECT_EQ(fired[k], kT0 + 500ms * (k + 1)) << k;
  // Each attempt has its own transaction.
  EXPECT_NE(probes[0].second.transaction, probes[1].second.transaction);

  auto report = server.messages(c.take_stream(conn));
  ASSERT_EQ(report.size(), 1u);
  EXPECT_TRUE(std::get<DiscoveryReport>(report[0]).profile.udp_blocked);
}

TEST_F(DiscoveryTest, ALateReplyToAnEarlierAttemptCounts) {
  c.run_timers(kT0 + 1s);  // two more attempts
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), 3u);
  c.datagram(kT0 + 1100ms, kDiscovery,
             encode_datagram(DiscoveryReply{probes[0].second.transaction, kAlice, kDiscovery}));
  ASSERT_EQ(c.events_of<DiscoveryDone>().size(), 1u);
  // The answers to the other attempts arrive too: ignored, not counted.
  c.datagram(kT0 + 1200ms, kDiscovery,
             encode_datagram(DiscoveryReply{probes[1].second.transaction, kAlice, kDiscovery}));
  EXPECT_EQ(c.events_of<DiscoveryDone>().size(), 1u);
  EXPECT_EQ(c.stats().malformed_datagrams, 0u);
}

TEST_F(DiscoveryTest, ReplyWithAnUnknownTransactionIsCountedAndIgnored) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction + 1, kMapped, kDiscovery}));
  EXPECT_TRUE(c.events_of<DiscoveryDone>().empty());
  EXPECT_EQ(c.stats().malformed_datagrams, 1u);
  EXPECT_EQ(c.core->state(), ClientState::kDiscovering);
}

}  // namespace
}  // namespace yt::test
