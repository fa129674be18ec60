#include "protocol/nat_taxonomy.h"

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

}  // namespace yt
