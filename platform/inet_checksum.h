// The Internet checksum (RFC 1071) for the TUN offload code: IPv4 header, TCP and
// UDP checksums over IPv4 and IPv6 pseudo-headers. Sums are kept unfolded in 64
// bits so a 64 KiB packet never overflows them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace yt {

// Adds `size` bytes as big-endian 16-bit words (an odd last byte padded with zero).
std::uint64_t checksum_add(std::uint64_t sum, const std::uint8_t* data, std::size_t size);
// Folds a sum to 16 bits and complements it: the value stored in a header.
std::uint16_t checksum_finish(std::uint64_t sum);
// The pseudo-header's share of a TCP/UDP checksum. `ip` is the IP header (version
// 4 or 6, addresses read from it); `length` the transport header + payload.
std::uint64_t pseudo_header_sum(const std::uint8_t* ip, std::uint8_t protocol, std::size_t length);

}  // namespace yt
