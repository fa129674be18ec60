// The nat-mix scenario: what P2P rate and connectivity a population would see,
// given which share of it sits behind which NAT (a NatMix, nat_mix.h). Each of
// `pairs` pairs draws its two profiles independently from the mix's shares with a
// seeded generator and runs as one nat-matrix attempt (attempt_scenario(), the
// scenario API) with its own seed; the rates over the pairs, with 95% Wilson
// intervals, estimate the population's. Unlike the uniform matrix, every pair is
// an independent draw, so the interval is the population rate's.
//
// The per-class breakdown groups pairs by their two profile names, sorted (the
// matrix is symmetric for every profile pair but the ordered attempt keeps who
// was "a"); the server's own class (nat_pair_class) is coarser and would merge
// e.g. full-cone and one-to-one.
//
// Different from `population` (population_scenario.h): that one puts many
// clients into networks on one server to measure scale; this one measures
// traversal over a mix, one isolated pair at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulation/matrix_results.h"
#include "emulation/nat_mix.h"
#include "emulation/wilson_interval.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt::emulation {

struct NatMixOptions {
  NatMix mix;
  int pairs = 400;
  std::uint64_t seed = 1;  // draws the pairs and numbers their attempts
  std::string strategy = "current";
  std::vector<std::string> disable;  // punch techniques left out
  Duration access_delay = 20ms;
  double loss_rate = 0;
  Duration time_limit = 15s;
  std::string relay_mode = "first";
};

constexpr int kMaxNatMixPairs = 100000;

// nullopt when the options can run; otherwise what is wrong.
std::optional<std::string> check_nat_mix_options(const NatMixOptions& options);

// The pairs' profiles, drawn from the shares (pure: no simulation).
std::vector<std::pair<std::string, std::string>> sample_nat_mix_pairs(const NatMix& mix, int pairs,
                                                                      std::uint64_t seed);
// The ns-3 run number of pair `index` (0-based) of a run with `seed`.
std::uint64_t nat_mix_attempt_seed(std::uint64_t seed, int index);

struct NatMixTally {
  int pairs = 0, direct = 0, relayed = 0, failed = 0;
  double p2p_rate = 0, connectivity = 0;
  RateInterval p2p_interval, connectivity_interval;
  std::optional<double> median_time_to_direct_ms;
};

struct NatMixClass {
  std::string profile_x, profile_y;  // sorted
  double expected_share = 0;         // of pairs, from the mix
  NatMixTally tally;
};

struct NatMixResult {
  NatMixOptions options;
  NatMixTally overall;
  std::vector<NatMixClass> classes;  // most frequent first
  std::vector<AttemptRecord> attempts;
  std::uint64_t simulator_events = 0;
  double wall_s = 0;
};

// Runs every pair; `progress(done, total)` after each. Errors only for options
// check_nat_mix_options refuses.
Result<NatMixResult, std::string> run_nat_mix(const NatMixOptions& options,
                                              const std::function<void(int, int)>& progress = nullptr);

// results.json: {"mix", "parameters", "overall", "classes", "attempts", ...}
std::string nat_mix_result_to_json(const NatMixResult& result);
// The terminal table: overall rates with intervals, then one row per class.
std::string nat_mix_table(const NatMixResult& result);

}  // namespace yt::emulation
