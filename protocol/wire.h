// Bounds-checked big-endian readers and writers for wire formats (docs/style.md rule 5).
//
// WireReader never reads past the end of its input and never throws: the first
// short read sets failed() and every later read returns zero values, so a parser
// reads all fields and checks failed() once at the end.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"

namespace yt {

class WireWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void raw(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  template <std::size_t N>
  void fixed(const std::array<std::uint8_t, N>& a) { out_.insert(out_.end(), a.begin(), a.end()); }
  // Length-prefixed (u8 / u16) byte strings. Precondition: size fits the prefix;
  // callers validate lengths before encoding (a longer input is truncated).
  void str8(std::string_view s);
  void bytes16(ByteView b);
  void endpoint(Endpoint e) { u32(e.ip.value); u16(e.port); }

  const Bytes& bytes() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class WireReader {
 public:
  explicit WireReader(ByteView in) : in_(in) {}

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  ByteView raw(std::size_t n);
  template <std::size_t N>
  std::array<std::uint8_t, N> fixed() {
    std::array<std::uint8_t, N> a{};
    ByteView v = raw(N);
    if (v.size() == N) std::copy(v.begin(), v.end(), a.begin());
    return a;
  }
  std::string str8();
  Bytes bytes16();
  Endpoint endpoint() {
    Endpoint e;
    e.ip.value = u32();
    e.port = u16();
    return e;
  }
  ByteView rest();  // everything not yet read

  bool failed() const { return failed_; }
  std::size_t remaining() const { return failed_ ? 0 : in_.size() - pos_; }
  // True when every byte was consumed and no read failed: parsers use this to
  // reject trailing garbage.
  bool done() const { return !failed_ && pos_ == in_.size(); }

 private:
  bool take(std::size_t n);
  ByteView in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace yt
