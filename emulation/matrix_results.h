// Results of the nat-matrix scenario and their files. The metric names mean
// exactly what docs/architecture.md section 5 says:
//   p2p_rate  = attempts with a working direct tunnel within the time limit / attempts
//   connectivity = attempts that carried traffic both ways, direct or relayed / attempts
//   time to direct = from the server's tunnel instruction to the first
//                    authenticated datagram over the direct path
//   time to first packet = from the instruction until both sides had a path
//                    (relayed or direct), the later side counting
// Each attempt is classified by the path its data actually took: `direct` when
// test datagrams crossed both ways over the direct tunnel (through the modeled
// NATs), `relayed` when they crossed only through a relay, `failed` otherwise.
#pragma once

#include <cstdint>
#include <optional>

#include <string>
#include <vector>

#include "emulation/wilson_interval.h"

namespace yt::emulation {

enum class AttemptOutcome : std::uint8_t { kDirect, kRelayed, kFailed };
const char* to_string(AttemptOutcome o);

struct AttemptRecord {
  std::string profile_a;
  std::string profile_b;
  std::string strategy;
  std::uint64_t seed = 0;
  AttemptOutcome outcome = AttemptOutcome::kFailed;
  std::optional<double> time_to_direct_ms;  // set for kDirect
  std::optional<double> time_to_first_packet_ms;  // set for kDirect and kRelayed
  std::string failure;                      // why, for kFailed (first reason seen)
  std::uint64_t simulator_events = 0;       // ns-3 events this attempt executed
  std::uint64_t relay_packets = 0;          // datagrams the relay forwarded for the pair (its load)
};

// One record per (profile_a, profile_b, strategy), and an "overall" record per
// strategy with profile_a = profile_b = "overall".
struct PairSummary {
  std::string profile_a;
  std::string profile_b;
  std::string strategy;
  int attempts = 0;
  int direct = 0;
  int relayed = 0;
  int failed = 0;
  double p2p_rate = 0;
  double connectivity = 0;
  // 95% Wilson intervals of the two rates over the attempts (wilson_interval.h).
  RateInterval p2p_interval;
  RateInterval connectivity_interval;
  std::optional<double> median_time_to_direct_ms;
  std::optional<double> median_time_to_first_packet_ms;
  double relay_packets_per_attempt = 0;
};

struct MatrixParameters {
  std::vector<std::string> profiles;
  std::vector<std::string> strategies;
  std::vector<std::uint64_t> seeds;
  double access_delay_ms = 0;
  double loss_rate = 0;
  double time_limit_s = 0;
  std::string fault;  // "" for none; see matrix_scenario.h
  std::string relay_mode = "first";
  std::vector<std::string> disable;  // punch techniques left out
  double background_flows_per_s = 0;  // per NAT site (SiteSpec)
  double jitter_ms = 0;                // per NAT site (SiteSpec)
  double mapping_timeout_s = 0;        // 0: each profile's own
};

std::vector<PairSummary> summarize(const std::vector<AttemptRecord>& attempts,
                                   const std::vector<std::string>& profiles,
                                   const std::vector<std::string>& strategies);

// results.json: {"parameters": {...}, "pairs": [PairSummary...], "attempts": [...]}
std::string to_json(const MatrixParameters& parameters, const std::vector<PairSummary>& summaries,
                    const std::vector<AttemptRecord>& attempts);
// results.csv: one line per PairSummary, header first.
std::string to_csv(const std::vector<PairSummary>& summaries);
// The terminal table: for each strategy, profile_a x profile_b grids of p2p rates
// and of connectivity.
std::string to_table(const std::vector<PairSummary>& summaries, const std::vector<std::string>& profiles,
                     const std::vector<std::string>& strategies);

}  // namespace yt::emulation
