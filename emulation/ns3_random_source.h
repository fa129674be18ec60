// A RandomSource fed by an ns-3 random stream, so a node's keys, tunnel ids and
// jitter follow ns-3's seed/run and AssignStreams like every other random choice
// in the simulation.
#pragma once

#include <ns3/random-variable-stream.h>

#include "protocol/random.h"

namespace yt::emulation {

class Ns3RandomSource final : public RandomSource {
 public:
  Ns3RandomSource();
  // Fixes this source to ns-3 stream `stream`; returns the number of streams used (1).
  int64_t assign_streams(int64_t stream);
  void fill(std::uint8_t* out, std::size_t size) override;

 private:
  ns3::Ptr<ns3::UniformRandomVariable> variable_;
};

}  // namespace yt::emulation
