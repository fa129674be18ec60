// Cuts a TCP byte stream into frames: u16 big-endian length + that many bytes.
// A zero-length frame is a protocol error (nothing legitimate is empty).
#pragma once

#include <optional>

#include "protocol/bytes.h"

namespace yt {

constexpr std::size_t kMaxFrameSize = 65535;

// Returns the framed bytes; nullopt when `frame` is empty or longer than kMaxFrameSize.
std::optional<Bytes> frame_for_stream(ByteView frame);

class StreamFramer {
 public:
  // Appends received stream bytes. Buffers at most one partial frame plus `data`.
  void push(ByteView data);
  // The next complete frame, or nullopt until more bytes arrive. After a zero
  // length prefix, failed() is true and no more frames come out: the caller
  // closes the connection.
  std::optional<Bytes> next();
  bool failed() const { return failed_; }
  std::size_t buffered() const { return buffer_.size() - read_; }

 private:
  Bytes buffer_;
  std::size_t read_ = 0;
  bool failed_ = false;
};

}  // namespace yt
