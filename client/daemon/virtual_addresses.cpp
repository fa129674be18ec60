#include "client/daemon/virtual_addresses.h"

#include <algorithm>

namespace yt {

Ipv6Prefix ula_address(const Ipv6Prefix& prefix, Ipv4 virtual_ip) {
  Ipv6Prefix out;
  for (std::size_t bit = 0; bit < prefix.length; ++bit) {
    std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    out.address[bit / 8] |= prefix.address[bit / 8] & mask;
  }
  out.address[12] = static_cast<std::uint8_t>(virtual_ip.value >> 24);
  out.address[13] = static_cast<std::uint8_t>(virtual_ip.value >> 16);
  out.address[14] = static_cast<std::uint8_t>(virtual_ip.value >> 8);
  out.address[15] = static_cast<std::uint8_t>(virtual_ip.value);
  out.length = 64;
  return out;
}

std::array<std::uint8_t, 12> ipv6_base(const Ipv6Prefix& prefix) {
  Ipv6Prefix any = ula_address(prefix, Ipv4{0});
  std::array<std::uint8_t, 12> base{};
  std::copy(any.address.begin(), any.address.begin() + 12, base.begin());
  return base;
}

}  // namespace yt
