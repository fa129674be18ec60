#include "platform/system_random.h"

#include <sodium.h>

namespace yt {

bool SystemRandom::init() { return sodium_init() >= 0; }

void SystemRandom::fill(std::uint8_t* out, std::size_t size) { randombytes_buf(out, size); }

}  // namespace yt
