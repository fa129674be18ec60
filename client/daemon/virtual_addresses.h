// The adapter's addresses, derived from what the server assigned. The IPv6 ULA
// address embeds the virtual IPv4 address in its last 32 bits under the configured
// /48 (subnet 0, /64 on the link): the server binds the IPv4 address to our key
// for good, so the IPv6 address is just as stable, and any peer can compute every
// other peer's IPv6 address from its IPv4 one without another protocol message.
#pragma once

#include <array>
#include <cstdint>

#include "platform/netlink_config.h"
#include "protocol/endpoint.h"

namespace yt {

// Precondition: prefix.length <= 64 (validated with the config).
Ipv6Prefix ula_address(const Ipv6Prefix& prefix, Ipv4 virtual_ip);
// The 96 bits every member's ULA address starts with (ClientConfig::ipv6_base).
std::array<std::uint8_t, 12> ipv6_base(const Ipv6Prefix& prefix);

}  // namespace yt
