#include "emulation/matrix_results.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace yt::emulation {

const char* to_string(AttemptOutcome o) {
  switch (o) {
    case AttemptOutcome::kDirect: return "direct";
    case AttemptOutcome::kRelayed: return "relayed";
    case AttemptOutcome::kFailed: return "failed";
  }
  return "?";
}

namespace {

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

PairSummary summarize_group(const std::string& a, const std::string& b, const std::string& strategy,
                            const std::vector<const AttemptRecord*>& group) {
  PairSummary s;
  s.profile_a = a;
  s.profile_b = b;
  s.strategy = strategy;
  std::vector<double> times, first_packet;
  std::uint64_t relay_packets = 0;
  for (const AttemptRecord* r : group) {
    ++s.attempts;
    if (r->outcome == AttemptOutcome::kDirect) ++s.direct;
    if (r->outcome == AttemptOutcome::kRelayed) ++s.relayed;
    if (r->outcome == AttemptOutcome::kFailed) ++s.failed;
    if (r->time_to_direct_ms) times.push_back(*r->time_to_direct_ms);
    if (r->time_to_first_packet_ms) first_packet.push_back(*r->time_to_first_packet_ms);
    relay_packets += r->relay_packets;
  }
  s.p2p_rate = s.attempts ? double(s.direct) / s.attempts : 0;
  s.connectivity = s.attempts ? double(s.direct + s.relayed) / s.attempts : 0;
  s.p2p_interval = wilson_interval(s.direct, s.attempts);
  s.connectivity_interval = wilson_interval(s.direct + s.relayed, s.attempts);
  s.median_time_to_direct_ms = median(times);
  s.median_time_to_first_packet_ms = median(first_packet);
  s.relay_packets_per_attempt = s.attempts ? double(relay_packets) / s.attempts : 0;
  return s;
}

}  // namespace

std::vector<PairSummary> summarize(const std::vector<AttemptRecord>& attempts,
                                   const std::vector<std::string>& profiles,
                                   const std::vector<std::string>& strategies) {
  std::vector<PairSummary> out;
  for (const std::string& strategy : strategies) {
    std::vector<const AttemptRecord*> all;
    for (const std::string& a : profiles) {
      for (const std::string& b : profiles) {
        std::vector<const AttemptRecord*> group;
        for (const AttemptRecord& r : attempts) {
          if (r.strategy == strategy && r.profile_a == a && r.profile_b == b) group.push_back(&r);
        }
        if (group.empty()) continue;
        all.insert(all.end(), group.begin(), group.end());
        out.push_back(summarize_group(a, b, strategy, group));
      }
    }
    if (!all.empty()) out.push_back(summarize_group("overall", "overall", strategy, all));
  }
  return out;
}

std::string to_json(const MatrixParameters& parameters, const std::vector<PairSummary>& summaries,
                    const std::vector<AttemptRecord>& attempts) {
  nlohmann::ordered_json root;
  root["parameters"] = {{"profiles", parameters.profiles},
                        {"strategies", parameters.strategies},
                        {"seeds", parameters.seeds},
                        {"access_delay_ms", parameters.access_delay_ms},
                        {"loss_rate", parameters.loss_rate},
                        {"time_limit_s", parameters.time_limit_s},
                        {"fault", parameters.fault},
                        {"relay_mode", parameters.relay_mode},
                        {"disable", parameters.disable},
                        {"background_flows_per_s", parameters.background_flows_per_s},
                        {"jitter_ms", parameters.jitter_ms},
                        {"mapping_timeout_s", parameters.mapping_timeout_s}};
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const PairSummary& s : summaries) {
    nlohmann::ordered_json j = {{"profile_a", s.profile_a}, {"profile_b", s.profile_b},
                                {"strategy", s.strategy},   {"attempts", s.attempts},
                                {"direct", s.direct},       {"relayed", s.relayed},
                                {"failed", s.failed},       {"p2p_rate", s.p2p_rate},
                                {"connectivity", s.connectivity},
                                {"p2p_rate_ci95", {s.p2p_interval.low, s.p2p_interval.high}},
                                {"connectivity_ci95", {s.connectivity_interval.low, s.connectivity_interval.high}},
                                {"relay_packets_per_attempt", s.relay_packets_per_attempt}};
    j["median_time_to_direct_ms"] =
        s.median_time_to_direct_ms ? nlohmann::ordered_json(*s.median_time_to_direct_ms) : nlohmann::ordered_json();
    j["median_time_to_first_packet_ms"] = s.median_time_to_first_packet_ms
                                              ? nlohmann::ordered_json(*s.median_time_to_first_packet_ms)
                                              : nlohmann::ordered_json();
    pairs.push_back(std::move(j));
  }
  root["pairs"] = std::move(pairs);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const AttemptRecord& r : attempts) {
    nlohmann::ordered_json j = {{"profile_a", r.profile_a}, {"profile_b", r.profile_b}, {"strategy", r.strategy},
                                {"seed", r.seed},           {"outcome", to_string(r.outcome)}};
    j["time_to_direct_ms"] = r.time_to_direct_ms ? nlohmann::ordered_json(*r.time_to_direct_ms) : nlohmann::ordered_json();
    j["time_to_first_packet_ms"] =
        r.time_to_first_packet_ms ? nlohmann::ordered_json(*r.time_to_first_packet_ms) : nlohmann::ordered_json();
    j["relay_packets"] = r.relay_packets;
    if (!r.failure.empty()) j["failure"] = r.failure;
    list.push_back(std::move(j));
  }
  root["attempts"] = std::move(list);
  return root.dump(1) + "\n";
}

std::string to_csv(const std::vector<PairSummary>& summaries) {
  std::ostringstream out;
  out << "profile_a,profile_b,strategy,attempts,direct,relayed,failed,p2p_rate,connectivity,"
         "median_time_to_direct_ms,median_time_to_first_packet_ms,p2p_low,p2p_high,connectivity_low,"
         "connectivity_high\n";
  auto optional_ms = [&out](std::optional<double> v) {
    if (!v) return;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", *v);
    out << ms;
  };
  for (const PairSummary& s : summaries) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.4f,%.4f", s.p2p_rate, s.connectivity);
    out << s.profile_a << ',' << s.profile_b << ',' << s.strategy << ',' << s.attempts << ',' << s.direct << ','
        << s.relayed << ',' << s.failed << ',' << rate << ',';
    optional_ms(s.median_time_to_direct_ms);
    out << ',';
    optional_ms(s.median_time_to_first_packet_ms);
    char bounds[96];
    std::snprintf(bounds, sizeof bounds, ",%.4f,%.4f,%.4f,%.4f", s.p2p_interval.low, s.p2p_interval.high,
                  s.connectivity_interval.low, s.connectivity_interval.high);
    out << bounds << '\n';
  }
  return out.str();
}

namespace {

using SummaryIndex = std::map<std::tuple<std::string, std::string, std::string>, const PairSummary*>;

// One profile_a x profile_b grid of `metric` in percent. Columns use short labels
// (column number) so the grid fits a terminal; the row label names each profile.
void grid(std::ostringstream& out, const SummaryIndex& index, const std::vector<std::string>& profiles,
          const std::string& strategy, const char* title, double PairSummary::*metric) {
  std::size_t width = 10;
  for (const std::string& p : profiles) width = std::max(width, p.size());
  out << "\n" << title << ", strategy '" << strategy << "' (row: client A's NAT, column: client B's NAT)\n";
  out << std::string(width + 4, ' ');
  for (std::size_t j = 0; j < profiles.size(); ++j) {
    char head[24];  // room for any size_t, so the compiler sees no truncation
    std::snprintf(head, sizeof head, "%5zu", j + 1);
    out << head;
  }
  out << '\n';
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    char label[96];
    std::snprintf(label, sizeof label, "%2zu %-*s ", i + 1, static_cast<int>(width), profiles[i].c_str());
    out << label;
    for (const std::string& b : profiles) {
      auto it = index.find({strategy, profiles[i], b});
      char cell[8];
      if (it == index.end()) {
        std::snprintf(cell, sizeof cell, "%5s", "-");
      } else {
        std::snprintf(cell, sizeof cell, "%5.0f", it->second->*metric * 100);
      }
      out << cell;
    }
    out << '\n';
  }
}

}  // namespace

std::string to_table(const std::vector<PairSummary>& summaries, const std::vector<std::string>& profiles,
                     const std::vector<std::string>& strategies) {
  SummaryIndex index;
  for (const PairSummary& s : summaries) index[{s.strategy, s.profile_a, s.profile_b}] = &s;
  std::ostringstream out;
  for (const std::string& strategy : strategies) {
    grid(out, index, profiles, strategy, "P2P rate", &PairSummary::p2p_rate);
    grid(out, index, profiles, strategy, "Connectivity (direct or relayed)", &PairSummary::connectivity);
    auto overall = index.find({strategy, "overall", "overall"});
    if (overall != index.end()) {
      const PairSummary& s = *overall->second;
      char line[320];
      std::snprintf(line, sizeof line,
                    "overall: p2p %.1f%% [95%% CI %.1f-%.1f], connectivity %.1f%% [%.1f-%.1f] (%d direct, %d relayed, "
                    "%d failed of %d attempts)",
                    s.p2p_rate * 100, s.p2p_interval.low * 100, s.p2p_interval.high * 100, s.connectivity * 100,
                    s.connectivity_interval.low * 100, s.connectivity_interval.high * 100, s.direct, s.relayed,
                    s.failed, s.attempts);
      out << line;
      if (s.median_time_to_first_packet_ms) {
        std::snprintf(line, sizeof line, ", median time to first packet %.0f ms", *s.median_time_to_first_packet_ms);
        out << line;
      }
      if (s.median_time_to_direct_ms) {
        std::snprintf(line, sizeof line, ", to direct %.0f ms", *s.median_time_to_direct_ms);
        out << line;
      }
      std::snprintf(line, sizeof line, ", relay load %.0f packets per attempt", s.relay_packets_per_attempt);
      out << line;
      out << '\n';
    }
  }
  return out.str();
}

}  // namespace yt::emulation
