// coalesce_tcp (platform/tcp_coalesce.h): segments of one flow, as split_tun_packet
// cuts them (or as a peer's kernel sent them), joined back into the super-packet
// they came from; and everything Linux's GRO would not join left alone.
#include <gtest/gtest.h>

#include "platform/tcp_coalesce.h"
#include "platform/tests/tso_packets.h"

namespace yt {
namespace {

using namespace tso_test;

// The segments of a super-packet of `payload` bytes at `mss`, in a batch with the
// headroom the daemon's receive batches have.
PacketBatch segments(bool v4, std::size_t payload, std::uint16_t mss, std::uint8_t flags = kAck | kPsh) {
  PacketBatch out(10);
  EXPECT_TRUE(split_tun_packet(with_header(tso(v4, mss), tcp_super_packet(v4, make_payload(payload), flags)), out));
  return out;
}

class Coalesce : public ::testing::TestWithParam<bool> {};

TEST_P(Coalesce, SegmentsJoinBackIntoTheSuperPacket) {
  const bool v4 = GetParam();
  const std::size_t ip_len = v4 ? 20 : 40;
  const std::uint16_t mss = 1348;
  PacketBatch batch = segments(v4, mss * 20 + 99, mss);
  ASSERT_EQ(batch.size(), 21u);
  Bytes out;
  ASSERT_EQ(coalesce_tcp(batch, 0, out), 21u);
  auto header = parse_virtio_net_header(out);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->gso_type, v4 ? VirtioNetHeader::kGsoTcpV4 : VirtioNetHeader::kGsoTcpV6);
  EXPECT_EQ(header->gso_size, mss);
  EXPECT_EQ(header->flags, VirtioNetHeader::kNeedsCsum);
  EXPECT_EQ(header->csum_start, ip_len);
  EXPECT_EQ(header->csum_offset, 16);
  EXPECT_EQ(header->hdr_len, ip_len + 32);
  Bytes packet(out.begin() + kVirtioNetHeaderSize, out.end());
  ASSERT_EQ(packet.size(), ip_len + 32 + mss * 20 + 99);
  if (v4) {
    EXPECT_EQ(be16(packet, 2), packet.size());
    EXPECT_TRUE(ipv4_header_ok(packet));
  } else {
    EXPECT_EQ(be16(packet, 4), packet.size() - 40);
  }
  EXPECT_EQ(packet[ip_len + 13], kAck | kPsh);  // the last segment's PSH
  EXPECT_EQ(Bytes(packet.begin() + static_cast<std::ptrdiff_t>(ip_len + 32), packet.end()), make_payload(mss * 20 + 99));
  // Cut again, it gives the same segments: the checksum field held what the
  // kernel expects of a CHECKSUM_PARTIAL packet.
  PacketBatch again;
  ASSERT_TRUE(split_tun_packet(out, again));
  ASSERT_EQ(again.size(), batch.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    Bytes a = again.bytes(i).to_bytes(), b = batch.bytes(i).to_bytes();
    EXPECT_EQ(a, b) << i;
  }
}

TEST_P(Coalesce, StopsWhereTheFlowBreaks) {
  const bool v4 = GetParam();
  const std::size_t ip_len = v4 ? 20 : 40;
  PacketBatch batch = segments(v4, 1000 * 8, 1000, kAck);
  Bytes out;
  // A gap in the sequence numbers after the third segment.
  Bytes gap = batch.bytes(3).to_bytes();
  gap[ip_len + 7] ^= 0x10;
  // A different window in the sixth.
  Bytes window = batch.bytes(5).to_bytes();
  window[ip_len + 15] ^= 1;
  PacketBatch mixed(10);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Bytes b = i == 3 ? gap : i == 5 ? window : batch.bytes(i).to_bytes();
    std::uint8_t* p = mixed.begin_entry(b.size());
    std::copy(b.begin(), b.end(), p);
    mixed.commit_entry(0, b.size(), Endpoint{});
  }
  EXPECT_EQ(coalesce_tcp(mixed, 0, out), 3u);
  EXPECT_EQ(coalesce_tcp(mixed, 3, out), 1u);
  EXPECT_EQ(coalesce_tcp(mixed, 5, out), 1u);
  EXPECT_EQ(coalesce_tcp(mixed, 6, out), 2u);
}

TEST_P(Coalesce, LeavesAloneWhatGroWouldNot) {
  const bool v4 = GetParam();
  const std::size_t ip_len = v4 ? 20 : 40;
  Bytes out;
  // PSH in the middle ends the run.
  {
    PacketBatch batch = segments(v4, 3000, 1000, kAck);
    Bytes middle = batch.bytes(1).to_bytes();
    middle[ip_len + 13] |= kPsh;
    PacketBatch pushed(10);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Bytes b = i == 1 ? middle : batch.bytes(i).to_bytes();
      std::uint8_t* p = pushed.begin_entry(b.size());
      std::copy(b.begin(), b.end(), p);
      pushed.commit_entry(0, b.size(), Endpoint{});
    }
    EXPECT_EQ(coalesce_tcp(pushed, 0, out), 2u);
  }
  // A segment shorter than the first ends the run after it.
  {
    PacketBatch a = segments(v4, 1400, 1000, kAck);  // 1000 + 400
    EXPECT_EQ(coalesce_tcp(a, 0, out), 2u);
  }
  // FIN, SYN, RST are never joined.
  for (std::uint8_t flags : {std::uint8_t(kAck | kFin), std::uint8_t(0x02), std::uint8_t(kAck | 0x04)}) {
    PacketBatch batch = segments(v4, 3000, 1000, kAck);
    Bytes first = batch.bytes(0).to_bytes();
    first[ip_len + 13] = flags;
    PacketBatch odd(10);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Bytes b = i == 0 ? first : batch.bytes(i).to_bytes();
      std::uint8_t* p = odd.begin_entry(b.size());
      std::copy(b.begin(), b.end(), p);
      odd.commit_entry(0, b.size(), Endpoint{});
    }
    EXPECT_EQ(coalesce_tcp(odd, 0, out), 1u) << int(flags);
  }
  // A pure ACK, a UDP packet, garbage.
  for (Bytes b : {Bytes(tcp_super_packet(v4, {}, kAck)), Bytes(60, 0x45), Bytes{0x45}, Bytes{}}) {
    PacketBatch one(10);
    std::uint8_t* p = one.begin_entry(b.size());
    std::copy(b.begin(), b.end(), p);
    one.commit_entry(0, b.size(), Endpoint{});
    one.commit_entry(0, 0, Endpoint{});
    EXPECT_EQ(coalesce_tcp(one, 0, out), 1u);
  }
}

TEST_P(Coalesce, NeverPastSixtyFourKilobytes) {
  const bool v4 = GetParam();
  PacketBatch batch(10);
  // 60 segments, then 60 more in sequence: 120 KB in a row.
  for (int round = 0; round < 2; ++round) {
    PacketBatch part = round == 0 ? segments(v4, 1000 * 60, 1000, kAck) : PacketBatch(10);
    if (round == 1) {
      Bytes payload = make_payload(1000 * 60);
      ASSERT_TRUE(split_tun_packet(
          with_header(tso(v4, 1000), tcp_super_packet(v4, payload, kAck, 0x1234, 0xfffff000 + 60000)), part));
    }
    for (std::size_t i = 0; i < part.size(); ++i) {
      ByteView b = part.bytes(i);
      std::uint8_t* p = batch.begin_entry(b.size());
      std::copy(b.begin(), b.end(), p);
      batch.commit_entry(0, b.size(), Endpoint{});
    }
  }
  Bytes out;
  std::size_t joined = coalesce_tcp(batch, 0, out);
  EXPECT_GT(joined, 50u);
  EXPECT_LE(out.size() - kVirtioNetHeaderSize, 65535u);
  std::size_t rest = coalesce_tcp(batch, joined, out);
  EXPECT_GT(rest, 1u);
}

INSTANTIATE_TEST_SUITE_P(Ipv4AndIpv6, Coalesce, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Ipv4" : "Ipv6"; });

}  // namespace
}  // namespace yt
