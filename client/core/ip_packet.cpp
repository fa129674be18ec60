#include "client/core/ip_packet.h"

#include <algorithm>

namespace yt {

namespace {

std::uint16_t be16(ByteView b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }

std::uint32_t be32(ByteView b, std::size_t at) {
  return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
}

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  put16(b, at, static_cast<std::uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<std::uint16_t>(v));
}

}  // namespace

const char* to_string(IpPacketError e) {
  switch (e) {
    case IpPacketError::kTruncated: return "truncated";
    case IpPacketError::kNotIpv4: return "not IPv4";
    case IpPacketError::kNotIpv6: return "not IPv6";
    case IpPacketError::kJumbogram: return "jumbogram";
    case IpPacketError::kBadHeaderLength: return "bad header length";
    case IpPacketError::kBadTotalLength: return "bad total length";
    case IpPacketError::kTrailingBytes: return "trailing bytes";
  }
  return "?";
}

std::optional<std::uint8_t> ip_version(ByteView packet) {
  if (packet.empty()) return std::nullopt;
  return static_cast<std::uint8_t>(packet[0] >> 4);
}

Result<Ipv4Header, IpPacketError> parse_ipv4_header(ByteView packet) {
  // The version is checked before the length so that a short IPv6 packet is still
  // reported as "not IPv4" (unsupported) rather than as malformed.
  if (packet.empty()) return Err{IpPacketError::kTruncated};
  if (packet[0] >> 4 != 4) return Err{IpPacketError::kNotIpv4};
  if (packet.size() < kIpv4MinHeaderLength) return Err{IpPacketError::kTruncated};
  Ipv4Header h;
  h.header_length = static_cast<std::uint8_t>((packet[0] & 0x0F) * 4);
  if (h.header_length < kIpv4MinHeaderLength) return Err{IpPacketError::kBadHeaderLength};
  h.total_length = be16(packet, 2);
  if (packet.size() < h.header_length) return Err{IpPacketError::kTruncated};
  if (h.total_length < h.header_length) return Err{IpPacketError::kBadTotalLength};
  if (packet.size() < h.total_length) return Err{IpPacketError::kTruncated};
  if (packet.size() > h.total_length) return Err{IpPacketError::kTrailingBytes};
  h.protocol = packet[9];
  h.source = Ipv4{be32(packet, 12)};
  h.destination = Ipv4{be32(packet, 16)};
  return h;
}

Result<Ipv6Header, IpPacketError> parse_ipv6_header(ByteView packet) {
  if (packet.empty()) return Err{IpPacketError::kTruncated};
  if (packet[0] >> 4 != 6) return Err{IpPacketError::kNotIpv6};
  if (packet.size() < kIpv6HeaderLength) return Err{IpPacketError::kTruncated};
  Ipv6Header h;
  h.payload_length = be16(packet, 4);
  if (h.payload_length == 0 && packet.size() > kIpv6HeaderLength) return Err{IpPacketError::kJumbogram};
  if (packet.size() < kIpv6HeaderLength + h.payload_length) return Err{IpPacketError::kTruncated};
  if (packet.size() > kIpv6HeaderLength + h.payload_length) return Err{IpPacketError::kTrailingBytes};
  h.next_header = packet[6];
  std::copy(packet.begin() + 8, packet.begin() + 24, h.source.begin());
  std::copy(packet.begin() + 24, packet.begin() + 40, h.destination.begin());
  return h;
}

Bytes make_ipv6_packet(const Ipv6Address& source, const Ipv6Address& destination, std::uint8_t next_header,
                       ByteView payload) {
  Bytes p(kIpv6HeaderLength + payload.size(), 0);
  p[0] = 0x60;  // version 6, traffic class and flow label 0
  put16(p, 4, static_cast<std::uint16_t>(payload.size()));
  p[6] = next_header;
  p[7] = 64;  // hop limit
  std::copy(source.begin(), source.end(), p.begin() + 8);
  std::copy(destination.begin(), destination.end(), p.begin() + 24);
  std::copy(payload.begin(), payload.end(), p.begin() + kIpv6HeaderLength);
  return p;
}

Bytes make_ipv4_packet(Ipv4 source, Ipv4 destination, std::uint8_t protocol, ByteView payload) {
  // Sized once and copied into: g++ 12 reports a bogus -Warray-bounds for an insert
  // after the header.
  Bytes p(kIpv4MinHeaderLength + payload.size(), 0);
  p[0] = 0x45;  // version 4, IHL 5
  put16(p, 2, static_cast<std::uint16_t>(kIpv4MinHeaderLength + payload.size()));
  p[8] = 64;  // TTL
  p[9] = protocol;
  put32(p, 12, source.value);
  put32(p, 16, destination.value);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < kIpv4MinHeaderLength; i += 2) sum += be16(p, i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  put16(p, 10, static_cast<std::uint16_t>(~sum));
  std::copy(payload.begin(), payload.end(), p.begin() + kIpv4MinHeaderLength);
  return p;
}

}  // namespace yt
