// StreamFramer (protocol/stream_framer.h) against a one-pass reference cut of the
// same stream: however the stream is split into push() calls, the frames that come
// out, failed() and buffered() must match. Input: byte 0 picks how many chunk-size
// bytes follow (1..8); those sizes are used in turn; the rest is the stream.
#include "fuzz/fuzz_support.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "protocol/stream_framer.h"

using namespace yt;

namespace {

struct Reference {
  std::vector<Bytes> frames;
  bool failed = false;
  std::size_t consumed = 0;  // bytes of the complete frames
};

Reference cut(ByteView stream) {
  Reference ref;
  std::size_t at = 0;
  while (stream.size() - at >= 2) {
    std::size_t length = std::size_t(stream[at]) << 8 | stream[at + 1];
    if (length == 0) {
      ref.failed = true;
      break;
    }
    if (stream.size() - at - 2 < length) break;
    ref.frames.push_back(stream.subview(at + 2, length).to_bytes());
    at += 2 + length;
  }
  ref.consumed = at;
  return ref;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t n_sizes = data[0] % 8 + 1;
  if (size < 1 + n_sizes) return 0;
  std::vector<std::size_t> sizes;
  // 0 means an empty push, which must be harmless too; big values are rare in practice.
  for (std::size_t i = 0; i < n_sizes; ++i) sizes.push_back(data[1 + i] < 250 ? data[1 + i] : (data[1 + i] - 249) * 1000);
  ByteView stream = fuzz::view(data + 1 + n_sizes, size - 1 - n_sizes);
  Reference ref = cut(stream);

  StreamFramer framer;
  std::vector<Bytes> got;
  std::size_t pushed = 0, consumed = 0;
  auto push_and_drain = [&](std::size_t chunk) {
    framer.push(stream.subview(pushed, chunk));
    pushed += chunk;
    while (auto frame = framer.next()) {
      FUZZ_CHECK(!frame->empty() && frame->size() <= kMaxFrameSize);
      FUZZ_CHECK(!framer.failed());
      consumed += 2 + frame->size();
      got.push_back(std::move(*frame));
    }
    // Drained: at most one partial frame stays buffered.
    if (!framer.failed()) {
      FUZZ_CHECK(framer.buffered() == pushed - consumed);
      FUZZ_CHECK(framer.buffered() < 2 + kMaxFrameSize);
    }
  };
  // Bounded so that sizes of all zeros cannot spin; the rest then goes in at once.
  for (std::size_t k = 0; k <= stream.size() && pushed < stream.size(); ++k) {
    push_and_drain(std::min(sizes[k % sizes.size()], stream.size() - pushed));
  }
  push_and_drain(stream.size() - pushed);
  FUZZ_CHECK(framer.failed() == ref.failed);
  FUZZ_CHECK(got == ref.frames);
  FUZZ_CHECK(consumed == ref.consumed);
  if (framer.failed()) {
    framer.push(stream);
    FUZZ_CHECK(!framer.next().has_value());  // nothing after a zero length prefix
  } else {
    FUZZ_CHECK(framer.buffered() == stream.size() - ref.consumed);
  }

  // Every frame out is one frame_for_stream() puts back on the stream unchanged.
  for (const Bytes& frame : got) {
    auto framed = frame_for_stream(frame);
    FUZZ_CHECK(framed.has_value() && framed->size() == frame.size() + 2);
    StreamFramer again;
    again.push(*framed);
    auto back = again.next();
    FUZZ_CHECK(back.has_value() && *back == frame);
    FUZZ_CHECK(again.buffered() == 0 && !again.next().has_value());
  }
  return 0;
}
