// Injected randomness (docs/style.md rule 3). The core draws every random byte, key
// material included, from a RandomSource given to it by its driver: libsodium's
// system generator in production (platform/system_random.h), SeededRandom in tests
// and in ns-3 so that a run is reproducible from its seed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/bytes.h"

namespace yt {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::uint8_t* out, std::size_t size) = 0;

  std::uint64_t next_u64();
  std::uint32_t next_u32();
  // Uniform in [0, bound); bound 0 yields 0. No modulo bias.
  std::uint32_t uniform(std::uint32_t bound);
  Bytes bytes(std::size_t size);
};

// A deterministic stream: ChaCha20 keystream keyed by BLAKE2b(seed, stream_id).
// Two instances with the same (seed, stream_id) produce the same bytes; different
// stream ids give independent streams, so each simulated node gets its own.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed, std::uint64_t stream_id = 0);
  void fill(std::uint8_t* out, std::size_t size) override;

 private:
  std::uint8_t key_[32];
  std::uint64_t block_counter_ = 0;
  std::uint8_t buffer_[64];
  std::size_t buffered_ = 0;  // unread bytes at the end of buffer_
};

}  // namespace yt
