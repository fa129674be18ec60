#include "client/daemon/control_protocol.h"

#include <map>

namespace yt {
namespace {

enum class ArgType : std::uint8_t { kString, kInteger };

struct ArgSpec {
  const char* name;
  ArgType type;
  bool required;
};

const std::map<std::string, std::vector<ArgSpec>>& command_table() {
  static const std::map<std::string, std::vector<ArgSpec>> table = {
      {"status", {}},
      {"list", {}},
      {"login", {}},
      {"logout", {}},
      {"create", {{"network", ArgType::kString, true}, {"password", ArgType::kString, false}}},
      {"join", {{"network", ArgType::kString, true}, {"password", ArgType::kString, false}}},
      {"leave", {{"network", ArgType::kString, true}}},
      {"set-nick", {{"nickname", ArgType::kString, true}}},
      {"go-online", {{"network", ArgType::kString, true}}},
      {"go-offline", {{"network", ArgType::kString, true}}},
      {"chat", {{"to", ArgType::kString, true}, {"text", ArgType::kString, true}}},
      {"chat-history", {{"with", ArgType::kString, false}, {"limit", ArgType::kInteger, false}}},
      {"ui", {}},
  };
  return table;
}

std::string_view strip_newline(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  return line;
}

Result<nlohmann::json, std::string> parse_object(std::string_view line, const char* what, std::size_t max_length) {
  line = strip_newline(line);
  if (line.size() > max_length) return Err{std::string(what) + " is too long"};
  if (line.find('\n') != std::string_view::npos) return Err{std::string(what) + " spans more than one line"};
  nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Err{std::string(what) + " is not valid JSON"};
  if (!value.is_object()) return Err{std::string(what) + " is not a JSON object"};
  return value;
}

}  // namespace

std::vector<std::string> control_commands() {
  std::vector<std::string> names;
  for (const auto& entry : command_table()) names.push_back(entry.first);
  return names;
}

Result<ControlRequest, std::string> parse_control_request(std::string_view line) {
  auto parsed = parse_object(line, "request", kMaxControlRequestLength);
  if (!parsed) return Err{parsed.error()};
  nlohmann::json& object = *parsed;
  auto command = object.find("command");
  if (command == object.end() || !command->is_string()) return Err{std::string("request has no \"command\" string")};
  ControlRequest request;
  request.command = command->get<std::string>();
  auto spec = command_table().find(request.command);
  if (spec == command_table().end()) return Err{"unknown command '" + request.command + "'"};
  object.erase("command");
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (const ArgSpec& arg : spec->second) known = known || name == arg.name;
    if (!known) return Err{"command '" + request.command + "' takes no argument '" + name + "'"};
  }
  for (const ArgSpec& arg : spec->second) {
    auto value = object.find(arg.name);
    if (value == object.end()) {
      if (arg.required) return Err{"command '" + request.command + "' needs \"" + arg.name + "\""};
      continue;
    }
    bool right = arg.type == ArgType::kString ? value->is_string() : value->is_number_integer();
    if (!right) {
      return Err{"argument \"" + std::string(arg.name) + "\" of '" + request.command + "' must be " +
                 (arg.type == ArgType::kString ? "a string" : "an integer")};
    }
  }
  if (auto limit = object.find("limit"); limit != object.end()) {
    std::int64_t n = limit->get<std::int64_t>();
    if (n < 1 || n > kMaxHistoryLimit) {
      return Err{"\"limit\" must be between 1 and " + std::to_string(kMaxHistoryLimit)};
    }
  }
  request.args = std::move(object);
  return request;
}

Result<ControlResponse, std::string> parse_control_response(std::string_view line) {
  auto parsed = parse_object(line, "response", kMaxControlLineLength);
  if (!parsed) return Err{parsed.error()};
  const nlohmann::json& object = *parsed;
  auto ok = object.find("ok");
  if (ok == object.end() || !ok->is_boolean()) return Err{std::string("response has no \"ok\" boolean")};
  ControlResponse response;
  response.ok = ok->get<bool>();
  if (response.ok) {
    auto result = object.find("result");
    response.result = result == object.end() ? nlohmann::json::object() : *result;
  } else {
    auto error = object.find("error");
    if (error == object.end() || !error->is_string()) return Err{std::string("error response has no \"error\" text")};
    response.error = error->get<std::string>();
  }
  return response;
}

std::string encode_control_request(const ControlRequest& request) {
  nlohmann::json object = request.args.is_object() ? request.args : nlohmann::json::object();
  object["command"] = request.command;
  // Replacement of invalid UTF-8 instead of an exception: chat text comes from users.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string encode_control_response(const ControlResponse& response) {
  nlohmann::json object;
  object["ok"] = response.ok;
  if (response.ok) {
    object["result"] = response.result;
  } else {
    object["error"] = response.error;
  }
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace yt
