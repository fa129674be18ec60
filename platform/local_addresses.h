// The machine's own IPv4 addresses, for offering LAN candidates to peers behind the
// same public IP: most home NATs (Linux MASQUERADE included) do not hairpin, so two
// machines on one LAN reach each other only by their LAN addresses.
#pragma once

#include <string>
#include <vector>

#include "protocol/endpoint.h"

namespace yt {

// Addresses of interfaces that are up, in interface order, without loopback
// (127/8), link-local (169.254/16) addresses, and any interface named in
// `excluded` (the daemon's own adapter). Empty when they cannot be listed.
std::vector<Ipv4> local_ipv4_addresses(const std::vector<std::string>& excluded = {});

}  // namespace yt
