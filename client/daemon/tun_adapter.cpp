#include "client/daemon/tun_adapter.h"

#include <unistd.h>

#include <cerrno>

#include "platform/ipv6_support.h"

namespace yt {

Result<std::unique_ptr<TunAdapter>, std::string> TunAdapter::create(boost::asio::io_context& io,
                                                                     const std::string& name, std::uint32_t mtu,
                                                                     const std::vector<Ipv4Prefix>& routes) {
  auto device = TunDevice::open(name);
  if (!device) return Err{device.error()};
  auto netlink = NetlinkConfig::open();
  if (!netlink) return Err{netlink.error()};
  int index = (*device)->index();
  if (auto up = (*netlink)->set_link_up(index, mtu); !up) return Err{up.error()};
  for (const Ipv4Prefix& route : routes) {
    if (auto added = (*netlink)->add_ipv4_route(index, route); !added) return Err{added.error()};
  }
  return std::unique_ptr<TunAdapter>(new TunAdapter(io, std::move(*device), std::move(*netlink), mtu));
}

TunAdapter::TunAdapter(boost::asio::io_context& io, std::unique_ptr<TunDevice> device,
                       std::unique_ptr<NetlinkConfig> netlink, std::uint32_t mtu)
    : device_(std::move(device)),
      netlink_(std::move(netlink)),
      // A duplicate, so that Asio closing its descriptor leaves TunDevice's own intact.
      stream_(io, ::dup(device_->fd())),
      mtu_(mtu) {}

TunAdapter::~TunAdapter() {
  *alive_ = false;
  boost::system::error_code ignored;
  stream_.close(ignored);
}

Status<std::string> TunAdapter::assign(Ipv4 ipv4, std::uint8_t prefix_length, const Ipv6Prefix& ipv6) {
  int index = device_->index();
  if (ipv4_ && (*ipv4_ != ipv4 || prefix_length_ != prefix_length)) {
    (void)netlink_->delete_ipv4_address(index, *ipv4_, prefix_length_);
    ipv4_.reset();
  }
  if (ipv6_ && (ipv6_->address != ipv6.address || ipv6_->length != ipv6.length)) {
    (void)netlink_->delete_ipv6_address(index, *ipv6_);
    ipv6_.reset();
  }
  if (auto added = netlink_->add_ipv4_address(index, ipv4, prefix_length); !added) return added;
  ipv4_ = ipv4;
  prefix_length_ = prefix_length;
  ipv6_problem_.reset();
  if (auto disabled = ipv6_disabled_reason(device_->name())) {
    ipv6_problem_ = Ipv6Problem{true, *disabled};
    return Ok{};
  }
  if (auto added = netlink_->add_ipv6_address(index, ipv6); !added) {
    ipv6_problem_ = Ipv6Problem{false, added.error()};
    return Ok{};
  }
  ipv6_ = ipv6;
  return Ok{};
}

void TunAdapter::start(std::function<void(ByteView)> on_packet) {
  on_packet_ = std::move(on_packet);
  read();
}

void TunAdapter::read() {
  stream_.async_read_some(boost::asio::buffer(buffer_),
                          [this, alive = alive_](const boost::system::error_code& error, std::size_t n) {
                            if (!*alive || error == boost::asio::error::operation_aborted) return;
                            if (!error && n > 0) {
                              ++counters_.packets_read;
                              on_packet_(ByteView(buffer_.data(), n));
                            }
                            if (!error || error == boost::asio::error::try_again ||
                                error == boost::asio::error::interrupted) {
                              read();
                              return;
                            }
                            // Anything else means the descriptor is unusable; retrying
                            // would spin. Status shows it through the counter.
                            ++counters_.read_errors;
                          });
}

void TunAdapter::write(ByteView packet) {
  ssize_t n = ::write(device_->fd(), packet.data(), packet.size());
  if (n == static_cast<ssize_t>(packet.size())) {
    ++counters_.packets_written;
  } else {
    ++counters_.write_drops;
  }
}

}  // namespace yt
