// End to end: a client behind real nat-models devices (NatChainTranslator) runs
// discovery against a server with discovery endpoints on 2 IPs x 2 ports, and must
// classify every named NAT profile (nat-models/README.md) correctly; the server must
// keep what the client reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nat-models/nat_profiles.h"
#include "tests/sim/nat_translator.h"
#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

using M = MappingBehavior;
using F = FilteringBehavior;
using A = PortAllocation;

// The RFC 5780 set: primary, other port, other IP, other IP and port.
const Endpoint kP = kDiscoveryPrimary;                     // 198.51.100.1:3478
const Endpoint kAP{kDiscoveryPrimary.ip, 3479};            // 198.51.100.1:3479
const Endpoint kAI = kDiscoverySecondary;                  // 198.51.100.2:3478
const Endpoint kAB{kDiscoverySecondary.ip, 3479};          // 198.51.100.2:3479

const Endpoint kClientSocket{Ipv4::from_octets(10, 0, 0, 2), 40001};
const Ipv4 kNatPublic = Ipv4::from_octets(203, 0, 113, 50);
const Ipv4 kCgnInside = Ipv4::from_octets(100, 64, 0, 2);  // the home router's WAN in NAT444

// The expected classification of one named profile, and why.
struct Expected {
  const char* name;
  bool udp_blocked;
  M mapping;
  F filtering;
  A allocation;
  std::int32_t delta;
  bool hairpin;
  const char* why;
};

const std::vector<Expected>& expectations() {
  static const std::vector<Expected> table = {
      {"full-cone", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, true,
       "EIM/EIF: every endpoint sees one mapping and both change replies pass; port kept; hairpins"},
      {"restricted-cone", false, M::kEndpointIndependent, F::kAddressDependent, A::kPreserve, 0, false,
       "ADF: only the reply from the primary IP's other port passes; no hairpinning"},
      {"port-restricted-cone", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, true,
       "APDF: both change replies are filtered; hairpinning on (the session to our own mapping exists)"},
      {"symmetric-sequential", false, M::kAddressPortDependent, F::kAddressPortDependent, A::kSequential, 1, false,
       "APDM: four endpoints, four mappings, consecutive ports (+1); no hairpinning"},
      {"symmetric-random", false, M::kAddressPortDependent, F::kAddressPortDependent, A::kRandom, 0, false,
       "APDM with unrelated ports"},
      {"linux-masquerade", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false,
       "netfilter: EIM with the source port kept, conntrack APDF, no hairpinning"},
      {"cgnat", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kRandom, 0, true,
       "EIM/EIF; the port comes at random from the subscriber's block (never 40001); hairpins"},
      {"udp-blocked", true, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false,
       "the firewall drops every UDP datagram: no discovery reply at all"},
      {"tcp-443-only", true, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false,
       "only TCP to 443 leaves, so no discovery reply comes back: udp_blocked (the control "
       "connection is TCP to 443 and still works)"},
      {"one-to-one", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, true,
       "1:1 NAT: only the address changes (so behind_nat), ports kept, all inbound allowed, hairpins"},
      {"home-router-pcp", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false,
       "linux-masquerade's behaviour: its PCP / NAT-PMP service makes mappings only when asked (this "
       "client has no gateway configured)"},
      {"symmetric-random-natpmp", false, M::kAddressPortDependent, F::kAddressPortDependent, A::kRandom, 0, false,
       "symmetric-random's behaviour, as long as nobody asks it for a mapping"},
      {"home-behind-cgnat", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kRandom, 0, true,
       "both devices EIM; the home router's APDF is the stricter filter; the CGN picks the port at "
       "random; the CGN hairpins and the home router lets it back in, since our probe was sent to "
       "exactly that endpoint"},
  };
  return table;
}

struct DiscoveryRun {
  std::optional<DiscoveryDone> done;
  Time finished{};
  std::optional<NatProfile> at_server;
  std::string log;
};

// One client behind `profile_name`'s devices, a server with `discovery` endpoints.
DiscoveryRun discover_behind(const std::string& profile_name, const std::vector<Endpoint>& discovery,
                    std::uint64_t seed = 1, double loss = 0.0) {
  auto chain = nat::profile_chain(profile_name);
  EXPECT_TRUE(chain.has_value()) << profile_name;
  if (!chain) return {};
  std::vector<Ipv4> ips = {kNatPublic};
  if (chain->size() == 2) ips = {kCgnInside, kNatPublic};
  NatChainTranslator nat(*chain, ips, seed);

  NetworkOptions options;
  options.seed = seed;
  options.datagram_loss = loss;
  FakeNetwork net(options);
  net.add_server(kServerControl, discovery, sim_server_config());
  ClientOptions client;
  client.name = "alice";
  client.address = kClientSocket;
  client.translator = &nat;
  client.public_ip = nat.public_ip();
  std::size_t alice = net.add_client(std::move(client));
  net.start_client(alice);
  DiscoveryRun run;
  net.run_until([&] { return !net.events_of<DiscoveryDone>(alice).empty(); }, 10s);
  auto done = net.events_of<DiscoveryDone>(alice);
  if (done.empty()) return run;
  run.done = done.front();
  run.finished = net.now();
  net.run_for(100ms);  // the report reaches the server
  run.at_server = net.server()->nat_profile(net.client(alice).public_key());
  run.log = net.event_log();
  EXPECT_EQ(net.client(alice).nat_profile().value().summary(), run.done->profile.summary());
  return run;
}

TEST(SimDiscovery, EveryNamedProfileIsClassified) {
  std::vector<std::string> names = nat::profile_names();
  for (const std::string& stacked : nat::stacked_profile_names()) names.push_back(stacked);
  ASSERT_EQ(names.size(), expectations().size());  // a new profile needs a row here

  for (const Expected& e : expectations()) {
    SCOPED_TRACE(std::string(e.name) + ": " + e.why);
    ASSERT_NE(std::find(names.begin(), names.end(), e.name), names.end());
    const Time t0{};  // FakeNetwork's clock starts at zero
    DiscoveryRun run = discover_behind(e.name, {kP, kAP, kAI, kAB});
    ASSERT_TRUE(run.done.has_value());
    const NatProfile& p = run.done->profile;
    EXPECT_EQ(p.udp_blocked, e.udp_blocked);
    EXPECT_EQ(run.done->udp_blocked, e.udp_blocked);
    if (e.udp_blocked) {
      EXPECT_EQ(p.summary(), "udp-blocked");
      // discovery_attempts x discovery_retry after the login.
      EXPECT_LE(run.finished - t0, 3s + 200ms);
    } else {
      EXPECT_TRUE(p.behind_nat);
      EXPECT_EQ(run.done->mapped_endpoint.ip, kNatPublic);
      EXPECT_EQ(p.public_ips, std::vector<Ipv4>{kNatPublic});
      EXPECT_EQ(p.mapping, e.mapping);
      EXPECT_EQ(p.filtering, e.filtering);
      EXPECT_TRUE(p.mapping_known);
      EXPECT_TRUE(p.filtering_known);
      EXPECT_EQ(p.allocation, e.allocation);
      EXPECT_EQ(p.port_delta, e.delta);
      EXPECT_EQ(p.hairpinning, e.hairpin);
      EXPECT_EQ(p.allocation == A::kPreserve, run.done->mapped_endpoint.port == kClientSocket.port);
      // Login takes two round trips of 20 ms; discovery at most ~0.3 s more here.
      EXPECT_LE(run.finished - t0, 500ms);
    }
    // The server keeps exactly what the client found; the log line shows it.
    ASSERT_TRUE(run.at_server.has_value());
    EXPECT_EQ(run.at_server->summary(), p.summary());
    EXPECT_EQ(run.at_server->mapping_known, p.mapping_known);
    EXPECT_EQ(run.at_server->port_delta, p.port_delta);
    EXPECT_NE(run.log.find(e.udp_blocked ? "discovery: UDP blocked" : p.summary()), std::string::npos) << run.log;
  }
}

TEST(SimDiscovery, ClassificationHoldsAcrossSeeds) {
  // The random parts (sequential start, random ports, CGN block and port) differ
  // per seed; the verdicts must not.
  for (std::uint64_t seed = 2; seed <= 6; ++seed) {
    for (const char* name : {"symmetric-sequential", "symmetric-random", "cgnat", "home-behind-cgnat"}) {
      SCOPED_TRACE(std::string(name) + " seed " + std::to_string(seed));
      DiscoveryRun run = discover_behind(name, {kP, kAP, kAI, kAB}, seed);
      ASSERT_TRUE(run.done.has_value());
      const Expected& e = *std::find_if(expectations().begin(), expectations().end(),
                                        [&](const Expected& x) { return std::string(x.name) == name; });
      EXPECT_EQ(run.done->profile.mapping, e.mapping);
      EXPECT_EQ(run.done->profile.filtering, e.filtering);
      EXPECT_EQ(run.done->profile.allocation, e.allocation);
      EXPECT_EQ(run.done->profile.port_delta, e.delta);
    }
  }
}

TEST(SimDiscovery, TwoEndpointsOnTwoIpsGiveWhatTheyCan) {
  // sim_world's default server: the primary and one on another IP, same port.
  DiscoveryRun cone = discover_behind("port-restricted-cone", {kP, kAI});
  ASSERT_TRUE(cone.done.has_value());
  // The other-IP reply was filtered, so the only other endpoint is claimed and never
  // probed (discovery.h): no mapping evidence, the stricter guess.
  EXPECT_EQ(cone.done->profile.mapping, M::kAddressPortDependent);
  EXPECT_FALSE(cone.done->profile.mapping_known);
  EXPECT_EQ(cone.done->profile.filtering, F::kAddressPortDependent);  // ADF or APDF: the stricter
  EXPECT_FALSE(cone.done->profile.filtering_known);

  DiscoveryRun restricted = discover_behind("restricted-cone", {kP, kAI});
  ASSERT_TRUE(restricted.done.has_value());
  EXPECT_EQ(restricted.done->profile.mapping, M::kAddressPortDependent);  // likewise
  EXPECT_FALSE(restricted.done->profile.mapping_known);

  DiscoveryRun full = discover_behind("full-cone", {kP, kAI});
  ASSERT_TRUE(full.done.has_value());
  EXPECT_EQ(full.done->profile.filtering, F::kEndpointIndependent);  // the other-IP reply proves EIF
  EXPECT_TRUE(full.done->profile.filtering_known);

  DiscoveryRun symmetric = discover_behind("symmetric-sequential", {kP, kAI});
  ASSERT_TRUE(symmetric.done.has_value());
  EXPECT_EQ(symmetric.done->profile.mapping, M::kAddressPortDependent);  // ADM or APDM: the stricter
  EXPECT_FALSE(symmetric.done->profile.mapping_known);
  // The price of not probing a claimed endpoint: with no second mapping there is
  // no step to measure, so no port prediction behind this two-endpoint server.
  EXPECT_NE(symmetric.done->profile.allocation, A::kSequential);

  // Where the other-IP reply passes (EIF), nothing is claimed and AI is probed.
  DiscoveryRun full_mapping = discover_behind("full-cone", {kP, kAI});
  ASSERT_TRUE(full_mapping.done.has_value());
  EXPECT_EQ(full_mapping.done->profile.mapping, M::kEndpointIndependent);
  EXPECT_TRUE(full_mapping.done->profile.mapping_known);
}

TEST(SimDiscovery, OneEndpointKeepsConservativeGuessesAndSaysSo) {
  DiscoveryRun run = discover_behind("full-cone", {kP});
  ASSERT_TRUE(run.done.has_value());
  const NatProfile& p = run.done->profile;
  EXPECT_FALSE(p.udp_blocked);
  EXPECT_TRUE(p.behind_nat);
  EXPECT_FALSE(p.mapping_known);
  EXPECT_FALSE(p.filtering_known);
  EXPECT_EQ(p.mapping, M::kAddressPortDependent);
  EXPECT_EQ(p.filtering, F::kAddressPortDependent);
  EXPECT_EQ(p.allocation, A::kPreserve);
  EXPECT_TRUE(p.hairpinning);  // needs no second endpoint
  EXPECT_EQ(p.summary(), "APDM?/APDF? preserve hairpin");
}

TEST(SimDiscovery, LossOnlyEverPushesTowardsTheStricterReading) {
  // 20% of datagrams lost: retries recover the mappings; a lost change reply or
  // hairpin can only read as "filtered", which on these NATs is the truth anyway.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(seed);
    for (const char* name : {"port-restricted-cone", "symmetric-sequential"}) {
      SCOPED_TRACE(name);
      DiscoveryRun run = discover_behind(name, {kP, kAP, kAI, kAB}, seed, 0.2);
      ASSERT_TRUE(run.done.has_value());
      if (run.done->udp_blocked) continue;  // control stream unaffected, but six probes may all die (~1e-4)
      const Expected& e = *std::find_if(expectations().begin(), expectations().end(),
                                        [&](const Expected& x) { return std::string(x.name) == name; });
      EXPECT_EQ(run.done->profile.mapping, e.mapping);
      EXPECT_EQ(run.done->profile.filtering, e.filtering);
    }
  }
}

// Runs discovery behind `nat_config`, restarts the server 20 s later and returns the
// profile of the rerun. The NAT still holds the sessions the first run's mapping
// probes opened then, so a rerun change reply from one of those endpoints passes.
std::optional<NatProfile> rerun_after_restart(const nat::NatConfig& nat_config, Duration filter_state_lifetime) {
  NatChainTranslator nat({nat_config}, {kNatPublic}, 1);
  FakeNetwork net;
  net.add_server(kServerControl, {kP, kAP, kAI, kAB}, sim_server_config());
  ClientOptions client;
  client.name = "alice";
  client.address = kClientSocket;
  client.translator = &nat;
  client.public_ip = nat.public_ip();
  client.config.discovery_filter_state_lifetime = filter_state_lifetime;
  std::size_t alice = net.add_client(std::move(client));
  net.start_client(alice);
  EXPECT_TRUE(net.run_until([&] { return !net.events_of<DiscoveryDone>(alice).empty(); }, 5s));
  EXPECT_EQ(net.events_of<DiscoveryDone>(alice)[0].profile.filtering, nat_config.filtering);

  net.run_for(20s);
  net.stop_server();
  net.run_for(1s);
  net.start_server();
  if (!net.run_until([&] { return net.events_of<DiscoveryDone>(alice).size() == 2; }, 30s)) return std::nullopt;
  const NatProfile again = net.events_of<DiscoveryDone>(alice)[1].profile;
  net.run_for(100ms);  // the report reaches the server
  auto at_server = net.server()->nat_profile(net.client(alice).public_key());
  EXPECT_TRUE(at_server.has_value());
  if (at_server) {
    EXPECT_EQ(at_server->summary(), again.summary());
  }
  return again;
}

TEST(SimDiscovery, ARerunAfterAServerRestartDoesNotMistakeOpenFilterStateForEif) {
  // An address-dependent mapping: the probe to the other IP shows a new mapping, so
  // the held probe to the primary IP's other port goes out on the primary mapping
  // and opens its filter to that port for the rerun's ADF test.
  nat::NatConfig adm = *nat::profile("port-restricted-cone");
  adm.mapping = M::kAddressDependent;
  std::optional<NatProfile> again = rerun_after_restart(adm, ClientConfig{}.discovery_filter_state_lifetime);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->filtering, F::kAddressPortDependent);
  EXPECT_TRUE(again->filtering_known);
  EXPECT_EQ(again->mapping, M::kAddressDependent);

  // The trap is real: without the memory the rerun reads the open state as ADF.
  std::optional<NatProfile> naive = rerun_after_restart(adm, Duration{0});
  ASSERT_TRUE(naive.has_value());
  EXPECT_EQ(naive->filtering, F::kAddressDependent);
}

TEST(SimDiscovery, AnEndpointIndependentNatLeavesNoFilterStateForTheRerun) {
  // The endpoints whose change replies were filtered are never probed on an EIM
  // NAT (discovery.h, claimed endpoints), so even without the memory the rerun's
  // change replies meet a closed filter.
  std::optional<NatProfile> again = rerun_after_restart(*nat::profile("port-restricted-cone"), Duration{0});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->filtering, F::kAddressPortDependent);
  EXPECT_TRUE(again->filtering_known);
  EXPECT_EQ(again->mapping, M::kEndpointIndependent);
}

}  // namespace
}  // namespace yt::sim
