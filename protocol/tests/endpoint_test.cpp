#include "protocol/endpoint.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(EndpointTest, ParsesAndPrints) {
  auto e = Endpoint::parse("203.0.113.7:65535");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->to_string(), "203.0.113.7:65535");
  EXPECT_FALSE(Endpoint::parse("203.0.113.7:65536"));
  EXPECT_FALSE(Endpoint::parse("203.0.113:1"));
  EXPECT_FALSE(Endpoint::parse("256.0.0.1:1"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4:"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4.5:1"));
}

TEST(EndpointTest, PrefixContainsAndBroadcast) {
  auto p = Ipv4Prefix::parse("25.0.0.0/8");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*Ipv4::parse("25.1.2.3")));
  EXPECT_FALSE(p->contains(*Ipv4::parse("26.0.0.1")));
  EXPECT_EQ(p->broadcast().to_string(), "25.255.255.255");
  EXPECT_FALSE(Ipv4Prefix::parse("25.0.0.1/8"));  // host bits set
  EXPECT_FALSE(Ipv4Prefix::parse("25.0.0.0/33"));
}

}  // namespace
}  // namespace yt
