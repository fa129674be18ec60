// yellowtail-sim nat-mix: the population P2P rate of a NAT mix file
// (nat_mix_scenario.h). In a file of its own so sim_main.cpp does not grow.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace yt::emulation {

struct NatMixCommand {
  std::string mix_file;
  int pairs = 400;
  std::uint64_t seed = 1;
  std::string strategy = "current";
  std::string disable;
  double delay_ms = 20;
  double loss = 0;
  double time_limit_s = 15;
  std::string relay_mode = "first";
  std::string out = "out/nat-mix";
  bool quiet = false;
};

// Registers the subcommand and its options, bound to `command`.
CLI::App* add_nat_mix_command(CLI::App& app, NatMixCommand& command);
// Runs it: the table on stdout, progress on stderr, results.json in --out.
// Exit status 0, or 2 for a bad mix or option, 1 when the results cannot be written.
int run_nat_mix_command(const NatMixCommand& command);

}  // namespace yt::emulation
