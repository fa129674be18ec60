#include "nat-models/packet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "nat-models/tests/nat_test_util.h"
#include "nat-models/verdict.h"

namespace yt::nat {
namespace {

TEST(PacketTest, ToStringNamesTransportEndpointsAndFlags) {
  EXPECT_EQ(udp_packet(test::ep("10.0.0.2:5000"), test::ep("1.2.3.4:3478")).to_string(),
            "udp 10.0.0.2:5000 -> 1.2.3.4:3478");
  EXPECT_EQ(tcp_packet(test::ep("10.0.0.2:5000"), test::ep("1.2.3.4:443"), kTcpSynAck).to_string(),
            "tcp 10.0.0.2:5000 -> 1.2.3.4:443 [SA]");
}

TEST(VerdictTest, EveryVerdictHasADistinctNameAndOnlyTwoAreNotDrops) {
  std::set<std::string> names;
  int not_drops = 0;
  for (std::size_t i = 0; i < kVerdictCount; ++i) {
    const auto v = static_cast<Verdict>(i);
    names.insert(to_string(v));
    not_drops += !is_drop(v);
  }
  EXPECT_EQ(names.size(), kVerdictCount);
  EXPECT_EQ(names.count("?"), 0u);
  EXPECT_EQ(not_drops, 2);
  EXPECT_FALSE(is_drop(Verdict::kHairpin));
}

}  // namespace
}  // namespace yt::nat
