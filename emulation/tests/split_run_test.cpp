// Two processes post messages of any size at the same time without blocking each
// other, and take them in order; when one is gone, the other's take fails
// instead of hanging.
#include "emulation/split_run.h"

#include <gtest/gtest.h>

#include <string>

namespace yt::emulation {
namespace {

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

TEST(SplitRunTest, PostsLargeMessagesBothWaysAtOnceThenSeesTheChildEnd) {
  auto forked = SplitRun::Fork();
  ASSERT_TRUE(forked.ok()) << forked.error();
  SplitRun& run = *forked;
  // Larger than a socket buffer, both ways at once.
  const std::string big0 = pattern(3 << 20, 'a');
  const std::string big1 = pattern(5 << 20, 'z');
  if (run.partition() == 1) {
    bool ok = true;
    // Three posts before taking anything: the parent does the same.
    for (int round = 0; round < 3 && ok; ++round) ok = run.Post(big1 + std::to_string(round));
    for (int round = 0; round < 3 && ok; ++round) {
      auto got = run.Take();
      ok = got.ok() && *got == big0 + std::to_string(round);
    }
    auto empty = run.Take();
    SplitRun::EndChild(ok && empty.ok() && empty->empty() && run.Post(""));
  }
  for (int round = 0; round < 3; ++round) ASSERT_TRUE(run.Post(big0 + std::to_string(round)));
  for (int round = 0; round < 3; ++round) {
    auto got = run.Take();
    ASSERT_TRUE(got.ok()) << got.error();
    EXPECT_EQ(*got, big1 + std::to_string(round));
  }
  ASSERT_TRUE(run.Post(""));
  auto empty = run.Take();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // The child has ended: no message, an error rather than a hang.
  auto after = run.Take();
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().find("ended before the run did"), std::string::npos);
  EXPECT_TRUE(run.WaitChild());  // and it got everything it expected
}

}  // namespace
}  // namespace yt::emulation
