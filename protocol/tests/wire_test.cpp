#include "protocol/identity.h"
#include "protocol/wire.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(WireTest, RoundTripsEveryFieldKind) {
  WireWriter w;
  w.u8(0x01);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.u64(0x08090a0b0c0d0e0fULL);
  w.str8("hi");
  w.bytes16(Bytes{0xaa, 0xbb});
  w.endpoint(Endpoint{Ipv4::from_octets(192, 0, 2, 1), 4242});
  EXPECT_EQ(to_hex(w.bytes()),
            "01" "0203" "04050607" "08090a0b0c0d0e0f" "026869" "0002aabb" "c0000201" "1092");

  WireReader r(w.bytes());
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_EQ(r.u64(), 0x08090a0b0c0d0e0fULL);
  EXPECT_EQ(r.str8(), "hi");
  EXPECT_EQ(r.bytes16(), (Bytes{0xaa, 0xbb}));
  EXPECT_EQ(r.endpoint().to_string(), "192.0.2.1:4242");
  EXPECT_TRUE(r.done());
}

TEST(WireTest, ShortReadFailsStickyAndReturnsZero) {
  Bytes in{0x01, 0x02, 0x03};
  WireReader r(in);
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.u8(), 0);  // even though one byte is left, a failed reader stays failed
  EXPECT_FALSE(r.done());
}

TEST(WireTest, LengthPrefixBeyondInputFails) {
  Bytes in{0x00, 0x10, 0xaa};  // claims 16 bytes, has 1
  WireReader r(in);
  EXPECT_TRUE(r.bytes16().empty());
  EXPECT_TRUE(r.failed());
}

TEST(WireTest, DoneRejectsTrailingBytes) {
  Bytes in{0x01, 0x02};
  WireReader r(in);
  r.u8();
  EXPECT_FALSE(r.done());
}

TEST(EndpointTest, ParsesAndPrints) {
  auto e = Endpoint::parse("203.0.113.7:65535");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->to_string(), "203.0.113.7:65535");
  EXPECT_FALSE(Endpoint::parse("203.0.113.7:65536"));
  EXPECT_FALSE(Endpoint::parse("203.0.113:1"));
  EXPECT_FALSE(Endpoint::parse("256.0.0.1:1"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4:"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4.5:1"));
}

TEST(EndpointTest, PrefixContainsAndBroadcast) {
  auto p = Ipv4Prefix::parse("25.0.0.0/8");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*Ipv4::parse("25.1.2.3")));
  EXPECT_FALSE(p->contains(*Ipv4::parse("26.0.0.1")));
  EXPECT_EQ(p->broadcast().to_string(), "25.255.255.255");
  EXPECT_FALSE(Ipv4Prefix::parse("25.0.0.1/8"));  // host bits set
  EXPECT_FALSE(Ipv4Prefix::parse("25.0.0.0/33"));
}

TEST(SeededRandomTest, SameSeedSameStreamDifferentStreamsDiffer) {
  SeededRandom a(7, 1), b(7, 1), c(7, 2);
  Bytes x = a.bytes(100), y = b.bytes(100), z = c.bytes(100);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  // Chunking must not change the stream.
  SeededRandom d(7, 1);
  Bytes part1 = d.bytes(30), part2 = d.bytes(70);
  part1.insert(part1.end(), part2.begin(), part2.end());
  EXPECT_EQ(part1, x);
}

TEST(SeededRandomTest, UniformStaysInBound) {
  SeededRandom r(1);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.uniform(7), 7u);
  EXPECT_EQ(r.uniform(0), 0u);
}

TEST(IdentityTest, DerivesPublicKeyAndNodeId) {
  SeededRandom r(3);
  Identity id = Identity::generate(r);
  auto again = Identity::from_secret(ByteView(id.secret_key.data(), id.secret_key.size()));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key, id.public_key);
  EXPECT_EQ(node_id(id.public_key).size(), 14u);
  EXPECT_EQ(key_from_hex(key_to_hex(id.public_key)), id.public_key);
  EXPECT_FALSE(key_from_hex("abcd"));
}

}  // namespace
}  // namespace yt
