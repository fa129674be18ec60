// The default route's gateway, the router a client asks for a port mapping
// (client/core/port_mapping.h), from the kernel's IPv4 routing table as Linux shows
// it in /proc/net/route.
#pragma once

#include <optional>
#include <string_view>

#include "protocol/endpoint.h"

namespace yt {

// From the text of /proc/net/route: the gateway of the first up default route
// with a gateway (destination 0, mask 0, flags RTF_UP|RTF_GATEWAY), nullopt when
// there is none or the text is not that table. Fields are hex in host byte order
// as the kernel prints them (little-endian on every platform we build for).
std::optional<Ipv4> parse_default_gateway(std::string_view proc_net_route);
// parse_default_gateway of the running system's table; nullopt when unreadable.
std::optional<Ipv4> default_gateway();

}  // namespace yt
