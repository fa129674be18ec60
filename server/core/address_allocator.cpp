#include "server/core/address_allocator.h"

namespace yt {
namespace {

// FNV-1a over the whole key: stable across platforms and releases (std::hash is
// neither), which matters because the first probe decides the address of every new
// client. Keys are already uniformly random, so quality is not a concern.
std::uint64_t key_hash(const PublicKey& key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint8_t byte : key) {
    h ^= byte;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

std::uint64_t usable_host_count(const Ipv4Prefix& range) {
  if (range.length >= 31) return 0;
  return (std::uint64_t{1} << (32 - range.length)) - 2;
}

std::optional<Ipv4> probe_address(const Ipv4Prefix& range, const PublicKey& key, std::uint64_t attempt) {
  std::uint64_t hosts = usable_host_count(range);
  if (hosts == 0) return std::nullopt;
  std::uint64_t offset = (key_hash(key) % hosts + attempt % hosts) % hosts;
  // +1 skips the network address; offset < hosts keeps clear of the broadcast one.
  return Ipv4{static_cast<std::uint32_t>(range.base.value + 1 + offset)};
}

Result<ClientRecord, AllocationError> find_or_create_client(Storage& storage, const Ipv4Prefix& range,
                                                            const PublicKey& key, std::string_view nickname) {
  auto existing = storage.find_client(key);
  if (!existing) return Err{AllocationError::kStorage};
  if (existing.value()) return *existing.value();

  std::uint64_t hosts = usable_host_count(range);
  std::uint64_t limit = hosts < kMaxAddressProbes ? hosts : kMaxAddressProbes;
  for (std::uint64_t attempt = 0; attempt < limit; ++attempt) {
    ClientRecord record;
    record.key = key;
    record.nickname = std::string(nickname);
    record.virtual_ip = *probe_address(range, key, attempt);

    auto holder = storage.find_client_by_address(record.virtual_ip);
    if (!holder) return Err{AllocationError::kStorage};
    if (holder.value()) continue;

    auto inserted = storage.insert_client(record);
    if (inserted) return record;
    if (inserted.error() != StorageError::kConflict) return Err{AllocationError::kStorage};
    // A conflict means another instance just inserted this key or this address.
    auto raced = storage.find_client(key);
    if (!raced) return Err{AllocationError::kStorage};
    if (raced.value()) return *raced.value();
  }
  return Err{AllocationError::kExhausted};
}

}  // namespace yt
