// Plans one mediated punch between two online peers: the pair of TunnelInstructions
// the server sends, one to each side, sharing a tunnel id and a start delay.
//
// Roles: the side with the smaller public key (byte-wise) is the initiator, so both
// sides and every server instance agree without coordination.
// Candidates for each side are the *other* side's endpoints, best first: when both
// peers show the same public IP (same NAT, e.g. two machines in one house) the
// peer's LAN endpoints come first, since hairpinning through the NAT is often
// unsupported; then the peer's mapped endpoint. Duplicates are dropped and the list
// is cut to kMaxCandidates.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt {

// What the planner needs to know about one peer.
struct TunnelSide {
  PublicKey key{};
  Ipv4 virtual_ip;
  std::optional<Endpoint> mapped;       // public endpoint; nullopt when unknown (UDP blocked)
  std::vector<Endpoint> lan_endpoints;  // the client's own socket addresses
  // The NAT profile the client's discovery reported (DiscoveryReport). It is the
  // client's claim: fit to choose a strategy for its side, never a source of
  // addresses to aim the peer's probes at (those come from what the server saw).
  NatProfile profile;
};

struct TunnelPlan {
  TunnelInstruction for_a;  // sent to a; describes b
  TunnelInstruction for_b;  // sent to b; describes a
};

// Precondition: a.key != b.key. `punch_lead` becomes start_delay_ms (whole ms).
TunnelPlan plan_tunnel(const TunnelSide& a, const TunnelSide& b, std::uint64_t tunnel_id, Duration punch_lead);

}  // namespace yt
