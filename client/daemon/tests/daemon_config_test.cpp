#include "client/daemon/daemon_config.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "client/daemon/daemon_options.h"

namespace yt {
namespace {

const std::string kKey(64, 'a');

DaemonSettings minimal() {
  DaemonSettings s;
  s.server = "203.0.113.10:12975";
  s.server_key = kKey;
  return s;
}

TEST(DaemonConfig, FullFileIsRead) {
  DaemonSettings s;
  auto applied = apply_toml(R"(
[server]
address = "203.0.113.10:12975"
key = ")" + kKey + R"("
[client]
nickname = "alice"
state_dir = "/tmp/yt-state"
udp = "0.0.0.0:4000"
port_mapping_lease = 600
[adapter]
name = "ham0"
mtu = 1300
ipv6_prefix = "fd00:1:2::/48"
routes = ["224.0.0.0/4", "239.0.0.0/8"]
[control]
socket = "/tmp/yt.sock"
group = "yellowtail"
[log]
level = "debug"
[chat]
history = 20
[metrics]
listen = "127.0.0.1:9476"
[ui]
listen = "127.0.0.1:9480"
)",
                            "test.toml", s);
  ASSERT_TRUE(applied.ok()) << applied.error();
  auto config = validate(s);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->server.to_string(), "203.0.113.10:12975");
  EXPECT_EQ(config->nickname, "alice");
  EXPECT_EQ(config->state_dir, "/tmp/yt-state");
  EXPECT_EQ(config->key_file, "/tmp/yt-state/client.key");
  EXPECT_EQ(config->udp.port, 4000);
  EXPECT_EQ(config->port_mapping_lease_s, 600u);
  EXPECT_EQ(config->device, "ham0");
  EXPECT_EQ(config->mtu, 1300u);
  EXPECT_EQ(config->ipv6_prefix.to_string(), "fd00:1:2::/48");
  ASSERT_EQ(config->routes.size(), 2u);
  EXPECT_EQ(config->routes[1].to_string(), "239.0.0.0/8");
  EXPECT_EQ(config->control_group, "yellowtail");
  EXPECT_EQ(config->log_level, LogLevel::kDebug);
  EXPECT_EQ(config->chat_history, 20u);
  ASSERT_TRUE(config->metrics.has_value());
  EXPECT_EQ(config->metrics->to_string(), "127.0.0.1:9476");
  ASSERT_TRUE(config->ui.has_value());
  EXPECT_EQ(config->ui->to_string(), "127.0.0.1:9480");
}

TEST(DaemonConfig, WebUiTakesABarePortOnLoopback) {
  DaemonSettings s = minimal();
  s.ui = "9480";
  auto config = validate(s);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->ui->to_string(), "127.0.0.1:9480");
  s.ui = "127.0.0.2:0";  // any loopback address; port 0: any free port
  config = validate(s);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->ui->to_string(), "127.0.0.2:0");
}

TEST(DaemonConfig, DefaultsAreValid) {
  auto config = validate(minimal());
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->device, "yt0");
  EXPECT_EQ(config->mtu, 1400u);
  EXPECT_EQ(config->port_mapping_lease_s, 7200u);
  EXPECT_EQ(config->state_dir, "/var/lib/yellowtail");
  EXPECT_EQ(config->control_socket, "/run/yellowtail/control.sock");
  EXPECT_TRUE(config->tun);
  EXPECT_FALSE(config->metrics.has_value());  // metrics are opt-in
  EXPECT_FALSE(config->ui.has_value());       // so is the web UI
}

TEST(DaemonConfig, BadTomlNamesFileAndLine) {
  DaemonSettings s;
  auto applied = apply_toml("[server]\naddress = \"unterminated\n", "/etc/yt.toml", s);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().find("/etc/yt.toml:2:"), std::string::npos) << applied.error();
}

TEST(DaemonConfig, UnknownKeyIsAnError) {
  DaemonSettings s;
  auto applied = apply_toml("[adapter]\nnmae = \"yt1\"\n", "f.toml", s);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().find("unknown setting 'adapter.nmae'"), std::string::npos) << applied.error();
}

TEST(DaemonConfig, WrongTypeIsAnError) {
  DaemonSettings s;
  auto applied = apply_toml("[adapter]\nmtu = \"big\"\n", "f.toml", s);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().find("adapter.mtu must be an integer"), std::string::npos) << applied.error();
  applied = apply_toml("[adapter]\nroutes = [1]\n", "f.toml", s);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().find("array of strings"), std::string::npos);
  applied = apply_toml("server = \"x\"\n", "f.toml", s);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().find("must be a [section]"), std::string::npos);
}

TEST(DaemonConfig, FailedFileChangesNothing) {
  DaemonSettings s;
  ASSERT_FALSE(apply_toml("[client]\nnickname = \"x\"\n[adapter]\nmtu = true\n", "f.toml", s).ok());
  EXPECT_EQ(s.nickname, "");
}

TEST(DaemonConfig, BadValuesAreRefusedWithTheSettingNamed) {
  struct Case {
    void (*mutate)(DaemonSettings&);
    const char* expected;
  };
  const Case cases[] = {
      {[](DaemonSettings& s) { s.server = ""; }, "server address is not set"},
      {[](DaemonSettings& s) { s.server = "example.org:1"; }, "is not IPv4:PORT"},
      {[](DaemonSettings& s) { s.server = "203.0.113.1:0"; }, "is not IPv4:PORT"},
      {[](DaemonSettings& s) { s.server = "203.0.113.1:12975,"; }, "server address '' is not IPv4:PORT"},
      {[](DaemonSettings& s) { s.server = "203.0.113.1:1,203.0.113.1:1"; }, "'203.0.113.1:1' is given twice"},
      {[](DaemonSettings& s) { s.server_key = "abc"; }, "64 hex digits"},
      {[](DaemonSettings& s) { s.server_key = ""; }, "server key is not set"},
      {[](DaemonSettings& s) { s.nickname = std::string(65, 'n'); }, "longer than 64 bytes"},
      {[](DaemonSettings& s) { s.nickname = "eve\n  bank-server"; }, "line break"},
      {[](DaemonSettings& s) { s.state_dir = "relative/dir"; }, "absolute path"},
      {[](DaemonSettings& s) { s.udp = "0.0.0.0"; }, "UDP endpoint"},
      {[](DaemonSettings& s) { s.device = "a-name-that-is-too-long"; }, "not a valid interface name"},
      {[](DaemonSettings& s) { s.device = "bad/name"; }, "not a valid interface name"},
      {[](DaemonSettings& s) { s.mtu = 9000; }, "MTU 9000 is outside 1280..1400"},
      {[](DaemonSettings& s) { s.mtu = 576; }, "outside"},
      {[](DaemonSettings& s) { s.port_mapping_lease = 9; }, "port mapping lease 9 s is outside 10..86400"},
      {[](DaemonSettings& s) { s.port_mapping_lease = 86401; }, "port mapping lease"},
      {[](DaemonSettings& s) { s.ipv6_prefix = "2001:db8::/48"; }, "ULA prefix"},
      {[](DaemonSettings& s) { s.ipv6_prefix = "fd00::/96"; }, "ULA prefix"},
      {[](DaemonSettings& s) { s.routes = {"224.0.0.1/4"}; }, "host bits zero"},
      {[](DaemonSettings& s) { s.control_socket = "c.sock"; }, "control socket"},
      {[](DaemonSettings& s) { s.log_level = "loud"; }, "log level 'loud'"},
      {[](DaemonSettings& s) { s.chat_history = -1; }, "chat history"},
      {[](DaemonSettings& s) { s.chat_history = kMaxChatHistory + 1; }, "chat history"},
      {[](DaemonSettings& s) { s.metrics = "localhost:9476"; }, "metrics endpoint 'localhost:9476' is not IPv4:PORT"},
      {[](DaemonSettings& s) { s.ui = "localhost:9480"; }, "web UI address 'localhost:9480' is not PORT or IPv4:PORT"},
      {[](DaemonSettings& s) { s.ui = "99999"; }, "is not PORT or IPv4:PORT"},
      {[](DaemonSettings& s) { s.ui = "0.0.0.0:9480"; }, "is not a loopback address"},
      {[](DaemonSettings& s) { s.ui = "192.0.2.1:9480"; }, "is not a loopback address"},
  };
  for (const Case& c : cases) {
    DaemonSettings s = minimal();
    c.mutate(s);
    auto config = validate(s);
    ASSERT_FALSE(config.ok()) << c.expected;
    EXPECT_NE(config.error().find(c.expected), std::string::npos) << config.error() << " / " << c.expected;
  }
}

TEST(DaemonConfig, SeveralServersAreTheFirstAndItsFallbacksInOrder) {
  DaemonSettings s = minimal();
  s.server = "203.0.113.10:12975, 203.0.113.11:12975,198.51.100.5:443";
  auto config = validate(s);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->server, *Endpoint::parse("203.0.113.10:12975"));
  EXPECT_EQ(config->fallback_servers,
            (std::vector<Endpoint>{*Endpoint::parse("203.0.113.11:12975"), *Endpoint::parse("198.51.100.5:443")}));
  s.server = "203.0.113.10:12975";
  EXPECT_TRUE(validate(s)->fallback_servers.empty());
}

TEST(DaemonConfig, FlagsWinOverTheFile) {
  DaemonSettings s;
  ASSERT_TRUE(apply_toml("[client]\nnickname = \"from-file\"\n[adapter]\nmtu = 1300\nname = \"file0\"\n", "f", s).ok());
  CLI::App app;
  DaemonOptions options(app);
  std::vector<std::string> args = {"--nick", "from-flag", "--no-tun", "--mtu", "1380"};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  options.apply(s);
  EXPECT_EQ(s.nickname, "from-flag");
  EXPECT_EQ(s.mtu, 1380);
  EXPECT_EQ(s.device, "file0");  // not given as a flag: the file's value stays
  EXPECT_FALSE(s.tun);
  EXPECT_FALSE(options.config_given());
  EXPECT_EQ(options.config_path(), kDefaultConfigPath);
}

TEST(DaemonConfig, ConfigFlagAndOneShotRequests) {
  CLI::App app;
  DaemonOptions options(app);
  std::vector<std::string> args = {"-c", "/tmp/x.toml", "--create", "lan", "--password", "pw", "--route",
                                   "224.0.0.0/4", "--route", "10.99.0.0/16"};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  EXPECT_TRUE(options.config_given());
  EXPECT_EQ(options.config_path(), "/tmp/x.toml");
  EXPECT_EQ(options.create(), "lan");
  EXPECT_EQ(options.password(), "pw");
  DaemonSettings s;
  options.apply(s);
  EXPECT_EQ(s.routes, (std::vector<std::string>{"224.0.0.0/4", "10.99.0.0/16"}));
}

TEST(DaemonConfig, BadFlagIsAParseError) {
  CLI::App app;
  DaemonOptions options(app);
  std::vector<std::string> args = {"--mtu", "lots"};
  std::reverse(args.begin(), args.end());
  EXPECT_THROW(app.parse(args), CLI::ParseError);
}

TEST(DaemonConfig, LogLevels) {
  for (const char* name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    auto level = parse_log_level(name);
    ASSERT_TRUE(level.ok()) << name;
    EXPECT_STREQ(to_string(*level), name);
  }
  EXPECT_FALSE(parse_log_level("INFO").ok());
}

}  // namespace
}  // namespace yt
