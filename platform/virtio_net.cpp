#include "platform/virtio_net.h"

#include <algorithm>
#include <cstring>

#include "platform/inet_checksum.h"

namespace yt {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::size_t kIpv6HeaderSize = 40;
constexpr std::size_t kTcpMinHeader = 20;
constexpr std::size_t kTcpChecksumOffset = 16;
constexpr std::uint8_t kTcpFin = 0x01, kTcpPsh = 0x08, kTcpCwr = 0x80;

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
void put_le16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void put_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
void put_be32(std::uint8_t* p, std::uint32_t v) {
  put_be16(p, static_cast<std::uint16_t>(v >> 16));
  put_be16(p + 2, static_cast<std::uint16_t>(v));
}

// A packet without GSO: copied, and its checksum completed when the kernel left
// it to us (the field holds the pseudo-header's sum; the rest is ours to add).
Result<std::size_t, OffloadError> single(const VirtioNetHeader& h, ByteView packet, PacketBatch& out) {
  if (packet.empty()) return Err{OffloadError::kBadPacket};
  const bool needs_csum = h.flags & VirtioNetHeader::kNeedsCsum;
  if (needs_csum && (std::size_t(h.csum_start) + h.csum_offset + 2 > packet.size())) {
    return Err{OffloadError::kBadHeader};
  }
  std::uint8_t* p = out.begin_entry(packet.size());
  std::memcpy(p, packet.data(), packet.size());
  if (needs_csum) {
    std::uint8_t* field = p + h.csum_start + h.csum_offset;
    put_be16(field, checksum_finish(checksum_add(0, p + h.csum_start, packet.size() - h.csum_start)));
  }
  out.commit_entry(0, packet.size(), Endpoint{});
  return std::size_t{1};
}

}  // namespace

std::optional<VirtioNetHeader> parse_virtio_net_header(ByteView bytes) {
  if (bytes.size() < kVirtioNetHeaderSize) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  VirtioNetHeader h;
  h.flags = p[0];
  h.gso_type = p[1];
  h.hdr_len = le16(p + 2);
  h.gso_size = le16(p + 4);
  h.csum_start = le16(p + 6);
  h.csum_offset = le16(p + 8);
  return h;
}

void write_virtio_net_header(std::uint8_t* out, const VirtioNetHeader& h) {
  out[0] = h.flags;
  out[1] = h.gso_type;
  put_le16(out + 2, h.hdr_len);
  put_le16(out + 4, h.gso_size);
  put_le16(out + 6, h.csum_start);
  put_le16(out + 8, h.csum_offset);
}

const char* to_string(OffloadError error) {
  switch (error) {
    case OffloadError::kShortRead: return "short read";
    case OffloadError::kBadHeader: return "bad virtio-net header";
    case OffloadError::kBadPacket: return "bad packet";
    case OffloadError::kTooManySegments: return "too many segments";
  }
  return "?";
}

Result<std::size_t, OffloadError> split_tun_packet(ByteView read, PacketBatch& out) {
  auto parsed = parse_virtio_net_header(read);
  if (!parsed) return Err{OffloadError::kShortRead};
  const VirtioNetHeader& h = *parsed;
  ByteView packet = read.subview(kVirtioNetHeaderSize);
  const std::uint8_t gso = h.gso_type & ~VirtioNetHeader::kGsoEcn;
  if (h.flags & ~(VirtioNetHeader::kNeedsCsum | VirtioNetHeader::kDataValid)) return Err{OffloadError::kBadHeader};
  if (gso == VirtioNetHeader::kGsoNone) return single(h, packet, out);
  if (gso != VirtioNetHeader::kGsoTcpV4 && gso != VirtioNetHeader::kGsoTcpV6) return Err{OffloadError::kBadHeader};
  if (h.gso_size == 0) return Err{OffloadError::kBadHeader};

  // The IP header: its kind must be the one the GSO type names, and TCP must follow.
  const std::uint8_t* p = packet.data();
  const std::size_t size = packet.size();
  std::size_t ip_len = 0;
  if (gso == VirtioNetHeader::kGsoTcpV4) {
    if (size < 20 || (p[0] >> 4) != 4) return Err{OffloadError::kBadPacket};
    ip_len = std::size_t(p[0] & 0x0f) * 4;
    if (ip_len < 20 || size < ip_len || p[9] != kTcp) return Err{OffloadError::kBadPacket};
  } else {
    // No extension headers: Linux TCP sends none, and their chain is not ours to walk.
    if (size < kIpv6HeaderSize || (p[0] >> 4) != 6 || p[6] != kTcp) return Err{OffloadError::kBadPacket};
    ip_len = kIpv6HeaderSize;
  }
  if (size < ip_len + kTcpMinHeader) return Err{OffloadError::kBadPacket};
  const std::size_t tcp_len = std::size_t(p[ip_len + 12] >> 4) * 4;
  const std::size_t headers = ip_len + tcp_len;
  if (tcp_len < kTcpMinHeader || size < headers) return Err{OffloadError::kBadPacket};
  // The checksum the kernel left to us is the TCP one, where TCP starts.
  if ((h.flags & VirtioNetHeader::kNeedsCsum) && (h.csum_start != ip_len || h.csum_offset != kTcpChecksumOffset)) {
    return Err{OffloadError::kBadHeader};
  }
  const std::size_t payload = size - headers;
  const std::size_t segments = payload == 0 ? 1 : (payload + h.gso_size - 1) / h.gso_size;
  if (segments > kMaxSegments) return Err{OffloadError::kTooManySegments};

  const bool v4 = gso == VirtioNetHeader::kGsoTcpV4;
  const std::uint16_t id = v4 ? be16(p + 4) : 0;
  const std::uint32_t seq = be32(p + ip_len + 4);
  const std::uint8_t flags = p[ip_len + 13];
  for (std::size_t i = 0; i < segments; ++i) {
    const std::size_t offset = i * h.gso_size;
    const std::size_t length = std::min<std::size_t>(h.gso_size, payload - std::min(payload, offset));
    std::uint8_t* s = out.begin_entry(headers + length);
    std::memcpy(s, p, headers);
    std::memcpy(s + headers, p + headers + offset, length);
    if (v4) {
      put_be16(s + 2, static_cast<std::uint16_t>(headers + length));
      put_be16(s + 4, static_cast<std::uint16_t>(id + i));
      put_be16(s + 10, 0);
      put_be16(s + 10, checksum_finish(checksum_add(0, s, ip_len)));
    } else {
      put_be16(s + 4, static_cast<std::uint16_t>(tcp_len + length));
    }
    std::uint8_t* tcp = s + ip_len;
    put_be32(tcp + 4, seq + static_cast<std::uint32_t>(offset));
    std::uint8_t f = flags;
    if (i + 1 < segments) f &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
    if (i > 0) f &= static_cast<std::uint8_t>(~kTcpCwr);
    tcp[13] = f;
    put_be16(tcp + kTcpChecksumOffset, 0);
    std::uint64_t sum = pseudo_header_sum(s, kTcp, tcp_len + length);
    put_be16(tcp + kTcpChecksumOffset, checksum_finish(checksum_add(sum, tcp, tcp_len + length)));
    out.commit_entry(0, headers + length, Endpoint{});
  }
  return segments;
}

}  // namespace yt
