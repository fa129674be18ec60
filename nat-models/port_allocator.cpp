#include "nat-models/port_allocator.h"

namespace yt::nat {
namespace {

// Random tries before the linear scan: enough that a mostly free range almost never
// falls back to the (predictable) scan, few enough that a nearly full one stays cheap.
constexpr int kRandomTries = 32;

std::uint64_t space_key(Transport transport, Ipv4 ip) {
  return std::uint64_t(static_cast<std::uint8_t>(transport)) << 32 | ip.value;
}

std::uint64_t cursor_key(Transport transport, Ipv4 ip, std::uint16_t range_first) {
  return std::uint64_t(static_cast<std::uint8_t>(transport)) << 48 | std::uint64_t(ip.value) << 16 |
         range_first;
}

bool bit(const std::vector<std::uint64_t>& bits, std::uint16_t port) {
  return (bits[port / 64] >> (port % 64)) & 1u;
}

// `port` moved by `step` inside the range, wrapping. Precondition: range non-empty,
// port inside it.
std::uint16_t step_in(PortRange range, std::uint16_t port, std::int64_t step) {
  const std::int64_t size = range.size();
  std::int64_t offset = (std::int64_t(port) - range.first + step) % size;
  if (offset < 0) offset += size;
  return static_cast<std::uint16_t>(range.first + offset);
}

}  // namespace

PortAllocator::PortSpace& PortAllocator::space(Transport transport, Ipv4 ip) {
  return spaces_[space_key(transport, ip)];
}

bool PortAllocator::acceptable(const PortSpace& s, std::uint16_t port, std::uint16_t internal_port,
                               bool parity) const {
  if (parity && (port & 1u) != (internal_port & 1u)) return false;
  return !bit(s.bits, port);
}

std::optional<std::uint16_t> PortAllocator::scan(const PortSpace& s, PortRange range, std::uint16_t start,
                                                 std::uint16_t internal_port, bool parity) const {
  for (std::uint32_t i = 0; i < range.size(); ++i) {
    const std::uint16_t port = step_in(range, start, i);
    if (acceptable(s, port, internal_port, parity)) return port;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> PortAllocator::sequential(Transport transport, Ipv4 ip, const PortSpace& s,
                                                       PortRange range, std::uint16_t internal_port,
                                                       const AllocationPolicy& policy, RandomSource& rng) {
  const std::uint64_t key = cursor_key(transport, ip, range.first);
  auto cursor = cursors_.find(key);
  std::int64_t delta = policy.sequential_delta % std::int64_t(range.size());
  if (delta == 0) delta = 1;  // a step that is a whole lap would never move
  const std::uint16_t first_candidate =
      cursor == cursors_.end() || !range.contains(cursor->second)
          ? static_cast<std::uint16_t>(range.first + rng.uniform(range.size()))
          : step_in(range, cursor->second, delta);

  std::optional<std::uint16_t> found;
  std::uint16_t candidate = first_candidate;
  for (std::uint32_t i = 0; i < range.size() && !found; ++i) {
    if (acceptable(s, candidate, internal_port, policy.preserve_parity)) found = candidate;
    candidate = step_in(range, candidate, delta);
    if (candidate == first_candidate) break;  // delta shares a factor with the size
  }
  if (!found) found = scan(s, range, first_candidate, internal_port, policy.preserve_parity);
  if (found) cursors_[key] = *found;
  return found;
}

std::optional<std::uint16_t> PortAllocator::random(const PortSpace& s, PortRange range,
                                                   std::uint16_t internal_port, bool parity,
                                                   RandomSource& rng) const {
  for (int i = 0; i < kRandomTries; ++i) {
    std::uint16_t port = static_cast<std::uint16_t>(range.first + rng.uniform(range.size()));
    if (parity && (port & 1u) != (internal_port & 1u)) port = step_in(range, port, 1);
    if (acceptable(s, port, internal_port, parity)) return port;
  }
  return scan(s, range, static_cast<std::uint16_t>(range.first + rng.uniform(range.size())), internal_port,
              parity);
}

std::optional<std::uint16_t> PortAllocator::allocate(Transport transport, Ipv4 ip, PortRange range,
                                                     std::uint16_t internal_port,
                                                     const AllocationPolicy& policy, RandomSource& rng) {
  if (range.size() == 0) return std::nullopt;
  PortSpace& s = space(transport, ip);
  std::optional<std::uint16_t> port;
  switch (policy.strategy) {
    case PortAllocation::kPreserve:
      if (range.contains(internal_port) && acceptable(s, internal_port, internal_port, false)) {
        port = internal_port;
      } else if (policy.preserve_fallback == PortAllocation::kRandom) {
        port = random(s, range, internal_port, policy.preserve_parity, rng);
      } else {
        const std::uint16_t start =
            range.contains(internal_port) ? step_in(range, internal_port, 1) : range.first;
        port = scan(s, range, start, internal_port, policy.preserve_parity);
      }
      break;
    case PortAllocation::kSequential:
      port = sequential(transport, ip, s, range, internal_port, policy, rng);
      break;
    case PortAllocation::kRandom: port = random(s, range, internal_port, policy.preserve_parity, rng); break;
  }
  if (port) s.bits[*port / 64] |= std::uint64_t(1) << (*port % 64);
  return port;
}

void PortAllocator::release(Transport transport, Ipv4 ip, std::uint16_t port) {
  auto it = spaces_.find(space_key(transport, ip));
  if (it == spaces_.end()) return;
  it->second.bits[port / 64] &= ~(std::uint64_t(1) << (port % 64));
}

bool PortAllocator::in_use(Transport transport, Ipv4 ip, std::uint16_t port) const {
  auto it = spaces_.find(space_key(transport, ip));
  return it != spaces_.end() && bit(it->second.bits, port);
}

std::optional<PortRange> PortAllocator::allocate_block(Ipv4 ip, PortRange whole, std::uint16_t block_size,
                                                       RandomSource& rng) {
  if (block_size == 0) return std::nullopt;
  const std::uint32_t count = whole.size() / block_size;
  if (count == 0) return std::nullopt;
  std::vector<bool>& taken = blocks_[ip];
  if (taken.size() != count) taken.assign(count, false);
  const std::uint32_t start = rng.uniform(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t b = (start + i) % count;
    if (taken[b]) continue;
    taken[b] = true;
    const std::uint32_t first = whole.first + b * std::uint32_t(block_size);
    return PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(first + block_size - 1)};
  }
  return std::nullopt;
}

void PortAllocator::release_block(Ipv4 ip, PortRange whole, PortRange block) {
  auto it = blocks_.find(ip);
  if (it != blocks_.end() && block.size() > 0 && block.first >= whole.first) {
    const std::uint32_t b = (block.first - whole.first) / block.size();
    if (b < it->second.size()) it->second[b] = false;
  }
  cursors_.erase(cursor_key(Transport::kUdp, ip, block.first));
  cursors_.erase(cursor_key(Transport::kTcp, ip, block.first));
}

void PortAllocator::clear() {
  spaces_.clear();
  cursors_.clear();
  blocks_.clear();
}

}  // namespace yt::nat
