#include "platform/udp_send.h"

#include <boost/asio/ip/unicast.hpp>

#include "platform/asio_conversions.h"

namespace yt {

void send_datagram(boost::asio::ip::udp::socket& socket, ByteView payload, Endpoint to, std::uint8_t ttl) {
  boost::system::error_code ignored;
  boost::asio::ip::unicast::hops normal;
  boost::system::error_code no_ttl;
  if (ttl != 0) socket.get_option(normal, no_ttl);
  const bool set_ttl = ttl != 0 && !no_ttl;
  if (set_ttl) socket.set_option(boost::asio::ip::unicast::hops(ttl), ignored);
  socket.send_to(boost::asio::buffer(payload.data(), payload.size()), to_udp(to), 0, ignored);
  if (set_ttl) socket.set_option(normal, ignored);
}

}  // namespace yt
