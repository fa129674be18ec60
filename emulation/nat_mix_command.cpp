#include "emulation/nat_mix_command.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "emulation/matrix_scenario.h"
#include "emulation/nat_mix_scenario.h"
#include "server/core/punch_techniques.h"

namespace yt::emulation {

CLI::App* add_nat_mix_command(CLI::App& app, NatMixCommand& c) {
  CLI::App* cmd = app.add_subcommand(
      "nat-mix",
      "the P2P rate and connectivity of a population given by a NAT mix file (profile shares\n"
      "and their sources, e.g. scenarios/mixes/residential-broadband.json): samples pairs from\n"
      "the shares, runs each as one nat-matrix attempt with its own seed, and prints both rates\n"
      "with 95% intervals overall and per pair of profiles; writes results.json");
  cmd->add_option("--mix", c.mix_file, "the mix file (JSON)")->required();
  cmd->add_option("--pairs", c.pairs, "pairs sampled and run")
      ->check(CLI::Range(1, kMaxNatMixPairs))
      ->capture_default_str();
  cmd->add_option("--seed", c.seed, "draws the pairs and numbers their attempts")
      ->check(CLI::Range(1, 1000000000))
      ->capture_default_str();
  cmd->add_option("--strategy", c.strategy, "naive or current")->check(CLI::IsMember(strategy_names()))->capture_default_str();
  cmd->add_option("--disable", c.disable,
                  "comma-separated punch techniques the 'current' strategy leaves out: lan, prediction, serialize, "
                  "prepunch, follower-delay, birthday, tcp, portmap");
  cmd->add_option("--delay-ms", c.delay_ms, "one-way delay of each access link (ms)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  cmd->add_option("--loss", c.loss, "packet loss probability on each access link")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--time-limit", c.time_limit_s, "seconds after both are online (T of the P2P rate)")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--relay", c.relay_mode, "when clients bind the server's relay: first or last")
      ->check(CLI::IsMember(relay_mode_names()))
      ->capture_default_str();
  cmd->add_option("--out", c.out, "output directory for results.json")->capture_default_str();
  cmd->add_flag("--quiet", c.quiet, "no progress output");
  return cmd;
}

int run_nat_mix_command(const NatMixCommand& c) {
  auto mix = load_nat_mix(c.mix_file);
  if (!mix) {
    std::fprintf(stderr, "yellowtail-sim nat-mix: %s\n", mix.error().c_str());
    return 2;
  }
  auto disabled = parse_techniques(c.disable);
  if (!disabled) {
    std::fprintf(stderr, "yellowtail-sim nat-mix: --disable: %s\n", disabled.error().c_str());
    return 2;
  }
  auto us = [](double ms) { return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)); };
  NatMixOptions o;
  o.mix = *mix;
  o.pairs = c.pairs;
  o.seed = c.seed;
  o.strategy = c.strategy;
  o.disable.assign(disabled->begin(), disabled->end());
  o.access_delay = us(c.delay_ms);
  o.loss_rate = c.loss;
  o.time_limit = us(c.time_limit_s * 1000);
  o.relay_mode = c.relay_mode;
  if (auto error = check_nat_mix_options(o)) {
    std::fprintf(stderr, "yellowtail-sim nat-mix: %s\n", error->c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) {
    std::fprintf(stderr, "yellowtail-sim nat-mix: cannot create %s: %s\n", c.out.c_str(), ec.message().c_str());
    return 1;
  }

  const bool tty = ::isatty(STDERR_FILENO);
  int last_percent = -1;
  auto progress = [&](int done, int total) {
    if (c.quiet) return;
    const int percent = done * 100 / total;
    if (tty) {
      std::fprintf(stderr, "\r  %d/%d pairs (%d%%)", done, total, percent);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (percent / 10 != last_percent / 10 || done == total) {
      std::fprintf(stderr, "  %d/%d pairs (%d%%)\n", done, total, percent);
    }
    last_percent = percent;
  };
  if (!c.quiet) {
    std::fprintf(stderr, "nat-mix: %s, %zu profiles, %d pairs, seed %llu, strategy %s\n",
                 o.mix.name.empty() ? c.mix_file.c_str() : o.mix.name.c_str(), o.mix.shares.size(), o.pairs,
                 static_cast<unsigned long long>(o.seed), o.strategy.c_str());
  }
  auto ran = run_nat_mix(o, progress);
  if (!ran) {
    std::fprintf(stderr, "yellowtail-sim nat-mix: %s\n", ran.error().c_str());
    return 2;
  }
  const std::filesystem::path json = std::filesystem::path(c.out) / "results.json";
  std::ofstream out(json, std::ios::binary | std::ios::trunc);
  out << nat_mix_result_to_json(*ran);
  out.close();
  if (!out) {
    std::fprintf(stderr, "yellowtail-sim nat-mix: cannot write %s\n", json.c_str());
    return 1;
  }
  std::printf("%s", nat_mix_table(*ran).c_str());
  std::printf("%d attempts in %.1f s wall, %llu simulator events; wrote %s\n", ran->overall.pairs, ran->wall_s,
              static_cast<unsigned long long>(ran->simulator_events), json.c_str());
  return 0;
}

}  // namespace yt::emulation
