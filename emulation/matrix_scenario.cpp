#include "emulation/matrix_scenario.h"

#include <ns3/core-module.h>

#include <algorithm>

#include "emulation/ns3_conversions.h"
#include "emulation/path_probes.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "nat-models/nat_profiles.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "matrix";

void apply_strategy(const std::string& strategy, ServerConfig& config) {
  config.punch_strategy = strategy == "naive" ? PunchStrategy::kNaive : PunchStrategy::kServerDriven;
}

// What one client saw during the attempt.
struct Side {
  ns3::Ptr<YtClientApp> app;
  bool online = false;
  bool tunnel_up = false;
  std::optional<Duration> time_to_direct;
  std::optional<Duration> time_to_first_path;  // relayed or direct, whichever came first
  std::string failure;
};

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

AttemptRecord run_attempt(const AttemptSpec& spec) {
  AttemptRecord record;
  record.profile_a = spec.profile_a;
  record.profile_b = spec.profile_b;
  record.strategy = spec.strategy;
  record.seed = spec.seed;
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(spec.seed);

  Topology topology;
  LinkSpec link;
  link.delay = spec.access_delay;
  link.loss_rate = spec.loss_rate;
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(link, 2);
  NatSite site_a = topology.AddNatSite(matrix_profile_chain(spec.profile_a), 1, link);
  NatSite site_b = topology.AddNatSite(matrix_profile_chain(spec.profile_b), 1, link);
  int64_t stream = topology.AssignStreams(0);

  Ns3RandomSource key_rng;
  stream += key_rng.assign_streams(stream);
  Identity server_identity = Identity::generate(key_rng);
  Identity id_a = Identity::generate(key_rng);
  Identity id_b = Identity::generate(key_rng);

  // Both clients are members from the start: the run measures the tunnel, not
  // the create/join conversation (covered by the demo and the unit tests).
  ServerConfig server_config;
  MemoryStorage storage;
  add_members(storage, server_config, kNetwork, {id_a.public_key, id_b.public_key});

  // Every profile reaches the server on its control port (443, scenario_nodes.h);
  // what differs between profiles is only the peer-to-peer path.
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  apply_strategy(spec.strategy, server_config);
  ns3::Ptr<YtServerApp> server = install_server(server_node, server_config, server_identity, &storage, nullptr, stream);

  Side a, b;
  PathProbes probes;
  ClientConfig client_config;
  client_config.relay_first = spec.relay_mode != "last";
  auto make_client = [&](Side& side, const NatSite& site, const Identity& id, const char* name,
                         double start) {
    side.app = install_client(site.hosts.at(0), name, server_ips.at(0), server_identity.public_key, id, start,
                              nullptr, stream, client_config);
    if (spec.fault == "block-peer-udp") side.app->BlockPeerUdp(server_ips);
    side.app->SetEventCallback([&side, &probes](const ClientEvent& event) {
      probes.OnEvent(PeekPointer(side.app), event);
      if (std::holds_alternative<Synced>(event)) side.online = true;
      if (auto* up = std::get_if<TunnelUp>(&event)) {
        side.tunnel_up = true;
        if (!side.time_to_direct) side.time_to_direct = up->time_to_direct;
        if (!side.time_to_first_path) side.time_to_first_path = up->time_to_direct;
      }
      if (auto* relayed = std::get_if<TunnelRelayed>(&event)) {
        side.tunnel_up = true;
        if (!side.time_to_first_path) side.time_to_first_path = relayed->time_to_relay;
      }
      if (auto* failed = std::get_if<TunnelFailed>(&event); failed && side.failure.empty()) {
        side.failure = failed->reason;
      }
      if (auto* failed = std::get_if<LoginFailed>(&event); failed && side.failure.empty()) {
        side.failure = "login failed: " + failed->reason;
      }
    });
  };
  make_client(a, site_a, id_a, "a", 0.5);
  make_client(b, site_b, id_b, "b", 0.6);

  // Stop as soon as the outcome is known, so the matrix runs in seconds; the time
  // limit starts once both are online. A relayed pair runs to the limit: punching
  // may still find a direct path.
  std::optional<ns3::Time> both_online_at;
  ns3::Time hard_stop = ns3::Seconds(30) + to_ns3(spec.time_limit);
  std::function<void()> watch = [&] {
    if (a.online && b.online && !both_online_at) both_online_at = ns3::Simulator::Now();
    bool direct = probes.Direct(id_a.public_key, id_b.public_key);
    bool decided = direct ||
                   (!a.failure.empty() && !b.failure.empty() && !a.tunnel_up && !b.tunnel_up);
    bool expired = both_online_at && ns3::Simulator::Now() - *both_online_at > to_ns3(spec.time_limit);
    if (decided || expired || ns3::Simulator::Now() >= hard_stop) {
      ns3::Simulator::Stop();
      return;
    }
    ns3::Simulator::Schedule(ns3::MilliSeconds(50), watch);
  };
  ns3::Simulator::Schedule(ns3::MilliSeconds(50), watch);
  ns3::Simulator::Run();

  auto ms = [](Duration d) { return static_cast<double>(d.count()) / 1000.0; };
  const bool direct = probes.Direct(id_a.public_key, id_b.public_key);
  const bool relayed = !direct && probes.Relayed(id_a.public_key, id_b.public_key);
  // Both sides must have a path before a packet can cross both ways.
  if ((direct || relayed) && a.time_to_first_path && b.time_to_first_path) {
    record.time_to_first_packet_ms = ms(std::max(*a.time_to_first_path, *b.time_to_first_path));
  }
  if (direct) {
    record.outcome = AttemptOutcome::kDirect;
    Duration ttd = std::max(a.time_to_direct.value_or(Duration(0)), b.time_to_direct.value_or(Duration(0)));
    record.time_to_direct_ms = ms(ttd);
  } else if (relayed) {
    record.outcome = AttemptOutcome::kRelayed;
  } else {
    record.outcome = AttemptOutcome::kFailed;
    if (!a.online || !b.online) {
      record.failure = std::string(!a.online ? "a" : "b") + " never came online";
      const std::string& why = !a.online ? a.failure : b.failure;
      if (!why.empty()) record.failure += " (" + why + ")";
    } else if (!a.failure.empty()) {
      record.failure = a.failure;
    } else if (!b.failure.empty()) {
      record.failure = b.failure;
    } else if (a.tunnel_up || b.tunnel_up) {
      record.failure = "tunnel up but data did not cross both ways";
    } else {
      record.failure = "no direct path within the time limit";
    }
  }
  record.relay_packets = server->Core() ? server->Core()->relay_stats().forwarded_packets : 0;
  record.simulator_events = ns3::Simulator::GetEventCount();
  ns3::Simulator::Destroy();
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
