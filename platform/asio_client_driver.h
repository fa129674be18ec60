// Drives one ClientCore with Boost.Asio: one UDP socket (discovery and tunnels), a
// TCP connection per control attempt, and a steady_timer for the core's deadline.
// Single-threaded: every handler runs on the io_context given at construction,
// which must be run by one thread (docs/style.md rule 11).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/core/client_core.h"
#include "platform/address_watch.h"
#include "platform/asio_listener.h"
#include "platform/asio_conversions.h"
#include "platform/asio_stream.h"
#include "platform/asio_streams.h"
#include "platform/extra_udp_sockets.h"
#include "platform/udp_batch.h"
#include "protocol/driver_loop.h"
#include "protocol/packet_batch.h"
#include "protocol/result.h"

namespace yt {

class AsioClientDriver {
 public:
  // Binds the UDP socket to `udp_bind` (port 0: any free port). Errors (address in
  // use, not local, no permission) come back as a readable message, nothing thrown.
  // `rng` must outlive the driver. Unless config.lan_endpoints is given, the LAN
  // candidates offered to peers are the bound address or, when bound to 0.0.0.0,
  // every local address (local_addresses.h) except those of `lan_exclude`
  // interfaces (the daemon's own adapter).
  static Result<std::unique_ptr<AsioClientDriver>, std::string> create(
      boost::asio::io_context& io, ClientConfig config, Identity identity, RandomSource& rng, Endpoint udp_bind,
      const std::vector<std::string>& lan_exclude = {});
  ~AsioClientDriver();

  // Starts receiving and, with `log_in`, the core (login). With `log_in` false the
  // core stays stopped until the caller runs core().start() and pump(): a daemon
  // whose user logged out must not reach for the server at boot.
  void start(bool log_in = true);
  void stop();

  // Called for each event after the core produced it.
  void set_event_handler(std::function<void(const ClientEvent&)> handler) { on_event_ = std::move(handler); }

  // For commands between events: call the core, then pump() so its outputs happen.
  ClientCore& core() { return *core_; }
  Time now() const { return clock_.now(); }
  void pump();
  Endpoint udp_endpoint() const;

  // The batched data plane (docs/data-plane.md), instead of one datagram per
  // receive and send: call before start(). The socket is then read with recvmmsg
  // (and, with `udp_offload`, UDP GRO) until empty, and IP packets opened on a
  // direct path go to `on_packets` a batch at a time (its entries have
  // TunAdapter::kWriteHeadroom bytes of headroom) instead of PacketReceived events.
  // send_ip_batch seals a batch and sends it with sendmmsg (or UDP GSO).
  struct BatchOptions {
    bool udp_offload = true;
  };
  void enable_batching(BatchOptions options, std::size_t headroom, std::function<void(PacketBatch&)> on_packets);
  // ClientCore::send_ip_batch, the sealed datagrams sent, then the outputs performed.
  void send_ip_batch(const std::vector<ByteView>& packets);
  const UdpBatchCounters& batch_counters() const { return batch_counters_; }
  bool batching() const { return batching_; }
  bool udp_gso() const { return gso_; }
  bool udp_gro() const { return gro_; }

  // Roaming: from now on, when the machine's addresses change (address_watch.h),
  // the core hears it with our socket's endpoints at the new addresses (those of
  // `excluded` interfaces left out). Only for a socket bound to 0.0.0.0: one bound
  // to a fixed address does not move. An error (no netlink, fixed address) says
  // why roaming is then noticed by timeouts alone.
  Status<std::string> follow_address_changes(std::vector<std::string> excluded);

 private:
  AsioClientDriver(boost::asio::io_context& io, RandomSource& rng);
  void receive_udp();
  void wait_udp_batch();
  void receive_udp_batch();
  void open_stream(ConnId conn, Endpoint to, std::uint16_t local_port = 0);
  void listen(ConnId listener, std::uint16_t port);
  void close_stream(ConnId conn);
  void rearm_timer(std::optional<Time> deadline);

  boost::asio::io_context& io_;
  RandomSource& rng_;
  DriverClock clock_;
  boost::asio::ip::udp::socket udp_;
  boost::asio::ip::udp::endpoint udp_from_;
  std::array<std::uint8_t, 65536> udp_buffer_;
  ExtraUdpSockets extra_udp_;  // birthday probing's sockets
  boost::asio::steady_timer timer_;
  std::unique_ptr<ClientCore> core_;
  std::unique_ptr<AddressWatch> address_watch_;
  AsioStreams streams_;
  // The core's TCP listeners (ListenStream) and the ids of what they accept.
  // A listener is destroyed from a later handler: the core may close it from
  // inside one of its own (an accept).
  std::map<ConnId, std::shared_ptr<AsioListener>> listeners_;
  void retire(std::shared_ptr<AsioListener> listener);
  ConnId next_accepted_ = kFirstAcceptedConn;
  std::function<void(const ClientEvent&)> on_event_;
  DriverLoop loop_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // The batched data plane.
  bool batching_ = false;
  bool gso_ = false;
  bool gro_ = false;
  std::unique_ptr<UdpBatchReceiver> receiver_;
  std::vector<ReceivedDatagram> received_;
  PacketBatch opened_;
  PacketBatch sealed_;
  std::function<void(PacketBatch&)> on_packets_;
  UdpBatchCounters batch_counters_;
  // The deadline the timer is armed for: batched, pumps that leave it unchanged
  // (most packets) skip the cancel and re-arm, a timerfd update and a wakeup each.
  std::optional<Time> armed_deadline_;
  bool armed_ = false;
};

}  // namespace yt
