#include "protocol/random.h"

#include <sodium.h>

#include <cstring>

namespace yt {

std::uint64_t RandomSource::next_u64() {
  std::uint8_t b[8];
  fill(b, sizeof b);
  std::uint64_t v = 0;
  for (std::uint8_t x : b) v = v << 8 | x;
  return v;
}

std::uint32_t RandomSource::next_u32() { return static_cast<std::uint32_t>(next_u64() >> 32); }

std::uint32_t RandomSource::uniform(std::uint32_t bound) {
  if (bound == 0) return 0;
  // Rejection sampling over the largest multiple of bound below 2^32.
  std::uint32_t limit = static_cast<std::uint32_t>(-bound) % bound;
  for (;;) {
    std::uint32_t v = next_u32();
    if (v >= limit) return v % bound;
  }
}

Bytes RandomSource::bytes(std::size_t size) {
  Bytes out(size);
  if (size) fill(out.data(), size);
  return out;
}

SeededRandom::SeededRandom(std::uint64_t seed, std::uint64_t stream_id) {
  std::uint8_t material[16];
  for (int i = 0; i < 8; ++i) {
    material[i] = static_cast<std::uint8_t>(seed >> (56 - 8 * i));
    material[8 + i] = static_cast<std::uint8_t>(stream_id >> (56 - 8 * i));
  }
  crypto_generichash(key_, sizeof key_, material, sizeof material, nullptr, 0);
}

void SeededRandom::fill(std::uint8_t* out, std::size_t size) {
  while (size > 0) {
    if (buffered_ == 0) {
      std::uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};
      std::memset(buffer_, 0, sizeof buffer_);
      crypto_stream_chacha20_xor_ic(buffer_, buffer_, sizeof buffer_, nonce, block_counter_++, key_);
      buffered_ = sizeof buffer_;
    }
    std::size_t take = size < buffered_ ? size : buffered_;
    std::memcpy(out, buffer_ + (sizeof buffer_ - buffered_), take);
    buffered_ -= take;
    out += take;
    size -= take;
  }
}

}  // namespace yt
