// An HTTP request and response of the local web UI as plain values, so the access
// rules (web_access.h) and the routing (web_api.h) are functions of values that
// unit tests build by hand; web_server.h converts to and from Boost.Beast.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/result.h"

namespace yt {

// The header that carries the UI token on API calls. A custom header is what makes
// a POST CSRF-safe: another site's page cannot set it without a CORS preflight,
// which this server never grants.
constexpr char kWebTokenHeader[] = "X-Yellowtail-Token";

struct WebRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, as sent ("/api/history?with=lan")
  std::string host;    // the Host header; empty when absent
  std::optional<std::string> origin;      // Origin header
  std::optional<std::string> fetch_site;  // Sec-Fetch-Site header
  std::optional<std::string> token;       // kWebTokenHeader
  std::string content_type;
  std::string body;
};

struct WebResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the common ones
};

// The target split into its path and its decoded query parameters ("+" is a space,
// %XX a byte). A malformed escape or a parameter given twice is an error: it is
// not ours to guess which one was meant.
struct WebTarget {
  std::string path;
  std::map<std::string, std::string> query;
};
Result<WebTarget, std::string> parse_web_target(std::string_view target);

// {"ok": false, "error": message} under `status`, the API's only error shape.
WebResponse web_error(int status, std::string message);

}  // namespace yt
