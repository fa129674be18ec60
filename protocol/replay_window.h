// Sliding anti-replay window over 64-bit message counters (RFC 6479 style).
//
// The window remembers the highest counter marked so far (`top`) and, in a ring of
// kReplayWindowBitmapBits bits, which of the kReplayWindowSize counters at and below
// `top` were marked. A counter is acceptable when it is above `top`, or within the
// window and not yet marked; anything kReplayWindowSize or more below `top` is too
// old and refused, even if it was never seen.
//
// Use: check() before the (expensive) authentication, mark() only after it
// succeeded, so forged packets never move the window.
// Memory: fixed, 32 words; no allocation. Single-threaded, like every core object.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace yt {

// 2048 bits = 32 u64 words = 256 bytes per session: far more reordering than one
// network path produces (WireGuard's 8192 targets 10G links with many queues), and
// small enough that a thousand simulated tunnels in one ns-3 process stay cheap.
constexpr std::size_t kReplayWindowBitmapBits = 2048;
// How far below the highest counter seen a counter may be and still be accepted.
// One word of the ring is always the partly filled "current" word, so the guaranteed
// span is one word short of the bitmap (RFC 6479 section 2).
constexpr std::uint64_t kReplayWindowSize = kReplayWindowBitmapBits - 64;

class ReplayWindow {
 public:
  // Would `counter` be accepted now? Does not change the window.
  bool check(std::uint64_t counter) const;
  // Records `counter` as received; advances the window when it is above the top.
  // Call only for a counter that check() accepted and that then authenticated;
  // marking a counter that is too old is a no-op.
  void mark(std::uint64_t counter);

  // Highest counter marked so far; meaningful only when !empty().
  std::uint64_t top() const { return top_; }
  bool empty() const { return empty_; }

 private:
  static constexpr std::size_t kWords = kReplayWindowBitmapBits / 64;
  std::array<std::uint64_t, kWords> bitmap_{};
  std::uint64_t top_ = 0;
  bool empty_ = true;
};

}  // namespace yt
