// Production randomness: libsodium's system generator (getrandom(2) underneath).
#pragma once

#include "protocol/random.h"

namespace yt {

class SystemRandom final : public RandomSource {
 public:
  // Initializes libsodium; returns false if the system generator is unusable.
  static bool init();
  void fill(std::uint8_t* out, std::size_t size) override;
};

}  // namespace yt
