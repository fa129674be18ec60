#include "platform/tcp_coalesce.h"

#include <cstring>
#include <optional>

#include "platform/inet_checksum.h"
#include "platform/virtio_net.h"

namespace yt {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kAck = 0x10, kPsh = 0x08;
constexpr std::size_t kMaxSuperPacket = 65535;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
void put_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

// A TCP segment that may be joined, with its parts located.
struct Segment {
  const std::uint8_t* p = nullptr;
  std::size_t ip_len = 0, headers = 0, payload = 0;
  std::uint32_t seq = 0;
  bool v4 = false;
  std::uint8_t flags = 0;
};

std::optional<Segment> segment_of(ByteView packet) {
  Segment s;
  s.p = packet.data();
  const std::size_t size = packet.size();
  if (size < 20) return std::nullopt;
  const std::uint8_t version = s.p[0] >> 4;
  if (version == 4) {
    // No options (IHL 5), not a fragment, TCP, lengths that agree.
    if (s.p[0] != 0x45 || s.p[9] != kTcp || (be16(s.p + 6) & 0x3fff) != 0 || be16(s.p + 2) != size) {
      return std::nullopt;
    }
    s.v4 = true;
    s.ip_len = 20;
  } else if (version == 6) {
    if (size < 40 || s.p[6] != kTcp || std::size_t(be16(s.p + 4)) + 40 != size) return std::nullopt;
    s.ip_len = 40;
  } else {
    return std::nullopt;
  }
  if (size < s.ip_len + 20) return std::nullopt;
  const std::uint8_t* tcp = s.p + s.ip_len;
  const std::size_t tcp_len = std::size_t(tcp[12] >> 4) * 4;
  if (tcp_len < 20 || size < s.ip_len + tcp_len) return std::nullopt;
  s.flags = tcp[13];
  if ((s.flags & ~kPsh) != kAck) return std::nullopt;  // only ACK, maybe PSH
  s.headers = s.ip_len + tcp_len;
  s.payload = size - s.headers;
  if (s.payload == 0) return std::nullopt;  // pure ACKs are not joined
  s.seq = be32(tcp + 4);
  return s;
}

// Whether `next` continues `head`'s flow right after `previous`.
bool continues(const Segment& head, const Segment& previous, const Segment& next) {
  if (next.v4 != head.v4 || next.headers != head.headers) return false;
  if (previous.flags & kPsh) return false;              // PSH ends a run
  if (previous.payload != head.payload) return false;   // only the last may be shorter
  if (next.payload > head.payload) return false;
  if (next.seq != previous.seq + static_cast<std::uint32_t>(previous.payload)) return false;
  const std::uint8_t* a = head.p;
  const std::uint8_t* b = next.p;
  if (head.v4) {
    // TOS, DF, TTL, protocol, addresses equal (id, length and checksum differ).
    if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8] || std::memcmp(a + 12, b + 12, 8) != 0) return false;
  } else {
    // Traffic class and flow label, hop limit, addresses.
    if (std::memcmp(a, b, 4) != 0 || a[7] != b[7] || std::memcmp(a + 8, b + 8, 32) != 0) return false;
  }
  const std::uint8_t* ta = a + head.ip_len;
  const std::uint8_t* tb = b + head.ip_len;
  // Ports, then ack number, data offset and window, then options: all equal. The
  // flags differ at most in PSH.
  return std::memcmp(ta, tb, 4) == 0 && std::memcmp(ta + 8, tb + 8, 5) == 0 && std::memcmp(ta + 14, tb + 14, 2) == 0 &&
         std::memcmp(ta + 20, tb + 20, head.headers - head.ip_len - 20) == 0;
}

}  // namespace

std::size_t coalesce_tcp(const PacketBatch& batch, std::size_t first, Bytes& out) {
  auto head = segment_of(batch.bytes(first));
  if (!head) return 1;
  std::size_t total = head->headers + head->payload;
  std::size_t end = first + 1;
  Segment previous = *head;
  while (end < batch.size()) {
    auto next = segment_of(batch.bytes(end));
    if (!next || !continues(*head, previous, *next) || total + next->payload > kMaxSuperPacket) break;
    total += next->payload;
    previous = *next;
    ++end;
  }
  if (end - first == 1) return 1;

  out.resize(kVirtioNetHeaderSize + total);
  std::uint8_t* p = out.data() + kVirtioNetHeaderSize;
  std::memcpy(p, head->p, head->headers + head->payload);
  std::size_t at = head->headers + head->payload;
  for (std::size_t i = first + 1; i < end; ++i) {
    ByteView packet = batch.bytes(i);
    const std::size_t headers = head->headers;
    std::memcpy(p + at, packet.data() + headers, packet.size() - headers);
    at += packet.size() - headers;
  }
  const std::size_t ip_len = head->ip_len;
  std::uint8_t* tcp = p + ip_len;
  tcp[13] = previous.flags;  // PSH if the last had it
  if (head->v4) {
    put_be16(p + 2, static_cast<std::uint16_t>(total));
    put_be16(p + 10, 0);
    put_be16(p + 10, checksum_finish(checksum_add(0, p, ip_len)));
  } else {
    put_be16(p + 4, static_cast<std::uint16_t>(total - ip_len));
  }
  // CHECKSUM_PARTIAL, as the kernel's own GSO packets: the field holds the
  // pseudo-header's sum, and the rest is someone else's to add if the packet is
  // ever forwarded (the segments' checksums were checked by the sender's kernel
  // or made by its yellowtaild, and AEAD kept them intact since).
  const std::uint16_t pseudo =
      static_cast<std::uint16_t>(~checksum_finish(pseudo_header_sum(p, kTcp, total - ip_len)));
  put_be16(tcp + 16, pseudo);
  VirtioNetHeader h;
  h.flags = VirtioNetHeader::kNeedsCsum;
  h.gso_type = head->v4 ? VirtioNetHeader::kGsoTcpV4 : VirtioNetHeader::kGsoTcpV6;
  h.hdr_len = static_cast<std::uint16_t>(head->headers);
  h.gso_size = static_cast<std::uint16_t>(head->payload);
  h.csum_start = static_cast<std::uint16_t>(ip_len);
  h.csum_offset = 16;
  write_virtio_net_header(out.data(), h);
  return end - first;
}

}  // namespace yt
