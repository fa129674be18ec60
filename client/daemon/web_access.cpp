#include "client/daemon/web_access.h"

#include <algorithm>
#include <cctype>

#include "client/daemon/web_token.h"
#include "protocol/display_name.h"

namespace yt {
namespace {

bool same_text_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::vector<std::string> web_hosts_for(const std::string& ip, std::uint16_t port) {
  std::string suffix = ":" + std::to_string(port);
  std::vector<std::string> hosts{ip + suffix};
  if (ip == "127.0.0.1") hosts.push_back("localhost" + suffix);
  return hosts;
}

std::optional<WebResponse> refuse_web_access(const WebRequest& request, const WebAccessPolicy& policy) {
  const bool known_host = std::any_of(policy.hosts.begin(), policy.hosts.end(),
                                      [&](const std::string& host) { return same_text_ignoring_case(host, request.host); });
  if (!known_host) {
    // The name is quoted escaped: it is whatever a client put in the header.
    return web_error(403, "Host '" + escape_unsafe(request.host) +
                              "' is not this daemon's web UI address; open the URL `yellowtail ui` prints");
  }
  if (request.origin) {
    bool own = std::any_of(policy.hosts.begin(), policy.hosts.end(), [&](const std::string& host) {
      return same_text_ignoring_case("http://" + host, *request.origin);
    });
    if (!own) return web_error(403, "cross-origin request from '" + escape_unsafe(*request.origin) + "' refused");
  }
  if (request.fetch_site && *request.fetch_site == "cross-site") {
    return web_error(403, "cross-site request refused");
  }
  std::optional<std::string> given = request.token;
  bool in_query = false;
  if (!given) {
    if (auto target = parse_web_target(request.target)) {
      if (auto token = target->query.find("token"); token != target->query.end()) {
        given = token->second;
        in_query = true;
      }
    }
  }
  if (!given) {
    return web_error(401, request.method == "GET"
                              ? "this page needs the token; open the URL `yellowtail ui` prints"
                              : std::string("the token is missing: send it in the ") + kWebTokenHeader + " header");
  }
  if (!web_token_matches(*given, policy.token)) return web_error(401, "wrong token; open the URL `yellowtail ui` prints");
  if (in_query && request.method != "GET") {
    return web_error(403, "a " + escape_unsafe(request.method) + " must carry the token in the " + kWebTokenHeader +
                              " header, not in the URL");
  }
  return std::nullopt;
}

}  // namespace yt
