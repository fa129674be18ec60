#include "protocol/replay_window.h"

namespace yt {

namespace {

constexpr std::uint64_t kWordBits = 64;

}  // namespace

bool ReplayWindow::check(std::uint64_t counter) const {
  if (empty_ || counter > top_) return true;
  if (top_ - counter >= kReplayWindowSize) return false;
  // Within the window, the counter's word is still in the ring: the window is one
  // word shorter than the ring, so no word it spans has been recycled.
  std::uint64_t word = bitmap_[(counter / kWordBits) % kWords];
  return (word >> (counter % kWordBits) & 1) == 0;
}

void ReplayWindow::mark(std::uint64_t counter) {
  if (empty_ || counter > top_) {
    std::uint64_t new_block = counter / kWordBits;
    std::uint64_t old_block = top_ / kWordBits;
    // Words between the old top and the new one hold bits of counters that have
    // fallen out of the window (or were never set); recycle them before use.
    if (empty_ || new_block - old_block >= kWords) {
      bitmap_.fill(0);
    } else {
      for (std::uint64_t b = old_block + 1; b <= new_block; ++b) bitmap_[b % kWords] = 0;
    }
    top_ = counter;
    empty_ = false;
  } else if (top_ - counter >= kReplayWindowSize) {
    return;
  }
  bitmap_[(counter / kWordBits) % kWords] |= std::uint64_t{1} << (counter % kWordBits);
}

}  // namespace yt
