#include "client/daemon/tun_adapter.h"

#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>

#include "platform/ipv6_support.h"
#include "platform/tcp_coalesce.h"
#include "platform/virtio_net.h"

namespace yt {

Result<std::unique_ptr<TunAdapter>, std::string> TunAdapter::create(boost::asio::io_context& io,
                                                                     const std::string& name, std::uint32_t mtu,
                                                                     const std::vector<Ipv4Prefix>& routes,
                                                                     bool offload) {
  auto device = offload ? TunDevice::open_with_offload(name) : TunDevice::open(name);
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
  if (device_->offload()) {
    // Off the batched path (events, the bridge), rare: a header of zeros (no GSO,
    // checksum complete) and the packet in one writev.
    std::uint8_t header[kVirtioNetHeaderSize] = {};
    iovec parts[2] = {{header, sizeof header}, {const_cast<std::uint8_t*>(packet.data()), packet.size()}};
    ssize_t n = ::writev(device_->fd(), parts, 2);
    if (n == static_cast<ssize_t>(sizeof header + packet.size())) {
      ++counters_.packets_written;
    } else {
      ++counters_.write_drops;
    }
    return;
  }
  ssize_t n = ::write(device_->fd(), packet.data(), packet.size());
  if (n == static_cast<ssize_t>(packet.size())) {
    ++counters_.packets_written;
  } else {
    ++counters_.write_drops;
  }
}

void TunAdapter::start_batch(std::function<void(const std::vector<ByteView>&)> on_packets) {
  on_packets_ = std::move(on_packets);
  if (device_->offload()) read_buffer_.reset(new std::uint8_t[kVirtioNetHeaderSize + 65536]);
  wait_batch();
}

void TunAdapter::wait_batch() {
  stream_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this, alive = alive_](const boost::system::error_code& error) {
                       if (!*alive || error == boost::asio::error::operation_aborted) return;
                       if (error) {
                         ++counters_.read_errors;
                         return;
                       }
                       read_batch();
                     });
}

void TunAdapter::read_batch() {
  // Rounds of up to kBatchPackets packets until the kernel has no more; after
  // kMaxRounds the rest waits behind the other handlers (posted), so a flood from
  // the adapter cannot starve the tunnel socket.
  constexpr int kMaxRounds = 16;
  const int fd = device_->fd();
  for (int round = 0; round < kMaxRounds; ++round) {
    batch_.clear();
    bool drained = false, unusable = false;
    while (batch_.size() < kBatchPackets) {
      ssize_t n;
      if (device_->offload()) {
        n = ::read(fd, read_buffer_.get(), kVirtioNetHeaderSize + 65536);
        if (n > 0) {
          auto split = split_tun_packet(ByteView(read_buffer_.get(), static_cast<std::size_t>(n)), batch_);
          if (!split) {
            ++counters_.offload_drops;
          } else {
            counters_.packets_read += *split;
            if (*split > 1) ++counters_.super_packets;
          }
        }
      } else {
        std::uint8_t* p = batch_.begin_entry(65536);
        n = ::read(fd, p, 65536);
        if (n > 0) {
          batch_.commit_entry(0, static_cast<std::size_t>(n), Endpoint{});
          ++counters_.packets_read;
        }
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        // As read(): the descriptor is unusable and retrying would spin; what was
        // read so far still goes out, then reading stops (status shows the counter).
        ++counters_.read_errors;
        unusable = true;
      }
      if (n <= 0) {
        drained = true;
        break;
      }
    }
    if (!batch_.empty()) {
      views_.clear();
      for (std::size_t i = 0; i < batch_.size(); ++i) views_.push_back(batch_.bytes(i));
      on_packets_(views_);
    }
    if (drained) {
      if (!unusable) wait_batch();
      return;
    }
  }
  boost::asio::post(stream_.get_executor(), [this, alive = alive_] {
    if (*alive) read_batch();
  });
}

void TunAdapter::write_batch(PacketBatch& batch) {
  const int fd = device_->fd();
  const bool offload = device_->offload();
  for (std::size_t i = 0; i < batch.size();) {
    if (offload && coalesce_) {
      // Segments of one TCP flow in a row: one write of a GSO super-packet.
      const std::size_t joined = coalesce_tcp(batch, i, coalesced_);
      if (joined > 1) {
        if (::write(fd, coalesced_.data(), coalesced_.size()) == static_cast<ssize_t>(coalesced_.size())) {
          counters_.packets_written += joined;
          ++counters_.super_packets_written;
        } else {
          counters_.write_drops += joined;
        }
        i += joined;
        continue;
      }
    }
    std::uint8_t* packet = batch.data(i);
    std::size_t size = batch.entry(i).size;
    if (offload) {
      // No GSO, checksum complete: the peer's segmentation computed it.
      std::memset(packet - kVirtioNetHeaderSize, 0, kVirtioNetHeaderSize);
      packet -= kVirtioNetHeaderSize;
      size += kVirtioNetHeaderSize;
    }
    ssize_t n = ::write(fd, packet, size);
    if (n == static_cast<ssize_t>(size)) {
      ++counters_.packets_written;
    } else {
      ++counters_.write_drops;
    }
    ++i;
  }
}

}  // namespace yt
