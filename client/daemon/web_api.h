// What the local web UI answers, once a request passed web_access.h. The UI does
// nothing of its own: every read and every change is a control request
// (control_protocol.h) handed to the same handler the control socket uses
// (DaemonService::handle), so the page and the CLI cannot disagree.
//
//   GET  /, /app.js, /app.css, /favicon.svg   the page (web/, embedded at build time)
//   GET  /api/state                           {"status": <status>, "list": <list>} (status_json.h)
//   GET  /api/history?with=NAME&limit=N       the chat-history command's result
//   GET  /api/events                          server-sent events: "state" (as /api/state)
//                                             whenever it changes, "chat" (one history
//                                             entry) for every message sent or received
//   POST /api/command                         a control request as JSON, e.g.
//                                             {"command": "join", "network": "lan", "password": "x"};
//                                             Content-Type: application/json
//
// API answers are JSON: {"ok": true, "result": ...} with 200, or {"ok": false,
// "error": why} with 400 (malformed request), 404 (no such path), 405 (wrong
// method), 415 (not JSON), 422 (the daemon or the server refused: unknown
// network, wrong password, not logged in, ...).
#pragma once

#include <functional>
#include <string>

#include "client/daemon/control_protocol.h"
#include "client/daemon/web_request.h"

namespace yt {

// The daemon's request handler; `reply` is called exactly once, now or later.
using WebReply = std::function<void(const ControlResponse&)>;
using WebHandler = std::function<void(const ControlRequest&, WebReply)>;

enum class WebRouteKind : std::uint8_t {
  kResponse,  // answer `response` as it is
  kCommand,   // run `command` through the handler, answer web_command_response()
  kState,     // answer fetch_web_state()
  kEvents,    // open a server-sent event stream
};

struct WebRoute {
  WebRouteKind kind = WebRouteKind::kResponse;
  WebResponse response;
  ControlRequest command;
};

// Routes a request that passed the access checks; `token` goes into the page's
// asset links (they are fetched without the page's query string).
WebRoute route_web_request(const WebRequest& request, const std::string& token);

// 200 with {"ok": true, "result"} or 422 with {"ok": false, "error"}.
WebResponse web_command_response(const ControlResponse& response);

// {"status", "list"} from the handler's status and list commands; an error when
// either fails (it never does in the daemon, but the handler is any function).
void fetch_web_state(const WebHandler& handler, std::function<void(const ControlResponse&)> done);

// One server-sent event: "event: NAME\ndata: JSON\n\n" (JSON on one line).
std::string web_event(const std::string& name, const nlohmann::json& data);

// Headers on every answer: no caching, no framing, no sniffing, no referrer, and
// a content security policy that allows only this server's own scripts, styles
// and connections (the page loads nothing from anywhere else).
const std::vector<std::pair<std::string, std::string>>& web_common_headers();

}  // namespace yt
