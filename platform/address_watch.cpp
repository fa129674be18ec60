#include "platform/address_watch.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "platform/local_addresses.h"

namespace yt {

AddressWatch::AddressWatch(boost::asio::io_context& io, std::vector<std::string> excluded, Callback changed)
    : socket_(io), settle_(io), excluded_(std::move(excluded)), changed_(std::move(changed)) {}

AddressWatch::~AddressWatch() {
  *alive_ = false;
  boost::system::error_code ignored;
  settle_.cancel();
  socket_.close(ignored);
}

Result<std::unique_ptr<AddressWatch>, std::string> AddressWatch::start(boost::asio::io_context& io,
                                                                       std::vector<std::string> excluded,
                                                                       Callback changed) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return Err{std::string("cannot open a netlink socket to watch addresses: ") + std::strerror(errno)};
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return Err{"cannot subscribe to address changes: " + why};
  }
  std::unique_ptr<AddressWatch> watch(new AddressWatch(io, std::move(excluded), std::move(changed)));
  watch->socket_.assign(fd);
  watch->addresses_ = local_ipv4_addresses(watch->excluded_);
  watch->wait();
  return watch;
}

void AddressWatch::wait() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this, alive = alive_](const boost::system::error_code& error) {
                       if (!*alive || error == boost::asio::error::operation_aborted) return;
                       drain_and_settle();
                       wait();
                     });
}

void AddressWatch::drain_and_settle() {
  // What changed is not parsed: any message (or a lost one, ENOBUFS) means "list
  // again", and listing is cheap. Bounded, so a flood cannot hold the loop.
  std::array<char, 8192> buffer;
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno != ENOBUFS) break;
  }
  settle_.expires_after(kSettle);
  settle_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!*alive || error) return;
    check();
  });
}

void AddressWatch::check() {
  std::vector<Ipv4> now = local_ipv4_addresses(excluded_);
  if (now == addresses_) return;
  addresses_ = std::move(now);
  if (changed_) changed_(addresses_);
}

}  // namespace yt
