// Whether this host lets an interface have IPv6 addresses. Many hosts turn IPv6 off
// (the ipv6.disable=1 boot option, or the net.ipv6.conf.*.disable_ipv6 sysctl), and
// the kernel then refuses an address with a bare EACCES that reads like a permission
// problem; this names the real cause so the daemon can say it and carry IPv4 only.
#pragma once

#include <optional>
#include <string>

namespace yt {

// nullopt when `ifname` may have IPv6 addresses; otherwise why not, for a person.
std::optional<std::string> ipv6_disabled_reason(const std::string& ifname);

}  // namespace yt
