#include "protocol/stream_framer.h"

namespace yt {

std::optional<Bytes> frame_for_stream(ByteView frame) {
  if (frame.empty() || frame.size() > kMaxFrameSize) return std::nullopt;
  Bytes out;
  out.reserve(frame.size() + 2);
  out.push_back(static_cast<std::uint8_t>(frame.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(frame.size()));
  out.insert(out.end(), frame.begin(), frame.end());
  return out;
}

void StreamFramer::push(ByteView data) {
  if (failed_) return;
  // Compact before growing so a long-lived connection does not keep consumed bytes.
  if (read_ > 0 && read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  } else if (read_ > 4096) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

std::optional<Bytes> StreamFramer::next() {
  if (failed_ || buffered() < 2) return std::nullopt;
  std::size_t length = std::size_t(buffer_[read_]) << 8 | buffer_[read_ + 1];
  if (length == 0) {
    failed_ = true;
    return std::nullopt;
  }
  if (buffered() < 2 + length) return std::nullopt;
  auto start = buffer_.begin() + static_cast<std::ptrdiff_t>(read_ + 2);
  Bytes frame(start, start + static_cast<std::ptrdiff_t>(length));
  read_ += 2 + length;
  return frame;
}

}  // namespace yt
