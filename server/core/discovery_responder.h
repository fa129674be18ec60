// Which local endpoint answers a DiscoveryProbe (RFC 5780 section 4.4 CHANGE-REQUEST).
//
// A probe that asks for change_ip and/or change_port is answered from a configured
// discovery endpoint that differs from the one that received it in the IP (same
// port), the port (same IP), or both, as asked. That is what lets a client tell
// address-dependent filtering from port-dependent filtering.
//
// When no such endpoint is configured (a deployment with one IP or one port), the
// reply comes from the receiving endpoint anyway: its `responder` field then equals
// the endpoint the client sent to, so the client sees the change was not honoured
// and must not read the reply as a filtering result.
#pragma once

#include <vector>

#include "protocol/endpoint.h"

namespace yt {

// `local` received the probe; `endpoints` are ServerConfig::discovery_endpoints.
Endpoint choose_reply_source(Endpoint local, bool change_ip, bool change_port,
                             const std::vector<Endpoint>& endpoints);

}  // namespace yt
