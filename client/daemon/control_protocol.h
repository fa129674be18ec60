// The control protocol between the yellowtail CLI and yellowtaild, over the local
// control socket: one JSON object per line each way, one response per request, in
// order.
//
//   request:  {"command": "join", "network": "lan", "password": "secret"}
//   response: {"ok": true, "result": {...}}   or   {"ok": false, "error": "why"}
//
// Commands and their arguments (all strings unless noted; "?" = optional):
//   status, list, login, logout
//   create {network, password?}    join {network, password?}    leave {network}
//   set-nick {nickname}            go-online {network}          go-offline {network}
//   chat {to, text}                          to: a network name, or a peer's nickname,
//                                            virtual IP or node id
//   chat-history {with?, limit? (integer 1..kMaxHistoryLimit)}
//   ui                                       the web UI's URL, token included
//
// Parsing checks everything a handler would otherwise have to: the line is one
// JSON object, the command is known, required arguments are present, no unknown
// argument is given, and each has its type. Errors are readable messages; nothing
// throws.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace yt {

// A response line longer than this is refused: the largest real one (a long chat
// history, a list of many peers) is well below it.
constexpr std::size_t kMaxControlLineLength = 1 << 20;
// Requests are small (the longest, a chat message of kMaxChatLength bytes, is under
// 7 KiB even with every byte JSON-escaped), and the daemon buffers each connection's
// partial line: a tight bound keeps a hundred stalled connections cheap.
constexpr std::size_t kMaxControlRequestLength = 16 << 10;
constexpr std::int64_t kMaxHistoryLimit = 10000;

struct ControlRequest {
  std::string command;
  nlohmann::json args = nlohmann::json::object();  // every field but "command"
};

struct ControlResponse {
  bool ok = true;
  nlohmann::json result = nlohmann::json::object();  // when ok
  std::string error;                                 // when !ok
};

// The known command names, for help texts and tests.
std::vector<std::string> control_commands();

// `line` without its trailing newline (one is tolerated).
Result<ControlRequest, std::string> parse_control_request(std::string_view line);
Result<ControlResponse, std::string> parse_control_response(std::string_view line);

// One line each, newline included.
std::string encode_control_request(const ControlRequest& request);
std::string encode_control_response(const ControlResponse& response);

inline ControlResponse control_ok(nlohmann::json result = nlohmann::json::object()) {
  return ControlResponse{true, std::move(result), {}};
}
inline ControlResponse control_error(std::string message) { return ControlResponse{false, nullptr, std::move(message)}; }

}  // namespace yt
