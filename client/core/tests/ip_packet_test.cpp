// IPv4 header parsing (ip_packet.h): every field routing needs, every malformation
// refused with its reason, and no read past the end at any length.
#include "client/core/ip_packet.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

const Ipv4 kSrc = Ipv4::from_octets(25, 0, 0, 1);
const Ipv4 kDst = Ipv4::from_octets(25, 0, 0, 2);

TEST(IpPacket, ParsesAHeaderBuiltByHand) {
  // 20-byte header, total length 24, UDP, 25.0.0.1 -> 224.0.0.251, 4 payload bytes.
  Bytes p = *from_hex("45000018 00000000 4011 0000 19000001 e00000fb deadbeef");
  auto h = parse_ipv4_header(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->header_length, 20);
  EXPECT_EQ(h->total_length, 24);
  EXPECT_EQ(h->protocol, kIpProtocolUdp);
  EXPECT_EQ(h->source, kSrc);
  EXPECT_EQ(h->destination, Ipv4::from_octets(224, 0, 0, 251));
  EXPECT_EQ(ip_version(p), 4);
}

TEST(IpPacket, MakeBuildsAValidPacketWithChecksum) {
  Bytes payload = {1, 2, 3};
  Bytes p = make_ipv4_packet(kSrc, kDst, kIpProtocolTcp, payload);
  ASSERT_EQ(p.size(), 23u);
  auto h = parse_ipv4_header(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->source, kSrc);
  EXPECT_EQ(h->destination, kDst);
  EXPECT_EQ(h->protocol, kIpProtocolTcp);
  EXPECT_EQ(h->total_length, 23);
  EXPECT_EQ(Bytes(p.begin() + 20, p.end()), payload);
  // A correct header checksum makes the one's-complement sum of the header 0xFFFF.
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < 20; i += 2) sum += std::uint32_t(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  EXPECT_EQ(sum, 0xFFFFu);
}

TEST(IpPacket, HeaderWithOptionsIsAccepted) {
  Bytes p = make_ipv4_packet(kSrc, kDst, kIpProtocolUdp, Bytes{9, 9});
  p[0] = 0x46;  // IHL 6: 4 option bytes
  p.insert(p.begin() + 20, {1, 1, 1, 0});  // NOP NOP NOP EOL
  p[3] = static_cast<std::uint8_t>(p.size());
  auto h = parse_ipv4_header(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->header_length, 24);
  EXPECT_EQ(h->destination, kDst);
}

TEST(IpPacket, EveryTruncationIsRefusedWithoutReadingPastTheEnd) {
  Bytes full = make_ipv4_packet(kSrc, kDst, kIpProtocolUdp, Bytes(30, 0xAA));
  for (std::size_t n = 0; n < full.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so a sanitizer build catches any over-read.
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto h = parse_ipv4_header(cut);
    ASSERT_FALSE(h.ok()) << n;
    EXPECT_EQ(h.error(), IpPacketError::kTruncated) << n;
  }
  EXPECT_TRUE(parse_ipv4_header(full).ok());
  EXPECT_EQ(ip_version(Bytes{}), std::nullopt);
}

TEST(IpPacket, MalformationsHaveTheirOwnReasons) {
  Bytes good = make_ipv4_packet(kSrc, kDst, kIpProtocolUdp, Bytes(8, 0));

  Bytes v6 = good;
  v6[0] = 0x60;
  EXPECT_EQ(parse_ipv4_header(v6).error(), IpPacketError::kNotIpv4);
  EXPECT_EQ(ip_version(v6), 6);
  EXPECT_EQ(parse_ipv4_header(Bytes{0x60}).error(), IpPacketError::kNotIpv4);  // short IPv6: still IPv6
  Bytes v0 = good;
  v0[0] = 0x05;
  EXPECT_EQ(parse_ipv4_header(v0).error(), IpPacketError::kNotIpv4);

  Bytes small_ihl = good;
  small_ihl[0] = 0x44;
  EXPECT_EQ(parse_ipv4_header(small_ihl).error(), IpPacketError::kBadHeaderLength);

  Bytes big_ihl = good;
  big_ihl[0] = 0x4F;  // 60-byte header in a 28-byte packet
  EXPECT_EQ(parse_ipv4_header(big_ihl).error(), IpPacketError::kTruncated);

  Bytes short_total = good;
  short_total[2] = 0;
  short_total[3] = 19;
  EXPECT_EQ(parse_ipv4_header(short_total).error(), IpPacketError::kBadTotalLength);

  Bytes long_total = good;
  long_total[3] = static_cast<std::uint8_t>(good.size() + 1);
  EXPECT_EQ(parse_ipv4_header(long_total).error(), IpPacketError::kTruncated);

  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(parse_ipv4_header(trailing).error(), IpPacketError::kTrailingBytes);
}

TEST(IpPacket, MulticastIs224Slash4) {
  EXPECT_FALSE(is_multicast(Ipv4::from_octets(223, 255, 255, 255)));
  EXPECT_TRUE(is_multicast(Ipv4::from_octets(224, 0, 0, 0)));
  EXPECT_TRUE(is_multicast(Ipv4::from_octets(224, 0, 0, 251)));      // mDNS
  EXPECT_TRUE(is_multicast(Ipv4::from_octets(239, 255, 255, 250)));  // SSDP
  EXPECT_FALSE(is_multicast(Ipv4::from_octets(240, 0, 0, 0)));
  EXPECT_FALSE(is_multicast(kLimitedBroadcast));
}

TEST(IpPacket, Ipv6FixedHeaderIsParsed) {
  Ipv6Address src{0xfd, 0x79}, dst{0xff, 0x02};
  src[15] = 1;
  dst[15] = 0xfb;
  Bytes p = make_ipv6_packet(src, dst, kIpProtocolUdp, Bytes{1, 2, 3});
  ASSERT_EQ(p.size(), 43u);
  EXPECT_EQ(ip_version(p), 6);
  auto h = parse_ipv6_header(p);
  ASSERT_TRUE(h.ok()) << to_string(h.error());
  EXPECT_EQ(h->payload_length, 3u);
  EXPECT_EQ(h->next_header, kIpProtocolUdp);
  EXPECT_EQ(h->source, src);
  EXPECT_EQ(h->destination, dst);
  EXPECT_TRUE(is_multicast(h->destination));
  EXPECT_FALSE(is_multicast(h->source));
  EXPECT_TRUE(parse_ipv6_header(make_ipv6_packet(src, dst, 59, ByteView{})).ok());  // empty payload
}

TEST(IpPacket, Ipv6MalformationsAreRefusedWithoutReadingPastTheEnd) {
  Bytes p = make_ipv6_packet(Ipv6Address{}, Ipv6Address{}, kIpProtocolUdp, Bytes{1, 2, 3});
  for (std::size_t n = 0; n < p.size(); ++n) {
    EXPECT_EQ(parse_ipv6_header(ByteView(p.data(), n)).error(), IpPacketError::kTruncated) << n;
  }
  Bytes longer = p;
  longer.push_back(0);
  EXPECT_EQ(parse_ipv6_header(longer).error(), IpPacketError::kTrailingBytes);
  Bytes jumbo = p;
  jumbo[4] = jumbo[5] = 0;
  EXPECT_EQ(parse_ipv6_header(jumbo).error(), IpPacketError::kJumbogram);
  EXPECT_EQ(parse_ipv6_header(make_ipv4_packet(Ipv4{1}, Ipv4{2}, 17, Bytes{})).error(), IpPacketError::kNotIpv6);
}

TEST(IpPacket, ErrorsHaveNames) {
  for (auto e : {IpPacketError::kTruncated, IpPacketError::kNotIpv4, IpPacketError::kBadHeaderLength,
                 IpPacketError::kBadTotalLength, IpPacketError::kTrailingBytes, IpPacketError::kNotIpv6,
                 IpPacketError::kJumbogram}) {
    EXPECT_STRNE(to_string(e), "?");
  }
}

}  // namespace
}  // namespace yt
