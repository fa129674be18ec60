// split_tun_packet (platform/virtio_net.h): TSO super-packets as the kernel hands
// them over, cut into segments whose every header field and checksum is checked
// against a straightforward reference written here; and headers that lie, which
// are refused, never read past.
#include <gtest/gtest.h>

#include <random>

#include "platform/tests/tso_packets.h"
#include "platform/virtio_net.h"

namespace yt {
namespace {

using namespace tso_test;


class TsoSplit : public ::testing::TestWithParam<bool> {};

TEST_P(TsoSplit, SegmentsCarryTheRightHeadersAndChecksums) {
  const bool v4 = GetParam();
  const std::uint16_t mss = 1348;
  const Bytes payload = make_payload(mss * 10 + 517);  // a short last segment
  const std::uint32_t seq = 0xfffff000;                 // wraps inside the packet
  Bytes read = with_header(tso(v4, mss), tcp_super_packet(v4, payload, kAck | kPsh | kFin | kCwr, 0xfffe, seq));
  PacketBatch out;
  auto split = split_tun_packet(read, out);
  ASSERT_TRUE(split);
  ASSERT_EQ(*split, 11u);
  ASSERT_EQ(out.size(), 11u);
  const std::size_t ip_len = v4 ? 20 : 40;
  Bytes joined;
  for (std::size_t i = 0; i < out.size(); ++i) {
    Bytes s = out.bytes(i).to_bytes();
    const std::size_t length = i + 1 < out.size() ? mss : 517;
    ASSERT_EQ(s.size(), ip_len + kTcpHeader + length) << i;
    if (v4) {
      EXPECT_EQ(be16(s, 2), s.size()) << i;
      EXPECT_EQ(be16(s, 4), static_cast<std::uint16_t>(0xfffe + i)) << i;  // id + i, wrapping
      EXPECT_TRUE(ipv4_header_ok(s)) << i;
    } else {
      EXPECT_EQ(be16(s, 4), kTcpHeader + length) << i;
    }
    EXPECT_EQ(be32(s, ip_len + 4), static_cast<std::uint32_t>(seq + i * mss)) << i;
    const std::uint8_t flags = s[ip_len + 13];
    const bool last = i + 1 == out.size();
    EXPECT_EQ(flags & kAck, kAck) << i;
    EXPECT_EQ((flags & kPsh) != 0, last) << i;
    EXPECT_EQ((flags & kFin) != 0, last) << i;
    EXPECT_EQ((flags & kCwr) != 0, i == 0) << i;
    EXPECT_TRUE(transport_ok(s, 6)) << i;
    // Options and everything else of the header copied unchanged.
    for (std::size_t b = 20; b < kTcpHeader; ++b) EXPECT_EQ(s[ip_len + b], b);
    joined.insert(joined.end(), s.begin() + static_cast<std::ptrdiff_t>(ip_len + kTcpHeader), s.end());
  }
  EXPECT_EQ(joined, payload);
}

TEST_P(TsoSplit, ExactMultipleHasNoEmptySegment) {
  const bool v4 = GetParam();
  Bytes read = with_header(tso(v4, 1000), tcp_super_packet(v4, make_payload(3000), kAck));
  PacketBatch out;
  auto split = split_tun_packet(read, out);
  ASSERT_TRUE(split);
  EXPECT_EQ(*split, 3u);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_TRUE(transport_ok(out.bytes(i).to_bytes(), 6));
}

TEST_P(TsoSplit, LargestSuperPacket) {
  const bool v4 = GetParam();
  const std::size_t payload = 65535 - (v4 ? 20 : 0) - kTcpHeader;  // IPv6: payload length field
  Bytes read = with_header(tso(v4, 1368), tcp_super_packet(v4, make_payload(payload), kAck | kPsh));
  PacketBatch out;
  auto split = split_tun_packet(read, out);
  ASSERT_TRUE(split);
  EXPECT_EQ(*split, (payload + 1367) / 1368);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_TRUE(transport_ok(out.bytes(i).to_bytes(), 6)) << i;
}

INSTANTIATE_TEST_SUITE_P(Ipv4AndIpv6, TsoSplit, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Ipv4" : "Ipv6"; });

TEST(VirtioNet, HeaderRoundTripsLittleEndian) {
  VirtioNetHeader h{1, 4, 0x1234, 0x0567, 40, 16};
  std::uint8_t bytes[kVirtioNetHeaderSize];
  write_virtio_net_header(bytes, h);
  EXPECT_EQ(bytes[2], 0x34);
  EXPECT_EQ(bytes[3], 0x12);
  auto parsed = parse_virtio_net_header(ByteView(bytes, sizeof bytes));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->hdr_len, 0x1234);
  EXPECT_EQ(parsed->gso_size, 0x0567);
  EXPECT_EQ(parsed->csum_start, 40);
  EXPECT_FALSE(parse_virtio_net_header(ByteView(bytes, 9)));
}

TEST(VirtioNet, PacketWithoutGsoHasItsChecksumCompleted) {
  // A small TCP packet (an ACK) with the checksum left to us.
  Bytes packet = tcp_super_packet(true, make_payload(11), kAck);
  VirtioNetHeader h = tso(true, 0);
  h.gso_type = VirtioNetHeader::kGsoNone;
  PacketBatch out;
  auto split = split_tun_packet(with_header(h, packet), out);
  ASSERT_TRUE(split);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(transport_ok(out.bytes(0).to_bytes(), 6));
  // Without kNeedsCsum the packet is taken as it is.
  h.flags = 0;
  PacketBatch plain;
  ASSERT_TRUE(split_tun_packet(with_header(h, packet), plain));
  EXPECT_EQ(plain.bytes(0).to_bytes(), packet);
}

TEST(VirtioNet, UdpChecksumIsCompletedWhenLeftToUs) {
  // What the kernel hands over for a UDP datagram sent with checksum offload.
  Bytes packet(20 + 8 + 301);
  packet[0] = 0x45;
  packet[2] = static_cast<std::uint8_t>(packet.size() >> 8);
  packet[3] = static_cast<std::uint8_t>(packet.size());
  packet[8] = 64;
  packet[9] = 17;
  const std::uint8_t addresses[8] = {25, 0, 0, 1, 25, 0, 0, 2};
  std::copy(addresses, addresses + 8, packet.begin() + 12);
  packet[20] = 0x30, packet[21] = 0x39, packet[22] = 0x00, packet[23] = 0x35;
  packet[24] = static_cast<std::uint8_t>((8 + 301) >> 8);
  packet[25] = static_cast<std::uint8_t>(8 + 301);
  for (std::size_t i = 28; i < packet.size(); ++i) packet[i] = static_cast<std::uint8_t>(i * 13);
  std::uint32_t pseudo = ref_sum(packet, 12, 20) + 17 + 8 + 301;
  while (pseudo >> 16) pseudo = (pseudo & 0xffff) + (pseudo >> 16);
  packet[26] = static_cast<std::uint8_t>(pseudo >> 8);
  packet[27] = static_cast<std::uint8_t>(pseudo);
  VirtioNetHeader h;
  h.flags = VirtioNetHeader::kNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 6;
  PacketBatch out;
  ASSERT_TRUE(split_tun_packet(with_header(h, packet), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(transport_ok(out.bytes(0).to_bytes(), 17));
}

TEST(VirtioNet, KeepsHeadroomBetweenSegments) {
  PacketBatch out(10);
  ASSERT_TRUE(split_tun_packet(with_header(tso(true, 500), tcp_super_packet(true, make_payload(1200), kAck)), out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_GE(out.entry(0).offset, 10u);
  for (std::size_t i = 1; i < out.size(); ++i) {
    EXPECT_GE(out.entry(i).offset, out.entry(i - 1).offset + out.entry(i - 1).size + 10);
  }
}

TEST(VirtioNet, LyingHeadersAreRefusedWithAReason) {
  const Bytes good = tcp_super_packet(true, make_payload(5000), kAck);
  auto refused = [&](VirtioNetHeader h, const Bytes& packet) -> std::optional<OffloadError> {
    PacketBatch out;
    auto split = split_tun_packet(with_header(h, packet), out);
    EXPECT_EQ(out.size(), split ? *split : 0u);  // nothing added on error
    if (split) return std::nullopt;
    return split.error();
  };
  PacketBatch out;
  EXPECT_EQ(split_tun_packet(ByteView(good.data(), 5), out).error(), OffloadError::kShortRead);

  VirtioNetHeader h = tso(true, 1000);
  h.gso_size = 0;
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  h = tso(true, 1000);
  h.gso_type = VirtioNetHeader::kGsoUdpL4;  // not asked for
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  h.gso_type = 77;
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  h = tso(true, 1000);
  h.flags = 0x40;
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  h = tso(true, 1000);
  h.csum_start = 24;
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  h = tso(true, 1000);
  h.csum_offset = 6;  // UDP's place, in a TCP packet
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  // The GSO type says IPv6, the packet is IPv4.
  EXPECT_EQ(refused(tso(false, 1000), good), OffloadError::kBadPacket);
  // Not TCP.
  Bytes udp = good;
  udp[9] = 17;
  EXPECT_EQ(refused(tso(true, 1000), udp), OffloadError::kBadPacket);
  // Truncated inside the TCP header; a data offset past the end; an IHL of 3.
  EXPECT_EQ(refused(tso(true, 1000), Bytes(good.begin(), good.begin() + 30)), OffloadError::kBadPacket);
  Bytes offset = Bytes(good.begin(), good.begin() + 45);
  offset[32] = 0xf0;
  EXPECT_EQ(refused(tso(true, 1000), offset), OffloadError::kBadPacket);
  Bytes ihl = good;
  ihl[0] = 0x43;
  EXPECT_EQ(refused(tso(true, 1000), ihl), OffloadError::kBadPacket);
  // A segment size that would make thousands of segments.
  EXPECT_EQ(refused(tso(true, 1), good), OffloadError::kTooManySegments);
  // No GSO, but the checksum's place past the end.
  h = tso(true, 0);
  h.gso_type = VirtioNetHeader::kGsoNone;
  h.csum_start = 60000;
  EXPECT_EQ(refused(h, good), OffloadError::kBadHeader);
  h.csum_start = 20;
  EXPECT_EQ(refused(h, Bytes{}), OffloadError::kBadPacket);
}

TEST(VirtioNet, RandomBytesNeverCrash) {
  // Bad input is refused or split within bounds; AddressSanitizer (scripts/sanitize.sh)
  // catches any read past the end.
  std::mt19937 rng(14);
  const Bytes base = with_header(tso(true, 700), tcp_super_packet(true, make_payload(4000), kAck));
  for (int round = 0; round < 20000; ++round) {
    Bytes read = base;
    read.resize(rng() % (base.size() + 1));
    const int flips = 1 + static_cast<int>(rng() % 6);
    for (int f = 0; f < flips && !read.empty(); ++f) read[rng() % std::min<std::size_t>(read.size(), 80)] = rng();
    PacketBatch out;
    auto split = split_tun_packet(read, out);
    if (split) {
      EXPECT_EQ(out.size(), *split);
      EXPECT_LE(*split, kMaxSegments);
    } else {
      EXPECT_TRUE(out.empty());
    }
  }
}

}  // namespace
}  // namespace yt
