#include "platform/default_gateway.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

const char* kHeader = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

TEST(DefaultGateway, TheUpDefaultRouteWithAGatewayIsFound) {
  std::string table = std::string(kHeader) +
                      "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"  // 192.168.2.0/24, on link
                      "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";  // default via 192.168.2.1
  auto gw = parse_default_gateway(table);
  ASSERT_TRUE(gw);
  EXPECT_EQ(gw->to_string(), "192.168.2.1");
}

TEST(DefaultGateway, NoGatewayOrNoTableIsNullopt) {
  EXPECT_FALSE(parse_default_gateway(""));
  EXPECT_FALSE(parse_default_gateway("garbage\n00000000 0102A8C0 0003"));
  // A default route that is down, one without the gateway flag, a malformed line.
  std::string table = std::string(kHeader) + "eth0\t00000000\t0102A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n" +
                      "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n" +
                      "eth1\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" + "short line\n";
  EXPECT_FALSE(parse_default_gateway(table));
}

}  // namespace
}  // namespace yt
