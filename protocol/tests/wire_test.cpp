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

}  // namespace
}  // namespace yt
