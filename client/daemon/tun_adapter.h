// The daemon's virtual network adapter: a TUN device set up with the configured
// name, MTU and extra routes, given the virtual addresses once the server has
// assigned them, and read and written through Asio on the daemon's io_context.
//
// It moves packets only; what a packet means (which peer, broadcast fan-out,
// cryptokey routing) is the client core's business.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/netlink_config.h"
#include "platform/tun_device.h"
#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/packet_batch.h"
#include "protocol/result.h"

namespace yt {

struct AdapterCounters {
  std::uint64_t packets_read = 0;     // from the kernel, handed to the core
  std::uint64_t packets_written = 0;  // to the kernel
  std::uint64_t write_drops = 0;      // the kernel refused a write (queue full, down)
  std::uint64_t read_errors = 0;      // reading stopped on an unusable descriptor
  // With offloads (docs/data-plane.md):
  std::uint64_t super_packets = 0;    // reads the kernel handed over as TSO super-packets
  std::uint64_t offload_drops = 0;    // reads refused by split_tun_packet (bad virtio-net header or packet)
  std::uint64_t super_packets_written = 0;  // writes of TCP segments joined by coalesce_tcp
};

class TunAdapter {
 public:
  // Creates the device, sets its MTU, brings it up and adds `routes`. Fails with a
  // readable message (no permission, no TUN support, bad name, ...).
  // With `offload`, the device is opened with the kernel's offloads when it allows
  // them (TunDevice::open_with_offload); offload() says whether it did.
  static Result<std::unique_ptr<TunAdapter>, std::string> create(boost::asio::io_context& io,
                                                                  const std::string& name, std::uint32_t mtu,
                                                                  const std::vector<Ipv4Prefix>& routes,
                                                                  bool offload = false);
  ~TunAdapter();

  // Gives the adapter `ipv4`/`prefix_length` and the IPv6 address `ipv6`, replacing
  // addresses given earlier. Idempotent. Fails only when IPv4 cannot be set: IPv6 is
  // best effort (hosts with IPv6 turned off still carry IPv4), and why it is missing
  // is in ipv6_problem().
  Status<std::string> assign(Ipv4 ipv4, std::uint8_t prefix_length, const Ipv6Prefix& ipv6);

  // Starts reading; `on_packet` gets each packet the kernel routes into the adapter.
  void start(std::function<void(ByteView)> on_packet);
  // Writes one packet as if it arrived on the adapter. Never blocks: a packet the
  // kernel will not take right now is dropped and counted, like on a full NIC ring.
  void write(ByteView packet);

  // The batched data plane (docs/data-plane.md). start_batch: reads until the
  // kernel has nothing more, up to kBatchPackets packets at a time (a TSO
  // super-packet already cut into its segments), and hands each batch over at once.
  void start_batch(std::function<void(const std::vector<ByteView>&)> on_packets);
  // Writes every entry of `batch`, which needs headroom() >= kWriteHeadroom: with
  // offloads each packet gets its virtio-net header written in front of it there.
  void write_batch(PacketBatch& batch);
  static constexpr std::size_t kWriteHeadroom = 10;  // kVirtioNetHeaderSize
  static constexpr std::size_t kBatchPackets = 256;
  bool offload() const { return device_->offload(); }
  // With offloads, whether write_batch joins TCP segments (tcp_coalesce.h); on by default.
  void set_coalesce(bool on) { coalesce_ = on; }
  bool coalesce() const { return device_->offload() && coalesce_; }

  const std::string& name() const { return device_->name(); }
  std::uint32_t mtu() const { return mtu_; }
  std::optional<Ipv4> ipv4() const { return ipv4_; }
  std::optional<Ipv6Prefix> ipv6() const { return ipv6_; }
  struct Ipv6Problem {
    bool disabled_on_host = false;  // expected on such hosts: not an error
    std::string message;
  };
  // Set when the last assign() left the adapter without its IPv6 address.
  const std::optional<Ipv6Problem>& ipv6_problem() const { return ipv6_problem_; }
  const AdapterCounters& counters() const { return counters_; }

 private:
  TunAdapter(boost::asio::io_context& io, std::unique_ptr<TunDevice> device, std::unique_ptr<NetlinkConfig> netlink,
             std::uint32_t mtu);
  void read();
  void wait_batch();
  void read_batch();

  std::unique_ptr<TunDevice> device_;
  std::unique_ptr<NetlinkConfig> netlink_;
  boost::asio::posix::stream_descriptor stream_;
  std::uint32_t mtu_;
  std::optional<Ipv4> ipv4_;
  std::uint8_t prefix_length_ = 0;
  std::optional<Ipv6Prefix> ipv6_;
  std::optional<Ipv6Problem> ipv6_problem_;
  std::function<void(ByteView)> on_packet_;
  std::array<std::uint8_t, 65536> buffer_;
  std::function<void(const std::vector<ByteView>&)> on_packets_;
  std::unique_ptr<std::uint8_t[]> read_buffer_;  // one read with offloads: header + up to 64 KiB
  PacketBatch batch_;                            // the packets of one batch
  std::vector<ByteView> views_;
  bool coalesce_ = true;
  Bytes coalesced_;  // the super-packet of one joined write
  AdapterCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
