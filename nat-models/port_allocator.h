// Which public ports are taken, per (transport, public IP), and how a new one is
// chosen (RFC 4787 section 4.2: preservation, sequential, random; parity; ranges),
// plus CGNAT port blocks. Knows nothing about mappings: NatModel asks for a port
// when it creates a mapping and releases it when the mapping goes.
//
// Memory: one 8 KiB bitmap per (transport, public IP) in use, one cursor per
// (transport, public IP, range start) for sequential allocation, one bit per block.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "nat-models/packet.h"
#include "protocol/endpoint.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/random.h"

namespace yt::nat {

// Inclusive port range; empty when last < first.
struct PortRange {
  std::uint16_t first = 1024;
  std::uint16_t last = 65535;

  std::uint32_t size() const { return last >= first ? std::uint32_t(last) - first + 1 : 0; }
  bool contains(std::uint16_t port) const { return port >= first && port <= last; }
  friend bool operator==(PortRange a, PortRange b) { return a.first == b.first && a.last == b.last; }
};

struct AllocationPolicy {
  PortAllocation strategy = PortAllocation::kPreserve;
  PortAllocation preserve_fallback = PortAllocation::kRandom;  // kSequential or kRandom
  std::int32_t sequential_delta = 1;
  bool preserve_parity = false;
};

class PortAllocator {
 public:
  // Picks and marks a free port in `range` on (transport, ip), or nullopt when no
  // port in the range is free (with parity on: no free port of the right parity).
  //   kPreserve:   internal_port if in range and free, else the fallback strategy;
  //                fallback kSequential scans upward from internal_port.
  //   kSequential: previous allocation in this (transport, ip, range) + delta,
  //                stepping on while taken; the very first one starts at a random
  //                port. With parity on, candidates of the wrong parity are
  //                skipped like taken ones (so delta 1 behaves as delta 2).
  //   kRandom:     uniform over the range (over ports of the right parity).
  // Every strategy ends with a linear scan, so a free port is found whenever one
  // exists. Deterministic for a given RandomSource state.
  std::optional<std::uint16_t> allocate(Transport transport, Ipv4 ip, PortRange range,
                                        std::uint16_t internal_port, const AllocationPolicy& policy,
                                        RandomSource& rng);
  // Marks a port free again. Releasing a free port is a no-op.
  void release(Transport transport, Ipv4 ip, std::uint16_t port);
  bool in_use(Transport transport, Ipv4 ip, std::uint16_t port) const;

  // Reserves a free block of block_size consecutive ports on `ip`, blocks being
  // aligned from whole.first (a tail shorter than a block is never used). Chosen at
  // random among free blocks, so subscribers cannot guess each other's block.
  // nullopt when every block of that IP is taken.
  std::optional<PortRange> allocate_block(Ipv4 ip, PortRange whole, std::uint16_t block_size,
                                          RandomSource& rng);
  // Returns a block (its ports must already have been released) and forgets its
  // sequential cursors.
  void release_block(Ipv4 ip, PortRange whole, PortRange block);

  // Everything free, all cursors forgotten (NAT reboot, address change).
  void clear();

 private:
  struct PortSpace {
    std::vector<std::uint64_t> bits = std::vector<std::uint64_t>(65536 / 64, 0);
  };

  PortSpace& space(Transport transport, Ipv4 ip);
  bool acceptable(const PortSpace& s, std::uint16_t port, std::uint16_t internal_port, bool parity) const;
  std::optional<std::uint16_t> scan(const PortSpace& s, PortRange range, std::uint16_t start,
                                    std::uint16_t internal_port, bool parity) const;
  std::optional<std::uint16_t> sequential(Transport transport, Ipv4 ip, const PortSpace& s, PortRange range,
                                          std::uint16_t internal_port, const AllocationPolicy& policy,
                                          RandomSource& rng);
  std::optional<std::uint16_t> random(const PortSpace& s, PortRange range, std::uint16_t internal_port,
                                      bool parity, RandomSource& rng) const;

  std::unordered_map<std::uint64_t, PortSpace> spaces_;       // key: transport, ip
  std::unordered_map<std::uint64_t, std::uint16_t> cursors_;  // key: transport, ip, range.first
  std::unordered_map<Ipv4, std::vector<bool>> blocks_;        // taken blocks per public IP
};

}  // namespace yt::nat
