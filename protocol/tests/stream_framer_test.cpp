#include "protocol/stream_framer.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(StreamFramerTest, ReassemblesFramesSplitAtEveryByte) {
  Bytes stream;
  for (int i = 1; i <= 3; ++i) {
    Bytes payload(static_cast<std::size_t>(i * 100), static_cast<std::uint8_t>(i));
    Bytes framed = *frame_for_stream(payload);
    stream.insert(stream.end(), framed.begin(), framed.end());
  }
  StreamFramer framer;
  std::vector<Bytes> frames;
  for (std::uint8_t b : stream) {
    framer.push(ByteView(&b, 1));
    while (auto f = framer.next()) frames.push_back(*f);
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2].size(), 300u);
  EXPECT_EQ(frames[2][0], 3);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramerTest, ZeroLengthFrameFailsTheStream) {
  StreamFramer framer;
  Bytes bad{0x00, 0x00, 0x00, 0x01, 0xaa};
  framer.push(bad);
  EXPECT_FALSE(framer.next());
  EXPECT_TRUE(framer.failed());
}

TEST(StreamFramerTest, RefusesEmptyAndOversizedFrames) {
  EXPECT_FALSE(frame_for_stream(Bytes{}));
  EXPECT_FALSE(frame_for_stream(Bytes(kMaxFrameSize + 1)));
  EXPECT_TRUE(frame_for_stream(Bytes(kMaxFrameSize)));
}

}  // namespace
}  // namespace yt
