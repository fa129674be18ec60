#include "platform/local_addresses.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>

namespace yt {

std::vector<Ipv4> local_ipv4_addresses(const std::vector<std::string>& excluded) {
  std::vector<Ipv4> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* it = list; it; it = it->ifa_next) {
    if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET || !(it->ifa_flags & IFF_UP)) continue;
    if (std::find(excluded.begin(), excluded.end(), it->ifa_name) != excluded.end()) continue;
    Ipv4 ip{ntohl(reinterpret_cast<const sockaddr_in*>(it->ifa_addr)->sin_addr.s_addr)};
    bool loopback = (ip.value >> 24) == 127;
    bool link_local = (ip.value >> 16) == 0xA9FE;
    if (!loopback && !link_local && std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(ip);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace yt
