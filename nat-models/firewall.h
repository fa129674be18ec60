// The stateless half of the firewall policy in NatConfig (udp_allowed,
// tcp_allowed_dst_ports). The stateful half, "inbound TCP only as a reply", needs
// the mapping table and lives in NatModel.
#pragma once

#include "nat-models/nat_config.h"
#include "nat-models/packet.h"

namespace yt::nat {

// Whether packets of this transport may cross at all, in either direction.
bool transport_allowed(const NatConfig& config, Transport transport);

// Whether an outbound packet passes the policy (transport, TCP destination port).
bool outbound_allowed(const NatConfig& config, const PacketHeader& packet);

// Whether inbound TCP must belong to a connection opened from inside.
bool inbound_tcp_replies_only(const NatConfig& config);

}  // namespace yt::nat
