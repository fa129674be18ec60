#include "platform/udp_batch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace yt {
namespace {

// UDP_MAX_SEGMENTS in kernels before 6.? (newer ones take 128); and the most a
// UDP datagram (and so one GSO send) may carry.
constexpr std::size_t kMaxGsoSegments = 64;
constexpr std::size_t kMaxGsoBytes = 65507;
constexpr std::size_t kMaxMmsg = 64;

sockaddr_in to_sockaddr(Endpoint e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(e.port);
  a.sin_addr.s_addr = htonl(e.ip.value);
  return a;
}

Endpoint from_sockaddr(const sockaddr_in& a) { return Endpoint{Ipv4{ntohl(a.sin_addr.s_addr)}, ntohs(a.sin_port)}; }

// Waits until `fd` can take more, for at most 100 ms: a full socket buffer drains
// at line rate, and a send that never could is dropped like a lost datagram.
bool wait_writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  return ::poll(&p, 1, 100) > 0;
}

// Sends one GSO run; -1 with errno when the kernel refused it.
int send_gso(int fd, const std::uint8_t* data, std::size_t size, std::uint16_t segment, Endpoint to) {
  sockaddr_in address = to_sockaddr(to);
  iovec iov{const_cast<std::uint8_t*>(data), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
  msghdr msg{};
  msg.msg_name = &address;
  msg.msg_namelen = sizeof address;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (size > segment) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, 0);
    if (n >= 0) return 0;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(fd)) continue;
    return -1;
  }
}

void send_mmsg(int fd, const PacketBatch& batch, std::size_t first, std::size_t end, UdpBatchCounters& counters) {
  sockaddr_in addresses[kMaxMmsg];
  iovec iovs[kMaxMmsg];
  mmsghdr msgs[kMaxMmsg];
  while (first < end) {
    const std::size_t n = std::min(kMaxMmsg, end - first);
    for (std::size_t i = 0; i < n; ++i) {
      ByteView bytes = batch.bytes(first + i);
      addresses[i] = to_sockaddr(batch.entry(first + i).endpoint);
      iovs[i] = iovec{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_name = &addresses[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    ++counters.send_calls;
    int sent = ::sendmmsg(fd, msgs, static_cast<unsigned>(n), 0);
    if (sent > 0) {
      counters.datagrams_sent += static_cast<std::uint64_t>(sent);
      first += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(fd)) continue;
    // The first datagram was refused (unreachable, too big): drop it, go on.
    ++counters.send_drops;
    ++first;
  }
}

}  // namespace

bool enable_udp_gro(int fd) {
  int on = 1;
  return ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
}

void enlarge_socket_buffers(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  }
}

struct UdpBatchReceiver::Slots {
  std::size_t count, size;
  std::unique_ptr<std::uint8_t[]> buffers;
  std::vector<sockaddr_in> addresses;
  std::vector<iovec> iovs;
  std::vector<mmsghdr> msgs;
  std::vector<std::array<char, CMSG_SPACE(sizeof(int))>> controls;
};

UdpBatchReceiver::UdpBatchReceiver(std::size_t slots, std::size_t slot_size) : slots_(new Slots) {
  Slots& s = *slots_;
  s.count = slots;
  s.size = slot_size;
  s.buffers.reset(new std::uint8_t[slots * slot_size]);
  s.addresses.resize(slots);
  s.iovs.resize(slots);
  s.msgs.resize(slots);
  s.controls.resize(slots);
}

UdpBatchReceiver::~UdpBatchReceiver() = default;

std::size_t UdpBatchReceiver::receive(int fd, std::vector<ReceivedDatagram>& out, UdpBatchCounters& counters) {
  Slots& s = *slots_;
  for (std::size_t i = 0; i < s.count; ++i) {
    s.iovs[i] = iovec{s.buffers.get() + i * s.size, s.size};
    s.msgs[i] = mmsghdr{};
    s.msgs[i].msg_hdr.msg_name = &s.addresses[i];
    s.msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    s.msgs[i].msg_hdr.msg_iov = &s.iovs[i];
    s.msgs[i].msg_hdr.msg_iovlen = 1;
    s.msgs[i].msg_hdr.msg_control = s.controls[i].data();
    s.msgs[i].msg_hdr.msg_controllen = s.controls[i].size();
  }
  int n = -1;
  // An error (an ICMP port unreachable from an earlier send) is reported once, by
  // the call it fails, and says nothing about the datagrams queued behind it: read
  // on, or they would wait for the next arrival (the reactor is edge-triggered).
  for (int attempt = 0; attempt < 8; ++attempt) {
    ++counters.receive_calls;
    n = ::recvmmsg(fd, s.msgs.data(), static_cast<unsigned>(s.count), MSG_DONTWAIT, nullptr);
    if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EBADF || errno == ENOTSOCK) break;
  }
  if (n <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    const msghdr& h = s.msgs[i].msg_hdr;
    if (h.msg_namelen < sizeof(sockaddr_in) || s.addresses[i].sin_family != AF_INET) continue;
    const Endpoint from = from_sockaddr(s.addresses[i]);
    const std::uint8_t* data = s.buffers.get() + std::size_t(i) * s.size;
    const std::size_t size = s.msgs[i].msg_len;
    std::size_t segment = size;
    for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&h)); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int gso_size = 0;
        std::memcpy(&gso_size, CMSG_DATA(c), sizeof gso_size);
        if (gso_size > 0) segment = static_cast<std::size_t>(gso_size);
      }
    }
    if (size == 0) {
      out.push_back(ReceivedDatagram{from, ByteView(data, 0)});
      ++counters.datagrams_received;
      continue;
    }
    for (std::size_t offset = 0; offset < size; offset += segment) {
      out.push_back(ReceivedDatagram{from, ByteView(data + offset, std::min(segment, size - offset))});
      ++counters.datagrams_received;
    }
  }
  return static_cast<std::size_t>(n);
}

bool send_batch(int fd, const PacketBatch& batch, bool gso, UdpBatchCounters& counters) {
  if (!gso) {
    send_mmsg(fd, batch, 0, batch.size(), counters);
    return true;
  }
  bool gso_works = true;
  std::size_t i = 0;
  while (i < batch.size()) {
    // A run: one endpoint, one size, back to back in the buffer, the last may be shorter.
    const PacketBatch::Entry& first = batch.entry(i);
    std::size_t end = i + 1, bytes = first.size;
    while (end < batch.size() && end - i < kMaxGsoSegments) {
      const PacketBatch::Entry& next = batch.entry(end);
      const PacketBatch::Entry& previous = batch.entry(end - 1);
      if (next.endpoint != first.endpoint || next.size > first.size || previous.size != first.size ||
          next.offset != previous.offset + previous.size || bytes + next.size > kMaxGsoBytes) {
        break;
      }
      bytes += next.size;
      ++end;
    }
    if (end - i == 1) {
      send_mmsg(fd, batch, i, end, counters);
    } else if (gso_works) {
      ++counters.send_calls;
      if (send_gso(fd, batch.bytes(i).data(), bytes, static_cast<std::uint16_t>(first.size), first.endpoint) == 0) {
        counters.datagrams_sent += end - i;
      } else if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
        gso_works = false;  // no segmentation on this path: send them one by one
        send_mmsg(fd, batch, i, end, counters);
      } else {
        counters.send_drops += end - i;
      }
    } else {
      send_mmsg(fd, batch, i, end, counters);
    }
    i = end;
  }
  return gso_works;
}

}  // namespace yt
