// Plans one mediated punch between two online peers: the pair of TunnelInstructions
// the server sends, one to each side, sharing a tunnel id and a start delay.
//
// Roles: the side with the smaller public key (byte-wise) is the initiator, so both
// sides and every server instance agree without coordination.
//
// Strategies (PunchStrategy; the nat-matrix scenario runs both side by side):
//
//   kNaive: each side gets the other's observed mapped endpoint and starts at once
//   (start delay 0). The textbook baseline the measurements compare against.
//
//   kServerDriven, the project's strategy. Candidates for each side are the *other*
//   side's endpoints, best first, duplicates dropped, cut to kMaxCandidates:
//   1. LAN endpoints, when both peers show the same public IP (same NAT, e.g. two
//      machines in one house), since hairpinning through the NAT is often missing.
//   2. Port prediction, when the peer reported a symmetric NAT (mapping not
//      endpoint-independent) that allocates ports sequentially with a known delta:
//      the mapping it will make toward us does not exist yet, so we are told to
//      probe `prediction_window` ports starting where its next mapping is expected:
//      the newest mapping the server saw during its discovery, plus one delta per
//      mapping it made unseen since (its hairpin probe, when the NAT hairpins, see
//      client/core/discovery.h), plus one. Our probes to those ports open our own
//      NAT's filter for the packet that comes from the peer's new mapping. When
//      both sides predict each other, the k-th probe of each goes out through the
//      k-th new mapping toward the other's k-th predicted port, so the two line up
//      exactly when both predictions are right.
//      The peer's old mapped endpoint is then left out (its mapping is bound to
//      the server's address and filters us), unless mapping was only guessed.
//   3. The peer's mapped endpoint.
//   Who sends first: a stateful NAT (Linux conntrack) that sees the peer's probe
//   before its own client's first packet toward that peer keeps an inbound entry,
//   and the client's outgoing flow then clashes with it and is moved to another
//   port; Linux even keeps using that new port for the client's later flows, so
//   one early probe can spoil every tunnel the client sets up afterwards. So:
//   - a receptive side (no NAT, or a NAT measured as EIM/EIF: anything sent to
//     its mapped endpoint gets in) starts `follower_delay` after a side that is
//     not, and neither side needs a prepunch: the filtering side's first probe
//     opens its NAT and reaches the receptive side at once;
//   - two filtering sides start together after `lead`, and their first round
//     goes out with the prepunch TTL, so it opens only their own NATs
//     (messages.h) before the full rounds cross.
//   - two receptive sides start together, without a prepunch.
//
//   0. Port mapping (`portmap`): a side whose gateway granted a mapping of its
//      socket (PCP, NAT-PMP, UPnP IGD; PortMappingOffer in its DiscoveryReport)
//      has that endpoint offered first (after LAN endpoints, where those apply). The mapping is endpoint-independent and
//      open to every remote, so a side holding a *trusted* one counts as
//      receptive (it starts after a filtering peer, no prepunch, no birthday
//      probing for it): its peer's first probe to the mapped port gets in, and
//      the answer leaves through the same mapping. Trusted means on the public IP
//      the server saw it at and outside 100.64.0.0/10: otherwise a NAT in front
//      of the gateway (carrier-grade NAT) translates again, and the mapping holds
//      on the inner NAT only. An untrusted mapping is still offered, but only to a
//      peer behind the same public IP (like LAN endpoints: a claimed address is
//      never aimed at from elsewhere, where it could be a third party's).
//
//   4. Birthday probing (messages.h, BirthdayPlan), when one side's NAT was measured
//      to give every destination a random port (APDM or ADM, random allocation:
//      nothing to predict) and the other's to keep one mapping for all (EIM, or no
//      NAT) but to filter: the random side opens many mappings toward the other's
//      mapped endpoint, and the other probes random ports of the random side's
//      public IP until one of its probes lands on one of them. The random side's
//      datagrams go out with the prepunch TTL, so only its own NAT sees them.
//      (A receptive peer needs none of this: the random side's ordinary probes
//      get in.)
//
//   5. TCP hole punching (messages.h, TcpPunchPlan), when a side's UDP is blocked
//      and both sides' TCP mappings are known: both connect from their punch port
//      to the other's TCP mapped endpoint. UDP first: a pair whose UDP works gets
//      no TCP plan. The side whose peer filters connects first (a udp-blocked side
//      is taken to filter: a firewall drops unsolicited SYNs) and the other
//      `follow` later, so the first SYN opens its own NAT and dies at the peer's,
//      and the second meets a socket in SYN_SENT; two SYNs crossing would make
//      both sides answer SYN+ACK to a SYN+ACK, which ns-3's TCP refuses with a RST
//      (Linux takes it: docs/nat-matrix.md). Two udp-blocked sides: the
//      initiator first. A pair whose UDP should work (both NATs endpoint-
//      independent) but whose last plan still ended relayed gets the same TCP
//      punch beside its next UDP one (TcpPunchOptions::udp_failed): TCP as a
//      direct path where UDP fails; the initiator connects first.
//      With `portmap` on, a side whose gateway maps its TCP listening port
//      (DiscoveryReport::tcp_port_mapping, trusted as in 0.) is not punched but
//      connected to: the other side connects to that mapped endpoint, `follow`
//      after the listening side's start, and the listening side awaits the
//      connection from the other's public address (TcpPunchPlan::accept). This
//      needs no TCP mapping of the listening side at all, so it works where the
//      listening side's NAT gives every destination a new port. Both listening:
//      the initiator connects.
//
// Ports are predicted and probed only inside the peer's observed public IP: a
// client's claim (its NatProfile) can choose a strategy, never aim probes at a
// third party.
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

enum class PunchStrategy : std::uint8_t {
  kNaive,
  kServerDriven,
};

// What the planner needs to know about one peer.
struct TunnelSide {
  PublicKey key{};
  Ipv4 virtual_ip;
  std::optional<Endpoint> mapped;       // public endpoint; nullopt when unknown (UDP blocked)
  // The most recently created mapping the server observed (the source of the last
  // discovery probe that came from a new endpoint): the base of port prediction.
  std::optional<Endpoint> newest_mapping;
  std::vector<Endpoint> lan_endpoints;  // the client's own socket addresses
  // The NAT profile the client's discovery reported (DiscoveryReport). It is the
  // client's claim: fit to choose a strategy for its side, never a source of
  // addresses to aim the peer's probes at (those come from what the server saw).
  NatProfile profile;
  // The gateway's mapping the client reported (a claim; trusted per 0. above).
  PortMappingOffer port_mapping;
  // newest_mapping came from a RefreshMapping probe, after discovery's hairpin
  // probe: no unseen mapping lies between it and the next one.
  bool fresh_base = false;
  // The source the server saw on the client's kTcpMapping connection (5. above).
  std::optional<Endpoint> tcp_mapped;
  // The gateway's mapping of the client's TCP listening port (a claim; 5. above).
  PortMappingOffer tcp_port_mapping;
};

// Birthday probing's numbers (4. above). 256 mappings and 1024 probes over the
// 64,512 ports above 1023: 1 - (1 - 256/64512)^1024, about 98% of pairs meet.
struct BirthdayOptions {
  bool enabled = true;
  std::uint16_t sockets = 256;   // mappings the random side opens
  std::uint16_t probes = 1024;   // ports the other side probes
  std::uint16_t rate_pps = 200;  // each side's pace
};

// TCP hole punching's numbers (5. above).
struct TcpPunchOptions {
  bool enabled = true;
  // This pair's last UDP plan ended relayed although both NATs map endpoint-
  // independently (UDP should have worked: a firewall or loss took it): the plan
  // adds a TCP punch beside the UDP one (5. above, "where UDP fails").
  bool udp_failed = false;
  // How much later the second side connects. It must cover the difference between
  // the two instructions' delivery times (as punch_follower_delay does), and stay
  // well under the first side's connect timeout (ns-3: 3 s to the first SYN
  // retransmission, Linux 1 s; the connection still forms on a retransmission).
  Duration follow = std::chrono::milliseconds(500);
};

struct PlanOptions {
  PunchStrategy strategy = PunchStrategy::kServerDriven;
  Duration lead{0};                    // becomes start_delay_ms (whole ms) unless naive
  bool lan_candidates = true;          // 1. above
  std::size_t prediction_window = 8;   // predicted ports per symmetric peer; 0: no prediction (2.)
  std::uint8_t prepunch_ttl = 0;       // TunnelInstruction::prepunch_ttl unless naive
  Duration follower_delay{0};          // how much later a receptive side starts
  BirthdayOptions birthday;
  TcpPunchOptions tcp;
  bool port_mapping = true;            // 0. above
};

// 100.64.0.0/10 (RFC 6598): the shared address space of carrier-grade NATs.
bool in_shared_address_space(Ipv4 ip);
// Whether `side`'s reported port mapping is believed (0. above): reported, on the
// public IP the server saw, outside 100.64.0.0/10.
bool port_mapping_trusted(const TunnelSide& side);
// The same for the TCP listening port's mapping: on the public IP the server saw
// over UDP or over the kTcpMapping connection (a udp-blocked side has only that).
bool tcp_port_mapping_trusted(const TunnelSide& side);

// Whether a profile's NAT gives each destination a new random port (birthday
// probing's random side) / keeps one mapping for all destinations (its other side).
bool random_per_destination(const NatProfile& profile);
bool one_mapping_for_all(const NatProfile& profile);

struct TunnelPlan {
  TunnelInstruction for_a;  // sent to a; describes b
  TunnelInstruction for_b;  // sent to b; describes a
};

// The ports where `side`'s next mappings are expected, in the order it will make
// them; empty when its NAT gives nothing to predict.
std::vector<Endpoint> predicted_endpoints(const TunnelSide& side, std::size_t count);

// Whether packets sent to `profile`'s mapped endpoint get in without it having
// sent toward their source first (no NAT, or a NAT measured as EIM and EIF). A
// guessed filtering behaviour counts as filtering.
bool receptive(const NatProfile& profile);

// Precondition: a.key != b.key.
TunnelPlan plan_tunnel(const TunnelSide& a, const TunnelSide& b, std::uint64_t tunnel_id, const PlanOptions& options);

}  // namespace yt
