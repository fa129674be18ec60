#include "server/core/punch_techniques.h"

#include <algorithm>

#include "server/core/server_config.h"

namespace yt {

const std::vector<std::string>& technique_names() {
  static const std::vector<std::string> names = {"lan",      "prediction",     "serialize",
                                                 "prepunch", "follower-delay", "birthday", "tcp",
                                                 "portmap"};
  return names;
}

Result<std::set<std::string>, std::string> parse_techniques(std::string_view list) {
  std::set<std::string> out;
  std::string name;
  auto take = [&]() -> std::optional<std::string> {
    if (name.empty()) return std::nullopt;
    const auto& known = technique_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string all;
      for (const std::string& k : known) all += (all.empty() ? "" : ", ") + k;
      return "unknown punch technique '" + name + "' (" + all + ")";
    }
    out.insert(name);
    name.clear();
    return std::nullopt;
  };
  for (char c : list) {
    if (c == ',') {
      if (auto error = take()) return Err{*error};
    } else if (c != ' ') {
      name += c;
    }
  }
  if (auto error = take()) return Err{*error};
  return out;
}

Result<std::set<std::string>, std::string> parse_techniques(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) list += name + ",";
  return parse_techniques(std::string_view(list));
}

bool technique_enabled(const ServerConfig& config, std::string_view name) {
  return config.disabled_techniques.count(std::string(name)) == 0;
}

PlanOptions plan_options(const ServerConfig& config) {
  PlanOptions options;
  options.strategy = config.punch_strategy;
  options.lead = config.punch_lead;
  options.lan_candidates = technique_enabled(config, "lan");
  options.prediction_window = technique_enabled(config, "prediction") ? config.port_prediction_window : 0;
  options.prepunch_ttl = technique_enabled(config, "prepunch") ? config.prepunch_ttl : 0;
  options.follower_delay = technique_enabled(config, "follower-delay") ? config.punch_follower_delay : Duration(0);
  options.birthday = config.birthday;
  options.birthday.enabled = config.birthday.enabled && technique_enabled(config, "birthday");
  options.tcp = config.tcp_punch;
  options.tcp.enabled = config.tcp_punch.enabled && technique_enabled(config, "tcp");
  options.port_mapping = technique_enabled(config, "portmap");
  return options;
}

}  // namespace yt
