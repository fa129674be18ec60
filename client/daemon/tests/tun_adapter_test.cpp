// TunAdapter against the real kernel, in a forked child inside a fresh network
// namespace (the host's interfaces are never touched).
#include "client/daemon/tun_adapter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "platform/tests/netns_child.h"

namespace yt {
namespace {

using test_support::in_new_netns;
bool can_run() { return test_support::can_run_tun_tests(); }

// A host with IPv6 turned off: IPv4 still works, and the reason is named instead of
// the kernel's "Permission denied".
TEST(TunAdapter, IPv6DisabledOnTheHostLeavesIPv4WorkingAndSaysWhy) {
  if (!can_run()) GTEST_SKIP() << "needs root and /dev/net/tun";
  int code = in_new_netns([] {
    // Per namespace: new interfaces of this namespace start with IPv6 off.
    std::ofstream("/proc/sys/net/ipv6/conf/default/disable_ipv6") << "1\n";
    boost::asio::io_context io;
    auto adapter = TunAdapter::create(io, "ytv6off", 1400, {});
    if (!adapter) return std::fprintf(stderr, "%s\n", adapter.error().c_str()), 1;
    auto v6 = Ipv6Prefix::parse("fd79:6c74:7461::1901:203/64");
    auto assigned = (*adapter)->assign(Ipv4::from_octets(25, 1, 2, 3), 8, *v6);
    if (!assigned) return std::fprintf(stderr, "assign: %s\n", assigned.error().c_str()), 2;
    if ((*adapter)->ipv4() != Ipv4::from_octets(25, 1, 2, 3)) return 3;
    if ((*adapter)->ipv6()) return 4;
    const auto& problem = (*adapter)->ipv6_problem();
    if (!problem || !problem->disabled_on_host) return 5;
    std::fprintf(stderr, "message: %s\n", problem->message.c_str());
    if (problem->message.find("IPv6 is disabled on this host") == std::string::npos) return 6;
    if (problem->message.find("ytv6off") == std::string::npos) return 7;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0) << "step " << code << " failed (see stderr)";
}

TEST(TunAdapter, WithIPv6OnBothAddressesAreSet) {
  if (!can_run()) GTEST_SKIP() << "needs root and /dev/net/tun";
  int code = in_new_netns([] {
    std::ofstream("/proc/sys/net/ipv6/conf/default/disable_ipv6") << "0\n";
    boost::asio::io_context io;
    auto adapter = TunAdapter::create(io, "ytv6on", 1400, {});
    if (!adapter) return 1;
    auto v6 = Ipv6Prefix::parse("fd79:6c74:7461::1901:203/64");
    if (!(*adapter)->assign(Ipv4::from_octets(25, 1, 2, 3), 8, *v6)) return 2;
    if (!(*adapter)->ipv6() || (*adapter)->ipv6_problem()) return 3;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0) << "step " << code << " failed";
}

}  // namespace
}  // namespace yt
