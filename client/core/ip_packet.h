// Minimal IPv4 and IPv6 header parsing for the IP layer of the client core
// (cryptokey routing and LAN emulation, ip_router.h). Parsed by hand from bytes: no
// OS header.
//
// Only what routing needs is read: version, header length, total length, protocol,
// source and destination. The header checksum is not verified: packets come from our
// own TUN device or, authenticated, from a peer's, and the receiving kernel checks it
// anyway. Fragments need no special case: every fragment carries both addresses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/result.h"

namespace yt {

constexpr std::size_t kIpv4MinHeaderLength = 20;
constexpr Ipv4 kLimitedBroadcast{0xFFFFFFFFu};  // 255.255.255.255

constexpr std::uint8_t kIpProtocolIcmp = 1;
constexpr std::uint8_t kIpProtocolTcp = 6;
constexpr std::uint8_t kIpProtocolUdp = 17;

// 224.0.0.0/4 (RFC 5771): mDNS 224.0.0.251, SSDP 239.255.255.250, game discovery...
constexpr bool is_multicast(Ipv4 ip) { return (ip.value & 0xF0000000u) == 0xE0000000u; }

constexpr std::size_t kIpv6HeaderLength = 40;
using Ipv6Address = std::array<std::uint8_t, 16>;
// ff00::/8 (RFC 4291): all-nodes ff02::1, mDNS ff02::fb, SSDP ff02::c...
constexpr bool is_multicast(const Ipv6Address& ip) { return ip[0] == 0xFF; }

enum class IpPacketError : std::uint8_t {
  kTruncated,        // shorter than its fixed header, or than its length fields say
  kNotIpv4,          // version nibble is not 4 (IPv6 included: see ip_version())
  kNotIpv6,          // version nibble is not 6 (parse_ipv6_header)
  kBadHeaderLength,  // IHL below 5 (20 bytes)
  kBadTotalLength,   // total length smaller than the header
  kTrailingBytes,    // more bytes than the total length (a TUN read is exact)
  kJumbogram,        // IPv6 payload length 0 (RFC 2675): never below our MTU
};
const char* to_string(IpPacketError e);

struct Ipv4Header {
  std::uint8_t header_length = 0;  // bytes, 20..60
  std::uint16_t total_length = 0;  // bytes, == the packet's size
  std::uint8_t protocol = 0;
  Ipv4 source;
  Ipv4 destination;
};

struct Ipv6Header {
  std::uint16_t payload_length = 0;  // bytes after the fixed 40-byte header
  std::uint8_t next_header = 0;
  Ipv6Address source{};
  Ipv6Address destination{};
};

// The version nibble of the first byte (4, 6, ...); nullopt for an empty packet.
std::optional<std::uint8_t> ip_version(ByteView packet);

// Parses and checks the header of one whole IPv4 packet. Never reads past the end.
Result<Ipv4Header, IpPacketError> parse_ipv4_header(ByteView packet);

// Parses and checks the fixed header of one whole IPv6 packet (extension headers are
// payload to us). Never reads past the end.
Result<Ipv6Header, IpPacketError> parse_ipv6_header(ByteView packet);

// A minimal IPv4 packet around `payload` (no options, TTL 64, DF clear, header
// checksum filled in). For tests and tools; the core never builds packets itself.
// Precondition: payload.size() <= 65515.
Bytes make_ipv4_packet(Ipv4 source, Ipv4 destination, std::uint8_t protocol, ByteView payload);
// The same for IPv6 (hop limit 64). Precondition: payload.size() <= 65535.
Bytes make_ipv6_packet(const Ipv6Address& source, const Ipv6Address& destination, std::uint8_t next_header,
                       ByteView payload);

}  // namespace yt
