// UpnpPortMapper's schedule and its quiet lifecycle. Talking to an IGD is the
// real-kernel test's (tests/netns/upnp_test.sh, the real miniupnpd): a unit test
// must not multicast M-SEARCH on the host's LAN.
#include "client/daemon/upnp_port_mapper.h"

#include <gtest/gtest.h>

#include <chrono>

namespace yt {
namespace {

TEST(UpnpPortMapper, RenewsAtHalfTheLeaseAndRechecksAPermanentMapping) {
  EXPECT_EQ(UpnpPortMapper::renew_after(7200), std::chrono::seconds(3600));
  EXPECT_EQ(UpnpPortMapper::renew_after(1), std::chrono::seconds(1));  // never a busy loop
  EXPECT_EQ(UpnpPortMapper::renew_after(0), UpnpPortMapper::kPermanentRecheck);
}

TEST(UpnpPortMapper, NeverWantedItAsksNothingAndStopsAtOnce) {
  boost::asio::io_context io;
  int changes = 0;
  const auto started = std::chrono::steady_clock::now();
  {
    UpnpPortMapper mapper(io, 40000, 7200, [&](std::optional<PortMappingOffer>) { ++changes; });
    mapper.set_wanted(false);
  }
  io.poll();
  EXPECT_EQ(changes, 0);
  // No discovery ran: that would have waited kDiscoveryTimeout.
  EXPECT_LT(std::chrono::steady_clock::now() - started, UpnpPortMapper::kDiscoveryTimeout);
}

}  // namespace
}  // namespace yt
