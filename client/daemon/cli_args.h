// The yellowtail CLI's command line, turned into one control request (control
// protocol, control_protocol.h). Kept apart from main() so tests can run it.
//
//   yellowtail [--socket PATH] [--json] [--timeout S] COMMAND [ARGS]
//   status | list | login | logout | create NET [--password P] | join NET [--password P]
//   leave NET | set-nick NICK | go-online NET | go-offline NET
//   chat NET|PEER MESSAGE... | history [NET|PEER] [--limit N] | ui
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "client/daemon/control_protocol.h"

namespace yt {

constexpr char kDefaultControlSocket[] = "/run/yellowtail/control.sock";

struct CliInvocation {
  ControlRequest request;
  bool json = false;       // print the daemon's JSON result instead of text
  std::string socket = kDefaultControlSocket;
  // How long to wait for the daemon's answer: a join waits for the server.
  std::chrono::seconds timeout{30};
};

// What to do after parsing: run `invocation`, or exit with `exit_code` after
// printing `output` (help text on stdout for code 0, an error on stderr otherwise).
struct CliParse {
  bool run = false;
  CliInvocation invocation;
  int exit_code = 0;
  std::string output;
};

// Exit codes of the CLI.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;       // the daemon refused or the request failed
constexpr int kExitUsage = 2;        // wrong command line
constexpr int kExitUnreachable = 3;  // no daemon answering on the socket

// `args` without the program name.
CliParse parse_cli(const std::vector<std::string>& args);

}  // namespace yt
