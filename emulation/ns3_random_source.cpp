#include "emulation/ns3_random_source.h"

namespace yt::emulation {

Ns3RandomSource::Ns3RandomSource() : variable_(ns3::CreateObject<ns3::UniformRandomVariable>()) {}

int64_t Ns3RandomSource::assign_streams(int64_t stream) {
  variable_->SetStream(stream);
  return 1;
}

void Ns3RandomSource::fill(std::uint8_t* out, std::size_t size) {
  while (size > 0) {
    // Two draws of 16 bits per 4 bytes: GetInteger's upper bound is inclusive and
    // a full 32-bit range would round through a double.
    std::uint32_t word = variable_->GetInteger(0, 0xffff) << 16 | variable_->GetInteger(0, 0xffff);
    for (int i = 0; i < 4 && size > 0; ++i, --size) *out++ = static_cast<std::uint8_t>(word >> (8 * i));
  }
}

}  // namespace yt::emulation
