// What a NAT model decided about one packet. The driver acts on it:
//   kForward  send the rewritten packet on (outbound: to the Internet side,
//             inbound: to the LAN side);
//   kHairpin  an outbound packet addressed to one of the NAT's own public endpoints,
//             rewritten (source = the sender's public mapping, destination = the
//             internal endpoint behind the target mapping): send it back to the LAN;
//   anything else: drop the packet; the value is the reason, counted per direction
//             in NatCounters so status output can show why traffic died.
#pragma once

#include <cstddef>
#include <cstdint>

namespace yt::nat {

enum class Verdict : std::uint8_t {
  kForward = 0,
  kHairpin = 1,
  // Inbound (or ICMP error) addressed to an IP the NAT does not own (any longer).
  kDropNotForNat = 2,
  // Inbound to a public endpoint with no mapping.
  kDropNoMapping = 3,
  // Inbound to a public endpoint whose mapping timed out recently (the model
  // remembers a bounded number of expired endpoints so a test or trace can tell
  // "expired" from "never existed"); otherwise kDropNoMapping.
  kDropExpired = 4,
  // A mapping exists but its filter (EIF/ADF/APDF) rejects this remote endpoint.
  kDropFiltered = 5,
  // Firewall policy: UDP blocked, or TCP outside the allowed destination ports
  // (and inbound TCP that is not a reply to an allowed outbound connection).
  kDropBlocked = 6,
  // Outbound to the NAT's own public IP while hairpinning is off.
  kDropNoHairpin = 7,
  // TCP packet that cannot start tracking: a non-SYN with no tracked connection
  // (loose pickup off), or a stray RST.
  kDropTcpState = 8,
  // No mapping could be created: mapping cap reached, no free port in the range or
  // the host's port block, or (one-to-one) no free public address.
  kDropPortExhausted = 9,
  // The NAT has no public address at all (e.g. change_public_ips({})).
  kDropNoPublicIp = 10,
};

inline constexpr std::size_t kVerdictCount = 11;

const char* to_string(Verdict v);

constexpr bool is_drop(Verdict v) { return v != Verdict::kForward && v != Verdict::kHairpin; }

}  // namespace yt::nat
