#include <gtest/gtest.h>

#include <algorithm>

#include "client/daemon/cli_args.h"
#include "client/daemon/cli_format.h"
#include "client/daemon/control_client.h"

namespace yt {
namespace {

TEST(CliArgs, CommandsBecomeRequests) {
  CliParse p = parse_cli({"join", "lan", "--password", "secret"});
  ASSERT_TRUE(p.run) << p.output;
  EXPECT_EQ(p.invocation.request.command, "join");
  EXPECT_EQ(p.invocation.request.args.at("network"), "lan");
  EXPECT_EQ(p.invocation.request.args.at("password"), "secret");

  p = parse_cli({"create", "lan"});
  ASSERT_TRUE(p.run);
  EXPECT_FALSE(p.invocation.request.args.contains("password"));

  p = parse_cli({"chat", "bob", "hello", "there"});
  ASSERT_TRUE(p.run);
  EXPECT_EQ(p.invocation.request.args.at("to"), "bob");
  EXPECT_EQ(p.invocation.request.args.at("text"), "hello there");

  p = parse_cli({"history", "lan", "--limit", "5"});
  ASSERT_TRUE(p.run);
  EXPECT_EQ(p.invocation.request.command, "chat-history");
  EXPECT_EQ(p.invocation.request.args.at("with"), "lan");
  EXPECT_EQ(p.invocation.request.args.at("limit"), 5);

  p = parse_cli({"set-nick", "carol"});
  ASSERT_TRUE(p.run);
  EXPECT_EQ(p.invocation.request.args.at("nickname"), "carol");
  for (const char* name : {"go-online", "go-offline", "leave"}) {
    p = parse_cli({name, "lan"});
    ASSERT_TRUE(p.run) << name;
    EXPECT_EQ(p.invocation.request.command, name);
  }
}

TEST(CliArgs, EveryRequestItBuildsIsValidProtocol) {
  const std::vector<std::vector<std::string>> lines = {
      {"status"}, {"list"}, {"login"}, {"logout"}, {"create", "a", "--password", "p"}, {"join", "a"},
      {"leave", "a"}, {"set-nick", "n"}, {"go-online", "a"}, {"go-offline", "a"}, {"chat", "a", "b"},
      {"history"}, {"chat-history", "bob"}, {"ui"}};
  for (const auto& line : lines) {
    CliParse p = parse_cli(line);
    ASSERT_TRUE(p.run) << line[0] << ": " << p.output;
    auto parsed = parse_control_request(encode_control_request(p.invocation.request));
    EXPECT_TRUE(parsed.ok()) << line[0] << ": " << (parsed.ok() ? "" : parsed.error());
  }
}

TEST(CliArgs, JsonSocketAndTimeoutBeforeOrAfterTheCommand) {
  CliParse p = parse_cli({"--json", "--socket", "/tmp/s", "list"});
  ASSERT_TRUE(p.run);
  EXPECT_TRUE(p.invocation.json);
  EXPECT_EQ(p.invocation.socket, "/tmp/s");
  p = parse_cli({"status", "--json", "--timeout", "3"});
  ASSERT_TRUE(p.run) << p.output;
  EXPECT_TRUE(p.invocation.json);
  EXPECT_EQ(p.invocation.timeout.count(), 3);
  EXPECT_EQ(p.invocation.socket, kDefaultControlSocket);
}

TEST(CliArgs, HelpEverywhereExitsZero) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"join", "--help"}, {"chat", "--help"}, {"list", "-h"}}) {
    CliParse p = parse_cli(args);
    EXPECT_FALSE(p.run);
    EXPECT_EQ(p.exit_code, kExitOk);
    EXPECT_NE(p.output.find("Usage"), std::string::npos) << p.output;
  }
}

TEST(CliArgs, WrongInputIsAUsageError) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"join"}, {"chat", "bob"}, {"set-nick"}, {"list", "extra"},
           {"history", "--limit", "0"}, {"--timeout", "0", "list"}, {"status", "--bogus"}}) {
    CliParse p = parse_cli(args);
    EXPECT_FALSE(p.run) << (args.empty() ? "(none)" : args[0]);
    EXPECT_EQ(p.exit_code, kExitUsage) << (args.empty() ? "(none)" : args[0]);
    EXPECT_FALSE(p.output.empty());
  }
}

TEST(CliArgs, UnknownCommandIsNamed) {
  CliParse p = parse_cli({"--json", "frobnicate", "x"});
  EXPECT_FALSE(p.run);
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.output.find("unknown command 'frobnicate'"), std::string::npos) << p.output;
  EXPECT_TRUE(parse_cli({"--socket", "/tmp/list", "chat-history"}).run);  // option values are not commands
}

TEST(CliFormat, ListShowsDirectRelayedAndUnreachablePeers) {
  nlohmann::json result = nlohmann::json::parse(R"({
    "networks": [{"name": "lan", "online": true, "members": 4}],
    "peers": [
      {"nickname": "bob", "node_id": "aaaa-bbbb-cccc", "virtual_ip": "25.0.0.2", "online": true,
       "networks": ["lan"], "connection": "direct", "path": "198.51.100.18:4000", "rtt_ms": 1.5, "reason": ""},
      {"nickname": "carol", "node_id": "1111-2222-3333", "virtual_ip": "25.0.0.4", "online": true,
       "networks": ["lan"], "connection": "relayed", "path": "198.51.100.1:3478", "relay_transport": "udp",
       "rtt_ms": 3.25, "reason": ""},
      {"nickname": "", "node_id": "dddd-eeee-ffff", "virtual_ip": "25.0.0.3", "online": true,
       "networks": ["lan"], "connection": "none", "path": null, "rtt_ms": null, "reason": "punching"},
      {"nickname": "dan", "node_id": "5555-6666-7777", "virtual_ip": "25.0.0.5", "online": true,
       "networks": ["lan"], "connection": "direct", "path": "203.0.113.7:21000", "direct_transport": "tcp",
       "rtt_ms": 2.0, "reason": ""}]})");
  std::string text = format_result("list", result);
  EXPECT_NE(text.find("direct 203.0.113.7:21000 (tcp), rtt 2.00 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("network lan (online, 4 members)"), std::string::npos) << text;
  EXPECT_NE(text.find("direct 198.51.100.18:4000, rtt 1.50 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("relayed via 198.51.100.1:3478 (udp), rtt 3.25 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("dddd-eeee-ffff"), std::string::npos) << text;  // no nickname: node id
  EXPECT_NE(text.find("not reachable yet: punching"), std::string::npos) << text;
  EXPECT_EQ(format_result("list", {{"networks", nlohmann::json::array()}}).find("not in any network"), 0u);
}

TEST(CliFormat, NamesFromPeersCannotDrawAForgedLine) {
  // An older server may hand out a nickname with a newline: each peer is still one line.
  nlohmann::json result = nlohmann::json::parse(R"({
    "networks": [{"name": "lan", "online": true, "members": 2}],
    "peers": [{"nickname": "eve\n  bank-server      25.0.0.1        online  direct", "node_id": "aaaa-bbbb-cccc",
               "virtual_ip": "25.0.0.9", "online": true, "networks": ["lan"], "connection": "none", "reason": "x"}]})");
  std::string text = format_result("list", result);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(text.find("eve\\n  bank-server"), std::string::npos) << text;
  std::string history = format_result(
      "chat-history",
      {{"messages",
        {{{"unix_ms", 0}, {"outgoing", false}, {"network", "lan"}, {"peer", "aaaa-bbbb-cccc"}, {"nickname", "bob"},
          {"text", "hi\n2026-01-01 00:00:00 [lan] alice: send me your password"}}}}});
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 1) << history;
}

TEST(CliFormat, HistoryNamesThePeerByIdSoAnImpostorStandsOut) {
  std::string history = format_result(
      "chat-history",
      {{"messages",
        {{{"unix_ms", 0}, {"outgoing", false}, {"network", "lan"}, {"peer", "aaaa-bbbb-cccc"}, {"nickname", "bob"}, {"text", "hi"}},
         {{"unix_ms", 0}, {"outgoing", false}, {"network", "lan"}, {"peer", "dddd-eeee-ffff"}, {"nickname", "bob"}, {"text", "hi"}}}}});
  EXPECT_NE(history.find("bob (aaaa-bbbb-cccc): hi"), std::string::npos) << history;
  EXPECT_NE(history.find("bob (dddd-eeee-ffff): hi"), std::string::npos) << history;
}

TEST(CliFormat, UiPrintsTheUrlAloneOnItsLine) {
  EXPECT_EQ(format_result("ui", {{"url", "http://127.0.0.1:9480/?token=ab"}}), "http://127.0.0.1:9480/?token=ab\n");
}

TEST(CliFormat, StatusHistoryAndMissingFields) {
  std::string status = format_result(
      "status", {{"state", "online"}, {"virtual_ip", "25.1.2.3"}, {"prefix_length", 8}, {"stats", {{"ip_sent", 3}}}});
  EXPECT_NE(status.find("25.1.2.3/8"), std::string::npos) << status;
  EXPECT_NE(status.find("ip_sent=3"), std::string::npos) << status;
  EXPECT_NE(status.find("server      -"), std::string::npos) << status;  // missing: "-"
  EXPECT_NE(status.find("port map    none\n"), std::string::npos) << status;
  std::string mapped = format_result("status", {{"state", "online"}, {"port_mapping", "upnp 192.0.2.2:41641"}});
  EXPECT_NE(mapped.find("port map    upnp 192.0.2.2:41641\n"), std::string::npos) << mapped;
  EXPECT_NE(mapped.find("tcp map     none\n"), std::string::npos) << mapped;
  std::string tcp = format_result("status", {{"state", "online"}, {"tcp_port_mapping", "pcp 192.0.2.2:41641"}});
  EXPECT_NE(tcp.find("tcp map     pcp 192.0.2.2:41641\n"), std::string::npos) << tcp;
  std::string counted = format_result(
      "status", {{"state", "online"}, {"peers", 5}, {"direct_peers", 3}, {"relayed_peers", 2}, {"networks", 1}});
  EXPECT_NE(counted.find("peers 5 (3 direct, 2 relayed)"), std::string::npos) << counted;
  std::string out = format_result("status", {{"state", "stopped"}, {"logged_in", false}});
  EXPECT_NE(out.find("state       stopped (logged out)\n"), std::string::npos) << out;
  out = format_result("status", {{"state", "stopped"}, {"logged_in", false}, {"logout_reason", "copy elsewhere"}});
  EXPECT_NE(out.find("state       stopped (logged out: copy elsewhere)\n"), std::string::npos) << out;
  std::string history = format_result(
      "chat-history",
      {{"messages",
        {{{"unix_ms", 0}, {"outgoing", false}, {"network", "lan"}, {"peer", "x"}, {"nickname", "bob"}, {"text", "hi"}},
         {{"unix_ms", 0}, {"outgoing", true}, {"network", ""}, {"peer", "x"}, {"nickname", "bob"}, {"text", "yo"}}}}});
  EXPECT_NE(history.find("[lan] bob (x): hi"), std::string::npos) << history;
  EXPECT_NE(history.find("me -> bob (x): yo"), std::string::npos) << history;
}

TEST(ControlClient, NoDaemonIsUnreachableWithAHint) {
  auto response = call_daemon("/nonexistent/yt.sock", {"status", nlohmann::json::object()}, std::chrono::seconds(1));
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.error().unreachable);
  EXPECT_NE(response.error().message.find("is yellowtaild running?"), std::string::npos) << response.error().message;
}

}  // namespace
}  // namespace yt
