// TUN device and rtnetlink configuration against the real kernel. Each case runs in
// a forked child inside a fresh network namespace (unshare(CLONE_NEWNET)), so the
// host's interfaces are never touched, and reports through its exit status.
#include "platform/tun_device.h"

#include <gtest/gtest.h>

#include <ifaddrs.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "platform/netlink_config.h"
#include "platform/tests/netns_child.h"

namespace yt {
namespace {

using test_support::in_new_netns;
bool can_run() { return test_support::can_run_tun_tests(); }

bool has_address(const std::string& ifname, int family, const std::string& text) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* it = list; it; it = it->ifa_next) {
    if (!it->ifa_addr || it->ifa_addr->sa_family != family || ifname != it->ifa_name) continue;
    char buffer[INET6_ADDRSTRLEN] = {};
    const void* address = family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr)
                                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(it->ifa_addr)->sin6_addr);
    ::inet_ntop(family, address, buffer, sizeof buffer);
    found = found || text == buffer;
  }
  ::freeifaddrs(list);
  return found;
}

int mtu_of(const std::string& ifname) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ifreq request{};
  std::snprintf(request.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
  int mtu = ::ioctl(fd, SIOCGIFMTU, &request) == 0 ? request.ifr_mtu : -1;
  ::close(fd);
  return mtu;
}

std::string routes() {
  std::ifstream in("/proc/net/route");
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(TunDevice, NamesAreValidated) {
  EXPECT_TRUE(valid_interface_name("yt0"));
  EXPECT_TRUE(valid_interface_name("yt%d"));
  EXPECT_FALSE(valid_interface_name(""));
  EXPECT_FALSE(valid_interface_name("0123456789abcdef"));  // 16 > 15
  EXPECT_FALSE(valid_interface_name("a/b"));
  EXPECT_FALSE(valid_interface_name("a b"));
  EXPECT_FALSE(valid_interface_name("a%s"));
  EXPECT_FALSE(valid_interface_name("%d%d"));
  auto opened = TunDevice::open("bad/name");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("invalid TUN device name"), std::string::npos);
}

TEST(TunDevice, CreatesConfiguresAndCarriesPackets) {
  if (!can_run()) GTEST_SKIP() << "needs root and /dev/net/tun";
  int code = in_new_netns([] {
    auto device = TunDevice::open("yttest%d");
    if (!device) return std::fprintf(stderr, "%s\n", device.error().c_str()), 1;
    if ((*device)->name() != "yttest0") return 2;
    auto netlink = NetlinkConfig::open();
    if (!netlink) return 3;
    int index = (*device)->index();
    if (!(*netlink)->set_link_up(index, 1380)) return 4;
    Ipv4 ip = Ipv4::from_octets(25, 1, 2, 3);
    auto added = (*netlink)->add_ipv4_address(index, ip, 8);
    if (!added) return std::fprintf(stderr, "%s\n", added.error().c_str()), 5;
    if (!(*netlink)->add_ipv4_address(index, ip, 8)) return 6;  // idempotent
    auto v6 = Ipv6Prefix::parse("fd79:6c74:7461::1901:203/64");
    if (!v6 || !(*netlink)->add_ipv6_address(index, *v6)) return 7;
    auto route = (*netlink)->add_ipv4_route(index, *Ipv4Prefix::parse("224.0.0.0/4"));
    if (!route) return std::fprintf(stderr, "%s\n", route.error().c_str()), 8;
    if (!has_address("yttest0", AF_INET, "25.1.2.3")) return 9;
    if (!has_address("yttest0", AF_INET6, "fd79:6c74:7461::1901:203")) return 10;
    if (mtu_of("yttest0") != 1380) return 11;
    if (routes().find("000000E0") == std::string::npos) return 12;  // 224.0.0.0 little-endian
    // A datagram to a peer's virtual address comes out of the device as one packet.
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    to.sin_addr.s_addr = htonl(Ipv4::from_octets(25, 9, 9, 9).value);
    if (::sendto(s, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) != 4) return 13;
    // The kernel also emits IPv6 traffic of its own on the new link (MLD reports,
    // router solicitations), so skip anything that is not our IPv4 datagram.
    std::uint8_t packet[2048];
    ssize_t n = -1;
    for (int i = 0; i < 100; ++i) {  // non-blocking: up to 1 s
      n = ::read((*device)->fd(), packet, sizeof packet);
      if (n > 0 && (packet[0] >> 4) == 4) break;
      n = -1;
      ::usleep(10000);
    }
    if (n != 20 + 8 + 4 || (packet[0] >> 4) != 4) return 14;
    if (packet[16] != 25 || packet[17] != 9 || packet[12] != 25 || packet[13] != 1) return 15;
    if (!(*netlink)->delete_ipv4_address(index, ip, 8) || has_address("yttest0", AF_INET, "25.1.2.3")) return 16;
    if (!(*netlink)->delete_ipv6_address(index, *v6)) return 17;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0) << "step " << code << " failed (see stderr)";
}

TEST(TunDevice, BusyNameIsExplained) {
  if (!can_run()) GTEST_SKIP() << "needs root and /dev/net/tun";
  int code = in_new_netns([] {
    auto first = TunDevice::open("ytbusy");
    if (!first) return 1;
    auto second = TunDevice::open("ytbusy");
    if (second) return 2;
    return second.error().find("in use") != std::string::npos ? 0 : 3;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0);
}

TEST(TunDevice, WithoutCapNetAdminTheMessageSaysSo) {
  if (!can_run()) GTEST_SKIP() << "needs root and /dev/net/tun";
  int code = in_new_netns([] {
    // Drop every capability (still uid 0, so /dev/net/tun opens): creating the
    // device must then fail with EPERM, and the message must name the fix.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) return 1;
    auto opened = TunDevice::open("ytnocap");
    if (opened) return 2;
    std::fprintf(stderr, "message: %s\n", opened.error().c_str());
    return opened.error().find("not permitted") != std::string::npos &&
                   opened.error().find("CAP_NET_ADMIN") != std::string::npos
               ? 0
               : 3;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0);
}

TEST(NetlinkConfig, KernelErrorsAreReadable) {
  if (!can_run()) GTEST_SKIP() << "needs root";
  int code = in_new_netns([] {
    auto netlink = NetlinkConfig::open();
    if (!netlink) return 1;
    auto result = (*netlink)->set_link_up(999999, 1400);  // no such interface
    if (result) return 2;
    std::fprintf(stderr, "message: %s\n", result.error().c_str());
    return result.error().find("No such device") != std::string::npos ? 0 : 3;
  });
  if (code == 77) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(code, 0);
}

TEST(Ipv6Prefix, ParseAndPrint) {
  auto p = Ipv6Prefix::parse("fd00::1/64");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "fd00::1/64");
  EXPECT_FALSE(Ipv6Prefix::parse("fd00::1"));
  EXPECT_FALSE(Ipv6Prefix::parse("fd00::1/129"));
  EXPECT_FALSE(Ipv6Prefix::parse("fd00::1/6x"));
  EXPECT_FALSE(Ipv6Prefix::parse("25.0.0.1/8"));
}

}  // namespace
}  // namespace yt
