// Test helpers for the TUN offload code: TCP super-packets as the kernel hands
// them over with TSO, and a byte-by-byte reference for the Internet checksum,
// independent of platform/inet_checksum.cpp.
#pragma once

#include <algorithm>

#include "platform/virtio_net.h"
#include "protocol/bytes.h"

namespace yt::tso_test {

// ---- a reference, byte by byte, independent of inet_checksum.cpp

inline std::uint16_t ref_fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}
inline std::uint32_t ref_sum(const Bytes& b, std::size_t from, std::size_t to) {
  std::uint32_t sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += (i - from) % 2 == 0 ? b[i] << 8 : b[i];
  return sum;
}
inline std::uint16_t be16(const Bytes& b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }
inline std::uint32_t be32(const Bytes& b, std::size_t at) {
  return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
}
// True when the IPv4 header checksum verifies (the sum over the header with the
// checksum in it folds to zero).
inline bool ipv4_header_ok(const Bytes& p) { return ref_fold(ref_sum(p, 0, (p[0] & 0xf) * 4)) == 0; }
// True when the TCP/UDP checksum verifies, over the pseudo-header and the segment.
inline bool transport_ok(const Bytes& p, std::uint8_t protocol) {
  const bool v4 = (p[0] >> 4) == 4;
  const std::size_t ip_len = v4 ? (p[0] & 0xf) * 4 : 40;
  const std::size_t length = p.size() - ip_len;
  std::uint32_t sum = v4 ? ref_sum(p, 12, 20) : ref_sum(p, 8, 40);
  sum += protocol + static_cast<std::uint32_t>(length);
  sum += ref_sum(p, ip_len, p.size());
  return ref_fold(sum) == 0;
}

// ---- super-packets as the kernel builds them: the TCP checksum field holds the
// pseudo-header's folded sum (CHECKSUM_PARTIAL), the IP lengths are of the whole.

constexpr std::size_t kTcpHeader = 32;  // with 12 bytes of options (timestamps)

inline Bytes make_payload(std::size_t size) {
  Bytes payload(size);
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return payload;
}

inline Bytes tcp_super_packet(bool v4, const Bytes& payload, std::uint8_t flags, std::uint16_t id = 0x1234,
                       std::uint32_t seq = 0xfffff000) {
  const std::size_t ip_len = v4 ? 20 : 40;
  Bytes p(ip_len + kTcpHeader + payload.size());
  if (v4) {
    p[0] = 0x45;
    const std::size_t total = std::min<std::size_t>(p.size(), 0xffff);
    p[2] = static_cast<std::uint8_t>(total >> 8);
    p[3] = static_cast<std::uint8_t>(total);
    p[4] = static_cast<std::uint8_t>(id >> 8);
    p[5] = static_cast<std::uint8_t>(id);
    p[6] = 0x40;  // DF
    p[8] = 64;
    p[9] = 6;
    const std::uint8_t addresses[8] = {25, 0, 0, 1, 25, 0, 0, 2};
    std::copy(addresses, addresses + 8, p.begin() + 12);
  } else {
    p[0] = 0x60;
    const std::size_t length = kTcpHeader + payload.size();
    p[4] = static_cast<std::uint8_t>(length >> 8);
    p[5] = static_cast<std::uint8_t>(length);
    p[6] = 6;
    p[7] = 64;
    for (int i = 0; i < 32; ++i) p[8 + i] = static_cast<std::uint8_t>(0xfd + i);
  }
  std::uint8_t* t = p.data() + ip_len;
  t[0] = 0x14, t[1] = 0x51, t[2] = 0xc3, t[3] = 0x50;  // ports 5201, 50000
  t[4] = static_cast<std::uint8_t>(seq >> 24), t[5] = static_cast<std::uint8_t>(seq >> 16);
  t[6] = static_cast<std::uint8_t>(seq >> 8), t[7] = static_cast<std::uint8_t>(seq);
  t[8] = 0x01, t[11] = 0x02;  // ack
  t[12] = (kTcpHeader / 4) << 4;
  t[13] = flags;
  t[14] = 0x01, t[15] = 0xf5;  // window
  for (std::size_t i = 20; i < kTcpHeader; ++i) t[i] = static_cast<std::uint8_t>(i);
  std::copy(payload.begin(), payload.end(), p.begin() + static_cast<std::ptrdiff_t>(ip_len + kTcpHeader));
  // The pseudo-header's sum, not complemented, where the checksum goes.
  std::uint32_t pseudo = (v4 ? ref_sum(p, 12, 20) : ref_sum(p, 8, 40)) + 6 +
                         static_cast<std::uint32_t>(kTcpHeader + payload.size());
  while (pseudo >> 16) pseudo = (pseudo & 0xffff) + (pseudo >> 16);
  t[16] = static_cast<std::uint8_t>(pseudo >> 8);
  t[17] = static_cast<std::uint8_t>(pseudo);
  return p;
}

inline Bytes with_header(const VirtioNetHeader& h, const Bytes& packet) {
  Bytes out(kVirtioNetHeaderSize);
  write_virtio_net_header(out.data(), h);
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

inline VirtioNetHeader tso(bool v4, std::uint16_t gso_size) {
  VirtioNetHeader h;
  h.flags = VirtioNetHeader::kNeedsCsum;
  h.gso_type = v4 ? VirtioNetHeader::kGsoTcpV4 : VirtioNetHeader::kGsoTcpV6;
  h.hdr_len = static_cast<std::uint16_t>((v4 ? 20 : 40) + kTcpHeader);
  h.gso_size = gso_size;
  h.csum_start = v4 ? 20 : 40;
  h.csum_offset = 16;
  return h;
}

constexpr std::uint8_t kAck = 0x10, kPsh = 0x08, kFin = 0x01, kCwr = 0x80;

}  // namespace yt::tso_test
