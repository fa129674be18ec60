#include "nat-models/nat_config.h"

#include <utility>

namespace yt::nat {
namespace {

Duration at_least_one_second(Duration d) { return d > Duration::zero() ? d : Duration(1s); }

}  // namespace

NatConfig normalized(NatConfig c) {
  if (c.port_min > c.port_max) std::swap(c.port_min, c.port_max);
  // Port 0 means "any" to socket APIs, so it can never be a mapping's public port.
  if (c.port_min == 0) c.port_min = 1;
  if (c.port_max == 0) c.port_max = 1;
  if (c.sequential_delta == 0) c.sequential_delta = 1;
  if (c.preserve_fallback == PortAllocation::kPreserve) c.preserve_fallback = PortAllocation::kSequential;
  const std::uint32_t range = std::uint32_t(c.port_max) - c.port_min + 1;
  if (c.port_block_size > range) c.port_block_size = static_cast<std::uint16_t>(range);
  if (c.port_block_size > 0) c.pooling = PoolingBehavior::kPaired;
  c.udp_mapping_lifetime = at_least_one_second(c.udp_mapping_lifetime);
  c.udp_unreplied_lifetime = at_least_one_second(c.udp_unreplied_lifetime);
  c.tcp_transitory_timeout = at_least_one_second(c.tcp_transitory_timeout);
  c.tcp_established_timeout = at_least_one_second(c.tcp_established_timeout);
  if (c.max_sessions_per_mapping == 0) c.max_sessions_per_mapping = 1;
  if (c.max_unsolicited_tuples == 0) c.max_unsolicited_tuples = 1;
  return c;
}

}  // namespace yt::nat
