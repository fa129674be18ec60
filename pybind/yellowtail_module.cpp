// The compiled half of the Python package `yellowtail` (yellowtail._core): the
// research testbed from Python. Scenario scripts run attempts and matrices inside
// ns-3 with the same cores as the daemons, and get plain dicts and lists back.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "emulation/demo_scenario.h"
#include "emulation/matrix_scenario.h"
#include "emulation/nat_mix_scenario.h"
#include "emulation/public_peer_scenario.h"
#include "emulation/outage_scenario.h"
#include "emulation/population_scenario.h"
#include "emulation/relay_choice_scenario.h"
#include "emulation/spec_scenario.h"
#include "server/core/punch_techniques.h"

namespace py = pybind11;
using namespace yt::emulation;

namespace {

std::chrono::microseconds from_ms(double ms) { return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)); }

py::dict attempt_dict(const AttemptRecord& r) {
  py::dict d;
  d["profile_a"] = r.profile_a;
  d["profile_b"] = r.profile_b;
  d["strategy"] = r.strategy;
  d["seed"] = r.seed;
  d["outcome"] = to_string(r.outcome);
  d["time_to_direct_ms"] = r.time_to_direct_ms ? py::cast(*r.time_to_direct_ms) : py::none();
  d["time_to_first_packet_ms"] = r.time_to_first_packet_ms ? py::cast(*r.time_to_first_packet_ms) : py::none();
  d["relay_packets"] = r.relay_packets;
  d["failure"] = r.failure;
  d["simulator_events"] = r.simulator_events;
  return d;
}

py::dict summary_dict(const PairSummary& s) {
  py::dict d;
  d["profile_a"] = s.profile_a;
  d["profile_b"] = s.profile_b;
  d["strategy"] = s.strategy;
  d["attempts"] = s.attempts;
  d["direct"] = s.direct;
  d["relayed"] = s.relayed;
  d["failed"] = s.failed;
  d["p2p_rate"] = s.p2p_rate;
  d["connectivity"] = s.connectivity;
  d["p2p_rate_ci95"] = py::make_tuple(s.p2p_interval.low, s.p2p_interval.high);
  d["connectivity_ci95"] = py::make_tuple(s.connectivity_interval.low, s.connectivity_interval.high);
  d["relay_packets_per_attempt"] = s.relay_packets_per_attempt;
  d["median_time_to_direct_ms"] = s.median_time_to_direct_ms ? py::cast(*s.median_time_to_direct_ms) : py::none();
  d["median_time_to_first_packet_ms"] =
      s.median_time_to_first_packet_ms ? py::cast(*s.median_time_to_first_packet_ms) : py::none();
  return d;
}

// Before any conversion: a NaN or huge value must not reach an integer cast.
void check_delay_ms(double ms) {
  if (!(ms >= 0 && ms <= 600000)) throw py::value_error("delays must be between 0 and 600000 ms");
}
void check_loss(double loss) {
  if (!(loss >= 0 && loss <= 1)) throw py::value_error("loss must be in [0, 1]");
}
void check_time_limit_s(double s) {
  if (!(s >= 1 && s <= 3600)) throw py::value_error("time_limit_s must be 1..3600");
}

void check_names(const std::vector<std::string>& given, const std::vector<std::string>& known, const char* what) {
  for (const std::string& g : given) {
    if (std::find(known.begin(), known.end(), g) == known.end()) {
      throw py::value_error(std::string("unknown ") + what + " '" + g + "'");
    }
  }
}

// run_attempt's and attempt_scenario's arguments, checked (ValueError).
std::vector<std::string> checked_techniques(const std::vector<std::string>& disable) {
  auto parsed = yt::parse_techniques(disable);
  if (!parsed) throw py::value_error(parsed.error());
  return {parsed->begin(), parsed->end()};
}

AttemptSpec attempt_spec(const std::string& a, const std::string& b, const std::string& strategy, std::uint64_t seed,
                         double delay_ms, double loss, double time_limit_s, const std::string& fault,
                         const std::string& relay, const std::vector<std::string>& disable,
                         double background_flows_per_s, double jitter_ms, double mapping_timeout_s) {
  check_names({a, b}, matrix_profile_names(), "profile");
  check_names({strategy}, strategy_names(), "strategy");
  if (!fault.empty()) check_names({fault}, fault_names(), "fault");
  check_names({relay}, relay_mode_names(), "relay mode");
  check_loss(loss);
  check_delay_ms(delay_ms);
  check_time_limit_s(time_limit_s);
  AttemptSpec spec;
  spec.profile_a = a;
  spec.profile_b = b;
  spec.strategy = strategy;
  spec.seed = seed;
  spec.access_delay = from_ms(delay_ms);
  spec.loss_rate = loss;
  spec.time_limit = from_ms(time_limit_s * 1000);
  spec.fault = fault;
  spec.relay_mode = relay;
  spec.disable = checked_techniques(disable);
  if (!(background_flows_per_s >= 0 && background_flows_per_s <= 1000)) {
    throw py::value_error("background_flows_per_s must be 0..1000");
  }
  spec.background_flows_per_s = background_flows_per_s;
  if (!(jitter_ms >= 0 && jitter_ms <= 1000)) throw py::value_error("jitter_ms must be 0..1000");
  if (!(mapping_timeout_s == 0 || (mapping_timeout_s >= 1 && mapping_timeout_s <= 86400))) {
    throw py::value_error("mapping_timeout_s must be 0 (the profiles' own) or 1..86400");
  }
  spec.jitter_ms = jitter_ms;
  spec.mapping_timeout_s = mapping_timeout_s;
  return spec;
}

// run_public_peer's and public_peer_scenario's arguments, checked (ValueError).
PublicPeerOptions public_peer_options(std::uint64_t seed, const std::string& alice_nat, const std::string& bob_nat,
                                      double delay_ms, double public_delay_ms, double lan_delay_ms,
                                      std::optional<double> follower_delay_ms, double time_limit_s) {
  for (double ms : {delay_ms, public_delay_ms, lan_delay_ms, follower_delay_ms.value_or(0.0)}) check_delay_ms(ms);
  check_time_limit_s(time_limit_s);
  PublicPeerOptions o;
  o.seed = seed;
  o.alice_nat = alice_nat;
  o.bob_nat = bob_nat;
  o.access_delay = from_ms(delay_ms);
  o.public_delay = from_ms(public_delay_ms);
  o.alice_lan_delay = from_ms(lan_delay_ms);
  if (follower_delay_ms) o.follower_delay = from_ms(*follower_delay_ms);
  o.time_limit = from_ms(time_limit_s * 1000);
  if (auto error = check_public_peer_options(o)) throw py::value_error(*error);
  return o;
}

// run_relay_choice's and relay_choice_scenario's arguments, checked (ValueError).
RelayChoiceOptions relay_choice_options(std::uint64_t seed, const std::vector<double>& relay_delays_ms,
                                        const std::vector<double>& client_delays_ms, double server_delay_ms,
                                        const std::string& client_nat, bool fail_relay, double time_limit_s) {
  check_time_limit_s(time_limit_s);
  RelayChoiceOptions o;
  o.seed = seed;
  o.relay_delays.clear();
  for (double ms : relay_delays_ms) {
    check_delay_ms(ms);
    o.relay_delays.push_back(from_ms(ms));
  }
  o.client_delays.clear();
  for (double ms : client_delays_ms) {
    check_delay_ms(ms);
    o.client_delays.push_back(from_ms(ms));
  }
  check_delay_ms(server_delay_ms);
  o.server_delay = from_ms(server_delay_ms);
  o.client_nat = client_nat;
  o.fail_relay = fail_relay;
  o.time_limit = from_ms(time_limit_s * 1000);
  if (auto error = check_relay_choice_options(o)) throw py::value_error(*error);
  return o;
}

// run_population's and population_scenario's arguments, checked (ValueError).
PopulationOptions population_options(int clients, const std::vector<std::pair<std::string, double>>& nats,
                                     int network_size, int relays, double join_window_s, double duration_s,
                                     double traffic_interval_s, double churn_per_minute, double churn_away_s,
                                     double direct_within_s, std::uint64_t seed, int clients_per_control_node,
                                     int processes = PopulationOptions{}.processes) {
  for (double s : {join_window_s, duration_s, traffic_interval_s, churn_away_s, direct_within_s}) {
    if (!(s >= 0 && s <= 86400)) throw py::value_error("times must be between 0 and 86400 s");
  }
  PopulationOptions o;
  o.clients = clients;
  if (!nats.empty()) o.nat_mix = nats;
  o.network_size = network_size;
  o.relays = relays;
  o.join_window = from_ms(join_window_s * 1000);
  o.duration = from_ms(duration_s * 1000);
  o.traffic_interval = from_ms(traffic_interval_s * 1000);
  o.churn_per_minute = churn_per_minute;
  o.churn_away = from_ms(churn_away_s * 1000);
  o.direct_within = from_ms(direct_within_s * 1000);
  o.seed = seed;
  o.clients_per_control_node = clients_per_control_node;
  o.processes = processes;
  if (auto error = check_population_options(o)) throw py::value_error(*error);
  return o;
}

// run_outage's and outage_scenario's arguments, checked (ValueError).
OutageOptions outage_options(const std::string& fault, double duration_s, std::uint64_t seed, int clients,
                             const std::vector<std::string>& nats, int relays, double delay_ms, double interval_ms,
                             int side, bool new_ip, double burst_loss, double nat_timeout_s, double settle_s,
                             double observe_s, const std::string& roam_nat, bool roam_notice) {
  check_delay_ms(delay_ms);
  for (double s : {duration_s, nat_timeout_s, settle_s, observe_s}) {
    if (!(s >= 0 && s <= 3600)) throw py::value_error("times must be between 0 and 3600 s");
  }
  OutageOptions o;
  o.fault = fault;
  o.duration = from_ms(duration_s * 1000);
  o.seed = seed;
  o.clients = clients;
  if (!nats.empty()) o.nats = nats;
  o.relays = relays;
  o.access_delay = from_ms(delay_ms);
  o.interval = from_ms(interval_ms);
  o.side = side;
  o.new_ip = new_ip;
  o.roam_nat = roam_nat;
  o.roam_notice = roam_notice;
  o.burst_loss = burst_loss;
  o.nat_timeout = from_ms(nat_timeout_s * 1000);
  o.settle = from_ms(settle_s * 1000);
  o.observe = from_ms(observe_s * 1000);
  if (auto error = check_outage_options(o)) throw py::value_error(*error);
  return o;
}

// run_nat_mix's mix: a path (str or os.PathLike) to a mix file, or a dict of the
// file's form. Errors are ValueErrors naming the field (nat_mix.h).
NatMix nat_mix_argument(const py::object& mix) {
  yt::Result<NatMix, std::string> parsed = yt::Err{std::string()};
  if (py::isinstance<py::dict>(mix)) {
    const std::string text = py::module_::import("json").attr("dumps")(mix).cast<std::string>();
    parsed = nat_mix_from_json(text);
  } else if (py::isinstance<py::str>(mix) || py::hasattr(mix, "__fspath__")) {
    parsed = load_nat_mix(py::module_::import("os").attr("fspath")(mix).cast<std::string>());
  } else {
    throw py::type_error("mix must be a path to a mix file or a dict like {\"profiles\": {\"full-cone\": 1}}");
  }
  if (!parsed) throw py::value_error(parsed.error());
  return *parsed;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "yellowtail NAT-traversal testbed: ns-3 scenarios driving the real client and server cores";

  m.def("profile_names", &matrix_profile_names, "NAT profiles known to the matrix (named and stacked)");
  m.def("strategy_names", &strategy_names, "traversal strategies: naive, current");
  m.def("fault_names", &fault_names, "injectable faults");
  m.def("technique_names", &yt::technique_names,
        "punch techniques of the 'current' strategy that `disable` can switch off");

  m.def(
      "run_attempt",
      [](const std::string& a, const std::string& b, const std::string& strategy, std::uint64_t seed, double delay_ms,
         double loss, double time_limit_s, const std::string& fault, const std::string& relay,
         const std::vector<std::string>& disable, double background_flows_per_s, double jitter_ms,
         double mapping_timeout_s) {
        AttemptSpec spec = attempt_spec(a, b, strategy, seed, delay_ms, loss, time_limit_s, fault, relay, disable,
                                        background_flows_per_s, jitter_ms, mapping_timeout_s);
        py::gil_scoped_release release;
        AttemptRecord r = run_attempt(spec);
        py::gil_scoped_acquire acquire;
        return attempt_dict(r);
      },
      py::arg("profile_a"), py::arg("profile_b"), py::arg("strategy") = "current", py::arg("seed") = 1,
      py::arg("delay_ms") = 20.0, py::arg("loss") = 0.0, py::arg("time_limit_s") = 15.0, py::arg("fault") = "",
      py::arg("relay") = "first", py::arg("disable") = std::vector<std::string>{},
      py::arg("background_flows_per_s") = 0.0, py::arg("jitter_ms") = 0.0, py::arg("mapping_timeout_s") = 0.0,
      "One tunnel attempt between clients behind the two NAT profiles; returns a dict with the outcome "
      "(direct/relayed/failed), time_to_direct_ms, time_to_first_packet_ms, relay_packets and the failure "
      "reason. relay='first' binds the relay at the instruction, 'last' only after the punch window. "
      "disable: punch techniques of 'current' to leave out (technique_names()).");
  m.def(
      "attempt_scenario",
      [](const std::string& a, const std::string& b, const std::string& strategy, std::uint64_t seed, double delay_ms,
         double loss, double time_limit_s, const std::string& fault, const std::string& relay,
         const std::vector<std::string>& disable, double background_flows_per_s, double jitter_ms,
         double mapping_timeout_s) {
        return scenario_to_json(attempt_scenario(attempt_spec(a, b, strategy, seed, delay_ms, loss, time_limit_s, fault,
                                                              relay, disable, background_flows_per_s, jitter_ms,
                                                              mapping_timeout_s)));
      },
      py::arg("profile_a"), py::arg("profile_b"), py::arg("strategy") = "current", py::arg("seed") = 1,
      py::arg("delay_ms") = 20.0, py::arg("loss") = 0.0, py::arg("time_limit_s") = 15.0, py::arg("fault") = "",
      py::arg("relay") = "first", py::arg("disable") = std::vector<std::string>{},
      py::arg("background_flows_per_s") = 0.0, py::arg("jitter_ms") = 0.0, py::arg("mapping_timeout_s") = 0.0,
      "The scenario (JSON, as run_scenario takes) that run_attempt runs with the same arguments.");

  m.def(
      "run_matrix",
      [](std::vector<std::string> profiles, std::vector<std::string> strategies, std::vector<std::uint64_t> seeds,
         double delay_ms, double loss, double time_limit_s, const std::string& fault, const std::string& relay,
         const std::vector<std::string>& disable, std::function<void(int, int)> progress) {
        check_names(profiles, matrix_profile_names(), "profile");
        check_names(strategies, strategy_names(), "strategy");
        if (!fault.empty()) check_names({fault}, fault_names(), "fault");
        check_names({relay}, relay_mode_names(), "relay mode");
        check_loss(loss);
        check_delay_ms(delay_ms);
        check_time_limit_s(time_limit_s);
        MatrixParameters p{profiles, strategies, seeds, delay_ms, loss, time_limit_s, fault, relay,
                           checked_techniques(disable)};
        MatrixRun run = run_matrix(p, [&](int done, int total) {
          if (progress) progress(done, total);
        });
        py::dict out;
        py::list pairs, attempts;
        for (const PairSummary& s : run.summaries) pairs.append(summary_dict(s));
        for (const AttemptRecord& r : run.attempts) attempts.append(attempt_dict(r));
        out["pairs"] = pairs;
        out["attempts"] = attempts;
        out["simulator_events"] = run.simulator_events;
        out["json"] = to_json(run.parameters, run.summaries, run.attempts);
        out["csv"] = to_csv(run.summaries);
        out["table"] = to_table(run.summaries, profiles, strategies);
        return out;
      },
      py::arg("profiles"), py::arg("strategies") = std::vector<std::string>{"naive", "current"},
      py::arg("seeds") = std::vector<std::uint64_t>{1, 2, 3}, py::arg("delay_ms") = 20.0, py::arg("loss") = 0.0,
      py::arg("time_limit_s") = 15.0, py::arg("fault") = "", py::arg("relay") = "first",
      py::arg("disable") = std::vector<std::string>{}, py::arg("progress") = nullptr,
      "Every ordered pair of `profiles` x seeds x strategies. Returns pairs (one summary per "
      "profile pair and strategy, plus 'overall'), attempts, and the results.json/csv text.");

  m.def(
      "run_nat_mix",
      [](const py::object& mix, int pairs, std::uint64_t seed, const std::string& strategy,
         const std::vector<std::string>& disable, double delay_ms, double loss, double time_limit_s,
         const std::string& relay, std::function<void(int, int)> progress) {
        check_loss(loss);
        check_delay_ms(delay_ms);
        check_time_limit_s(time_limit_s);
        NatMixOptions o;
        o.mix = nat_mix_argument(mix);
        o.pairs = pairs;
        o.seed = seed;
        o.strategy = strategy;
        o.disable = checked_techniques(disable);
        o.access_delay = from_ms(delay_ms);
        o.loss_rate = loss;
        o.time_limit = from_ms(time_limit_s * 1000);
        o.relay_mode = relay;
        if (auto error = check_nat_mix_options(o)) throw py::value_error(*error);
        auto ran = run_nat_mix(o, [&](int done, int total) {
          if (progress) progress(done, total);
        });
        if (!ran) throw py::value_error(ran.error());
        py::dict out(py::module_::import("json").attr("loads")(nat_mix_result_to_json(*ran)));
        out["table"] = nat_mix_table(*ran);
        return out;
      },
      py::arg("mix"), py::arg("pairs") = 400, py::arg("seed") = 1, py::arg("strategy") = "current",
      py::arg("disable") = std::vector<std::string>{}, py::arg("delay_ms") = 20.0, py::arg("loss") = 0.0,
      py::arg("time_limit_s") = 15.0, py::arg("relay") = "first", py::arg("progress") = nullptr,
      "A population given by a NAT mix (a path to a mix file such as scenarios/mixes/residential-broadband.json, "
      "or a dict of the same form: {'profiles': {'full-cone': 0.5, ...}}): samples `pairs` pairs of profiles "
      "from the shares with `seed`, runs each as one nat-matrix attempt, and returns what "
      "`yellowtail-sim nat-mix` writes to results.json (mix, parameters, overall and per-class P2P rate and "
      "connectivity with 95% intervals, attempts) plus the printed table.");
  m.def(
      "run_demo",
      [](std::uint64_t seed, double delay_ms, double loss, int messages) {
        check_loss(loss);
        check_delay_ms(delay_ms);
        if (messages < 0 || messages > 100000) throw py::value_error("messages must be 0..100000");
        DemoOptions o;
        o.seed = seed;
        o.access_delay = from_ms(delay_ms);
        o.loss_rate = loss;
        o.messages = messages;
        DemoResult r = run_demo(o);
        py::dict d;
        d["tunnel_up"] = r.alice_tunnel_up && r.bob_tunnel_up;
        d["time_to_direct_ms"] = static_cast<double>(r.alice_time_to_direct.count()) / 1000.0;
        d["wrong_password_refused"] = r.wrong_password_refused;
        d["sent"] = r.sent;
        d["delivered"] = r.delivered;
        d["echoed"] = r.echoed;
        d["log"] = r.log;
        return d;
      },
      py::arg("seed") = 1, py::arg("delay_ms") = 15.0, py::arg("loss") = 0.0, py::arg("messages") = 10,
      "The two-client demo; returns its summary and event log.");

  m.def(
      "run_public_peer",
      [](std::uint64_t seed, const std::string& alice_nat, const std::string& bob_nat, double delay_ms,
         double public_delay_ms, double lan_delay_ms, std::optional<double> follower_delay_ms, double time_limit_s) {
        PublicPeerOptions o = public_peer_options(seed, alice_nat, bob_nat, delay_ms, public_delay_ms, lan_delay_ms,
                                                  follower_delay_ms, time_limit_s);
        py::gil_scoped_release release;
        auto ran = run_public_peer(o);
        py::gil_scoped_acquire acquire;
        if (!ran) throw py::value_error(ran.error());
        const PublicPeerResult& r = *ran;
        py::dict d;
        py::dict pairs;
        for (const PublicPeerPair& p : r.pairs) pairs[py::str(p.a + "-" + p.b)] = p.direct;
        d["direct"] = pairs;
        d["alice_nat_clashes"] = r.alice_nat_clashes;
        d["all_online"] = r.all_online;
        d["log"] = r.log;
        return d;
      },
      py::arg("seed") = 1, py::arg("alice_nat") = "linux-masquerade", py::arg("bob_nat") = "linux-masquerade",
      py::arg("delay_ms") = 20.0, py::arg("public_delay_ms") = 2.0, py::arg("lan_delay_ms") = 30.0,
      py::arg("follower_delay_ms") = py::none(), py::arg("time_limit_s") = 15.0,
      "Alice behind a NAT on a slow LAN, frank public near the core, bob behind another NAT. Returns "
      "which pairs went direct ('alice-frank', 'alice-bob', 'bob-frank'), the conntrack clashes at "
      "alice's NAT and the event log. follower_delay_ms=None keeps the server's default; 0 shows the clash.");
  m.def(
      "public_peer_scenario",
      [](std::uint64_t seed, const std::string& alice_nat, const std::string& bob_nat, double delay_ms,
         double public_delay_ms, double lan_delay_ms, std::optional<double> follower_delay_ms, double time_limit_s) {
        return scenario_to_json(public_peer_scenario(public_peer_options(
            seed, alice_nat, bob_nat, delay_ms, public_delay_ms, lan_delay_ms, follower_delay_ms, time_limit_s)));
      },
      py::arg("seed") = 1, py::arg("alice_nat") = "linux-masquerade", py::arg("bob_nat") = "linux-masquerade",
      py::arg("delay_ms") = 20.0, py::arg("public_delay_ms") = 2.0, py::arg("lan_delay_ms") = 30.0,
      py::arg("follower_delay_ms") = py::none(), py::arg("time_limit_s") = 15.0,
      "The scenario (JSON, as run_scenario takes) that run_public_peer runs with the same arguments.");

  m.def(
      "run_relay_choice",
      [](std::uint64_t seed, const std::vector<double>& relay_delays_ms, const std::vector<double>& client_delays_ms,
         double server_delay_ms, const std::string& client_nat, bool fail_relay, double time_limit_s) {
        const RelayChoiceOptions o = relay_choice_options(seed, relay_delays_ms, client_delays_ms, server_delay_ms,
                                                          client_nat, fail_relay, time_limit_s);
        py::gil_scoped_release release;
        auto ran = run_relay_choice(o);
        py::gil_scoped_acquire acquire;
        if (!ran) throw py::value_error(ran.error());
        const RelayChoiceResult& r = *ran;
        auto phase = [](const RelayChoicePhase& p) {
          py::dict d;
          d["relayed"] = p.relayed;
          d["relay"] = p.relay;
          d["latency_ms"] = p.latency_ms;
          d["best_latency_ms"] = p.best_latency_ms;
          d["stretch"] = p.stretch;
          return d;
        };
        py::list pairs;
        for (const RelayChoicePair& p : r.pairs) {
          py::dict d;
          d["a"] = p.a;
          d["b"] = p.b;
          d["direct"] = p.direct;
          d["before"] = phase(p.before);
          d["after"] = p.after ? py::object(phase(*p.after)) : py::object(py::none());
          pairs.append(d);
        }
        py::list relays;
        for (const RelayChoiceRelay& relay : r.relays) {
          py::dict d;
          d["name"] = relay.name;
          d["delay_ms"] = relay.delay_ms;
          d["forwarded"] = relay.forwarded;
          d["failed"] = relay.failed;
          relays.append(d);
        }
        py::dict out;
        out["pairs"] = pairs;
        out["relays"] = relays;
        out["all_online"] = r.all_online;
        out["failed_at_s"] = r.failed_at_s;
        out["moved_after_s"] = r.moved_after_s;
        out["repicks"] = r.repicks;
        out["log"] = r.log;
        return out;
      },
      py::arg("seed") = 1, py::arg("relay_delays_ms") = std::vector<double>{5, 15, 30},
      py::arg("client_delays_ms") = std::vector<double>{10, 20, 30, 40}, py::arg("server_delay_ms") = 50.0,
      py::arg("client_nat") = "symmetric-random", py::arg("fail_relay") = true, py::arg("time_limit_s") = 40.0,
      "Clients whose pairs cannot punch, separate relays at the given one-way delays and the server's "
      "built-in relay. Returns, per pair, the relay it got with its latency, the best possible and the "
      "stretch, before and (fail_relay) after the busiest relay fails; per relay, datagrams forwarded.");
  m.def(
      "relay_choice_scenario",
      [](std::uint64_t seed, const std::vector<double>& relay_delays_ms, const std::vector<double>& client_delays_ms,
         double server_delay_ms, const std::string& client_nat, bool fail_relay, double time_limit_s) {
        return scenario_to_json(relay_choice_scenario(relay_choice_options(
            seed, relay_delays_ms, client_delays_ms, server_delay_ms, client_nat, fail_relay, time_limit_s)));
      },
      py::arg("seed") = 1, py::arg("relay_delays_ms") = std::vector<double>{5, 15, 30},
      py::arg("client_delays_ms") = std::vector<double>{10, 20, 30, 40}, py::arg("server_delay_ms") = 50.0,
      py::arg("client_nat") = "symmetric-random", py::arg("fail_relay") = true, py::arg("time_limit_s") = 40.0,
      "The scenario (JSON, as run_scenario takes) that run_relay_choice runs with the same arguments.");
  m.def(
      "run_outage",
      [](const std::string& fault, double duration_s, std::uint64_t seed, int clients,
         const std::vector<std::string>& nats, int relays, double delay_ms, double interval_ms, int side,
         bool new_ip, double burst_loss, double nat_timeout_s, double settle_s, double observe_s,
         const std::string& roam_nat, bool roam_notice) {
        const OutageOptions o = outage_options(fault, duration_s, seed, clients, nats, relays, delay_ms, interval_ms,
                                               side, new_ip, burst_loss, nat_timeout_s, settle_s, observe_s, roam_nat,
                                               roam_notice);
        std::string json;
        {
          py::gil_scoped_release release;
          auto ran = run_outage(o);
          if (!ran) {
            py::gil_scoped_acquire acquire;
            throw py::value_error(ran.error());
          }
          json = outage_to_json(*ran);
        }
        return py::module_::import("json").attr("loads")(json);
      },
      py::arg("fault") = "server-down", py::arg("duration_s") = 60.0, py::arg("seed") = 1, py::arg("clients") = 6,
      py::arg("nats") = std::vector<std::string>{}, py::arg("relays") = 1, py::arg("delay_ms") = 20.0,
      py::arg("interval_ms") = 100.0, py::arg("side") = 1, py::arg("new_ip") = false, py::arg("burst_loss") = 0.3,
      py::arg("nat_timeout_s") = 30.0, py::arg("settle_s") = 10.0, py::arg("observe_s") = 30.0,
      py::arg("roam_nat") = "cgnat", py::arg("roam_notice") = true,
      "Established tunnels with steady traffic through one fault (server-down, nat-reboot, link-outage, "
      "loss-burst, mapping-expiry, relay-down, roam). Returns what `yellowtail-sim outage` writes to outage.json: "
      "options, outage survival and totals, per tunnel (survived, lost, longest gap, recovery), per client "
      "(resync after the server's return) and a per-second delivery timeline. nats=[] keeps the default mix.");
  m.def(
      "outage_scenario",
      [](const std::string& fault, double duration_s, std::uint64_t seed, int clients,
         const std::vector<std::string>& nats, int relays, double delay_ms, double interval_ms, int side,
         bool new_ip, double burst_loss, double nat_timeout_s, double settle_s, double observe_s,
         const std::string& roam_nat, bool roam_notice) {
        return scenario_to_json(outage_scenario(outage_options(fault, duration_s, seed, clients, nats, relays,
                                                               delay_ms, interval_ms, side, new_ip, burst_loss,
                                                               nat_timeout_s, settle_s, observe_s, roam_nat,
                                                               roam_notice)));
      },
      py::arg("fault") = "server-down", py::arg("duration_s") = 60.0, py::arg("seed") = 1, py::arg("clients") = 6,
      py::arg("nats") = std::vector<std::string>{}, py::arg("relays") = 1, py::arg("delay_ms") = 20.0,
      py::arg("interval_ms") = 100.0, py::arg("side") = 1, py::arg("new_ip") = false, py::arg("burst_loss") = 0.3,
      py::arg("nat_timeout_s") = 30.0, py::arg("settle_s") = 10.0, py::arg("observe_s") = 30.0,
      py::arg("roam_nat") = "cgnat", py::arg("roam_notice") = true,
      "The scenario (JSON, as run_scenario takes) that run_outage runs with the same arguments.");
  m.def(
      "population_scenario",
      [](int clients, const std::vector<std::pair<std::string, double>>& nats, int network_size, int relays,
         double join_window_s, double duration_s, double traffic_interval_s, double churn_per_minute,
         double churn_away_s, double direct_within_s, std::uint64_t seed, int clients_per_control_node) {
        return scenario_to_json(population_spec(population_options(
            clients, nats, network_size, relays, join_window_s, duration_s, traffic_interval_s, churn_per_minute,
            churn_away_s, direct_within_s, seed, clients_per_control_node)));
      },
      py::arg("clients") = 1000, py::arg("nats") = std::vector<std::pair<std::string, double>>{},
      py::arg("network_size") = 8, py::arg("relays") = 2, py::arg("join_window_s") = 30.0,
      py::arg("duration_s") = 60.0, py::arg("traffic_interval_s") = 5.0, py::arg("churn_per_minute") = 0.05,
      py::arg("churn_away_s") = 10.0, py::arg("direct_within_s") = 10.0, py::arg("seed") = 1,
      py::arg("clients_per_control_node") = PopulationOptions{}.clients_per_control_node,
      "The scenario (JSON, as run_scenario takes) that run_population runs with the same arguments.");
  m.def(
      "run_population",
      [](int clients, const std::vector<std::pair<std::string, double>>& nats, int network_size, int relays,
         double join_window_s, double duration_s, double traffic_interval_s, double churn_per_minute,
         double churn_away_s, double direct_within_s, std::uint64_t seed, int clients_per_control_node,
         int processes) {
        const PopulationOptions o = population_options(clients, nats, network_size, relays, join_window_s,
                                                       duration_s, traffic_interval_s, churn_per_minute, churn_away_s,
                                                       direct_within_s, seed, clients_per_control_node, processes);
        std::string json;
        {
          py::gil_scoped_release release;
          auto ran = run_population(o);
          if (!ran) {
            py::gil_scoped_acquire acquire;
            throw py::value_error(ran.error());
          }
          json = population_to_json(*ran);
        }
        return py::module_::import("json").attr("loads")(json);
      },
      py::arg("clients") = 1000, py::arg("nats") = std::vector<std::pair<std::string, double>>{},
      py::arg("network_size") = 8, py::arg("relays") = 2, py::arg("join_window_s") = 30.0,
      py::arg("duration_s") = 60.0, py::arg("traffic_interval_s") = 5.0, py::arg("churn_per_minute") = 0.05,
      py::arg("churn_away_s") = 10.0, py::arg("direct_within_s") = 10.0, py::arg("seed") = 1,
      py::arg("clients_per_control_node") = PopulationOptions{}.clients_per_control_node,
      py::arg("processes") = PopulationOptions{}.processes,
      "A population from a NAT mix ([(profile, weight), ...]; [] keeps the residential default) in "
      "networks of network_size, logging in over join_window_s, with traffic and churn. Returns what "
      "`yellowtail-sim population` writes to population.json: P2P rate and connectivity (overall and "
      "per NAT type), time to direct percentiles, traffic delivered, server load and the run's cost. "
      "processes=2 splits the run over two processes (forked; the same results as 1).");
  m.def(
      "run_scenario",
      [](const std::string& spec_json) {
        auto spec = spec_from_json(spec_json);
        if (!spec) throw py::value_error(spec.error());
        std::string json;
        {
          py::gil_scoped_release release;
          auto ran = run_spec(*spec);
          if (!ran) {
            py::gil_scoped_acquire acquire;
            throw py::value_error(ran.error());
          }
          json = spec_result_to_json(*ran);
        }
        return py::module_::import("json").attr("loads")(json);
      },
      py::arg("spec_json"),
      "Runs a scenario described in JSON (what yellowtail.Scenario builds, or a file for "
      "`yellowtail-sim scenario`). Returns the scenario as run, per pair the outcome (direct/relayed/failed) "
      "and when, per flow the datagrams sent and delivered, per client its NAT as discovered, and the log.");
}
