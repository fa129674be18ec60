#include "emulation/nat_mix_scenario.h"

#include <gtest/gtest.h>

#include <map>

#include "emulation/nat_mix.h"

namespace yt::emulation {
namespace {

NatMix mix_of(std::vector<std::pair<std::string, double>> shares) {
  NatMix mix;
  mix.name = "test";
  mix.shares = std::move(shares);
  return mix;
}

std::string parse_error(const std::string& text) {
  auto mix = nat_mix_from_json(text);
  EXPECT_FALSE(mix.ok()) << text;
  return mix ? std::string{} : mix.error();
}

TEST(NatMix, ParsesAndNormalizesShares) {
  auto mix = nat_mix_from_json(R"({"name": "m", "description": "d",
      "sources": [{"title": "t", "url": "u", "what was taken": "w"}],
      "profiles": {"symmetric-random": 1, "full-cone": 3}})");
  ASSERT_TRUE(mix.ok()) << mix.error();
  EXPECT_EQ(mix->name, "m");
  ASSERT_EQ(mix->sources.size(), 1u);
  EXPECT_EQ(mix->sources[0].what_was_taken, "w");
  ASSERT_EQ(mix->shares.size(), 2u);
  // The file's order is kept.
  EXPECT_EQ(mix->shares[0].first, "symmetric-random");
  EXPECT_DOUBLE_EQ(mix->shares[0].second, 0.25);
  EXPECT_DOUBLE_EQ(mix->shares[1].second, 0.75);
}

TEST(NatMix, RefusesBadMixesWithClearErrors) {
  EXPECT_EQ(parse_error("{not json"), "not valid JSON");
  EXPECT_NE(parse_error("[1, 2]").find("JSON object"), std::string::npos);
  EXPECT_NE(parse_error(R"({"name": "x"})").find("profiles is missing"), std::string::npos);
  EXPECT_NE(parse_error(R"({"profiles": {}})").find("profiles is empty"), std::string::npos);
  const std::string unknown = parse_error(R"({"profiles": {"fulcone": 1}})");
  EXPECT_NE(unknown.find("unknown profile 'fulcone'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("full-cone"), std::string::npos) << "lists the known profiles: " << unknown;
  EXPECT_NE(parse_error(R"({"profiles": {"full-cone": -0.1}})").find("0 or more"), std::string::npos);
  EXPECT_NE(parse_error(R"({"profiles": {"full-cone": "half"}})").find("must be a number"), std::string::npos);
  EXPECT_NE(parse_error(R"({"profiles": {"full-cone": 0, "cgnat": 0}})").find("must not all be 0"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"profiles": {"full-cone": 1}, "shares": {}})").find("unknown field 'shares'"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"profiles": {"full-cone": 1}, "sources": [{"url": "u"}]})").find("sources[0].title"),
            std::string::npos);
  // Port mapping is not implemented: refused, never silently ignored.
  EXPECT_NE(parse_error(R"({"profiles": {"full-cone": 1}, "port_mapping": 0.3})").find("not implemented"),
            std::string::npos);
  auto missing = load_nat_mix("/nonexistent/mix.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("/nonexistent/mix.json: cannot read"), std::string::npos);
}

TEST(NatMix, SamplingFollowsTheShares) {
  const NatMix mix = mix_of({{"full-cone", 0.6}, {"cgnat", 0.3}, {"udp-blocked", 0.1}, {"one-to-one", 0}});
  const int n = 20000;
  std::map<std::string, int> count;
  for (const auto& [a, b] : sample_nat_mix_pairs(mix, n, 7)) {
    ++count[a];
    ++count[b];
  }
  // 40,000 draws: a share's standard error is below 0.25 points; allow 1.
  EXPECT_NEAR(count["full-cone"] / (2.0 * n), 0.6, 0.01);
  EXPECT_NEAR(count["cgnat"] / (2.0 * n), 0.3, 0.01);
  EXPECT_NEAR(count["udp-blocked"] / (2.0 * n), 0.1, 0.01);
  EXPECT_EQ(count.count("one-to-one"), 0u) << "a share of 0 is never drawn";
  EXPECT_EQ(sample_nat_mix_pairs(mix, 50, 7), sample_nat_mix_pairs(mix, 50, 7));
  EXPECT_NE(sample_nat_mix_pairs(mix, 50, 7), sample_nat_mix_pairs(mix, 50, 8));
  EXPECT_NE(nat_mix_attempt_seed(1, 0), nat_mix_attempt_seed(2, 0));
}

TEST(NatMix, RefusesBadOptions) {
  NatMixOptions o;
  o.mix = mix_of({{"full-cone", 1}});
  EXPECT_FALSE(check_nat_mix_options(o).has_value());
  o.pairs = 0;
  EXPECT_TRUE(check_nat_mix_options(o).has_value());
  o.pairs = 3;
  o.strategy = "telepathy";
  EXPECT_NE(check_nat_mix_options(o).value_or("").find("unknown strategy"), std::string::npos);
  o.strategy = "current";
  o.disable = {"magic"};
  EXPECT_TRUE(check_nat_mix_options(o).has_value());
  o.disable = {};
  o.mix = mix_of({{"no-such-nat", 1}});
  EXPECT_FALSE(run_nat_mix(o).ok());
}

TEST(NatMixScenario, OnlyFullConesGoDirectEveryTime) {
  NatMixOptions o;
  o.mix = mix_of({{"full-cone", 1}});
  o.pairs = 4;
  auto ran = run_nat_mix(o);
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_EQ(ran->overall.pairs, 4);
  EXPECT_EQ(ran->overall.direct, 4);
  EXPECT_DOUBLE_EQ(ran->overall.p2p_rate, 1.0);
  EXPECT_DOUBLE_EQ(ran->overall.connectivity, 1.0);
  // 4 of 4 says "above 51%", not "100%".
  EXPECT_LT(ran->overall.p2p_interval.low, 0.6);
  ASSERT_EQ(ran->classes.size(), 1u);
  EXPECT_EQ(ran->classes[0].profile_x, "full-cone");
  EXPECT_DOUBLE_EQ(ran->classes[0].expected_share, 1.0);
}

TEST(NatMixScenario, SameSeedSameResultAndClassesAreSortedPairs) {
  NatMixOptions o;
  // Cone x random symmetric relays under naive; cone x cone goes direct.
  o.mix = mix_of({{"port-restricted-cone", 0.5}, {"symmetric-random", 0.5}});
  o.pairs = 6;
  o.seed = 3;
  o.strategy = "naive";
  auto first = run_nat_mix(o);
  auto second = run_nat_mix(o);
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string a = nat_mix_result_to_json(*first), b = nat_mix_result_to_json(*second);
  // Everything but the wall time.
  EXPECT_EQ(a.substr(0, a.find("\"wall_s\"")), b.substr(0, b.find("\"wall_s\"")));
  int in_classes = 0;
  for (const NatMixClass& c : first->classes) {
    EXPECT_LE(c.profile_x, c.profile_y);
    in_classes += c.tally.pairs;
    if (c.profile_x == "port-restricted-cone" && c.profile_y == "port-restricted-cone") {
      EXPECT_EQ(c.tally.direct, c.tally.pairs);
      EXPECT_DOUBLE_EQ(c.expected_share, 0.25);
    }
    if (c.profile_x == "port-restricted-cone" && c.profile_y == "symmetric-random") {
      EXPECT_EQ(c.tally.direct, 0);
      EXPECT_EQ(c.tally.relayed, c.tally.pairs);
      EXPECT_DOUBLE_EQ(c.expected_share, 0.5);
    }
  }
  EXPECT_EQ(in_classes, 6);
  EXPECT_EQ(first->overall.connectivity, 1.0);
  EXPECT_NE(nat_mix_table(*first).find("population"), std::string::npos);
}

}  // namespace
}  // namespace yt::emulation
