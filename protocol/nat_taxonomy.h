// The NAT taxonomy of RFC 4787 / RFC 5382 / RFC 5780, shared by the NAT models
// (nat-models/), the client's discovery and the server's punch planner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt {

// RFC 4787 section 4.1: what decides whether two flows from one internal endpoint
// share a public mapping.
enum class MappingBehavior : std::uint8_t {
  kEndpointIndependent = 0,  // EIM: one mapping per internal endpoint
  kAddressDependent = 1,     // ADM: one per (internal endpoint, remote IP)
  kAddressPortDependent = 2, // APDM: one per (internal endpoint, remote IP, remote port)
};

// RFC 4787 section 5: which inbound packets a mapping lets through.
enum class FilteringBehavior : std::uint8_t {
  kEndpointIndependent = 0,   // EIF: from anyone
  kAddressDependent = 1,      // ADF: from remote IPs the inside has sent to
  kAddressPortDependent = 2,  // APDF: from remote endpoints the inside has sent to
};

// How the external port of a new mapping is chosen.
enum class PortAllocation : std::uint8_t {
  kPreserve = 0,    // external port = internal port when free
  kSequential = 1,  // previous allocation + delta
  kRandom = 2,      // uniformly random in the port range
};

const char* to_string(MappingBehavior m);
const char* to_string(FilteringBehavior f);
const char* to_string(PortAllocation p);

// What discovery learned about the path from a client to the Internet. Kept by the
// server and used to plan punches.
//
// `mapping` and `filtering` can only be measured against a server with discovery
// endpoints on two IPs and two ports (RFC 5780). When one could not be pinned down
// (fewer endpoints, lost probes) its *_known flag is false and the field holds the
// most restrictive behaviour consistent with what was seen (APDM / APDF when nothing
// was): a guess a planner may use, but should not trust.
struct NatProfile {
  bool behind_nat = true;          // false: the mapped endpoint equals the local one
  bool udp_blocked = false;        // no discovery reply came back over UDP
  MappingBehavior mapping = MappingBehavior::kEndpointIndependent;
  FilteringBehavior filtering = FilteringBehavior::kAddressPortDependent;
  PortAllocation allocation = PortAllocation::kPreserve;
  std::int32_t port_delta = 0;     // for kSequential: observed step between mappings
  bool hairpinning = false;
  std::vector<Ipv4> public_ips;    // more than one: the NAT pools addresses
  Duration mapping_lifetime{0};    // 0: not measured
  bool mapping_known = false;      // `mapping` was measured, not guessed
  bool filtering_known = false;    // `filtering` was measured, not guessed

  // "EIM/APDF preserve" style summary for logs and the CLI; a guessed behaviour is
  // marked with '?', e.g. "APDM?/APDF? preserve".
  std::string summary() const;
};

// A short, stable name for the class of NAT a profile describes, for grouping
// tunnel outcomes (the server's metrics): "udp-blocked", "no-nat" (as summary()),
// else by mapping, which decides whether a punch can work: "eim", "adm", and for
// APDM by port allocation, which decides whether the port can be predicted:
// "apdm-preserve", "apdm-seq", "apdm-random". "unknown" when the mapping was not
// measured (a server without RFC 5780 endpoints on two IPs). Filtering is left
// out on purpose: a planned punch opens every filter, and fewer classes keep the
// metric's label set small (8 per side, 36 pairs).
const char* nat_class(const NatProfile& p);
// The class of a pair: both sides' nat_class, sorted and joined with '+', so
// the pair reads the same whichever side is which ("eim+apdm-random").
std::string nat_pair_class(const NatProfile& a, const NatProfile& b);

}  // namespace yt
