// Counters the relay core keeps; every dropped input is counted under its reason.
#pragma once

#include <cstdint>

namespace yt {

struct RelayStats {
  std::uint64_t binds_accepted = 0;
  std::uint64_t binds_unknown_ticket = 0;  // mac did not verify: never introduced by our server
  std::uint64_t binds_expired = 0;         // made under a retired ticket key
  std::uint64_t binds_replayed = 0;        // sequence not above the last accepted
  std::uint64_t binds_full = 0;            // refused at max_pairs
  std::uint64_t binds_rate_limited = 0;    // over binds_per_second_per_address: dropped, no answer
  std::uint64_t forwarded_packets = 0;
  std::uint64_t forwarded_bytes = 0;
  std::uint64_t dropped_malformed = 0;       // not a datagram, or a type a relay does not take
  std::uint64_t dropped_unknown_pair = 0;    // data for a pair nobody bound
  std::uint64_t dropped_not_bound = 0;       // data from an address that is not the side's bound one
  std::uint64_t dropped_peer_not_bound = 0;  // the other side has not bound yet
  std::uint64_t dropped_too_large = 0;       // over max_payload
  std::uint64_t dropped_rate_limited = 0;    // over the side's packet rate
  std::uint64_t dropped_over_budget = 0;     // over the pair's byte budget
  std::uint64_t pairs_expired = 0;
  std::uint64_t echoes_answered = 0;
  std::uint64_t echoes_rate_limited = 0;  // shares the per-address budget of binds
};

}  // namespace yt
