#include "client/daemon/cli_args.h"

#include <CLI/CLI.hpp>

#include <sstream>

namespace yt {
namespace {

constexpr char kDescription[] =
    "yellowtail: control the yellowtail daemon (yellowtaild). Networks are virtual LANs:\n"
    "create one, have friends join it, and their machines appear on your adapter.";

struct Args {
  std::string network, password, nickname, target, with;
  std::vector<std::string> message;
  std::int64_t limit = 50;
};

}  // namespace

CliParse parse_cli(const std::vector<std::string>& args) {
  CLI::App app{kDescription, "yellowtail"};
  app.require_subcommand(1);
  app.fallthrough();  // `yellowtail list --json` as well as `yellowtail --json list`
  CliParse parsed;
  CliInvocation& inv = parsed.invocation;
  Args a;
  std::int64_t timeout = inv.timeout.count();
  app.add_option("--socket", inv.socket, "the daemon's control socket")->capture_default_str();
  app.add_flag("--json", inv.json, "print the result as JSON (one object)");
  app.add_option("--timeout", timeout, "seconds to wait for the daemon's answer")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  auto network_arg = [&](CLI::App* sub) { sub->add_option("NET", a.network, "network name")->required(); };
  app.add_subcommand("status", "this machine: login state, addresses, adapter, counters");
  app.add_subcommand("list", "networks and their peers: online, direct or not (and why), RTT");
  app.add_subcommand("login", "log in to the server (again, after logout)");
  app.add_subcommand("logout", "log out and close every tunnel; stays so across restarts");
  for (const char* name : {"create", "join"}) {
    CLI::App* sub = app.add_subcommand(name, std::string(name) + " a network");
    network_arg(sub);
    sub->add_option("--password", a.password, "the network's password");
  }
  network_arg(app.add_subcommand("leave", "leave a network"));
  app.add_subcommand("set-nick", "set the nickname peers see")
      ->add_option("NICK", a.nickname, "new nickname, 1-64 bytes")
      ->required();
  network_arg(app.add_subcommand("go-online", "carry a network's traffic again"));
  network_arg(app.add_subcommand("go-offline", "stop carrying a network's traffic on this machine"));
  CLI::App* chat = app.add_subcommand("chat", "send a chat message to a network or to one peer");
  chat->add_option("TARGET", a.target, "network name, or a peer's nickname, virtual IP or node id")->required();
  chat->add_option("MESSAGE", a.message, "the text (the rest of the line)")->required();
  CLI::App* history = app.add_subcommand("history", "show chat history");
  history->alias("chat-history");
  history->add_option("WITH", a.with, "only this network or peer");
  history->add_option("--limit", a.limit, "at most this many messages")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_subcommand("ui", "print the web UI's address (with its access token) to open in a browser");

  // CLI11 reports an unknown command as "a subcommand is required": say what is wrong.
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--socket" || arg == "--timeout") {
      ++i;
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->check_name(arg);
    if (!known) {
      parsed.exit_code = kExitUsage;
      parsed.output = "unknown command '" + arg + "'\nRun with --help for more information.\n";
      return parsed;
    }
    break;
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    int code = app.exit(e, out, err);
    parsed.exit_code = code == 0 ? kExitOk : kExitUsage;
    parsed.output = code == 0 ? out.str() : err.str();
    if (parsed.output.empty()) parsed.output = out.str() + err.str();
    return parsed;
  }
  inv.timeout = std::chrono::seconds(timeout);
  CLI::App* sub = app.get_subcommands().front();
  std::string name = sub->get_name();
  ControlRequest& r = inv.request;
  r.command = name == "history" ? "chat-history" : name;
  if (name == "create" || name == "join" || name == "leave" || name == "go-online" || name == "go-offline") {
    r.args["network"] = a.network;
    const CLI::Option* password = sub->get_option_no_throw("--password");
    if (password && password->count() > 0) r.args["password"] = a.password;
  } else if (name == "set-nick") {
    r.args["nickname"] = a.nickname;
  } else if (name == "chat") {
    std::string text;
    for (const std::string& word : a.message) text += (text.empty() ? "" : " ") + word;
    r.args["to"] = a.target;
    r.args["text"] = text;
  } else if (name == "history") {
    if (!a.with.empty()) r.args["with"] = a.with;
    r.args["limit"] = a.limit;
  }
  parsed.run = true;
  return parsed;
}

}  // namespace yt
