// The RFC 5780 reading of discovery's observations: a pure function from what the
// probes saw to a NatProfile, so the rules are testable without any probing.
//
// Mapping (RFC 4787 section 4.1) compares the mapped endpoints the discovery
// endpoints reported for the client's one socket:
//   - two endpoints on different IPs reported the same mapping     -> EIM
//   - two endpoints on one IP, different ports, differed           -> APDM
//   - endpoints on different IPs differed, and two on one IP with
//     different ports agreed                                       -> ADM
// Anything less decisive (a server with one endpoint, lost probes) leaves
// mapping_known false and reports the most restrictive behaviour the evidence allows.
//
// Filtering (RFC 4787 section 5) reads the two change-request tests, both answered
// to the mapping the primary endpoint created and nothing else had been sent to:
//   - the reply from another IP arrived                             -> EIF
//   - else the reply from the primary IP's other port arrived       -> ADF
//   - else, both tests ran                                          -> APDF
// A reply that arrived is proof; a missing one may be a lost datagram, so positive
// evidence wins when the two disagree. With a test missing the result is a guess
// (filtering_known false), except that a missing other-port reply alone proves APDF.
//
// Port allocation looks at the distinct mappings in the order they were created
// (only those on the primary mapping's public IP: pooled addresses keep their own
// counters):
//   - sequential with delta d: every step between consecutive mappings is d != 0.
//     The steps inside the back-to-back batch decide when there are two or more;
//     otherwise the steps overall must agree and be small (|d| <= kMaxLoneStepDelta),
//     since a single large step is what a random allocator produces;
//   - preserve: the primary mapping kept the socket's port;
//   - random: anything else. An EIM NAT shows one mapping only, so a changed port
//     there reads as random: it is never predicted anyway, since the one mapping
//     serves every peer.
// A step that wraps around the NAT's port range reads as random (not handled).
//
// Hairpinning is what the HairpinProbe test saw. Not behind a NAT (the primary
// mapping is one of our own socket addresses) there is nothing to translate: mapping
// is EIM (measured), allocation preserve and hairpinning true (a datagram to our own
// address reaches us inside the host); filtering still comes from the tests, since a
// firewall may filter without translating.
//
// No reply from the primary endpoint at all means udp_blocked, with everything else
// left at NatProfile's defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/nat_taxonomy.h"

namespace yt {

// One discovery endpoint's answer to plain (no change request) probes.
struct MappingObservation {
  Endpoint server;                 // the discovery endpoint probed
  std::optional<Endpoint> mapped;  // the mapped endpoint it reported; nullopt: no answer
  // Mapping probes that left back to back share a batch number (> 0); consecutive
  // mappings within one batch are the best allocation evidence. 0: sent on its own
  // (the primary's probes).
  int batch = 0;
};

struct DiscoveryObservations {
  std::vector<Endpoint> lan_endpoints;  // the client's own socket addresses
  // [0] is the primary endpoint; the others in the order their first probes left.
  std::vector<MappingObservation> mappings;
  // RFC 5780 filtering tests: did the reply requested from another IP (and another
  // port, where the server has such an endpoint) arrive? Did the one requested from
  // the primary IP's other port? nullopt: the test could not run (no such endpoint,
  // or the server answered from the probed endpoint anyway).
  std::optional<bool> reply_from_other_ip;
  std::optional<bool> reply_from_other_port;
  // Did a HairpinProbe to our own mapped endpoint come back? nullopt: not tested.
  std::optional<bool> hairpin;
};

// Largest step accepted as "sequential" from one step alone: NATs that count step
// by 1 or 2 (parity), sometimes a few more when other hosts allocate in between;
// a random allocator lands this close with probability ~0.05%.
constexpr std::int32_t kMaxLoneStepDelta = 16;
// A sequential NAT shared with other busy hosts (a household, a dorm, everyone
// logging in at once) hands their mappings out between ours, so our steps are
// unequal but all small and of one sign: at least two such steps, none larger than
// this, read as sequential, stepping by 1 (nat_classifier.cpp says why not more). A random allocator
// scatters over the whole port range (two steps this small: p ~ 1e-6).
constexpr std::int32_t kMaxContendedStep = 32;

NatProfile classify_nat(const DiscoveryObservations& seen);

}  // namespace yt
