// Interface configuration over rtnetlink (RTM_NEWLINK/NEWADDR/DELADDR/NEWROUTE): the
// few changes the daemon makes to its adapter, without shelling out to ip(8).
//
// Every call sends one request, waits for the kernel's acknowledgement (bounded by
// kReplyTimeout) and returns the kernel's verdict as a readable message naming what
// was attempted. Adds are idempotent (NLM_F_REPLACE): setting the same address twice
// succeeds. Needs CAP_NET_ADMIN in the network namespace the process runs in.
// Not thread-safe: one object per thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "protocol/endpoint.h"
#include "protocol/result.h"

namespace yt {

// An IPv6 address as 16 bytes in network order, with a prefix length.
struct Ipv6Prefix {
  std::array<std::uint8_t, 16> address{};
  std::uint8_t length = 0;  // 0..128

  // "fd00::1/64"; nullopt on anything else (via inet_pton).
  static std::optional<Ipv6Prefix> parse(const std::string& text);
  std::string to_string() const;
};

class NetlinkConfig {
 public:
  // How long one request may wait for the kernel's answer. The kernel answers at
  // once; a missing answer means something is badly wrong, and the daemon should say
  // so rather than hang.
  static constexpr std::chrono::milliseconds kReplyTimeout{2000};

  static Result<std::unique_ptr<NetlinkConfig>, std::string> open();
  ~NetlinkConfig();
  NetlinkConfig(const NetlinkConfig&) = delete;
  NetlinkConfig& operator=(const NetlinkConfig&) = delete;

  // Sets the MTU (bytes) and brings the link up.
  Status<std::string> set_link_up(int ifindex, std::uint32_t mtu);
  // Adds `address`/`prefix_length` with the prefix's broadcast address, so directed
  // broadcasts to the virtual network are routed into the device. The kernel adds
  // the on-link route for the prefix itself.
  Status<std::string> add_ipv4_address(int ifindex, Ipv4 address, std::uint8_t prefix_length);
  Status<std::string> delete_ipv4_address(int ifindex, Ipv4 address, std::uint8_t prefix_length);
  // Adds an IPv6 address without duplicate address detection (nobody else is on
  // the virtual link, and DAD would leave it unusable for a second or more).
  Status<std::string> add_ipv6_address(int ifindex, const Ipv6Prefix& address);
  Status<std::string> delete_ipv6_address(int ifindex, const Ipv6Prefix& address);
  // Routes `prefix` into the device (main table, link scope).
  Status<std::string> add_ipv4_route(int ifindex, Ipv4Prefix prefix);

 private:
  explicit NetlinkConfig(int fd) : fd_(fd) {}
  // Sends one request (header and payload already laid out in `message`) with
  // NLM_F_ACK and waits for its acknowledgement. `what` names it in errors.
  Status<std::string> request(std::string& message, const std::string& what);

  int fd_;
  std::uint32_t sequence_ = 1;
};

}  // namespace yt
