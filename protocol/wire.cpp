#include "protocol/wire.h"

namespace yt {

void WireWriter::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
}
void WireWriter::u32(std::uint32_t v) {
  u16(static_cast<std::uint16_t>(v >> 16));
  u16(static_cast<std::uint16_t>(v));
}
void WireWriter::u64(std::uint64_t v) {
  u32(static_cast<std::uint32_t>(v >> 32));
  u32(static_cast<std::uint32_t>(v));
}
void WireWriter::str8(std::string_view s) {
  std::size_t n = s.size() > 255 ? 255 : s.size();
  u8(static_cast<std::uint8_t>(n));
  raw(as_bytes(s.substr(0, n)));
}
void WireWriter::bytes16(ByteView b) {
  std::size_t n = b.size() > 65535 ? 65535 : b.size();
  u16(static_cast<std::uint16_t>(n));
  raw(b.subview(0, n));
}

bool WireReader::take(std::size_t n) {
  if (failed_ || in_.size() - pos_ < n) {
    failed_ = true;
    return false;
  }
  return true;
}

std::uint8_t WireReader::u8() {
  if (!take(1)) return 0;
  return in_[pos_++];
}
std::uint16_t WireReader::u16() {
  if (!take(2)) return 0;
  std::uint16_t v = static_cast<std::uint16_t>(in_[pos_] << 8 | in_[pos_ + 1]);
  pos_ += 2;
  return v;
}
std::uint32_t WireReader::u32() {
  std::uint32_t hi = u16();
  std::uint32_t lo = u16();
  return failed_ ? 0 : hi << 16 | lo;
}
std::uint64_t WireReader::u64() {
  std::uint64_t hi = u32();
  std::uint64_t lo = u32();
  return failed_ ? 0 : hi << 32 | lo;
}
ByteView WireReader::raw(std::size_t n) {
  if (!take(n)) return ByteView();
  ByteView v = in_.subview(pos_, n);
  pos_ += n;
  return v;
}
std::string WireReader::str8() {
  std::size_t n = u8();
  ByteView v = raw(n);
  return std::string(v.begin(), v.end());
}
Bytes WireReader::bytes16() {
  std::size_t n = u16();
  return raw(n).to_bytes();
}
ByteView WireReader::rest() {
  if (failed_) return ByteView();
  ByteView v = in_.subview(pos_);
  pos_ = in_.size();
  return v;
}

}  // namespace yt
