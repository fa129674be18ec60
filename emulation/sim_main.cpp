// yellowtail-sim: the research testbed's command line. Runs scenarios inside ns-3
// with the same client and server cores as the real daemons.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "emulation/demo_scenario.h"
#include "emulation/matrix_scenario.h"
#include "emulation/nat_mix_command.h"
#include "emulation/outage_scenario.h"
#include "emulation/population_scenario.h"
#include "emulation/public_peer_scenario.h"
#include "emulation/relay_choice_scenario.h"
#include "emulation/spec_scenario.h"
#include "emulation/sweep_command.h"
#include "server/core/punch_techniques.h"

namespace {

using namespace yt::emulation;

int run_demo_command(const DemoOptions& options, bool quiet) {
  auto wall_start = std::chrono::steady_clock::now();
  DemoResult r = run_demo(options);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!quiet) {
    std::printf("event log (simulated seconds):\n");
    for (const std::string& line : r.log) std::printf("  %s\n", line.c_str());
    std::printf("\n");
  }
  std::printf("%-34s %s\n", "wrong password refused", r.wrong_password_refused ? "yes" : "NO");
  std::printf("%-34s %s / %s\n", "direct tunnel (alice / bob)", r.alice_tunnel_up ? "up" : "DOWN",
              r.bob_tunnel_up ? "up" : "DOWN");
  std::printf("%-34s %lld ms\n", "time to direct (alice)", static_cast<long long>(yt::to_ms(r.alice_time_to_direct)));
  std::printf("%-34s %d / %d\n", "datagrams alice -> bob delivered", r.delivered, r.sent);
  std::printf("%-34s %d / %d\n", "echoes bob -> alice delivered", r.echoed, r.delivered);
  std::printf("%-34s %.1f s simulated in %.2f s\n", "run", r.simulated_seconds, wall);
  bool ok = r.alice_tunnel_up && r.bob_tunnel_up && r.wrong_password_refused && r.sent == options.messages &&
            (options.loss_rate > 0 || (r.delivered == r.sent && r.echoed == r.delivered));
  return ok ? 0 : 1;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "yellowtail-sim: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

struct MatrixOptions {
  std::string profiles = "all";
  std::string strategies = "naive,current";
  int seeds = 10;
  int first_seed = 1;
  double delay_ms = 20;
  double loss = 0;
  double time_limit_s = 15;
  std::string out = "out/nat-matrix";
  std::string fault;
  std::string relay_mode = "first";
  std::string disable;
  double background_flows_per_s = 0;
  double jitter_ms = 0;
  double mapping_timeout_s = 0;
  bool quiet = false;
};

int run_matrix_command(const MatrixOptions& o) {
  MatrixParameters p;
  std::vector<std::string> known = matrix_profile_names();
  p.profiles = o.profiles == "all" ? known : split_list(o.profiles);
  for (const std::string& name : p.profiles) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += " " + k;
      std::fprintf(stderr, "yellowtail-sim: unknown profile '%s'; known:%s\n", name.c_str(), list.c_str());
      return 2;
    }
  }
  std::vector<std::string> known_strategies = strategy_names();
  p.strategies = split_list(o.strategies);
  for (const std::string& s : p.strategies) {
    if (std::find(known_strategies.begin(), known_strategies.end(), s) == known_strategies.end()) {
      std::fprintf(stderr, "yellowtail-sim: unknown strategy '%s'; known: naive current\n", s.c_str());
      return 2;
    }
  }
  if (p.profiles.empty() || p.strategies.empty()) {
    std::fprintf(stderr, "yellowtail-sim: --profiles and --strategies must name at least one entry\n");
    return 2;
  }
  for (int i = 0; i < o.seeds; ++i) p.seeds.push_back(static_cast<std::uint64_t>(o.first_seed + i));
  p.access_delay_ms = o.delay_ms;
  p.loss_rate = o.loss;
  p.time_limit_s = o.time_limit_s;
  p.fault = o.fault;
  p.relay_mode = o.relay_mode;
  auto disabled = yt::parse_techniques(o.disable);
  if (!disabled) {
    std::fprintf(stderr, "yellowtail-sim: --disable: %s\n", disabled.error().c_str());
    return 2;
  }
  p.disable.assign(disabled->begin(), disabled->end());
  p.background_flows_per_s = o.background_flows_per_s;
  p.jitter_ms = o.jitter_ms;
  if (o.mapping_timeout_s != 0 && o.mapping_timeout_s < 1) {
    std::fprintf(stderr, "yellowtail-sim: --mapping-timeout must be 0 (the profiles' own) or 1..86400 seconds\n");
    return 2;
  }
  p.mapping_timeout_s = o.mapping_timeout_s;

  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) {
    std::fprintf(stderr, "yellowtail-sim: cannot create %s: %s\n", o.out.c_str(), ec.message().c_str());
    return 1;
  }

  bool tty = ::isatty(STDERR_FILENO);
  auto wall_start = std::chrono::steady_clock::now();
  int last_percent = -1;
  auto progress = [&](int done, int total) {
    if (o.quiet) return;
    int percent = done * 100 / total;
    if (tty) {
      std::fprintf(stderr, "\r  %d/%d attempts (%d%%)", done, total, percent);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (percent / 10 != last_percent / 10 || done == total) {
      std::fprintf(stderr, "  %d/%d attempts (%d%%)\n", done, total, percent);
    }
    last_percent = percent;
  };
  std::fprintf(stderr, "nat-matrix: %zu profiles, %zu ordered pairs x %d seeds x %zu strategies\n", p.profiles.size(),
               p.profiles.size() * p.profiles.size(), o.seeds, p.strategies.size());
  MatrixRun run = run_matrix(p, progress);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::filesystem::path dir(o.out);
  if (!write_file(dir / "results.json", to_json(run.parameters, run.summaries, run.attempts)) ||
      !write_file(dir / "results.csv", to_csv(run.summaries))) {
    return 1;
  }
  std::printf("%s", to_table(run.summaries, p.profiles, p.strategies).c_str());
  std::printf("\nprofiles:");
  for (std::size_t i = 0; i < p.profiles.size(); ++i) std::printf(" %zu=%s", i + 1, p.profiles[i].c_str());
  std::printf("\n%zu attempts in %.1f s wall, %llu simulator events (%.0f events/s); wrote %s/results.{json,csv}\n",
              run.attempts.size(), wall, static_cast<unsigned long long>(run.simulator_events),
              wall > 0 ? run.simulator_events / wall : 0.0, o.out.c_str());
  return 0;
}

struct PublicPeerCommand {
  PublicPeerOptions options;
  int seeds = 1;
  double access_delay_ms = 20;
  double public_delay_ms = 2;
  double lan_delay_ms = 30;
  double follower_delay_ms = -1;  // < 0: the server's default
  bool log = false;
};

// Runs the scenario per seed, prints a line per run and the direct count per pair.
int run_public_peer_command(PublicPeerCommand c) {
  auto us = [](double ms) { return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)); };
  c.options.access_delay = us(c.access_delay_ms);
  c.options.public_delay = us(c.public_delay_ms);
  c.options.alice_lan_delay = us(c.lan_delay_ms);
  if (c.follower_delay_ms >= 0) c.options.follower_delay = us(c.follower_delay_ms);
  if (auto error = check_public_peer_options(c.options)) {
    std::fprintf(stderr, "yellowtail-sim: %s (see yellowtail-sim nat-matrix --help for the profiles)\n", error->c_str());
    return 2;
  }
  char follower[32] = "the server's default";
  if (c.follower_delay_ms >= 0) std::snprintf(follower, sizeof follower, "%g ms", c.follower_delay_ms);
  std::printf("public-peer: alice (%s, LAN %g ms) - frank (public, %g ms from the core) - bob (%s); "
              "follower delay %s\n",
              c.options.alice_nat.c_str(), c.lan_delay_ms, c.public_delay_ms, c.options.bob_nat.c_str(), follower);
  std::map<std::string, int> direct_count;
  std::vector<std::string> order;
  int runs_with_clash = 0;
  for (int i = 0; i < c.seeds; ++i) {
    PublicPeerOptions run = c.options;
    run.seed = c.options.seed + static_cast<std::uint64_t>(i);
    auto ran = run_public_peer(run);
    if (!ran) {
      std::fprintf(stderr, "yellowtail-sim: %s\n", ran.error().c_str());
      return 2;
    }
    const PublicPeerResult& r = *ran;
    if (c.log) {
      std::printf("event log, seed %llu (simulated seconds):\n", static_cast<unsigned long long>(run.seed));
      for (const std::string& line : r.log) std::printf("    %s\n", line.c_str());
    }
    std::printf("  seed %-4llu", static_cast<unsigned long long>(run.seed));
    for (const PublicPeerPair& p : r.pairs) {
      std::string name = p.a + "-" + p.b;
      if (!direct_count.count(name)) order.push_back(name);
      direct_count[name] += p.direct ? 1 : 0;
      std::printf("  %s %-6s", name.c_str(), p.direct ? "direct" : "FAILED");
    }
    std::printf("  clashes at alice's NAT %llu%s\n", static_cast<unsigned long long>(r.alice_nat_clashes),
                r.all_online ? "" : "  (not all came online)");
    if (r.alice_nat_clashes > 0) ++runs_with_clash;
  }
  std::printf("direct:");
  for (const std::string& name : order) std::printf("  %s %d/%d", name.c_str(), direct_count[name], c.seeds);
  std::printf("; runs with a clash at alice's NAT: %d/%d\n", runs_with_clash, c.seeds);
  return 0;
}

struct RelayChoiceCommand {
  RelayChoiceOptions options;
  std::vector<double> relay_delays_ms = {5, 15, 30};
  std::vector<double> client_delays_ms = {10, 20, 30, 40};
  double server_delay_ms = 50;
  double time_limit_s = 40;
  bool no_failure = false;
  bool log = false;
};

void print_phase(const RelayChoicePhase& p) {
  if (!p.relayed || p.relay.empty()) {
    std::printf("  %-10s %9s %9s %7s", p.relayed ? "(differs)" : "NOT RELAYED", "-", "-", "-");
    return;
  }
  std::printf("  %-10s %6.1f ms %6.1f ms %7.2f", p.relay.c_str(), p.latency_ms, p.best_latency_ms, p.stretch);
}

// One run: the relay each pair got, its latency and stretch, before and after the
// failure, and what each relay forwarded.
int run_relay_choice_command(RelayChoiceCommand c) {
  auto us = [](double ms) { return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)); };
  c.options.relay_delays.clear();
  for (double d : c.relay_delays_ms) c.options.relay_delays.push_back(us(d));
  c.options.client_delays.clear();
  for (double d : c.client_delays_ms) c.options.client_delays.push_back(us(d));
  c.options.server_delay = us(c.server_delay_ms);
  c.options.time_limit = us(c.time_limit_s * 1000);
  c.options.fail_relay = !c.no_failure;
  if (auto error = check_relay_choice_options(c.options)) {
    std::fprintf(stderr, "yellowtail-sim: %s\n", error->c_str());
    return 2;
  }
  std::printf("relay-choice: %zu clients behind %s NATs, %zu relays + the server's built-in one; seed %llu\n",
              c.options.client_delays.size(), c.options.client_nat.c_str(), c.options.relay_delays.size(),
              static_cast<unsigned long long>(c.options.seed));
  std::fflush(stdout);
  auto ran = run_relay_choice(c.options);
  if (!ran) {
    std::fprintf(stderr, "yellowtail-sim: %s\n", ran.error().c_str());
    return 2;
  }
  const RelayChoiceResult& r = *ran;
  if (c.log) {
    for (const std::string& line : r.log) std::printf("    %s\n", line.c_str());
  }
  std::printf("\nrelays (one-way access delay, datagrams forwarded):\n");
  for (const RelayChoiceRelay& relay : r.relays) {
    std::printf("  %-10s %6.1f ms %8llu%s\n", relay.name.c_str(), relay.delay_ms,
                static_cast<unsigned long long>(relay.forwarded), relay.failed ? "  FAILED mid-run" : "");
  }
  const bool after = r.failed_at_s > 0;
  std::printf("\n%-20s  %-10s %9s %9s %7s", "pair", "relay", "latency", "best", "stretch");
  if (after) std::printf("  %-10s %9s %9s %7s", "after", "latency", "best", "stretch");
  std::printf("\n");
  double worst = 0;
  int settled = 0;
  for (const RelayChoicePair& p : r.pairs) {
    std::printf("%-20s", (p.a + " - " + p.b).c_str());
    print_phase(p.before);
    worst = std::max(worst, p.before.stretch);
    bool ok = p.before.relayed && !p.before.relay.empty();
    if (after && p.after) {
      print_phase(*p.after);
      worst = std::max(worst, p.after->stretch);
      ok = ok && p.after->relayed && !p.after->relay.empty();
    }
    settled += ok ? 1 : 0;
    std::printf("%s\n", p.direct ? "  (went direct)" : "");
  }
  std::printf("\n%d/%zu pairs relayed through an agreed relay%s; worst stretch %.2f", settled, r.pairs.size(),
              after ? " before and after the failure" : "", worst);
  if (after) {
    std::printf("; relay failed at %.1f s, %llu pairs planned again, all moved within %.2f s", r.failed_at_s,
                static_cast<unsigned long long>(r.repicks), r.moved_after_s);
  }
  std::printf("%s\n", r.all_online ? "" : "; NOT all clients came online");
  return settled == static_cast<int>(r.pairs.size()) && r.all_online ? 0 : 1;
}

struct OutageCommand {
  OutageOptions options;
  std::string nats;
  double delay_ms = 20;
  double interval_ms = 100;
  double duration_s = 60;
  double nat_timeout_s = 30;
  double settle_s = 10;
  double observe_s = 30;
  std::string out = "out/outage";
  bool log = false;
};

std::string seconds_text(double s) {
  if (s < 0) return "never";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", s);
  return text;
}

// One run: per established tunnel what the fault cost it, then the totals.
int run_outage_command(OutageCommand c) {
  auto us = [](double ms) { return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)); };
  if (!c.nats.empty()) c.options.nats = split_list(c.nats);
  c.options.access_delay = us(c.delay_ms);
  c.options.interval = us(c.interval_ms);
  c.options.duration = us(c.duration_s * 1000);
  c.options.nat_timeout = us(c.nat_timeout_s * 1000);
  c.options.settle = us(c.settle_s * 1000);
  c.options.observe = us(c.observe_s * 1000);
  if (auto error = check_outage_options(c.options)) {
    std::fprintf(stderr, "yellowtail-sim: %s\n", error->c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) {
    std::fprintf(stderr, "yellowtail-sim: cannot create %s: %s\n", c.out.c_str(), ec.message().c_str());
    return 1;
  }
  const OutageOptions& o = c.options;
  std::string mix;
  for (const std::string& nat : o.nats) mix += (mix.empty() ? "" : ", ") + nat;
  std::printf("outage: fault %s; %d clients behind %s (round robin); %d separate relay%s; seed %llu\n",
              o.fault.c_str(), o.clients, mix.c_str(), o.relays, o.relays == 1 ? "" : "s",
              static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);
  auto wall_start = std::chrono::steady_clock::now();
  auto ran = run_outage(o);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!ran) {
    std::fprintf(stderr, "yellowtail-sim: %s\n", ran.error().c_str());
    return 2;
  }
  const OutageResult& r = *ran;
  if (c.log) {
    for (const std::string& line : r.log) std::printf("    %s\n", line.c_str());
  }
  std::printf("\n%-22s %-8s %-8s %7s %7s %7s %11s %10s  %s\n", "tunnel", "path", "survived", "offered", "lost",
              "in cut", "longest gap", "recovered", "path at end");
  for (const OutagePair& p : r.pairs) {
    std::printf("%-22s %-8s %-8s %7llu %7llu %7llu %11s %10s  %s\n", (p.a + " - " + p.b).c_str(),
                p.established ? p.path.c_str() : "-", p.established ? (p.survived ? "yes" : "NO") : "(not up)",
                static_cast<unsigned long long>(p.offered), static_cast<unsigned long long>(p.lost),
                static_cast<unsigned long long>(p.lost_in_cut), seconds_text(p.longest_gap_s).c_str(),
                seconds_text(p.recovered_s).c_str(), p.path_after.empty() ? "NOT CARRYING" : p.path_after.c_str());
  }
  std::printf("\nfault at %.1f s, ended %.1f s (simulated)\n", r.fault_at_s, r.fault_end_s);
  std::printf("outage survival: %zu/%zu established tunnels (%.1f%%); %llu datagrams lost; longest gap %s; "
              "worst recovery %s\n",
              r.survived, r.established, 100.0 * r.survival, static_cast<unsigned long long>(r.lost),
              seconds_text(r.longest_gap_s).c_str(), seconds_text(r.worst_recovery_s).c_str());
  if (o.fault == "server-down") {
    std::printf("server back at %.1f s: every client resynced within %s; peak %llu logins in one second\n",
                r.fault_end_s, seconds_text(r.all_resynced_s).c_str(),
                static_cast<unsigned long long>(r.peak_logins_per_s));
  }
  if (o.fault == "roam") {
    const OutageClient& roamer = r.clients.at(static_cast<std::size_t>(o.side - 1));
    std::printf("%s roamed to a %s network at %.1f s%s: logged in and synced again after %s\n",
                roamer.name.c_str(), o.roam_nat.c_str(), r.fault_at_s,
                o.roam_notice ? "" : " (no network-change notice)", seconds_text(roamer.resync_s).c_str());
  }
  if (o.fault == "mapping-expiry") {
    std::printf("\n%-10s %-22s %22s %10s %18s\n", "client", "NAT", "measured idle lifetime", "keepalive",
                "sent while idle");
    for (const OutageClient& client : r.clients) {
      char lifetime[48];
      std::snprintf(lifetime, sizeof lifetime, "%s .. %s",
                    client.lifetime_lower_s < 0 ? "?" : seconds_text(client.lifetime_lower_s).c_str(),
                    client.lifetime_upper_s < 0 ? "?" : seconds_text(client.lifetime_upper_s).c_str());
      std::printf("%-10s %-22s %22s %8.1f s %18llu\n", client.name.c_str(), client.nat.c_str(), lifetime,
                  client.keepalive_s, static_cast<unsigned long long>(client.sent_while_idle));
    }
  }
  const std::filesystem::path json = std::filesystem::path(c.out) / "outage.json";
  if (!write_file(json, outage_to_json(r))) return 1;
  std::printf("%.0f s simulated in %.1f s wall (%llu events); wrote %s (plot: scenarios/plot_outage.py)\n",
              r.timeline.size() + 0.0, wall, static_cast<unsigned long long>(r.simulator_events), json.c_str());
  return 0;
}

struct PopulationCommand {
  PopulationOptions options;
  std::string nats;
  double delay_min_ms = 5, delay_max_ms = 40;
  double join_window_s = 30, duration_s = 60, traffic_interval_s = 5, churn_away_s = 10, direct_within_s = 10;
  std::string out = "out/population";
};

// "name:weight,name:weight" (a name alone weighs 1).
std::optional<std::vector<std::pair<std::string, double>>> parse_mix(const std::string& text) {
  std::vector<std::pair<std::string, double>> mix;
  for (const std::string& item : split_list(text)) {
    const std::size_t colon = item.find(':');
    if (colon == std::string::npos) {
      mix.emplace_back(item, 1.0);
      continue;
    }
    char* end = nullptr;
    const std::string weight = item.substr(colon + 1);
    const double w = std::strtod(weight.c_str(), &end);
    if (weight.empty() || *end != '\0') return std::nullopt;
    mix.emplace_back(item.substr(0, colon), w);
  }
  return mix;
}

int run_population_command(PopulationCommand c) {
  auto us = [](double ms) { return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)); };
  PopulationOptions& o = c.options;
  if (!c.nats.empty()) {
    auto mix = parse_mix(c.nats);
    if (!mix) {
      std::fprintf(stderr, "yellowtail-sim: --nats wants name:weight pairs, e.g. full-cone:2,symmetric-random:1\n");
      return 2;
    }
    o.nat_mix = *mix;
  }
  o.delay_min = us(c.delay_min_ms);
  o.delay_max = us(c.delay_max_ms);
  o.join_window = us(c.join_window_s * 1000);
  o.duration = us(c.duration_s * 1000);
  o.traffic_interval = us(c.traffic_interval_s * 1000);
  o.churn_away = us(c.churn_away_s * 1000);
  o.direct_within = us(c.direct_within_s * 1000);
  o.progress = true;
  if (auto error = check_population_options(o)) {
    std::fprintf(stderr, "yellowtail-sim: %s\n", error->c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) {
    std::fprintf(stderr, "yellowtail-sim: cannot create %s: %s\n", c.out.c_str(), ec.message().c_str());
    return 1;
  }
  std::string mix;
  for (const auto& [nat, weight] : o.nat_mix) mix += (mix.empty() ? "" : ", ") + nat + ":" + std::to_string(static_cast<int>(weight));
  std::printf("population: %d clients in networks of %d, %d relay%s, seed %llu; NAT mix %s\n", o.clients,
              o.network_size, o.relays, o.relays == 1 ? "" : "s", static_cast<unsigned long long>(o.seed), mix.c_str());
  std::fflush(stdout);
  auto ran = run_population(o);
  if (!ran) {
    std::fprintf(stderr, "yellowtail-sim: %s\n", ran.error().c_str());
    return 2;
  }
  const PopulationResult& r = *ran;
  auto percent = [](std::size_t part, std::size_t whole) { return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0; };
  std::printf("\n%-22s %8s %12s %8s %9s\n", "NAT", "clients", "pairs tried", "direct", "P2P rate");
  for (const PopulationNatRow& row : r.by_nat) {
    std::printf("%-22s %8zu %12zu %8zu %8.1f%%\n", row.nat.c_str(), row.clients, row.pairs_tried, row.pairs_direct,
                percent(row.pairs_direct, row.pairs_tried));
  }
  std::printf("%-22s %8d %12zu %8zu %8.1f%%\n", "all", o.clients, r.tried, r.direct, 100.0 * r.p2p_rate);
  std::printf("\nP2P rate %.1f%% (direct within %.0f s of both being online), connectivity %.1f%%, "
              "%zu of %zu pairs tried\n",
              100.0 * r.p2p_rate, c.direct_within_s, 100.0 * r.connectivity, r.tried, r.pairs);
  std::printf("time to direct: p50 %.2f s, p90 %.2f s, p99 %.2f s (%zu tunnels)\n", r.ttd_p50_s, r.ttd_p90_s,
              r.ttd_p99_s, r.time_to_direct_s.size());
  std::printf("traffic: %llu of %llu datagrams delivered (%.2f%%); churn: %llu departures\n",
              static_cast<unsigned long long>(r.traffic_delivered), static_cast<unsigned long long>(r.traffic_sent),
              r.traffic_sent ? 100.0 * static_cast<double>(r.traffic_delivered) / static_cast<double>(r.traffic_sent) : 0.0,
              static_cast<unsigned long long>(r.churned));
  std::printf("server: %llu logins (peak %llu/s), %llu tunnel instructions, %llu relay offers, peak %zu online\n",
              static_cast<unsigned long long>(r.logins), static_cast<unsigned long long>(r.peak_logins_per_s),
              static_cast<unsigned long long>(r.tunnel_instructions), static_cast<unsigned long long>(r.relay_offers),
              r.peak_online);
  std::printf("cost: %llu events in %.1f s wall (%.1f s building) on %d process%s, %.0f events/s, peak RSS %.0f MiB%s; "
              "%zu server control node%s\n",
              static_cast<unsigned long long>(r.simulator_events), r.wall_s, r.build_s, r.processes,
              r.processes == 1 ? "" : "es", r.events_per_s, static_cast<double>(r.peak_rss_bytes) / 1048576.0,
              r.processes == 1 ? "" : " (summed)", r.control_nodes, r.control_nodes == 1 ? "" : "s");
  const std::filesystem::path json = std::filesystem::path(c.out) / "population.json";
  if (!write_file(json, population_to_json(r))) return 1;
  std::printf("wrote %s\n", json.c_str());
  return 0;
}

struct ScenarioCommand {
  std::string file;
  std::optional<std::uint64_t> seed;
  std::string out = "out/scenario";
  bool quiet = false;
};

int run_scenario_command(const ScenarioCommand& c) {
  std::ifstream in(c.file);
  if (!in) {
    std::fprintf(stderr, "yellowtail-sim scenario: cannot read %s\n", c.file.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto spec = spec_from_json(text.str());
  if (!spec) {
    std::fprintf(stderr, "yellowtail-sim scenario: %s: %s\n", c.file.c_str(), spec.error().c_str());
    return 2;
  }
  if (c.seed) spec->seed = *c.seed;
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) {
    std::fprintf(stderr, "yellowtail-sim scenario: cannot create %s: %s\n", c.out.c_str(), ec.message().c_str());
    return 1;
  }
  auto ran = run_spec(*spec);
  if (!ran) {
    std::fprintf(stderr, "yellowtail-sim scenario: %s: %s\n", c.file.c_str(), ran.error().c_str());
    return 2;
  }
  if (!c.quiet) {
    std::printf("event log (simulated seconds):\n");
    for (const std::string& line : ran->log) std::printf("  %s\n", line.c_str());
    std::printf("\n");
  }
  std::printf("%s", spec_result_table(*ran).c_str());
  std::printf("cost: %llu events in %.2f s wall\n", static_cast<unsigned long long>(ran->simulator_events), ran->wall_s);
  const std::filesystem::path json = std::filesystem::path(c.out) / "scenario.json";
  if (!write_file(json, spec_result_to_json(*ran))) return 1;
  std::printf("wrote %s\n", json.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"yellowtail-sim: run yellowtail scenarios inside ns-3, with the same client and server\n"
               "cores as the real daemons."};
  app.require_subcommand(1);

  DemoOptions demo;
  bool demo_quiet = false;
  double demo_delay_ms = 15;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo",
      "a server and two clients (alice, bob): login, discovery, create/join (one wrong\n"
      "password first), a server-driven direct tunnel, encrypted datagrams both ways");
  demo_cmd->add_option("--seed", demo.seed, "ns-3 run number; the same seed gives the same log")->capture_default_str();
  demo_cmd->add_option("--delay-ms", demo_delay_ms, "one-way delay of each access link (ms)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  demo_cmd->add_option("--loss", demo.loss_rate, "packet loss probability on each access link")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  demo_cmd->add_option("--messages", demo.messages, "datagrams alice sends; bob echoes each")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  demo_cmd->add_flag("--quiet", demo_quiet, "print only the summary");

  MatrixOptions matrix;
  CLI::App* matrix_cmd = app.add_subcommand(
      "nat-matrix",
      "every ordered pair of NAT profiles x seeds x strategies; each attempt is one\n"
      "isolated run classified direct/relayed/failed by the path its data took.\n"
      "Prints a P2P-rate table and writes results.json and results.csv");
  matrix_cmd->add_option("--profiles", matrix.profiles, "comma-separated profile names, or 'all'")->capture_default_str();
  matrix_cmd->add_option("--strategies", matrix.strategies, "comma-separated: naive, current")->capture_default_str();
  matrix_cmd->add_option("--seeds", matrix.seeds, "seeds per pair and strategy")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  matrix_cmd->add_option("--first-seed", matrix.first_seed, "first seed (ns-3 run number)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  matrix_cmd->add_option("--delay-ms", matrix.delay_ms, "one-way delay of each access link (ms)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  matrix_cmd->add_option("--loss", matrix.loss, "packet loss probability on each access link")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  matrix_cmd->add_option("--time-limit", matrix.time_limit_s, "seconds after both are online (T of the P2P rate)")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  matrix_cmd->add_option("--out", matrix.out, "output directory")->capture_default_str();
  matrix_cmd->add_option("--fault", matrix.fault,
                         "inject a fault: block-peer-udp (clients drop all UDP except to the server)")
      ->check(CLI::IsMember(fault_names()));
  matrix_cmd->add_option("--relay", matrix.relay_mode,
                         "when clients bind the server's relay: first (at the instruction, beside punching) or "
                         "last (only after the punch window failed)")
      ->check(CLI::IsMember(relay_mode_names()))
      ->capture_default_str();
  matrix_cmd->add_option("--disable", matrix.disable,
                         "comma-separated punch techniques the 'current' strategy leaves out, to measure what "
                         "each adds: lan, prediction, serialize, prepunch, follower-delay, birthday, tcp, portmap");
  matrix_cmd->add_option("--background-flows", matrix.background_flows_per_s,
                         "another host behind each NAT opens this many new flows a second (Poisson), moving a "
                         "sequential NAT's port counter between discovery and punch; 0: none")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  matrix_cmd->add_option("--jitter-ms", matrix.jitter_ms,
                         "each packet through a NAT waits a uniform 0..N ms more (packets may overtake); 0: none")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  matrix_cmd->add_option("--mapping-timeout", matrix.mapping_timeout_s,
                         "both NATs forget an idle UDP mapping after this many seconds; 0: each profile's own")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  matrix_cmd->add_flag("--quiet", matrix.quiet, "no progress output");

  NatMixCommand nat_mix;
  CLI::App* nat_mix_cmd = add_nat_mix_command(app, nat_mix);

  PublicPeerCommand public_peer;
  CLI::App* public_peer_cmd = app.add_subcommand(
      "public-peer",
      "three members: alice behind a NAT on a slow LAN, frank on a public address near\n"
      "the core, bob behind another NAT. Shows the Linux conntrack clash (frank's early\n"
      "probe takes alice's port, bob punches at the old one) and the server's follower\n"
      "delay that prevents it; --follower-delay-ms 0 turns the prevention off");
  public_peer_cmd->add_option("--seed", public_peer.options.seed, "first ns-3 run number")->capture_default_str();
  public_peer_cmd->add_option("--seeds", public_peer.seeds, "runs, one per seed")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  public_peer_cmd->add_option("--alice-nat", public_peer.options.alice_nat, "alice's NAT profile")
      ->capture_default_str();
  public_peer_cmd->add_option("--bob-nat", public_peer.options.bob_nat, "bob's NAT profile")->capture_default_str();
  public_peer_cmd->add_option("--delay-ms", public_peer.access_delay_ms, "one-way delay of the server's and NATs' access links")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  public_peer_cmd->add_option("--public-delay-ms", public_peer.public_delay_ms, "one-way delay of frank's access link")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  public_peer_cmd->add_option("--lan-delay-ms", public_peer.lan_delay_ms, "one-way delay of alice's LAN (a point-to-point hop)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  public_peer_cmd->add_option("--follower-delay-ms", public_peer.follower_delay_ms,
                              "the server's punch follower delay (default: the server's own)")
      ->check(CLI::Range(0.0, 60000.0));
  public_peer_cmd->add_flag("--log", public_peer.log, "print each run's time-stamped event log");

  RelayChoiceCommand relay_choice;
  CLI::App* relay_choice_cmd = app.add_subcommand(
      "relay-choice",
      "clients whose pairs cannot punch (random-port NATs), separate relays at different\n"
      "delays and the server's built-in relay: each pair should get the relay with the\n"
      "lowest latency for it (stretch 1.0); then the busiest relay fails and its pairs\n"
      "should move to the next best. Exit status 1 when a pair is left without a relay");
  relay_choice_cmd->add_option("--seed", relay_choice.options.seed, "ns-3 run number")->capture_default_str();
  relay_choice_cmd->add_option("--relay-delays-ms", relay_choice.relay_delays_ms,
                               "one-way access delay of each separate relay (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  relay_choice_cmd->add_option("--client-delays-ms", relay_choice.client_delays_ms,
                               "one-way access delay of each client's NAT site (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  relay_choice_cmd->add_option("--server-delay-ms", relay_choice.server_delay_ms,
                               "one-way access delay of the server (its built-in relay)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  relay_choice_cmd->add_option("--client-nat", relay_choice.options.client_nat, "the clients' NAT profile")
      ->capture_default_str();
  relay_choice_cmd->add_option("--time-limit", relay_choice.time_limit_s, "seconds each phase may take")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  relay_choice_cmd->add_flag("--no-failure", relay_choice.no_failure, "no relay fails");
  relay_choice_cmd->add_flag("--log", relay_choice.log, "print the time-stamped event log");

  OutageCommand outage;
  CLI::App* outage_cmd = app.add_subcommand(
      "outage",
      "established tunnels (direct and relayed) with steady traffic, then one fault:\n"
      "  server-down     the server dies; a fresh process starts on its database after --duration\n"
      "  nat-reboot      --side's NAT loses every mapping (--new-ip: and its public address)\n"
      "  link-outage     --side's access link drops everything for --duration\n"
      "  loss-burst      --side's access link loses --burst-loss of its packets for --duration\n"
      "  mapping-expiry  NATs drop idle UDP mappings after --nat-timeout; traffic pauses for\n"
      "                  max(--duration, 2 x --nat-timeout), only keepalives run\n"
      "  relay-down      the busiest separate relay dies\n"
      "  roam            --side's host moves to a new network behind a --roam-nat NAT (Wi-Fi to\n"
      "                  LTE); its OS tells the client (--roam-silent: it does not)\n"
      "Prints outage survival (tunnels that lost nothing beyond the link's), loss, longest\n"
      "gap and recovery time per tunnel; writes outage.json with a delivery timeline");
  outage_cmd->add_option("--fault", outage.options.fault, "the fault")
      ->check(CLI::IsMember(outage_fault_names()))
      ->capture_default_str();
  outage_cmd->add_option("--duration", outage.duration_s, "seconds the fault lasts")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  outage_cmd->add_option("--seed", outage.options.seed, "ns-3 run number")->capture_default_str();
  outage_cmd->add_option("--clients", outage.options.clients, "clients, all in one network")
      ->check(CLI::Range(2, 32))
      ->capture_default_str();
  outage_cmd->add_option("--nats", outage.nats,
                         "comma-separated NAT profiles, given to the clients round robin "
                         "(default: port-restricted-cone,linux-masquerade,full-cone,symmetric-random,"
                         "symmetric-random,symmetric-random)");
  outage_cmd->add_option("--relays", outage.options.relays, "separate relays besides the server's built-in one")
      ->check(CLI::Range(0, 4))
      ->capture_default_str();
  outage_cmd->add_option("--delay-ms", outage.delay_ms, "one-way delay of every access link (ms)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  outage_cmd->add_option("--interval-ms", outage.interval_ms, "between two datagrams on one direction of a tunnel")
      ->check(CLI::Range(10.0, 10000.0))
      ->capture_default_str();
  outage_cmd->add_option("--side", outage.options.side, "the client a one-sided fault hits (1-based)")
      ->capture_default_str();
  outage_cmd->add_flag("--new-ip", outage.options.new_ip, "nat-reboot: the NAT comes back with a new public address");
  outage_cmd->add_option("--roam-nat", outage.options.roam_nat, "roam: the NAT profile of the network moved to")
      ->check(CLI::IsMember(matrix_profile_names()))
      ->capture_default_str();
  outage_cmd->add_flag("--roam-silent", [&outage](std::int64_t) { outage.options.roam_notice = false; },
                       "roam: no network-change notice; the client notices by timeouts alone");
  outage_cmd->add_option("--burst-loss", outage.options.burst_loss, "loss-burst: loss rate during the burst")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  outage_cmd->add_option("--nat-timeout", outage.nat_timeout_s, "mapping-expiry: NAT idle UDP mapping lifetime (s)")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  outage_cmd->add_option("--settle", outage.settle_s, "seconds of steady traffic on every tunnel before the fault")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  outage_cmd->add_option("--observe", outage.observe_s, "seconds watched after the fault ends")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  outage_cmd->add_option("--out", outage.out, "output directory for outage.json")->capture_default_str();
  outage_cmd->add_flag("--log", outage.log, "print the time-stamped event log");

  PopulationCommand population;
  CLI::App* population_cmd = app.add_subcommand(
      "population",
      "many clients from a NAT mix, in networks, logging in over a join window, with traffic on\n"
      "their tunnels and churn: P2P rate, connectivity, time to direct, server load, and the\n"
      "run's own cost (events/s, wall time, peak RSS); writes population.json");
  population_cmd->add_option("--clients", population.options.clients, "clients (one per NAT: a household)")
      ->check(CLI::Range(2, 30000))
      ->capture_default_str();
  population_cmd->add_option("--nats", population.nats,
                             "NAT mix as name:weight pairs (default: linux-masquerade:30,port-restricted-cone:25,"
                             "restricted-cone:10,full-cone:5,symmetric-sequential:5,symmetric-random:10,cgnat:10,"
                             "udp-blocked:5)");
  population_cmd->add_option("--network-size", population.options.network_size, "members per network")
      ->check(CLI::Range(2, 256))
      ->capture_default_str();
  population_cmd->add_option("--relays", population.options.relays, "separate relays")
      ->check(CLI::Range(0, 8))
      ->capture_default_str();
  population_cmd->add_option("--delay-min-ms", population.delay_min_ms, "shortest one-way access delay")
      ->capture_default_str();
  population_cmd->add_option("--delay-max-ms", population.delay_max_ms, "longest one-way access delay")
      ->capture_default_str();
  population_cmd->add_option("--join-window", population.join_window_s, "seconds over which clients log in")
      ->capture_default_str();
  population_cmd->add_option("--duration", population.duration_s, "simulated seconds")->capture_default_str();
  population_cmd->add_option("--traffic-interval", population.traffic_interval_s,
                             "seconds between a client's datagrams to each tunnelled peer (0: none)")
      ->capture_default_str();
  population_cmd->add_option("--churn", population.options.churn_per_minute,
                             "share of online clients that leave per minute")
      ->capture_default_str();
  population_cmd->add_option("--churn-away", population.churn_away_s, "seconds a departed client stays away")
      ->capture_default_str();
  population_cmd->add_option("--direct-within", population.direct_within_s,
                             "the P2P rate's window: direct within this many seconds of both being online")
      ->capture_default_str();
  population_cmd->add_option("--clients-per-control-node", population.options.clients_per_control_node,
                             "the server takes control connections on an ns-3 node per this many clients "
                             "(a simulator cost: ns-3 scans a node's TCP endpoints per segment)")
      ->capture_default_str();
  population_cmd->add_option("--processes", population.options.processes,
                             "processes to split the run over, 1 or 2 (the same results either way; "
                             "2 needs --delay-min-ms of at least 1)")
      ->capture_default_str();
  population_cmd->add_option("--seed", population.options.seed, "ns-3 run number")->capture_default_str();
  population_cmd->add_option("--out", population.out, "output directory for population.json")->capture_default_str();

  ScenarioCommand scenario;
  CLI::App* scenario_cmd = app.add_subcommand(
      "scenario",
      "a scenario described in a JSON file: sites (LANs behind NATs given by profile or RFC 4787\n"
      "parameters, stacked NATs, public hosts), relays, networks and a timeline of joins, leaves,\n"
      "traffic and faults (the same description yellowtail.Scenario builds in Python; see\n"
      "scenarios/examples/). Prints each pair's outcome and each flow's delivery; writes scenario.json");
  scenario_cmd->add_option("file", scenario.file, "the scenario (JSON)")->required();
  scenario_cmd->add_option("--seed", scenario.seed, "ns-3 run number (default: the file's seed)");
  scenario_cmd->add_option("--out", scenario.out, "output directory for scenario.json")->capture_default_str();
  scenario_cmd->add_flag("--quiet", scenario.quiet, "no event log");

  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep",
      "a scenario at every point of a parameter grid, on a Dask cluster (a LocalCluster of two\n"
      "workers by default) or serially; resumable. Everything after `sweep` goes to\n"
      "`python3 -m yellowtail sweep` (see `yellowtail-sim sweep --help`), e.g.\n"
      "  yellowtail-sim sweep outage --grid fault=nat-reboot,relay-down --seeds 1-4");
  sweep_cmd->prefix_command();
  sweep_cmd->set_help_flag();

  CLI11_PARSE(app, argc, argv);
  if (*sweep_cmd) return exec_python_sweep(sweep_cmd->remaining());
  if (*scenario_cmd) return run_scenario_command(scenario);
  if (*population_cmd) return run_population_command(population);
  if (*nat_mix_cmd) return run_nat_mix_command(nat_mix);
  if (*outage_cmd) return run_outage_command(outage);
  if (*relay_choice_cmd) return run_relay_choice_command(relay_choice);
  if (*public_peer_cmd) return run_public_peer_command(public_peer);
  if (*demo_cmd) {
    demo.access_delay = std::chrono::microseconds(static_cast<std::int64_t>(demo_delay_ms * 1000));
    return run_demo_command(demo, demo_quiet);
  }
  return run_matrix_command(matrix);
}
