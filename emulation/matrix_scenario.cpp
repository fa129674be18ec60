#include "emulation/matrix_scenario.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "emulation/spec_scenario.h"
#include "nat-models/nat_profiles.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "matrix";

}  // namespace

std::vector<std::string> strategy_names() { return {"naive", "current"}; }

std::vector<std::string> fault_names() { return {"block-peer-udp"}; }

std::vector<std::string> relay_mode_names() { return {"first", "last"}; }

std::vector<nat::NatConfig> matrix_profile_chain(const std::string& name) {
  if (auto config = nat::profile(name)) return {*config};
  if (auto chain = nat::profile_chain(name)) return *chain;
  return {};
}

std::vector<std::string> matrix_profile_names() {
  std::vector<std::string> names = nat::profile_names();
  for (const std::string& stacked : nat::stacked_profile_names()) names.push_back(stacked);
  return names;
}

ScenarioSpec attempt_scenario(const AttemptSpec& attempt) {
  auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  ScenarioSpec spec;
  spec.seed = attempt.seed;
  spec.strategy = attempt.strategy;
  spec.disable = attempt.disable;
  spec.relay_first = attempt.relay_mode != "last";
  spec.server_delay_ms = ms(attempt.access_delay);
  spec.server_loss = attempt.loss_rate;
  for (const auto& [name, profile] : {std::pair{"a", attempt.profile_a}, std::pair{"b", attempt.profile_b}}) {
    NatSpec nat = named_nat(profile);
    if (attempt.mapping_timeout_s > 0) nat.mapping_timeout_s = attempt.mapping_timeout_s;
    SiteSpec site = site_of_one(name, {nat}, ms(attempt.access_delay));
    site.jitter_ms = attempt.jitter_ms;
    site.loss = attempt.loss_rate;
    site.background_flows_per_s = attempt.background_flows_per_s;
    spec.sites.push_back(site);
  }
  // Both are members from the start: the run measures the tunnel, not the
  // create/join conversation (covered by the demo and the unit tests).
  spec.networks[kNetwork] = {"a", "b"};
  spec.events.push_back(client_event(0.5, "start", "a"));
  spec.events.push_back(client_event(0.6, "start", "b"));
  if (attempt.fault == "block-peer-udp") {
    for (const char* client : {"a", "b"}) spec.events.push_back(client_event(0, "block-peer-udp", client));
  }
  // Ends as soon as the outcome is known, so the matrix runs in seconds; the time
  // limit starts once both are online. A relayed pair runs to the limit: punching
  // may still find a direct path.
  spec.time_limit_s = std::chrono::duration<double>(attempt.time_limit).count();
  spec.duration_s = 30 + *spec.time_limit_s;
  return spec;
}

AttemptRecord run_attempt(const AttemptSpec& attempt) {
  AttemptRecord record;
  record.profile_a = attempt.profile_a;
  record.profile_b = attempt.profile_b;
  record.strategy = attempt.strategy;
  record.seed = attempt.seed;
  RunOptions quiet;
  quiet.log = false;
  auto ran = run_spec(attempt_scenario(attempt), quiet);
  if (!ran) {
    record.outcome = AttemptOutcome::kFailed;
    record.failure = ran.error();
    return record;
  }
  const SpecPair& pair = ran->pairs.at(0);
  if (pair.time_to_first_path_ms >= 0) record.time_to_first_packet_ms = pair.time_to_first_path_ms;
  if (pair.outcome == "direct") {
    record.outcome = AttemptOutcome::kDirect;
    record.time_to_direct_ms = std::max(0.0, pair.time_to_direct_ms);
  } else if (pair.outcome == "relayed") {
    record.outcome = AttemptOutcome::kRelayed;
  } else {
    record.outcome = AttemptOutcome::kFailed;
    record.failure = pair.failure;
  }
  record.relay_packets = ran->server["relay_forwarded_packets"];
  record.simulator_events = ran->simulator_events;
  return record;
}

MatrixRun run_matrix(const MatrixParameters& parameters, const std::function<void(int, int)>& progress) {
  MatrixRun run;
  run.parameters = parameters;
  int total = static_cast<int>(parameters.profiles.size() * parameters.profiles.size() * parameters.seeds.size() *
                               parameters.strategies.size());
  int done = 0;
  for (const std::string& a : parameters.profiles) {
    for (const std::string& b : parameters.profiles) {
      for (const std::string& strategy : parameters.strategies) {
        for (std::uint64_t seed : parameters.seeds) {
          AttemptSpec spec;
          spec.profile_a = a;
          spec.profile_b = b;
          spec.strategy = strategy;
          spec.seed = seed;
          spec.access_delay = std::chrono::microseconds(static_cast<std::int64_t>(parameters.access_delay_ms * 1000));
          spec.loss_rate = parameters.loss_rate;
          spec.fault = parameters.fault;
          spec.relay_mode = parameters.relay_mode;
          spec.disable = parameters.disable;
          spec.background_flows_per_s = parameters.background_flows_per_s;
          spec.jitter_ms = parameters.jitter_ms;
          spec.mapping_timeout_s = parameters.mapping_timeout_s;
          spec.time_limit = std::chrono::microseconds(static_cast<std::int64_t>(parameters.time_limit_s * 1e6));
          run.attempts.push_back(run_attempt(spec));
          run.simulator_events += run.attempts.back().simulator_events;
          if (progress) progress(++done, total);
        }
      }
    }
  }
  run.summaries = summarize(run.attempts, parameters.profiles, parameters.strategies);
  return run;
}

}  // namespace yt::emulation
