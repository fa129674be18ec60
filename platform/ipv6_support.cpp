#include "platform/ipv6_support.h"

#include <unistd.h>

#include <fstream>

namespace yt {

std::optional<std::string> ipv6_disabled_reason(const std::string& ifname) {
  if (::access("/proc/sys/net/ipv6", F_OK) != 0) {
    return std::string("IPv6 is disabled on this host (no IPv6 support in the kernel, or booted with ipv6.disable=1)");
  }
  std::ifstream in("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6");
  int disabled = 0;
  if (in >> disabled && disabled != 0) {
    return "IPv6 is disabled on this host (sysctl net.ipv6.conf." + ifname + ".disable_ipv6 = 1)";
  }
  return std::nullopt;
}

}  // namespace yt
