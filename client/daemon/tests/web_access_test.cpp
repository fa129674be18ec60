// Who may use the web UI: the Host check against DNS rebinding, the Origin and
// Sec-Fetch-Site checks against cross-site requests, and the token, in that order.
#include "client/daemon/web_access.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace yt {
namespace {

const std::string kToken(64, 'f');

WebAccessPolicy policy() { return WebAccessPolicy{kToken, web_hosts_for("127.0.0.1", 9480)}; }

WebRequest get(std::string target) {
  WebRequest r;
  r.method = "GET";
  r.target = std::move(target);
  r.host = "127.0.0.1:9480";
  return r;
}

WebRequest post_command() {
  WebRequest r;
  r.method = "POST";
  r.target = "/api/command";
  r.host = "127.0.0.1:9480";
  r.origin = "http://127.0.0.1:9480";
  r.token = kToken;
  r.content_type = "application/json";
  r.body = R"({"command":"list"})";
  return r;
}

// The refusal's status and its error text ("" when admitted).
std::pair<int, std::string> check(const WebRequest& r) {
  auto refused = refuse_web_access(r, policy());
  if (!refused) return {0, ""};
  auto body = nlohmann::json::parse(refused->body);
  EXPECT_EQ(body.at("ok"), false);
  return {refused->status, body.at("error").get<std::string>()};
}

TEST(WebAccess, TheRightTokenInTheQueryOrTheHeaderIsAdmitted) {
  EXPECT_EQ(check(get("/?token=" + kToken)).first, 0);
  WebRequest r = get("/api/state");
  r.token = kToken;
  EXPECT_EQ(check(r).first, 0);
  EXPECT_EQ(check(post_command()).first, 0);
  r = get("/?token=" + kToken);
  r.host = "LOCALHOST:9480";  // the name is case-insensitive
  EXPECT_EQ(check(r).first, 0);
}

TEST(WebAccess, AMissingOrWrongTokenIs401) {
  auto [status, error] = check(get("/"));
  EXPECT_EQ(status, 401);
  EXPECT_NE(error.find("yellowtail ui"), std::string::npos) << error;
  EXPECT_EQ(check(get("/?token=" + std::string(64, 'e'))).first, 401);
  EXPECT_EQ(check(get("/?token=")).first, 401);
  WebRequest r = post_command();
  r.token = "guess";
  EXPECT_EQ(check(r).first, 401);
  r.token.reset();
  std::tie(status, error) = check(r);
  EXPECT_EQ(status, 401);
  EXPECT_NE(error.find("X-Yellowtail-Token"), std::string::npos) << error;
  // A wrong header is not rescued by a right query token.
  r = get("/api/state?token=" + kToken);
  r.token = "wrong";
  EXPECT_EQ(check(r).first, 401);
}

TEST(WebAccess, AStateChangeNeverTakesTheTokenFromTheUrl) {
  // A form or a link on another site could carry a leaked URL; only a script on
  // our own origin can set the header.
  WebRequest r = post_command();
  r.token.reset();
  r.target = "/api/command?token=" + kToken;
  auto [status, error] = check(r);
  EXPECT_EQ(status, 403);
  EXPECT_NE(error.find("header"), std::string::npos) << error;
}

TEST(WebAccess, AnotherHostIsRefusedBeforeTheToken) {
  // DNS rebinding: evil.example resolved to 127.0.0.1 sends its own name.
  WebRequest r = get("/?token=" + kToken);
  r.host = "evil.example:9480";
  auto [status, error] = check(r);
  EXPECT_EQ(status, 403);
  EXPECT_NE(error.find("evil.example:9480"), std::string::npos) << error;
  r.host = "";
  EXPECT_EQ(check(r).first, 403);
  r.host = "127.0.0.1:9481";  // another port is another origin
  EXPECT_EQ(check(r).first, 403);
  r.host = "127.0.0.1";
  EXPECT_EQ(check(r).first, 403);
  r = get("/");  // no token either: still the Host error, nothing about paths or tokens
  r.host = "evil.example";
  EXPECT_EQ(check(r).first, 403);
  r.host = "evil\x1b[2J";
  EXPECT_NE(check(r).second.find("\\x1b"), std::string::npos);  // quoted escaped
}

TEST(WebAccess, CrossOriginAndCrossSiteRequestsAreRefused) {
  WebRequest r = post_command();
  r.origin = "http://evil.example";
  auto [status, error] = check(r);
  EXPECT_EQ(status, 403);
  EXPECT_NE(error.find("cross-origin"), std::string::npos) << error;
  r.origin = "null";  // a sandboxed frame or a file: page
  EXPECT_EQ(check(r).first, 403);
  r.origin = "https://127.0.0.1:9480";
  EXPECT_EQ(check(r).first, 403);
  r = post_command();
  r.fetch_site = "cross-site";
  EXPECT_EQ(check(r).first, 403);
  r.fetch_site = "same-origin";
  EXPECT_EQ(check(r).first, 0);
  r = post_command();
  r.origin = "http://localhost:9480";
  r.host = "localhost:9480";
  EXPECT_EQ(check(r).first, 0);
}

TEST(WebAccess, HostsForAnotherLoopbackAddressAreOnlyThatAddress) {
  EXPECT_EQ(web_hosts_for("127.0.0.2", 80), std::vector<std::string>{"127.0.0.2:80"});
  EXPECT_EQ(web_hosts_for("127.0.0.1", 1), (std::vector<std::string>{"127.0.0.1:1", "localhost:1"}));
}

}  // namespace
}  // namespace yt
