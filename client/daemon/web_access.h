// Who may use the local web UI. The UI listens on a loopback address, but every
// web page the user opens can make their browser send requests there, so the
// address alone protects nothing. Each request passes three checks, in order:
//
//  1. DNS rebinding: the Host header must name this server exactly as the UI's URL
//     does (127.0.0.1:PORT or localhost:PORT). A hostile page whose name was made
//     to resolve to 127.0.0.1 sends its own name and is refused before anything
//     else, so it cannot even probe which paths exist.
//  2. Cross-site requests: an Origin header (browsers send it on every POST and on
//     cross-origin fetches) must be this server's own origin, and Sec-Fetch-Site,
//     when the browser sends it, must not say cross-site.
//  3. The token (web_token.h): on a GET in the X-Yellowtail-Token header or the
//     `token` query parameter (a page load, an EventSource, which cannot set
//     headers); on anything else in the header only, so a state change is never a
//     link or a form another site could make the browser submit.
//
// A refusal is a response with the reason: 403 for 1 and 2, 401 for a missing or
// wrong token (403 when a POST carries it only in the query).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/daemon/web_request.h"

namespace yt {

struct WebAccessPolicy {
  std::string token;
  // Host header values that name this server, e.g. "127.0.0.1:9480" and
  // "localhost:9480" (compared without regard to case).
  std::vector<std::string> hosts;
};

// The hosts for a server listening on `ip` (dotted quad) and `port`.
std::vector<std::string> web_hosts_for(const std::string& ip, std::uint16_t port);

// nullopt when the request may go on to routing; else the refusal to send.
std::optional<WebResponse> refuse_web_access(const WebRequest& request, const WebAccessPolicy& policy);

}  // namespace yt
