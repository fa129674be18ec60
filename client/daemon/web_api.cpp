#include "client/daemon/web_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "client/daemon/web_assets.h"

namespace yt {
namespace {

WebRoute answer(WebResponse response) { return WebRoute{WebRouteKind::kResponse, std::move(response), {}}; }

WebRoute wrong_method(const char* allowed) {
  WebResponse response = web_error(405, std::string("this path takes ") + allowed + " only");
  response.headers.emplace_back("Allow", allowed);
  return answer(std::move(response));
}

bool is_json(std::string content_type) {
  std::transform(content_type.begin(), content_type.end(), content_type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/json";
}

// A JSON object (any layout) checked by the control protocol's own parser, which
// knows every command and argument type: the UI accepts exactly what the CLI may send.
WebRoute command_route(const nlohmann::json& object) {
  auto request = parse_control_request(object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!request) return answer(web_error(400, request.error()));
  return WebRoute{WebRouteKind::kCommand, {}, std::move(*request)};
}

WebRoute asset_route(const WebRequest& request, const std::string& path, const std::string& token) {
  const std::string wanted = path == "/" ? "/index.html" : path;
  const auto& assets = web_assets();
  auto asset = std::find_if(assets.begin(), assets.end(), [&](const WebAsset& a) { return a.path == wanted; });
  if (asset == assets.end()) return answer(web_error(404, "no such page; the UI is at /"));
  if (request.method != "GET") return wrong_method("GET");
  WebResponse response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->body);
  if (wanted == "/index.html") {
    // The page's own links carry the token (64 hex digits: nothing to escape).
    static constexpr std::string_view kPlaceholder = "{{token}}";
    for (std::size_t at = response.body.find(kPlaceholder); at != std::string::npos;
         at = response.body.find(kPlaceholder, at + token.size())) {
      response.body.replace(at, kPlaceholder.size(), token);
    }
  }
  return answer(std::move(response));
}

WebRoute history_route(const WebTarget& target) {
  nlohmann::json object{{"command", "chat-history"}};
  for (const auto& [name, value] : target.query) {
    if (name == "token") continue;
    if (name == "with") {
      object["with"] = value;
    } else if (name == "limit") {
      std::int64_t limit = 0;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (error != std::errc() || end != value.data() + value.size()) {
        return answer(web_error(400, "\"limit\" must be an integer"));
      }
      object["limit"] = limit;
    } else {
      return answer(web_error(400, "unknown query parameter '" + name + "' (with, limit)"));
    }
  }
  return command_route(object);
}

}  // namespace

WebRoute route_web_request(const WebRequest& request, const std::string& token) {
  auto target = parse_web_target(request.target);
  if (!target) return answer(web_error(400, target.error()));
  const std::string& path = target->path;
  if (path.rfind("/api/", 0) != 0) return asset_route(request, path, token);
  if (path == "/api/command") {
    if (request.method != "POST") return wrong_method("POST");
    if (!is_json(request.content_type)) return answer(web_error(415, "send the command as application/json"));
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return answer(web_error(400, "the body is not valid JSON"));
    if (!body.is_object()) return answer(web_error(400, "the body is not a JSON object"));
    return command_route(body);
  }
  const bool state = path == "/api/state", events = path == "/api/events", history = path == "/api/history";
  if (!state && !events && !history) {
    return answer(web_error(404, "no API path " + path + " (state, history, events, command)"));
  }
  if (request.method != "GET") return wrong_method("GET");
  if (state) return WebRoute{WebRouteKind::kState, {}, {}};
  if (events) return WebRoute{WebRouteKind::kEvents, {}, {}};
  return history_route(*target);
}

WebResponse web_command_response(const ControlResponse& response) {
  if (!response.ok) return web_error(422, response.error);
  WebResponse out;
  out.body = nlohmann::json{{"ok", true}, {"result", response.result}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

void fetch_web_state(const WebHandler& handler, std::function<void(const ControlResponse&)> done) {
  struct Gathering {
    nlohmann::json state = nlohmann::json::object();
    int left = 2;
    bool finished = false;
  };
  auto gathering = std::make_shared<Gathering>();
  for (const char* name : {"status", "list"}) {
    handler(ControlRequest{name, nlohmann::json::object()}, [gathering, done, name](const ControlResponse& r) {
      if (gathering->finished) return;
      if (!r.ok) {
        gathering->finished = true;
        done(r);
        return;
      }
      gathering->state[name] = r.result;
      if (--gathering->left == 0) {
        gathering->finished = true;
        done(control_ok(std::move(gathering->state)));
      }
    });
  }
}

std::string web_event(const std::string& name, const nlohmann::json& data) {
  return "event: " + name + "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

const std::vector<std::pair<std::string, std::string>>& web_common_headers() {
  static const std::vector<std::pair<std::string, std::string>> headers = {
      {"Cache-Control", "no-store"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
  };
  return headers;
}

}  // namespace yt
