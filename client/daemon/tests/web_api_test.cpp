// The web UI's routing and JSON API, as functions of plain requests: which path
// does what, and that every bad input is a clear HTTP error.
#include "client/daemon/web_api.h"

#include <gtest/gtest.h>

#include "client/daemon/web_assets.h"

namespace yt {
namespace {

const std::string kToken(64, 'a');

WebRequest request(std::string method, std::string target, std::string body = "",
                   std::string content_type = "application/json") {
  WebRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.host = "127.0.0.1:9480";
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

// The answer's status and error, for routes that answer at once.
std::pair<int, std::string> answered(const WebRoute& route) {
  EXPECT_EQ(route.kind, WebRouteKind::kResponse);
  auto body = nlohmann::json::parse(route.response.body, nullptr, false);
  std::string error = body.is_object() && body.contains("error") ? body["error"].get<std::string>() : "";
  return {route.response.status, error};
}

TEST(WebApi, ThePageAndItsAssetsAreEmbedded) {
  WebRoute page = route_web_request(request("GET", "/?token=" + kToken), kToken);
  ASSERT_EQ(page.kind, WebRouteKind::kResponse);
  EXPECT_EQ(page.response.status, 200);
  EXPECT_EQ(page.response.content_type, "text/html; charset=utf-8");
  // The asset links carry the token; no placeholder is left.
  EXPECT_NE(page.response.body.find("app.js?token=" + kToken), std::string::npos);
  EXPECT_EQ(page.response.body.find("{{token}}"), std::string::npos);
  // Nothing is loaded from anywhere else.
  EXPECT_EQ(page.response.body.find("http://"), std::string::npos);
  EXPECT_EQ(page.response.body.find("https://"), std::string::npos);

  for (const char* path : {"/app.js", "/app.css", "/favicon.svg", "/index.html"}) {
    WebRoute asset = route_web_request(request("GET", path), kToken);
    EXPECT_EQ(asset.response.status, 200) << path;
    EXPECT_FALSE(asset.response.body.empty()) << path;
  }
  EXPECT_EQ(route_web_request(request("GET", "/app.js"), kToken).response.content_type,
            "text/javascript; charset=utf-8");
  EXPECT_GE(web_assets().size(), 4u);
}

TEST(WebApi, UnknownPathsAndWrongMethods) {
  EXPECT_EQ(answered(route_web_request(request("GET", "/secret"), kToken)).first, 404);
  EXPECT_EQ(answered(route_web_request(request("GET", "/api/nothing"), kToken)).first, 404);
  EXPECT_EQ(answered(route_web_request(request("GET", "/api"), kToken)).first, 404);
  WebRoute route = route_web_request(request("POST", "/"), kToken);
  EXPECT_EQ(answered(route).first, 405);
  ASSERT_EQ(route.response.headers.size(), 1u);
  EXPECT_EQ(route.response.headers[0], (std::pair<std::string, std::string>{"Allow", "GET"}));
  route = route_web_request(request("GET", "/api/command"), kToken);
  EXPECT_EQ(answered(route).first, 405);
  EXPECT_EQ(route.response.headers[0].second, "POST");
  EXPECT_EQ(answered(route_web_request(request("DELETE", "/api/state"), kToken)).first, 405);
  EXPECT_EQ(answered(route_web_request(request("POST", "/api/events"), kToken)).first, 405);
  EXPECT_EQ(answered(route_web_request(request("GET", "no-slash"), kToken)).first, 400);
}

TEST(WebApi, ReadsAndTheEventStream) {
  EXPECT_EQ(route_web_request(request("GET", "/api/state"), kToken).kind, WebRouteKind::kState);
  EXPECT_EQ(route_web_request(request("GET", "/api/events?token=" + kToken), kToken).kind, WebRouteKind::kEvents);
  WebRoute history = route_web_request(request("GET", "/api/history?with=my+lan%21&limit=20&token=x"), kToken);
  ASSERT_EQ(history.kind, WebRouteKind::kCommand);
  EXPECT_EQ(history.command.command, "chat-history");
  EXPECT_EQ(history.command.args.at("with"), "my lan!");
  EXPECT_EQ(history.command.args.at("limit"), 20);
  EXPECT_EQ(route_web_request(request("GET", "/api/history"), kToken).command.command, "chat-history");
}

TEST(WebApi, BadHistoryQueriesAre400) {
  for (const char* target : {"/api/history?limit=ten", "/api/history?limit=0", "/api/history?limit=99999999",
                             "/api/history?limit=5x", "/api/history?with=a&with=b", "/api/history?with=%zz",
                             "/api/history?with=%4", "/api/history?sort=up"}) {
    auto [status, error] = answered(route_web_request(request("GET", target), kToken));
    EXPECT_EQ(status, 400) << target;
    EXPECT_FALSE(error.empty()) << target;
  }
}

TEST(WebApi, CommandsAreCheckedByTheControlProtocol) {
  WebRoute join = route_web_request(
      request("POST", "/api/command", R"({"command": "join", "network": "lan", "password": "secret"})"), kToken);
  ASSERT_EQ(join.kind, WebRouteKind::kCommand);
  EXPECT_EQ(join.command.command, "join");
  EXPECT_EQ(join.command.args.at("network"), "lan");
  EXPECT_EQ(join.command.args.at("password"), "secret");
  // Any JSON layout, and a charset parameter, are fine.
  WebRoute chat = route_web_request(request("POST", "/api/command", "{\n  \"command\": \"chat\",\n  \"to\": \"lan\",\n"
                                                                    "  \"text\": \"hi\"\n}",
                                            "Application/JSON; charset=utf-8"),
                                    kToken);
  ASSERT_EQ(chat.kind, WebRouteKind::kCommand);
  EXPECT_EQ(chat.command.args.at("text"), "hi");

  struct Case {
    const char* body;
    int status;
    const char* expected;
  };
  const Case cases[] = {
      {"", 400, "not valid JSON"},
      {"{\"command\": ", 400, "not valid JSON"},
      {"[\"join\"]", 400, "not a JSON object"},
      {"{\"command\": \"reboot\"}", 400, "unknown command 'reboot'"},
      {"{\"command\": \"join\"}", 400, "needs \"network\""},
      {"{\"command\": \"join\", \"network\": 7}", 400, "must be a string"},
      {"{\"command\": \"list\", \"all\": true}", 400, "takes no argument 'all'"},
      {"{\"command\": \"chat\", \"to\": \"lan\", \"text\": \"\xff\"}", 400, "not valid JSON"},
  };
  for (const Case& c : cases) {
    auto [status, error] = answered(route_web_request(request("POST", "/api/command", c.body), kToken));
    EXPECT_EQ(status, c.status) << c.body;
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.body << " -> " << error;
  }
  // A form post (what another site's page could send without a preflight) is no JSON.
  auto [status, error] = answered(route_web_request(
      request("POST", "/api/command", "command=leave&network=lan", "application/x-www-form-urlencoded"), kToken));
  EXPECT_EQ(status, 415);
  EXPECT_EQ(answered(route_web_request(request("POST", "/api/command", "{}", "text/plain"), kToken)).first, 415);
}

TEST(WebApi, TheDaemonsAnswerBecomesStatusAndJson) {
  WebResponse ok = web_command_response(control_ok({{"network", "lan"}}));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.content_type, "application/json");
  auto body = nlohmann::json::parse(ok.body);
  EXPECT_EQ(body.at("ok"), true);
  EXPECT_EQ(body.at("result").at("network"), "lan");
  // Refusals by the daemon or the server: an unknown network, a wrong password.
  WebResponse refused = web_command_response(control_error("join lan: wrong password"));
  EXPECT_EQ(refused.status, 422);
  body = nlohmann::json::parse(refused.body);
  EXPECT_EQ(body.at("ok"), false);
  EXPECT_EQ(body.at("error"), "join lan: wrong password");
  // Bytes that are not UTF-8 (a peer's name) do not make the answer throw.
  EXPECT_EQ(web_command_response(control_error("bad \xff name")).status, 422);
}

TEST(WebApi, StateIsStatusAndListFromTheHandler) {
  std::vector<std::string> asked;
  WebHandler handler = [&](const ControlRequest& request, WebReply reply) {
    asked.push_back(request.command);
    reply(control_ok({{"answer_to", request.command}}));
  };
  ControlResponse got;
  int calls = 0;
  fetch_web_state(handler, [&](const ControlResponse& r) {
    got = r;
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(asked, (std::vector<std::string>{"status", "list"}));
  ASSERT_TRUE(got.ok);
  EXPECT_EQ(got.result.at("status").at("answer_to"), "status");
  EXPECT_EQ(got.result.at("list").at("answer_to"), "list");

  // A failing handler gives one error, not two answers.
  calls = 0;
  fetch_web_state([](const ControlRequest&, WebReply reply) { reply(control_error("down")); },
                  [&](const ControlResponse& r) {
                    got = r;
                    ++calls;
                  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(got.ok);
  EXPECT_EQ(got.error, "down");

  // Answers that come later are gathered too.
  std::vector<WebReply> later;
  calls = 0;
  fetch_web_state([&](const ControlRequest&, WebReply reply) { later.push_back(std::move(reply)); },
                  [&](const ControlResponse&) { ++calls; });
  ASSERT_EQ(later.size(), 2u);
  later[1](control_ok());
  EXPECT_EQ(calls, 0);
  later[0](control_ok());
  EXPECT_EQ(calls, 1);
}

TEST(WebApi, EventsAreOneLineOfJsonEach) {
  EXPECT_EQ(web_event("chat", {{"text", "two\nlines"}}), "event: chat\ndata: {\"text\":\"two\\nlines\"}\n\n");
}

TEST(WebApi, EveryAnswerForbidsFramingSniffingAndForeignScripts) {
  std::map<std::string, std::string> headers(web_common_headers().begin(), web_common_headers().end());
  EXPECT_EQ(headers.at("X-Frame-Options"), "DENY");
  EXPECT_EQ(headers.at("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(headers.at("Cache-Control"), "no-store");
  EXPECT_NE(headers.at("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(headers.at("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
}

TEST(WebTarget, PathAndDecodedQuery) {
  auto t = parse_web_target("/api/history?with=a%20b+c&empty=&flag");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->path, "/api/history");
  EXPECT_EQ(t->query.at("with"), "a b c");
  EXPECT_EQ(t->query.at("empty"), "");
  EXPECT_EQ(t->query.at("flag"), "");
  EXPECT_TRUE(parse_web_target("/?&&").ok());
  EXPECT_FALSE(parse_web_target("").ok());
  EXPECT_FALSE(parse_web_target("?x=1").ok());
  EXPECT_FALSE(parse_web_target("/?a=%").ok());
  EXPECT_FALSE(parse_web_target("/?a=%g0").ok());
  EXPECT_FALSE(parse_web_target("/?a=1&a=2").ok());
}

}  // namespace
}  // namespace yt
