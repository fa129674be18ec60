#include "emulation/nat_mix_scenario.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "emulation/matrix_scenario.h"
#include "server/core/punch_techniques.h"

namespace yt::emulation {
namespace {

using json = nlohmann::ordered_json;

// mt19937_64's output sequence is fixed by the standard, unlike the standard
// distributions', so the same seed draws the same pairs with every library.
double unit_draw(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::size_t draw_profile(const NatMix& mix, std::mt19937_64& rng) {
  double x = unit_draw(rng);
  std::size_t last_nonzero = 0;
  for (std::size_t k = 0; k < mix.shares.size(); ++k) {
    if (mix.shares[k].second <= 0) continue;
    last_nonzero = k;
    if (x < mix.shares[k].second) return k;
    x -= mix.shares[k].second;
  }
  return last_nonzero;  // rounding left a sliver past the last share
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

NatMixTally tally(const std::vector<const AttemptRecord*>& group) {
  NatMixTally t;
  std::vector<double> times;
  for (const AttemptRecord* r : group) {
    ++t.pairs;
    if (r->outcome == AttemptOutcome::kDirect) ++t.direct;
    if (r->outcome == AttemptOutcome::kRelayed) ++t.relayed;
    if (r->outcome == AttemptOutcome::kFailed) ++t.failed;
    if (r->time_to_direct_ms) times.push_back(*r->time_to_direct_ms);
  }
  t.p2p_rate = t.pairs ? double(t.direct) / t.pairs : 0;
  t.connectivity = t.pairs ? double(t.direct + t.relayed) / t.pairs : 0;
  t.p2p_interval = wilson_interval(t.direct, t.pairs);
  t.connectivity_interval = wilson_interval(t.direct + t.relayed, t.pairs);
  t.median_time_to_direct_ms = median(times);
  return t;
}

double share_of(const NatMix& mix, const std::string& profile) {
  for (const auto& [name, share] : mix.shares) {
    if (name == profile) return share;
  }
  return 0;
}

json tally_json(const NatMixTally& t) {
  json j;
  j["pairs"] = t.pairs;
  j["direct"] = t.direct;
  j["relayed"] = t.relayed;
  j["failed"] = t.failed;
  j["p2p_rate"] = t.p2p_rate;
  j["p2p_rate_ci95"] = {t.p2p_interval.low, t.p2p_interval.high};
  j["connectivity"] = t.connectivity;
  j["connectivity_ci95"] = {t.connectivity_interval.low, t.connectivity_interval.high};
  j["median_time_to_direct_ms"] = t.median_time_to_direct_ms ? json(*t.median_time_to_direct_ms) : json(nullptr);
  return j;
}

}  // namespace

std::optional<std::string> check_nat_mix_options(const NatMixOptions& o) {
  if (o.mix.shares.empty()) return "the mix names no profiles";
  const std::vector<std::string> known = matrix_profile_names();
  double total = 0;
  for (const auto& [name, share] : o.mix.shares) {
    if (std::find(known.begin(), known.end(), name) == known.end()) return "the mix names unknown profile '" + name + "'";
    if (!std::isfinite(share) || share < 0) return "the share of " + name + " must be 0 or more";
    total += share;
  }
  if (!(total > 0)) return "the mix's shares must not all be 0";
  if (o.pairs < 1 || o.pairs > kMaxNatMixPairs) return "pairs must be 1.." + std::to_string(kMaxNatMixPairs);
  if (o.seed < 1 || o.seed > 1'000'000'000) return "seed must be 1..1000000000";
  const std::vector<std::string> strategies = strategy_names();
  if (std::find(strategies.begin(), strategies.end(), o.strategy) == strategies.end()) {
    return "unknown strategy '" + o.strategy + "'; known: naive, current";
  }
  std::string list;
  for (const std::string& d : o.disable) list += d + ",";
  if (auto parsed = parse_techniques(list); !parsed) return parsed.error();
  if (!(o.loss_rate >= 0 && o.loss_rate <= 1)) return "loss must be in [0, 1]";
  if (o.access_delay < Duration::zero() || o.access_delay > std::chrono::seconds(600)) {
    return "the access delay must be 0..600000 ms";
  }
  if (o.time_limit < std::chrono::seconds(1) || o.time_limit > std::chrono::seconds(3600)) {
    return "the time limit must be 1..3600 s";
  }
  const std::vector<std::string> relay_modes = relay_mode_names();
  if (std::find(relay_modes.begin(), relay_modes.end(), o.relay_mode) == relay_modes.end()) {
    return "unknown relay mode '" + o.relay_mode + "'; known: first, last";
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> sample_nat_mix_pairs(const NatMix& mix, int pairs,
                                                                      std::uint64_t seed) {
  std::vector<std::pair<std::string, std::string>> out;
  if (mix.shares.empty() || pairs <= 0) return out;
  std::mt19937_64 rng(seed);
  out.reserve(static_cast<std::size_t>(pairs));
  for (int i = 0; i < pairs; ++i) {
    const std::size_t a = draw_profile(mix, rng);
    const std::size_t b = draw_profile(mix, rng);
    out.emplace_back(mix.shares[a].first, mix.shares[b].first);
  }
  return out;
}

std::uint64_t nat_mix_attempt_seed(std::uint64_t seed, int index) {
  // Disjoint blocks per seed: runs with seeds 1 and 2 share no attempt.
  return (seed - 1) * static_cast<std::uint64_t>(kMaxNatMixPairs) + static_cast<std::uint64_t>(index) + 1;
}

Result<NatMixResult, std::string> run_nat_mix(const NatMixOptions& options,
                                              const std::function<void(int, int)>& progress) {
  if (auto error = check_nat_mix_options(options)) return Err{*error};
  NatMixOptions o = options;
  double total = 0;
  for (const auto& share : o.mix.shares) total += share.second;
  for (auto& share : o.mix.shares) share.second /= total;

  const auto wall_start = std::chrono::steady_clock::now();
  NatMixResult result;
  result.options = o;
  const auto pairs = sample_nat_mix_pairs(o.mix, o.pairs, o.seed);
  result.attempts.reserve(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    AttemptSpec spec;
    spec.profile_a = pairs[i].first;
    spec.profile_b = pairs[i].second;
    spec.strategy = o.strategy;
    spec.seed = nat_mix_attempt_seed(o.seed, static_cast<int>(i));
    spec.access_delay = o.access_delay;
    spec.loss_rate = o.loss_rate;
    spec.time_limit = o.time_limit;
    spec.relay_mode = o.relay_mode;
    spec.disable = o.disable;
    result.attempts.push_back(run_attempt(spec));
    result.simulator_events += result.attempts.back().simulator_events;
    if (progress) progress(static_cast<int>(i + 1), static_cast<int>(pairs.size()));
  }

  std::vector<const AttemptRecord*> all;
  std::map<std::pair<std::string, std::string>, std::vector<const AttemptRecord*>> by_class;
  for (const AttemptRecord& r : result.attempts) {
    all.push_back(&r);
    by_class[std::minmax(r.profile_a, r.profile_b)].push_back(&r);
  }
  result.overall = tally(all);
  for (const auto& [key, group] : by_class) {
    NatMixClass c;
    c.profile_x = key.first;
    c.profile_y = key.second;
    const double px = share_of(o.mix, c.profile_x), py = share_of(o.mix, c.profile_y);
    c.expected_share = c.profile_x == c.profile_y ? px * py : 2 * px * py;
    c.tally = tally(group);
    result.classes.push_back(std::move(c));
  }
  std::stable_sort(result.classes.begin(), result.classes.end(),
                   [](const NatMixClass& l, const NatMixClass& r) { return l.tally.pairs > r.tally.pairs; });
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

std::string nat_mix_result_to_json(const NatMixResult& r) {
  json j;
  j["mix"] = json::parse(nat_mix_to_json(r.options.mix));
  const NatMixOptions& o = r.options;
  j["parameters"] = {{"pairs", o.pairs},
                     {"seed", o.seed},
                     {"strategy", o.strategy},
                     {"disable", o.disable},
                     {"access_delay_ms", std::chrono::duration<double, std::milli>(o.access_delay).count()},
                     {"loss_rate", o.loss_rate},
                     {"time_limit_s", std::chrono::duration<double>(o.time_limit).count()},
                     {"relay_mode", o.relay_mode}};
  j["overall"] = tally_json(r.overall);
  json classes = json::array();
  for (const NatMixClass& c : r.classes) {
    json row = tally_json(c.tally);
    row["profile_x"] = c.profile_x;
    row["profile_y"] = c.profile_y;
    row["expected_share"] = c.expected_share;
    classes.push_back(row);
  }
  j["classes"] = classes;
  json attempts = json::array();
  for (const AttemptRecord& a : r.attempts) {
    attempts.push_back({{"profile_a", a.profile_a},
                        {"profile_b", a.profile_b},
                        {"seed", a.seed},
                        {"outcome", to_string(a.outcome)},
                        {"time_to_direct_ms", a.time_to_direct_ms ? json(*a.time_to_direct_ms) : json(nullptr)},
                        {"failure", a.failure}});
  }
  j["attempts"] = attempts;
  j["simulator_events"] = r.simulator_events;
  j["wall_s"] = r.wall_s;
  return j.dump(1);
}

std::string nat_mix_table(const NatMixResult& r) {
  std::string out;
  char line[256];
  auto pct = [](double x) { return 100.0 * x; };
  std::snprintf(line, sizeof line, "%-44s %6s %6s %9s %15s %9s %15s\n", "class (profiles, sorted)", "pairs",
                "share", "P2P rate", "95% CI", "connect.", "95% CI");
  out += line;
  for (const NatMixClass& c : r.classes) {
    const NatMixTally& t = c.tally;
    std::snprintf(line, sizeof line, "%-44s %6d %5.1f%% %8.1f%% %6.1f-%5.1f%% %8.1f%% %6.1f-%5.1f%%\n",
                  (c.profile_x + " x " + c.profile_y).c_str(), t.pairs, pct(double(t.pairs) / r.overall.pairs),
                  pct(t.p2p_rate), pct(t.p2p_interval.low), pct(t.p2p_interval.high), pct(t.connectivity),
                  pct(t.connectivity_interval.low), pct(t.connectivity_interval.high));
    out += line;
  }
  const NatMixTally& t = r.overall;
  std::snprintf(line, sizeof line, "%-44s %6d %6s %8.1f%% %6.1f-%5.1f%% %8.1f%% %6.1f-%5.1f%%\n", "population",
                t.pairs, "", pct(t.p2p_rate), pct(t.p2p_interval.low), pct(t.p2p_interval.high), pct(t.connectivity),
                pct(t.connectivity_interval.low), pct(t.connectivity_interval.high));
  out += line;
  std::snprintf(line, sizeof line,
                "\n%s: P2P rate %.1f%% (95%% CI %.1f-%.1f%%), connectivity %.1f%% (95%% CI %.1f-%.1f%%) over %d "
                "sampled pairs; %d direct, %d relayed, %d failed",
                r.options.mix.name.empty() ? "mix" : r.options.mix.name.c_str(), pct(t.p2p_rate),
                pct(t.p2p_interval.low), pct(t.p2p_interval.high), pct(t.connectivity),
                pct(t.connectivity_interval.low), pct(t.connectivity_interval.high), t.pairs, t.direct, t.relayed,
                t.failed);
  out += line;
  if (t.median_time_to_direct_ms) {
    std::snprintf(line, sizeof line, "; median time to direct %.0f ms", *t.median_time_to_direct_ms);
    out += line;
  }
  out += "\n";
  return out;
}

}  // namespace yt::emulation
