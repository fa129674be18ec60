#include "emulation/nat_mix.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "emulation/matrix_scenario.h"

namespace yt::emulation {
namespace {

// ordered_json keeps the file's order of profiles, which the table and the
// sampler follow (so reordering a file is a visible, deliberate change).
using json = nlohmann::ordered_json;

std::string known_profiles() {
  std::string list;
  for (const std::string& name : matrix_profile_names()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

Result<std::string, std::string> string_field(const json& object, const char* key, const std::string& where,
                                              bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return Err{where + "." + key + " is missing"};
    return std::string{};
  }
  if (!it->is_string()) return Err{where + "." + key + " must be a string"};
  return it->get<std::string>();
}

Result<std::vector<NatMixSource>, std::string> parse_sources(const json& j) {
  if (!j.is_array()) return Err{std::string("sources must be a list of {\"title\", \"url\", \"what was taken\"}")};
  std::vector<NatMixSource> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string where = "sources[" + std::to_string(i) + "]";
    if (!j[i].is_object()) return Err{where + " must be an object"};
    for (auto it = j[i].begin(); it != j[i].end(); ++it) {
      if (it.key() != "title" && it.key() != "url" && it.key() != "what was taken") {
        return Err{where + ": unknown field '" + it.key() + "' (known: title, url, what was taken)"};
      }
    }
    NatMixSource s;
    auto title = string_field(j[i], "title", where, true);
    if (!title) return Err{title.error()};
    auto url = string_field(j[i], "url", where, false);
    if (!url) return Err{url.error()};
    auto taken = string_field(j[i], "what was taken", where, false);
    if (!taken) return Err{taken.error()};
    s.title = *title;
    s.url = *url;
    s.what_was_taken = *taken;
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::pair<std::string, double>>, std::string> parse_shares(const json& j) {
  if (!j.is_object()) return Err{std::string("profiles must be an object of profile name -> share")};
  if (j.empty()) return Err{std::string("profiles is empty: name at least one profile with a share above 0")};
  const std::vector<std::string> known = matrix_profile_names();
  std::vector<std::pair<std::string, double>> shares;
  double total = 0;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string where = "profiles." + it.key();
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return Err{where + ": unknown profile '" + it.key() + "'; known: " + known_profiles()};
    }
    if (!it->is_number()) return Err{where + " must be a number (a share, e.g. 0.25)"};
    const double share = it->get<double>();
    if (!std::isfinite(share) || share < 0) return Err{where + " must be 0 or more, not " + it->dump()};
    shares.emplace_back(it.key(), share);
    total += share;
  }
  if (!(total > 0)) return Err{std::string("profiles: the shares must not all be 0")};
  for (auto& [name, share] : shares) share /= total;
  return shares;
}

}  // namespace

Result<NatMix, std::string> nat_mix_from_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Err{std::string("not valid JSON")};
  if (!j.is_object()) return Err{std::string("a mix must be a JSON object with \"profiles\"")};
  NatMix mix;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "port_mapping" || key == "port-mapping" || key == "port_mapping_share") {
      return Err{key + ": port mapping (PCP, NAT-PMP, UPnP) is not implemented yet (issue 12 item 3), so a "
                       "share of gateways that answer it cannot be measured; remove the field"};
    }
    if (key != "name" && key != "description" && key != "sources" && key != "profiles") {
      return Err{"unknown field '" + key + "' (known: name, description, sources, profiles)"};
    }
  }
  auto name = string_field(j, "name", "mix", false);
  if (!name) return Err{name.error()};
  auto description = string_field(j, "description", "mix", false);
  if (!description) return Err{description.error()};
  mix.name = *name;
  mix.description = *description;
  if (auto it = j.find("sources"); it != j.end() && !it->is_null()) {
    auto sources = parse_sources(*it);
    if (!sources) return Err{sources.error()};
    mix.sources = std::move(*sources);
  }
  auto it = j.find("profiles");
  if (it == j.end() || it->is_null()) return Err{std::string("profiles is missing: name profile shares")};
  auto shares = parse_shares(*it);
  if (!shares) return Err{shares.error()};
  mix.shares = std::move(*shares);
  return mix;
}

Result<NatMix, std::string> load_nat_mix(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err{path + ": cannot read"};
  std::stringstream text;
  text << in.rdbuf();
  auto mix = nat_mix_from_json(text.str());
  if (!mix) return Err{path + ": " + mix.error()};
  return mix;
}

std::string nat_mix_to_json(const NatMix& mix) {
  json j;
  j["name"] = mix.name;
  j["description"] = mix.description;
  json sources = json::array();
  for (const NatMixSource& s : mix.sources) {
    sources.push_back({{"title", s.title}, {"url", s.url}, {"what was taken", s.what_was_taken}});
  }
  j["sources"] = sources;
  json profiles = json::object();
  for (const auto& [name, share] : mix.shares) profiles[name] = share;
  j["profiles"] = profiles;
  return j.dump();
}

}  // namespace yt::emulation
