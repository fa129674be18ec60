// yellowtail-sim: runs the simulated demo and prints what happened.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "emulation/demo_scenario.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: yellowtail-sim demo [--seed N] [--delay-ms N] [--loss P] [--messages N] [--quiet]\n"
               "\n"
               "Runs a mediation server and two clients (alice, bob) inside ns-3: login,\n"
               "discovery, network create/join (with one wrong password first), a\n"
               "server-driven direct tunnel, and encrypted datagrams both ways.\n"
               "\n"
               "  --seed N       ns-3 run number; the same seed gives the same log (default 1)\n"
               "  --delay-ms N   one-way delay of each access link in ms (default 15)\n"
               "  --loss P       packet loss probability on each access link (default 0)\n"
               "  --messages N   datagrams alice sends; bob echoes each (default 10)\n"
               "  --quiet        print only the summary\n");
}

bool parse_number(const char* text, double& out) {
  char* end = nullptr;
  out = std::strtod(text, &end);
  return end && *end == '\0' && end != text;
}

}  // namespace

int main(int argc, char** argv) {
  yt::emulation::DemoOptions options;
  bool quiet = false;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "demo") != 0) {
    std::fprintf(stderr, "yellowtail-sim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    double value = 0;
    bool needs_value = arg == "--seed" || arg == "--delay-ms" || arg == "--loss" || arg == "--messages";
    if (arg == "--quiet") {
      quiet = true;
      continue;
    }
    if (!needs_value) {
      std::fprintf(stderr, "yellowtail-sim: unknown option '%s'\n", arg.c_str());
      return 2;
    }
    if (i + 1 >= argc || !parse_number(argv[i + 1], value) || value < 0) {
      std::fprintf(stderr, "yellowtail-sim: %s needs a non-negative number\n", arg.c_str());
      return 2;
    }
    ++i;
    if (arg == "--seed") options.seed = static_cast<std::uint64_t>(value);
    if (arg == "--delay-ms") options.access_delay = std::chrono::microseconds(static_cast<long>(value * 1000));
    if (arg == "--loss") {
      if (value > 1) {
        std::fprintf(stderr, "yellowtail-sim: --loss is a probability in [0, 1]\n");
        return 2;
      }
      options.loss_rate = value;
    }
    if (arg == "--messages") options.messages = static_cast<int>(value);
  }

  auto wall_start = std::chrono::steady_clock::now();
  yt::emulation::DemoResult r = yt::emulation::run_demo(options);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  if (!quiet) {
    std::printf("event log (simulated seconds):\n");
    for (const std::string& line : r.log) std::printf("  %s\n", line.c_str());
    std::printf("\n");
  }
  std::printf("%-34s %s\n", "wrong password refused", r.wrong_password_refused ? "yes" : "NO");
  std::printf("%-34s %s\n", "direct tunnel (alice / bob)",
              (std::string(r.alice_tunnel_up ? "up" : "DOWN") + " / " + (r.bob_tunnel_up ? "up" : "DOWN")).c_str());
  std::printf("%-34s %lld ms\n", "time to direct (alice)", static_cast<long long>(yt::to_ms(r.alice_time_to_direct)));
  std::printf("%-34s %d / %d\n", "datagrams alice -> bob delivered", r.delivered, r.sent);
  std::printf("%-34s %d / %d\n", "echoes bob -> alice delivered", r.echoed, r.delivered);
  std::printf("%-34s %.1f s simulated in %.2f s\n", "run", r.simulated_seconds, wall);
  bool ok = r.alice_tunnel_up && r.bob_tunnel_up && r.wrong_password_refused && r.sent == options.messages &&
            (options.loss_rate > 0 || (r.delivered == r.sent && r.echoed == r.delivered));
  return ok ? 0 : 1;
}
