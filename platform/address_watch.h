// Tells the daemon when the machine's IPv4 addresses change (roaming: Wi-Fi to
// LTE, a new DHCP lease, a cable pulled), so the client can move at once instead
// of noticing by timeouts (ClientCore::on_network_changed).
//
// An rtnetlink socket subscribed to address, route and link changes wakes the
// watch; after kSettle of quiet (an interface coming up brings a burst of
// messages) it lists the addresses again (local_addresses.h, without the
// `excluded` interfaces: the daemon's own adapter, whose addresses the daemon sets
// itself) and calls back only when the list differs from the last one. A lost
// notification (ENOBUFS on a busy host) also triggers a fresh listing, so nothing
// is missed. Single-threaded: the callback runs on the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/result.h"

namespace yt {

class AddressWatch {
 public:
  static constexpr std::chrono::milliseconds kSettle{300};
  using Callback = std::function<void(const std::vector<Ipv4>& addresses)>;

  // Starts watching; `changed` gets the new address list. Errors (no netlink
  // socket) as a readable message.
  static Result<std::unique_ptr<AddressWatch>, std::string> start(boost::asio::io_context& io,
                                                                  std::vector<std::string> excluded,
                                                                  Callback changed);
  ~AddressWatch();
  AddressWatch(const AddressWatch&) = delete;
  AddressWatch& operator=(const AddressWatch&) = delete;

  const std::vector<Ipv4>& addresses() const { return addresses_; }

 private:
  AddressWatch(boost::asio::io_context& io, std::vector<std::string> excluded, Callback changed);
  void wait();
  void drain_and_settle();
  void check();

  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer settle_;
  std::vector<std::string> excluded_;
  Callback changed_;
  std::vector<Ipv4> addresses_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
