#include "nat-models/nat_config.h"

#include <gtest/gtest.h>

namespace yt::nat {
namespace {

TEST(NatConfigTest, DefaultsMeetTheRfcFloors) {
  const NatConfig c;
  EXPECT_GE(c.udp_mapping_lifetime, Duration(2min));    // RFC 4787 REQ-5
  EXPECT_GE(c.tcp_transitory_timeout, Duration(4min));  // RFC 5382 REQ-5
  EXPECT_GE(c.tcp_established_timeout, Duration(124min));
  EXPECT_EQ(c.mapping, MappingBehavior::kEndpointIndependent);  // RFC 4787 REQ-1
  EXPECT_FALSE(c.unsolicited_inbound_claims_tuple);             // dropped packets leave no state
}

TEST(NatConfigTest, NormalizedClampsNonsense) {
  NatConfig c;
  c.port_min = 2000;
  c.port_max = 1000;
  c.sequential_delta = 0;
  c.preserve_fallback = PortAllocation::kPreserve;
  c.udp_mapping_lifetime = Duration(-5s);
  c.port_block_size = 5000;
  c.pooling = PoolingBehavior::kArbitrary;
  c.max_sessions_per_mapping = 0;
  c.max_unsolicited_tuples = 0;
  const NatConfig n = normalized(c);
  EXPECT_EQ(n.port_min, 1000);
  EXPECT_EQ(n.port_max, 2000);
  EXPECT_EQ(n.sequential_delta, 1);
  EXPECT_EQ(n.preserve_fallback, PortAllocation::kSequential);
  EXPECT_EQ(n.udp_mapping_lifetime, Duration(1s));
  EXPECT_EQ(n.port_block_size, 1001);
  EXPECT_EQ(n.pooling, PoolingBehavior::kPaired);  // blocks imply paired
  EXPECT_EQ(n.max_sessions_per_mapping, 1u);
  EXPECT_EQ(n.max_unsolicited_tuples, 1u);

  NatConfig zero;
  zero.port_min = 0;
  zero.port_max = 0;
  EXPECT_EQ(normalized(zero).port_min, 1);
  EXPECT_EQ(normalized(zero).port_max, 1);
}

}  // namespace
}  // namespace yt::nat
