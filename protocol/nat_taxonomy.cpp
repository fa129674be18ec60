#include "protocol/nat_taxonomy.h"

#include <utility>

namespace yt {

const char* to_string(MappingBehavior m) {
  switch (m) {
    case MappingBehavior::kEndpointIndependent: return "EIM";
    case MappingBehavior::kAddressDependent: return "ADM";
    case MappingBehavior::kAddressPortDependent: return "APDM";
  }
  return "?";
}

const char* to_string(FilteringBehavior f) {
  switch (f) {
    case FilteringBehavior::kEndpointIndependent: return "EIF";
    case FilteringBehavior::kAddressDependent: return "ADF";
    case FilteringBehavior::kAddressPortDependent: return "APDF";
  }
  return "?";
}

const char* to_string(PortAllocation p) {
  switch (p) {
    case PortAllocation::kPreserve: return "preserve";
    case PortAllocation::kSequential: return "sequential";
    case PortAllocation::kRandom: return "random";
  }
  return "?";
}

std::string NatProfile::summary() const {
  if (udp_blocked) return "udp-blocked";
  if (!behind_nat) return "no-nat";
  std::string s = std::string(to_string(mapping)) + (mapping_known ? "" : "?") + "/" + to_string(filtering) +
                  (filtering_known ? "" : "?") + " " + to_string(allocation);
  if (allocation == PortAllocation::kSequential) s += "(" + std::to_string(port_delta) + ")";
  if (hairpinning) s += " hairpin";
  return s;
}

const char* nat_class(const NatProfile& p) {
  if (p.udp_blocked) return "udp-blocked";
  if (!p.behind_nat) return "no-nat";
  if (!p.mapping_known) return "unknown";
  switch (p.mapping) {
    case MappingBehavior::kEndpointIndependent: return "eim";
    case MappingBehavior::kAddressDependent: return "adm";
    case MappingBehavior::kAddressPortDependent: break;
  }
  switch (p.allocation) {
    case PortAllocation::kPreserve: return "apdm-preserve";
    case PortAllocation::kSequential: return "apdm-seq";
    case PortAllocation::kRandom: return "apdm-random";
  }
  return "unknown";
}

std::string nat_pair_class(const NatProfile& a, const NatProfile& b) {
  std::string x = nat_class(a);
  std::string y = nat_class(b);
  if (y < x) std::swap(x, y);
  return x + "+" + y;
}

}  // namespace yt
