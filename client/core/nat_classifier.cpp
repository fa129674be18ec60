#include "client/core/nat_classifier.h"

#include <algorithm>
#include <cstdlib>

namespace yt {
namespace {

struct Answered {
  Endpoint server;
  Endpoint mapped;
  int batch;
};

struct MappingVerdict {
  MappingBehavior behavior;
  bool known;
};

MappingVerdict classify_mapping(const std::vector<Answered>& answered, bool behind_nat) {
  bool ip_independent = false;    // two different server IPs saw one mapping
  bool ip_dependent = false;      // two different server IPs saw different mappings
  bool port_independent = false;  // one server IP, two ports, one mapping
  bool port_dependent = false;    // one server IP, two ports, different mappings
  for (std::size_t i = 0; i < answered.size(); ++i) {
    for (std::size_t j = i + 1; j < answered.size(); ++j) {
      const Answered& a = answered[i];
      const Answered& b = answered[j];
      if (a.server == b.server) continue;
      const bool same = a.mapped == b.mapped;
      if (a.server.ip != b.server.ip) {
        (same ? ip_independent : ip_dependent) = true;
      } else {
        (same ? port_independent : port_dependent) = true;
      }
    }
  }
  // Port dependence is the strongest statement (it rules out EIM and ADM); then the
  // evidence that different IPs share a mapping, which rules out ADM and APDM.
  if (port_dependent) return {MappingBehavior::kAddressPortDependent, true};
  if (ip_independent) return {MappingBehavior::kEndpointIndependent, true};
  if (ip_dependent) {
    return port_independent ? MappingVerdict{MappingBehavior::kAddressDependent, true}
                            : MappingVerdict{MappingBehavior::kAddressPortDependent, false};
  }
  // No translation: the mapping is our own address whoever asks.
  if (!behind_nat) return {MappingBehavior::kEndpointIndependent, true};
  if (port_independent) return {MappingBehavior::kAddressDependent, false};  // EIM or ADM
  return {MappingBehavior::kAddressPortDependent, false};
}

struct FilteringVerdict {
  FilteringBehavior behavior;
  bool known;
};

FilteringVerdict classify_filtering(std::optional<bool> other_ip, std::optional<bool> other_port) {
  if (other_ip == true) return {FilteringBehavior::kEndpointIndependent, true};
  if (other_port == true) {
    // Not from another IP, yet from another port: ADF, if the other-IP test ran.
    return {FilteringBehavior::kAddressDependent, other_ip.has_value()};
  }
  // A reply from the primary IP's other port was filtered: only APDF does that.
  if (other_port == false) return {FilteringBehavior::kAddressPortDependent, true};
  return {FilteringBehavior::kAddressPortDependent, false};
}

bool all_equal_nonzero(const std::vector<std::int32_t>& steps) {
  if (steps.empty() || steps.front() == 0) return false;
  return std::all_of(steps.begin(), steps.end(), [&](std::int32_t s) { return s == steps.front(); });
}

// Sets allocation and port_delta.
void classify_allocation(const std::vector<Answered>& answered, const std::vector<Endpoint>& lan_endpoints,
                         NatProfile& profile) {
  const Endpoint primary = answered.front().mapped;
  struct Created {
    std::uint16_t port;
    int batch;
  };
  std::vector<Endpoint> seen;
  std::vector<Created> created;
  for (const Answered& a : answered) {
    if (std::find(seen.begin(), seen.end(), a.mapped) != seen.end()) continue;
    seen.push_back(a.mapped);
    if (a.mapped.ip == primary.ip) created.push_back({a.mapped.port, a.batch});
  }
  std::vector<std::int32_t> all_steps;
  std::vector<std::int32_t> batch_steps;
  for (std::size_t i = 1; i < created.size(); ++i) {
    std::int32_t step = static_cast<std::int32_t>(created[i].port) - static_cast<std::int32_t>(created[i - 1].port);
    all_steps.push_back(step);
    if (created[i].batch != 0 && created[i].batch == created[i - 1].batch) batch_steps.push_back(step);
  }
  bool sequential = false;
  if (batch_steps.size() >= 2) {
    sequential = all_equal_nonzero(batch_steps);
    if (sequential) profile.port_delta = batch_steps.front();
  } else if (all_equal_nonzero(all_steps) && std::abs(all_steps.front()) <= kMaxLoneStepDelta) {
    sequential = true;
    profile.port_delta = all_steps.front();
  }
  if (!sequential && all_steps.size() >= 2) {
    const bool up = all_steps.front() > 0;
    const bool contended = std::all_of(all_steps.begin(), all_steps.end(), [&](std::int32_t step) {
      return step != 0 && (step > 0) == up && std::abs(step) <= kMaxContendedStep;
    });
    if (contended) {
      sequential = true;
      // Every step is the NAT's own step times the allocations in between, but a
      // common divisor of a few steps overstates it half the time (steps 2, 4, 2
      // from a NAT stepping by 1), and stepping by 1 still reaches every port a
      // NAT stepping by 2 would use, inside the prediction window. So: 1.
      profile.port_delta = up ? 1 : -1;
    }
  }
  if (sequential) {
    profile.allocation = PortAllocation::kSequential;
    return;
  }
  profile.port_delta = 0;
  const bool preserved = std::any_of(lan_endpoints.begin(), lan_endpoints.end(),
                                     [&](const Endpoint& lan) { return lan.port == primary.port; });
  profile.allocation = preserved ? PortAllocation::kPreserve : PortAllocation::kRandom;
}

}  // namespace

NatProfile classify_nat(const DiscoveryObservations& seen) {
  NatProfile profile;
  if (seen.mappings.empty() || !seen.mappings.front().mapped) {
    profile.udp_blocked = true;
    return profile;
  }
  std::vector<Answered> answered;
  for (const MappingObservation& m : seen.mappings) {
    if (m.mapped) answered.push_back({m.server, *m.mapped, m.batch});
  }
  const Endpoint primary = answered.front().mapped;
  profile.behind_nat =
      std::find(seen.lan_endpoints.begin(), seen.lan_endpoints.end(), primary) == seen.lan_endpoints.end();

  for (const Answered& a : answered) {
    if (std::find(profile.public_ips.begin(), profile.public_ips.end(), a.mapped.ip) == profile.public_ips.end()) {
      profile.public_ips.push_back(a.mapped.ip);
    }
  }

  MappingVerdict mapping = classify_mapping(answered, profile.behind_nat);
  profile.mapping = mapping.behavior;
  profile.mapping_known = mapping.known;

  FilteringVerdict filtering = classify_filtering(seen.reply_from_other_ip, seen.reply_from_other_port);
  profile.filtering = filtering.behavior;
  profile.filtering_known = filtering.known;

  if (profile.behind_nat) {
    classify_allocation(answered, seen.lan_endpoints, profile);
    profile.hairpinning = seen.hairpin.value_or(false);
  } else {
    profile.allocation = PortAllocation::kPreserve;
    profile.hairpinning = true;
  }
  return profile;
}

}  // namespace yt
