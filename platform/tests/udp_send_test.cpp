// send_datagram on loopback, read back by a receiver that asks the kernel for each
// datagram's IP TTL (IP_RECVTTL): the low-TTL first probe round really leaves with
// that TTL, and the socket is back at its own TTL afterwards.
#include "platform/udp_send.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/unicast.hpp>

#include <cstring>
#include <optional>

#include "platform/asio_conversions.h"

namespace yt {
namespace {

// A loopback UDP socket that reports the TTL each datagram arrived with.
class TtlReceiver {
 public:
  TtlReceiver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    int on = 1;
    ::setsockopt(fd_, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~TtlReceiver() { ::close(fd_); }
  TtlReceiver(const TtlReceiver&) = delete;
  TtlReceiver& operator=(const TtlReceiver&) = delete;

  Endpoint endpoint() const { return Endpoint{Ipv4::from_octets(127, 0, 0, 1), port_}; }

  // The next datagram's TTL, waiting at most `wait_ms`; nullopt when none came or
  // the kernel did not say.
  std::optional<int> next_ttl(int wait_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) != 1) return std::nullopt;
    std::uint8_t data[64];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(fd_, &msg, 0) < 0) return std::nullopt;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        int ttl = 0;
        std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        return ttl;
      }
    }
    return std::nullopt;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class UdpSendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_.open(boost::asio::ip::udp::v4());
    socket_.bind(to_udp(Endpoint{Ipv4::from_octets(127, 0, 0, 1), 0}));
    boost::asio::ip::unicast::hops hops;
    socket_.get_option(hops);
    normal_ttl_ = hops.value();
  }

  int socket_ttl() {
    boost::asio::ip::unicast::hops hops;
    socket_.get_option(hops);
    return hops.value();
  }

  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_{io_};
  int normal_ttl_ = 0;
  TtlReceiver receiver_;
  const Bytes payload_{1, 2, 3};
};

TEST_F(UdpSendTest, ALowTtlAppliesToThatDatagramOnly) {
  ASSERT_NE(normal_ttl_, 2);
  send_datagram(socket_, payload_, receiver_.endpoint(), 2);
  EXPECT_EQ(receiver_.next_ttl(), 2);
  EXPECT_EQ(socket_ttl(), normal_ttl_);
  send_datagram(socket_, payload_, receiver_.endpoint(), 0);
  EXPECT_EQ(receiver_.next_ttl(), normal_ttl_);
}

TEST_F(UdpSendTest, TtlZeroKeepsTheSocketsOwnTtl) {
  boost::asio::ip::unicast::hops custom(17);
  socket_.set_option(custom);
  send_datagram(socket_, payload_, receiver_.endpoint(), 0);
  EXPECT_EQ(receiver_.next_ttl(), 17);
  send_datagram(socket_, payload_, receiver_.endpoint(), 3);
  EXPECT_EQ(receiver_.next_ttl(), 3);
  EXPECT_EQ(socket_ttl(), 17);  // restored to the socket's own, not to a default
}

TEST_F(UdpSendTest, AClosedSocketIsNotAnError) {
  socket_.close();
  send_datagram(socket_, payload_, receiver_.endpoint(), 2);  // nothing thrown, nothing sent
  EXPECT_EQ(receiver_.next_ttl(200), std::nullopt);
}

}  // namespace
}  // namespace yt
