#include "protocol/random.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

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

}  // namespace
}  // namespace yt
