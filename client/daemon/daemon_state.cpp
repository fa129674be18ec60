#include "client/daemon/daemon_state.h"

#include <nlohmann/json.hpp>

#include "platform/state_dir.h"

namespace yt {

Result<DaemonState, std::string> load_daemon_state(const std::string& path) {
  auto text = read_small_file(path, kMaxStateFileSize);
  if (!text) return Err{text.error()};
  DaemonState state;
  if (!*text) return state;
  nlohmann::json object = nlohmann::json::parse(**text, nullptr, /*allow_exceptions=*/false);
  std::string bad = "state file " + path + " is damaged (delete it to start fresh): ";
  if (object.is_discarded() || !object.is_object()) return Err{bad + "not a JSON object"};
  if (auto v = object.find("logged_out"); v != object.end()) {
    if (!v->is_boolean()) return Err{bad + "\"logged_out\" is not a boolean"};
    state.logged_out = v->get<bool>();
  }
  if (auto v = object.find("nickname"); v != object.end()) {
    if (!v->is_string()) return Err{bad + "\"nickname\" is not a string"};
    state.nickname = v->get<std::string>();
  }
  if (auto v = object.find("logout_reason"); v != object.end()) {
    if (!v->is_string()) return Err{bad + "\"logout_reason\" is not a string"};
    state.logout_reason = v->get<std::string>();
  }
  if (auto v = object.find("udp_port"); v != object.end()) {
    if (!v->is_number_unsigned() || v->get<std::uint64_t>() > 65535) return Err{bad + "\"udp_port\" is not a port"};
    state.udp_port = static_cast<std::uint16_t>(v->get<std::uint64_t>());
  }
  if (auto v = object.find("offline_networks"); v != object.end()) {
    if (!v->is_array()) return Err{bad + "\"offline_networks\" is not an array"};
    for (const nlohmann::json& name : *v) {
      if (!name.is_string()) return Err{bad + "\"offline_networks\" holds a non-string"};
      state.offline_networks.insert(name.get<std::string>());
    }
  }
  return state;
}

Status<std::string> save_daemon_state(const std::string& path, const DaemonState& state) {
  nlohmann::json object;
  object["logged_out"] = state.logged_out;
  object["nickname"] = state.nickname;
  object["offline_networks"] = state.offline_networks;
  if (!state.logout_reason.empty()) object["logout_reason"] = state.logout_reason;
  if (state.udp_port != 0) object["udp_port"] = state.udp_port;
  return write_file_atomically(path, object.dump(2) + "\n", 0600);
}

}  // namespace yt
