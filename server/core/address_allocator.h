// Binds a virtual IPv4 address to a client key, once and for good (docs/architecture.md
// "Identity": same key, same address), and finds or creates the client's record.
//
// The address is chosen deterministically: hash the key into the usable hosts of the
// range (network and broadcast addresses excluded) and probe linearly upward,
// wrapping, until a free address is found. The choice is stored, so neither a
// restart nor a later change of the probe order can move a client.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/result.h"
#include "server/core/storage.h"

namespace yt {

// How many taken addresses one allocation steps over before giving up. 4096 storage
// lookups keep a login cheap even when a region of the range is crowded (or a
// client ground keys to collide with others), and a /8 is nowhere near full long
// before probing that far becomes likely.
constexpr std::uint32_t kMaxAddressProbes = 4096;

// Hosts usable in `range`: all addresses but the network and broadcast ones. Zero
// for /31 and /32, which have no room once those two are excluded.
std::uint64_t usable_host_count(const Ipv4Prefix& range);

// The `attempt`-th address probed for `key` (attempt 0 = the preferred address);
// nullopt when the range has no usable host.
std::optional<Ipv4> probe_address(const Ipv4Prefix& range, const PublicKey& key, std::uint64_t attempt);

enum class AllocationError : std::uint8_t {
  kStorage,    // the storage failed (StorageError::kIo or an unexpected answer)
  kExhausted,  // no free address within kMaxAddressProbes
};

// The stored record for `key`, or a new one with `nickname` and a fresh address.
// Safe against another server instance on the same storage: losing an insert race
// for the address makes it probe on; losing it for the key returns the winner's record.
Result<ClientRecord, AllocationError> find_or_create_client(Storage& storage, const Ipv4Prefix& range,
                                                            const PublicKey& key, std::string_view nickname);

}  // namespace yt
