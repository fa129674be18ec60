#include "emulation/relay_choice_scenario.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "emulation/matrix_scenario.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "relays";
constexpr std::size_t kMaxRelays = 16;
constexpr std::size_t kMaxClients = 16;

double ms(Duration d) { return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) / 1000.0; }

}  // namespace

std::optional<std::string> check_relay_choice_options(const RelayChoiceOptions& options) {
  std::vector<std::string> known = matrix_profile_names();
  if (std::find(known.begin(), known.end(), options.client_nat) == known.end()) {
    return "unknown NAT profile '" + options.client_nat + "'";
  }
  if (options.relay_delays.empty() || options.relay_delays.size() > kMaxRelays) {
    return "give 1 to " + std::to_string(kMaxRelays) + " relay delays";
  }
  if (options.client_delays.size() < 2 || options.client_delays.size() > kMaxClients) {
    return "give 2 to " + std::to_string(kMaxClients) + " client delays";
  }
  for (const auto* list : {&options.relay_delays, &options.client_delays}) {
    for (Duration d : *list) {
      if (d < Duration(0) || d > std::chrono::seconds(10)) return "delays must be between 0 and 10 s";
    }
  }
  if (options.time_limit < 100ms || options.time_limit > 1h) return "the time limit must be between 0.1 s and 1 h";
  return std::nullopt;
}

ScenarioSpec relay_choice_scenario(const RelayChoiceOptions& options) {
  ScenarioSpec spec;
  spec.seed = options.seed;
  spec.server_delay_ms = ms(options.server_delay);
  for (std::size_t i = 0; i < options.relay_delays.size(); ++i) {
    spec.relays.push_back({"relay-" + std::to_string(i + 1), ms(options.relay_delays[i])});
  }
  std::vector<std::string> clients;
  for (std::size_t i = 0; i < options.client_delays.size(); ++i) {
    clients.push_back("client-" + std::to_string(i + 1));
    spec.sites.push_back(site_of_one(clients.back(), {named_nat(options.client_nat)}, ms(options.client_delays[i])));
    // Clients start once the relays have registered (a few round trips at most).
    spec.events.push_back(client_event(2.0 + 0.1 * static_cast<double>(i), "start", clients.back()));
  }
  spec.networks[kNetwork] = clients;
  if (options.fail_relay) {
    EventSpec fail;
    fail.action = "relay-down";
    fail.relay = "@busiest";
    fail.after = "all-relayed";
    spec.events.push_back(fail);
  }
  // Each phase (until every pair is relayed, and again after the failure) gets the
  // time limit; the run ends once every pair is relayed through a live relay after
  // everything happened.
  spec.time_limit_s = std::chrono::duration<double>(options.time_limit).count();
  spec.end_when = "all-relayed";
  spec.duration_s = 10 + 2 * *spec.time_limit_s;
  return spec;
}

RelayChoiceResult relay_choice_result(const SpecResult& run) {
  RelayChoiceResult result;
  std::optional<double> failed_at;
  std::map<std::string, double> relay_delay;  // one-way, ms
  for (const SpecRelay& relay : run.relays) {
    relay_delay[relay.name] = relay.delay_ms;
    if (relay.down_at_s >= 0) failed_at = relay.down_at_s;
    result.relays.push_back({relay.name, relay.delay_ms, relay.forwarded, relay.down_at_s >= 0});
  }
  std::map<std::string, double> client_delay;
  for (const SiteSpec& site : run.spec.sites) client_delay[site.hosts.at(0)] = site.delay_ms;

  // In the star, a pair's one-way latency through relay r is d(a) + 2 d(r) + d(b).
  auto phase_of = [&](const SpecPair& p, const std::string& relay, bool relayed, bool after_failure) {
    RelayChoicePhase phase;
    phase.relayed = relayed;
    const double ends = client_delay[p.a] + client_delay[p.b];
    std::optional<double> best;
    for (const SpecRelay& r : run.relays) {
      const bool alive = !after_failure || r.down_at_s < 0;
      if (alive && (!best || ends + 2 * r.delay_ms < *best)) best = ends + 2 * r.delay_ms;
    }
    phase.best_latency_ms = best.value_or(0);
    if (!relay.empty() && relay_delay.count(relay)) {
      phase.relay = relay;
      phase.latency_ms = ends + 2 * relay_delay[relay];
      phase.stretch = phase.best_latency_ms > 0 ? phase.latency_ms / phase.best_latency_ms : 0;
    }
    return phase;
  };
  for (const SpecPair& p : run.pairs) {
    RelayChoicePair pair{p.a, p.b, p.outcome == "direct", {}, std::nullopt};
    if (failed_at) {
      // Before: the relay both sides named when it failed, and the first relayed path.
      std::string before;
      for (const auto& [at, relay] : p.relay_changes) {
        if (at <= *failed_at) before = relay;
      }
      pair.before = phase_of(p, before, p.relayed_at_s >= 0 && p.relayed_at_s <= *failed_at, false);
      pair.after = phase_of(p, p.relay, p.relayed_since_s >= 0, true);
    } else {
      pair.before = phase_of(p, p.relay, p.relayed_since_s >= 0, false);
    }
    result.pairs.push_back(pair);
  }
  result.all_online =
      std::all_of(run.clients.begin(), run.clients.end(), [](const SpecClient& c) { return c.online_at_s >= 0; });
  if (failed_at) {
    result.failed_at_s = *failed_at;
    if (run.settled_at_s >= 0) result.moved_after_s = run.settled_at_s - *failed_at;
  }
  if (auto repicks = run.server.find("relay_repicks"); repicks != run.server.end()) result.repicks = repicks->second;
  result.log = run.log;
  return result;
}

Result<RelayChoiceResult, std::string> run_relay_choice(const RelayChoiceOptions& options) {
  if (auto error = check_relay_choice_options(options)) return Err{*error};
  auto ran = run_spec(relay_choice_scenario(options));
  if (!ran) return Err{ran.error()};
  return relay_choice_result(*ran);
}

}  // namespace yt::emulation
