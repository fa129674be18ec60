#include "server/core/discovery_responder.h"

namespace yt {

Endpoint choose_reply_source(Endpoint local, bool change_ip, bool change_port,
                             const std::vector<Endpoint>& endpoints) {
  if (!change_ip && !change_port) return local;
  // Configuration order decides among several matches, so the choice is stable.
  for (const Endpoint& candidate : endpoints) {
    bool ip_differs = candidate.ip != local.ip;
    bool port_differs = candidate.port != local.port;
    if (ip_differs == change_ip && port_differs == change_port) return candidate;
  }
  return local;
}

}  // namespace yt
