#include "emulation/crowd.h"

#include <algorithm>
#include <chrono>

#include "protocol/time.h"

namespace yt::emulation {

std::string crowd_client_name(std::size_t i) { return "c" + std::to_string(i + 1); }
std::string crowd_site_name(std::size_t i) { return "crowd-" + std::to_string(i + 1); }

CrowdLayout expand_crowd(ScenarioSpec& spec, ns3::UniformRandomVariable& draw) {
  const CrowdSpec& crowd = *spec.crowd;
  CrowdLayout layout;
  for (const SiteSpec& site : spec.sites) layout.first_client += site.hosts.size();
  const auto n = static_cast<std::size_t>(crowd.clients);
  double total_weight = 0;
  for (const auto& [nat, weight] : crowd.nat_mix) total_weight += weight;
  auto pick_nat = [&]() -> std::size_t {
    double x = draw.GetValue(0, total_weight);
    for (std::size_t k = 0; k < crowd.nat_mix.size(); ++k) {
      if (x < crowd.nat_mix[k].second) return k;
      x -= crowd.nat_mix[k].second;
    }
    return crowd.nat_mix.size() - 1;
  };
  spec.sites.reserve(spec.sites.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& nat = crowd.nat_mix[pick_nat()].first;
    // Whole microseconds, truncated (the core's resolution): the site's delay in
    // ms then converts back to exactly this.
    const auto delay = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(draw.GetValue(crowd.delay_min_ms / 1000, crowd.delay_max_ms / 1000)));
    const double delay_ms = static_cast<double>(delay.count()) / 1000;
    spec.sites.push_back(site_of_one(crowd_client_name(i), {named_nat(nat)}, delay_ms));
    spec.sites.back().name = crowd_site_name(i);
  }
  const auto size = static_cast<std::size_t>(crowd.network_size);
  for (std::size_t g = 0; g * size < n; ++g) {
    std::vector<std::string>& members = spec.networks["pop-" + std::to_string(g)];
    for (std::size_t i = g * size; i < std::min(n, (g + 1) * size); ++i) members.push_back(crowd_client_name(i));
    layout.networks.push_back("pop-" + std::to_string(g));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double start = 0.5 + draw.GetValue(0, crowd.join_window_s);
    layout.start_s.push_back(start);
    // Each client's rounds offset so they do not all fall on one instant.
    if (crowd.traffic_interval_s > 0) {
      layout.traffic_first_s.push_back(start + 1 + draw.GetValue(0, crowd.traffic_interval_s));
    }
  }
  return layout;
}

}  // namespace yt::emulation
