#include "client/core/describe_event.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

// The daemon logs every chat: a peer's line break must not start a forged log line.
TEST(DescribeEvent, ChatFromAPeerStaysOnOneEscapedLine) {
  PublicKey peer{};
  peer[0] = 3;
  std::string line = describe(ChatReceived{peer, "hi\nDec 03 yellowtaild[1]: logged in as root", "lan", "eve\x1b[31m"});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_NE(line.find("hi\\nDec 03"), std::string::npos) << line;
  EXPECT_NE(line.find("eve\\x1b[31m (" + node_id(peer) + ")"), std::string::npos) << line;
}

}  // namespace
}  // namespace yt
