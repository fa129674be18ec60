// The address watch against the real kernel, in a fresh network namespace: an
// address added to or removed from an interface is reported (once the burst
// settles), and an excluded interface's addresses are not.
#include "platform/address_watch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "platform/netlink_config.h"
#include "platform/tests/netns_child.h"
#include "platform/tun_device.h"

namespace yt {
namespace {

using namespace std::chrono_literals;
using test_support::in_new_netns;

bool has(const std::vector<Ipv4>& list, Ipv4 ip) { return std::find(list.begin(), list.end(), ip) != list.end(); }

// Runs `io` until `done` or 3 s have passed.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto limit = std::chrono::steady_clock::now() + 3s;
  while (!done() && std::chrono::steady_clock::now() < limit) {
    io.restart();
    io.run_for(50ms);
  }
  return done();
}

TEST(AddressWatch, ReportsAnAddressAddedAndRemovedAndNothingForExcludedInterfaces) {
  if (!test_support::can_run_tun_tests()) GTEST_SKIP() << "needs root and /dev/net/tun";
  const int code = in_new_netns([] {
    auto device = TunDevice::open("ytwatch%d");
    if (!device) return 1;
    auto netlink = NetlinkConfig::open();
    if (!netlink) return 2;
    const int index = (*device)->index();
    boost::asio::io_context io;
    std::vector<std::vector<Ipv4>> seen, seen_excluded;
    auto watch = AddressWatch::start(io, {}, [&](const std::vector<Ipv4>& now) { seen.push_back(now); });
    auto excluding = AddressWatch::start(io, {(*device)->name()},
                                         [&](const std::vector<Ipv4>& now) { seen_excluded.push_back(now); });
    if (!watch || !excluding) return 3;
    if (!(*watch)->addresses().empty()) return 4;  // a fresh namespace: only loopback
    const Ipv4 ip = Ipv4::from_octets(192, 0, 2, 10);
    if (!(*netlink)->set_link_up(index, 1400) || !(*netlink)->add_ipv4_address(index, ip, 24)) return 5;
    if (!run_until(io, [&] { return !seen.empty(); })) return 6;
    if (seen.size() != 1 || !has(seen[0], ip)) return 7;  // the burst came as one report
    if (!(*netlink)->delete_ipv4_address(index, ip, 24)) return 8;
    if (!run_until(io, [&] { return seen.size() == 2; })) return 9;
    if (has(seen[1], ip)) return 10;
    // The excluded interface's changes moved nothing.
    io.restart();
    io.run_for(500ms);
    if (!seen_excluded.empty()) return 11;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0) << "step " << code << " failed";
}

}  // namespace
}  // namespace yt
