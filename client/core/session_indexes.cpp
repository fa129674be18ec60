#include "client/core/session_indexes.h"

namespace yt {

std::uint32_t SessionIndexes::allocate(RandomSource& rng, const PublicKey& owner) {
  std::uint32_t index = rng.next_u32();
  // A collision is rare (a handful of live sessions in 2^32); stepping from the draw
  // keeps the loop bounded without drawing again.
  while (index == 0 || owners_.count(index)) ++index;
  owners_[index] = owner;
  return index;
}

const PublicKey* SessionIndexes::find(std::uint32_t index) const {
  auto it = owners_.find(index);
  return it == owners_.end() ? nullptr : &it->second;
}

}  // namespace yt
