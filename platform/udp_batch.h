// Many UDP datagrams per system call, for the batched data plane
// (docs/data-plane.md): recvmmsg and sendmmsg, and the kernel's UDP segmentation
// offloads, GSO (one send of up to 64 equal-size datagrams, UDP_SEGMENT) and GRO
// (one receive of datagrams the kernel coalesced, UDP_GRO). Works on the
// descriptor of the driver's one UDP socket (Asio keeps it non-blocking).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "protocol/packet_batch.h"

namespace yt {

struct UdpBatchCounters {
  std::uint64_t receive_calls = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t send_calls = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t send_drops = 0;  // refused by the kernel (unreachable, buffer full for too long)
};

// Asks the kernel to coalesce received datagrams (UDP_GRO); false when it cannot.
bool enable_udp_gro(int fd);
// Socket buffers of `bytes` (with CAP_NET_ADMIN past net.core.[rw]mem_max), so a
// burst of a few super-packets is not dropped; best effort.
void enlarge_socket_buffers(int fd, int bytes);

class UdpBatchReceiver {
 public:
  // `slots` datagrams per call, each up to `slot_size` bytes (64 KiB with GRO: a
  // coalesced read is that large).
  UdpBatchReceiver(std::size_t slots, std::size_t slot_size);
  ~UdpBatchReceiver();
  UdpBatchReceiver(const UdpBatchReceiver&) = delete;
  UdpBatchReceiver& operator=(const UdpBatchReceiver&) = delete;

  // One recvmmsg on `fd`, non-blocking: appends what it read to `out`, a coalesced
  // read cut back into its datagrams at the size the kernel reports. The views
  // point into this object's buffers until the next call. Returns the messages
  // read: 0 when nothing was waiting (or on an error, which says nothing about the
  // next datagram: ICMP errors surface here).
  std::size_t receive(int fd, std::vector<ReceivedDatagram>& out, UdpBatchCounters& counters);

 private:
  struct Slots;
  std::unique_ptr<Slots> slots_;
};

// Sends every entry of `batch` (headroom 0: entries back to back) to its endpoint,
// in order. With `gso`, each run of datagrams to one endpoint whose sizes are equal
// but for a shorter last one goes out as one UDP_SEGMENT send; otherwise sendmmsg
// takes up to 64 datagrams a call. Waits (briefly) while the socket's buffer is
// full rather than drop, as a blocking send would. Returns false when the kernel
// refused GSO: what it refused was sent again without it, and the caller should
// stop asking for GSO.
bool send_batch(int fd, const PacketBatch& batch, bool gso, UdpBatchCounters& counters);

}  // namespace yt
