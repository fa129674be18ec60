// Conversions between Asio endpoints and the core's value types, and the driver's
// clock. IPv4 only, like the core.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>

#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt {

inline boost::asio::ip::address_v4 to_asio(Ipv4 ip) { return boost::asio::ip::address_v4(ip.value); }
inline Ipv4 from_asio(const boost::asio::ip::address& a) {
  return a.is_v4() ? Ipv4{a.to_v4().to_uint()} : Ipv4{0};
}
inline boost::asio::ip::udp::endpoint to_udp(Endpoint e) { return {to_asio(e.ip), e.port}; }
inline boost::asio::ip::tcp::endpoint to_tcp(Endpoint e) { return {to_asio(e.ip), e.port}; }
inline Endpoint from_asio(const boost::asio::ip::udp::endpoint& e) { return {from_asio(e.address()), e.port()}; }
inline Endpoint from_asio(const boost::asio::ip::tcp::endpoint& e) { return {from_asio(e.address()), e.port()}; }

// The driver's monotonic clock as core time: microseconds since `epoch`.
class DriverClock {
 public:
  DriverClock() : epoch_(std::chrono::steady_clock::now()) {}
  Time now() const {
    return Time(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_));
  }
  std::chrono::steady_clock::time_point to_steady(Time t) const {
    return epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch());
  }

 private:
  std::chrono::steady_clock::time_point epoch_;
};

}  // namespace yt
