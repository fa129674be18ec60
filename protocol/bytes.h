// Byte buffers and non-owning views over them.
//
// ByteView is a (pointer, size) pair, the C++17 stand-in for std::span<const uint8_t>.
// It never owns memory: the caller keeps the viewed bytes alive for as long as the
// view is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yt {

using Bytes = std::vector<std::uint8_t>;

class ByteView {
 public:
  constexpr ByteView() = default;
  constexpr ByteView(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  ByteView(const Bytes& bytes) : data_(bytes.data()), size_(bytes.size()) {}  // NOLINT: implicit by design
  template <std::size_t N>
  constexpr ByteView(const std::uint8_t (&array)[N]) : data_(array), size_(N) {}  // NOLINT

  constexpr const std::uint8_t* data() const { return data_; }
  constexpr std::size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const std::uint8_t* begin() const { return data_; }
  constexpr const std::uint8_t* end() const { return data_ + size_; }
  constexpr std::uint8_t operator[](std::size_t i) const { return data_[i]; }

  // Clamped: a range past the end yields the part that exists (possibly empty).
  ByteView subview(std::size_t offset, std::size_t length = SIZE_MAX) const;
  Bytes to_bytes() const { return Bytes(begin(), end()); }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

inline ByteView as_bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string to_hex(ByteView bytes);
// Accepts upper or lower case, ignores ASCII whitespace; nullopt on any other character
// or an odd digit count.
std::optional<Bytes> from_hex(std::string_view hex);

// Constant time in the length of the inputs (for MACs and keys).
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace yt
