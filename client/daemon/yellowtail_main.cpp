// yellowtail: the command-line interface to yellowtaild (see cli_args.h).
#include <cstdio>

#include "client/daemon/cli_args.h"
#include "client/daemon/cli_format.h"
#include "client/daemon/control_client.h"
#include "protocol/display_name.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  yt::CliParse parsed = yt::parse_cli(args);
  if (!parsed.run) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == yt::kExitOk ? stdout : stderr);
    return parsed.exit_code;
  }
  const yt::CliInvocation& inv = parsed.invocation;
  auto response = yt::call_daemon(inv.socket, inv.request, inv.timeout);
  if (!response) {
    std::fprintf(stderr, "yellowtail: %s\n", response.error().message.c_str());
    return response.error().unreachable ? yt::kExitUnreachable : yt::kExitFailed;
  }
  if (!response->ok) {
    // Errors quote names, reasons and texts that came from elsewhere.
    std::fprintf(stderr, "yellowtail: %s\n", yt::escape_unsafe(response->error).c_str());
    return yt::kExitFailed;
  }
  if (inv.json) {
    std::printf("%s\n", response->result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fputs(yt::format_result(inv.request.command, response->result).c_str(), stdout);
  }
  return yt::kExitOk;
}
