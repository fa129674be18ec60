// The virtio-net header a TUN device opened with IFF_VNET_HDR puts in front of
// every packet (linux/virtio_net.h, struct virtio_net_hdr; docs/data-plane.md).
// With TUNSETOFFLOAD the kernel hands us TCP "super-packets" of up to 64 KiB whose
// header says how to cut them (gso_type, gso_size) and where the checksum still
// has to be written (csum_start, csum_offset). split_tun_packet does that cutting:
// the user-space half of TSO.
//
// Pure functions, no I/O: the bytes come from a TUN read (TunAdapter), and bad
// bytes (a header that lies, a truncated packet) are refused with a reason, never
// read past. The header's fields are little-endian (the kernel's native order on
// the little-endian hosts we run on, and virtio 1.0's).
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/bytes.h"
#include "protocol/packet_batch.h"
#include "protocol/result.h"

namespace yt {

constexpr std::size_t kVirtioNetHeaderSize = 10;

struct VirtioNetHeader {
  static constexpr std::uint8_t kNeedsCsum = 1;   // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr std::uint8_t kDataValid = 2;   // VIRTIO_NET_HDR_F_DATA_VALID
  static constexpr std::uint8_t kGsoNone = 0;     // VIRTIO_NET_HDR_GSO_NONE
  static constexpr std::uint8_t kGsoTcpV4 = 1;    // VIRTIO_NET_HDR_GSO_TCPV4
  static constexpr std::uint8_t kGsoUdp = 3;      // VIRTIO_NET_HDR_GSO_UDP (UFO, gone)
  static constexpr std::uint8_t kGsoTcpV6 = 4;    // VIRTIO_NET_HDR_GSO_TCPV6
  static constexpr std::uint8_t kGsoUdpL4 = 5;    // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
  static constexpr std::uint8_t kGsoEcn = 0x80;   // VIRTIO_NET_HDR_GSO_ECN, a flag on the type

  std::uint8_t flags = 0;
  std::uint8_t gso_type = kGsoNone;
  std::uint16_t hdr_len = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
};

// nullopt when fewer than kVirtioNetHeaderSize bytes.
std::optional<VirtioNetHeader> parse_virtio_net_header(ByteView bytes);
void write_virtio_net_header(std::uint8_t* out, const VirtioNetHeader& header);

// Why a TUN read was dropped; the adapter counts each.
enum class OffloadError : std::uint8_t {
  kShortRead,         // shorter than the virtio-net header
  kBadHeader,         // flags or GSO type we did not ask for, checksum place out of the packet
  kBadPacket,         // not an IPv4/IPv6 TCP packet where the header says one, or lengths that disagree
  kTooManySegments,   // more than kMaxSegments
};
const char* to_string(OffloadError error);

// A super-packet cut into more than this is refused (64 KiB at an MSS of 256).
constexpr std::size_t kMaxSegments = 256;

// Turns one read from an IFF_VNET_HDR TUN device (header + packet) into the plain
// IP packets it stands for, appended to `out` (whose headroom is kept between
// them) with complete checksums:
//   - GSO none: the packet, its checksum completed when the header asks for it;
//   - TCPv4 / TCPv6: cut at gso_size bytes of TCP payload, each segment with its
//     own IP header (IPv4: total length, id + i, header checksum; IPv6: payload
//     length), TCP sequence number, flags (FIN and PSH on the last segment only,
//     CWR on the first only) and checksum.
// Returns the number of packets added; on error nothing is added.
Result<std::size_t, OffloadError> split_tun_packet(ByteView read, PacketBatch& out);

}  // namespace yt
