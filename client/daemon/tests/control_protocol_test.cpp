#include "client/daemon/control_protocol.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(ControlProtocol, RequestRoundTrip) {
  ControlRequest request{"join", {{"network", "lan"}, {"password", "pw"}}};
  std::string line = encode_control_request(request);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto parsed = parse_control_request(line);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->command, "join");
  EXPECT_EQ(parsed->args.at("network"), "lan");
  EXPECT_EQ(parsed->args.at("password"), "pw");
  EXPECT_FALSE(parsed->args.contains("command"));
}

TEST(ControlProtocol, EveryCommandWithoutArgumentsOrWithItsRequiredOnes) {
  for (const std::string& name : control_commands()) {
    nlohmann::json args = nlohmann::json::object();
    if (name == "create" || name == "join" || name == "leave" || name == "go-online" || name == "go-offline") {
      args["network"] = "lan";
    } else if (name == "set-nick") {
      args["nickname"] = "n";
    } else if (name == "chat") {
      args = {{"to", "lan"}, {"text", "hi"}};
    }
    auto parsed = parse_control_request(encode_control_request({name, args}));
    EXPECT_TRUE(parsed.ok()) << name << ": " << (parsed.ok() ? "" : parsed.error());
  }
}

TEST(ControlProtocol, MalformedRequestsGetReadableErrors) {
  struct Case {
    const char* line;
    const char* expected;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"{\"command\": ", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {"{}", "no \"command\""},
      {"{\"command\": 7}", "no \"command\""},
      {"{\"command\": \"reboot\"}", "unknown command 'reboot'"},
      {"{\"command\": \"join\"}", "needs \"network\""},
      {"{\"command\": \"join\", \"network\": 5}", "must be a string"},
      {"{\"command\": \"status\", \"verbose\": true}", "takes no argument 'verbose'"},
      {"{\"command\": \"chat\", \"to\": \"lan\"}", "needs \"text\""},
      {"{\"command\": \"chat-history\", \"limit\": \"ten\"}", "must be an integer"},
      {"{\"command\": \"chat-history\", \"limit\": 0}", "\"limit\" must be between"},
      {"{\"command\": \"status\"}\n{\"command\": \"list\"}", "more than one line"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_control_request(c.line);
    ASSERT_FALSE(parsed.ok()) << c.line;
    EXPECT_NE(parsed.error().find(c.expected), std::string::npos) << c.line << " -> " << parsed.error();
  }
  std::string huge = "{\"command\": \"chat\", \"to\": \"lan\", \"text\": \"" + std::string(kMaxControlRequestLength, 'x') +
                     "\"}";
  auto parsed = parse_control_request(huge);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find("too long"), std::string::npos);
}

TEST(ControlProtocol, ResponsesRoundTrip) {
  auto ok = parse_control_response(encode_control_response(control_ok({{"state", "online"}})));
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_TRUE(ok->ok);
  EXPECT_EQ(ok->result.at("state"), "online");
  auto error = parse_control_response(encode_control_response(control_error("not logged in")));
  ASSERT_TRUE(error.ok());
  EXPECT_FALSE(error->ok);
  EXPECT_EQ(error->error, "not logged in");
}

TEST(ControlProtocol, MalformedResponses) {
  EXPECT_FALSE(parse_control_response("nonsense").ok());
  EXPECT_FALSE(parse_control_response("{}").ok());
  EXPECT_FALSE(parse_control_response("{\"ok\": \"yes\"}").ok());
  EXPECT_FALSE(parse_control_response("{\"ok\": false}").ok());
  auto bare = parse_control_response("{\"ok\": true}");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->result.is_object());
}

TEST(ControlProtocol, InvalidUtf8IsReplacedNotThrown) {
  std::string text = "bad \xff byte";
  std::string line = encode_control_request({"chat", {{"to", "lan"}, {"text", text}}});
  EXPECT_TRUE(parse_control_request(line).ok());
}

}  // namespace
}  // namespace yt
