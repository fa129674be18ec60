#include "platform/netlink_config.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace yt {
namespace {

// Builds one netlink message in a string buffer: header, fixed payload, attributes.
class MessageBuilder {
 public:
  MessageBuilder(std::uint16_t type, std::uint16_t flags) {
    nlmsghdr header{};
    header.nlmsg_type = type;
    header.nlmsg_flags = static_cast<std::uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
    append(&header, sizeof header);
  }
  template <typename T>
  void fixed(const T& payload) {
    append(&payload, sizeof payload);
  }
  void attribute(std::uint16_t type, const void* data, std::size_t size) {
    rtattr attr{};
    attr.rta_type = type;
    attr.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(size));
    append(&attr, sizeof attr);
    append(data, size);
  }
  void attribute_u32(std::uint16_t type, std::uint32_t value) { attribute(type, &value, sizeof value); }
  std::string finish(std::uint32_t sequence) {
    auto* header = reinterpret_cast<nlmsghdr*>(buffer_.data());
    header->nlmsg_len = static_cast<std::uint32_t>(buffer_.size());
    header->nlmsg_seq = sequence;
    return std::move(buffer_);
  }

 private:
  void append(const void* data, std::size_t size) {
    buffer_.append(static_cast<const char*>(data), size);
    buffer_.resize(NLMSG_ALIGN(buffer_.size()), '\0');
  }
  std::string buffer_;
};

std::uint32_t network_order(Ipv4 ip) { return htonl(ip.value); }

std::string ipv4_text(Ipv4 ip, std::uint8_t length) { return ip.to_string() + "/" + std::to_string(length); }

}  // namespace

std::optional<Ipv6Prefix> Ipv6Prefix::parse(const std::string& text) {
  std::size_t slash = text.find('/');
  if (slash == std::string::npos || slash + 1 >= text.size() || text.size() - slash > 4) return std::nullopt;
  Ipv6Prefix out;
  if (::inet_pton(AF_INET6, text.substr(0, slash).c_str(), out.address.data()) != 1) return std::nullopt;
  int length = 0;
  for (std::size_t i = slash + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    length = length * 10 + (text[i] - '0');
  }
  if (length > 128) return std::nullopt;
  out.length = static_cast<std::uint8_t>(length);
  return out;
}

std::string Ipv6Prefix::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, address.data(), buffer, sizeof buffer);
  return std::string(buffer) + "/" + std::to_string(length);
}

Result<std::unique_ptr<NetlinkConfig>, std::string> NetlinkConfig::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Err{std::string("cannot open rtnetlink socket: ") + std::strerror(errno)};
  timeval timeout{};
  timeout.tv_sec = kReplyTimeout.count() / 1000;
  timeout.tv_usec = (kReplyTimeout.count() % 1000) * 1000;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int error = errno;
    ::close(fd);
    return Err{std::string("cannot set up rtnetlink socket: ") + std::strerror(error)};
  }
  return std::unique_ptr<NetlinkConfig>(new NetlinkConfig(fd));
}

NetlinkConfig::~NetlinkConfig() { ::close(fd_); }

Status<std::string> NetlinkConfig::request(std::string& message, const std::string& what) {
  std::uint32_t sequence = reinterpret_cast<nlmsghdr*>(message.data())->nlmsg_seq;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return Err{"cannot " + what + ": netlink send failed: " + std::strerror(errno)};
  }
  alignas(nlmsghdr) char buffer[8192];
  // Bounded: every pass either returns or consumes one datagram, and a silent kernel
  // ends the wait through SO_RCVTIMEO.
  for (int pass = 0; pass < 16; ++pass) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Err{"cannot " + what + ": the kernel did not answer"};
      return Err{"cannot " + what + ": netlink receive failed: " + std::strerror(errno)};
    }
    int remaining = static_cast<int>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_seq != sequence || header->nlmsg_type != NLMSG_ERROR) continue;
      const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
      if (error->error == 0) return Ok{};
      int code = -error->error;
      std::string reason = std::strerror(code);
      if (code == EPERM) reason += " (needs root or CAP_NET_ADMIN)";
      return Err{"cannot " + what + ": " + reason};
    }
  }
  return Err{"cannot " + what + ": no acknowledgement from the kernel"};
}

Status<std::string> NetlinkConfig::set_link_up(int ifindex, std::uint32_t mtu) {
  MessageBuilder builder(RTM_NEWLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = ifindex;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  builder.fixed(info);
  builder.attribute_u32(IFLA_MTU, mtu);
  std::string message = builder.finish(sequence_++);
  return request(message, "set MTU " + std::to_string(mtu) + " and bring up interface #" + std::to_string(ifindex));
}

Status<std::string> NetlinkConfig::add_ipv4_address(int ifindex, Ipv4 address, std::uint8_t prefix_length) {
  MessageBuilder builder(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  ifaddrmsg info{};
  info.ifa_family = AF_INET;
  info.ifa_prefixlen = prefix_length;
  info.ifa_scope = RT_SCOPE_UNIVERSE;
  info.ifa_index = static_cast<std::uint32_t>(ifindex);
  builder.fixed(info);
  std::uint32_t local = network_order(address);
  Ipv4Prefix network{Ipv4{}, prefix_length};
  network.base = Ipv4{address.value & network.mask()};
  std::uint32_t broadcast = network_order(network.broadcast());
  builder.attribute(IFA_LOCAL, &local, sizeof local);
  builder.attribute(IFA_ADDRESS, &local, sizeof local);
  if (prefix_length < 31) builder.attribute(IFA_BROADCAST, &broadcast, sizeof broadcast);
  std::string message = builder.finish(sequence_++);
  return request(message, "add address " + ipv4_text(address, prefix_length));
}

Status<std::string> NetlinkConfig::delete_ipv4_address(int ifindex, Ipv4 address, std::uint8_t prefix_length) {
  MessageBuilder builder(RTM_DELADDR, 0);
  ifaddrmsg info{};
  info.ifa_family = AF_INET;
  info.ifa_prefixlen = prefix_length;
  info.ifa_index = static_cast<std::uint32_t>(ifindex);
  builder.fixed(info);
  std::uint32_t local = network_order(address);
  builder.attribute(IFA_LOCAL, &local, sizeof local);
  std::string message = builder.finish(sequence_++);
  return request(message, "delete address " + ipv4_text(address, prefix_length));
}

Status<std::string> NetlinkConfig::add_ipv6_address(int ifindex, const Ipv6Prefix& address) {
  MessageBuilder builder(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  ifaddrmsg info{};
  info.ifa_family = AF_INET6;
  info.ifa_prefixlen = address.length;
  info.ifa_flags = IFA_F_NODAD;
  info.ifa_scope = RT_SCOPE_UNIVERSE;
  info.ifa_index = static_cast<std::uint32_t>(ifindex);
  builder.fixed(info);
  builder.attribute(IFA_LOCAL, address.address.data(), address.address.size());
  builder.attribute(IFA_ADDRESS, address.address.data(), address.address.size());
  std::string message = builder.finish(sequence_++);
  return request(message, "add address " + address.to_string());
}

Status<std::string> NetlinkConfig::delete_ipv6_address(int ifindex, const Ipv6Prefix& address) {
  MessageBuilder builder(RTM_DELADDR, 0);
  ifaddrmsg info{};
  info.ifa_family = AF_INET6;
  info.ifa_prefixlen = address.length;
  info.ifa_index = static_cast<std::uint32_t>(ifindex);
  builder.fixed(info);
  builder.attribute(IFA_LOCAL, address.address.data(), address.address.size());
  builder.attribute(IFA_ADDRESS, address.address.data(), address.address.size());
  std::string message = builder.finish(sequence_++);
  return request(message, "delete address " + address.to_string());
}

Status<std::string> NetlinkConfig::add_ipv4_route(int ifindex, Ipv4Prefix prefix) {
  MessageBuilder builder(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  rtmsg info{};
  info.rtm_family = AF_INET;
  info.rtm_dst_len = prefix.length;
  info.rtm_table = RT_TABLE_MAIN;
  info.rtm_protocol = RTPROT_STATIC;
  info.rtm_scope = RT_SCOPE_LINK;
  info.rtm_type = RTN_UNICAST;
  builder.fixed(info);
  std::uint32_t destination = network_order(prefix.base);
  builder.attribute(RTA_DST, &destination, sizeof destination);
  builder.attribute_u32(RTA_OIF, static_cast<std::uint32_t>(ifindex));
  std::string message = builder.finish(sequence_++);
  return request(message, "add route " + prefix.to_string() + " into interface #" + std::to_string(ifindex));
}

}  // namespace yt
