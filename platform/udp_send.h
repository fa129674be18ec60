// Sends one datagram the way the core asked for it (protocol/io_boundary.h
// SendDatagram): with a given IP TTL for this datagram only, or the socket's own.
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <cstdint>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"

namespace yt {

// Synchronous and best effort: errors are dropped, as UDP losses are (the core
// retries). `ttl` 0 keeps the socket's TTL. With a TTL, the socket's own is read
// first and restored right after the send; when it cannot be read, the datagram
// goes out with the socket's TTL rather than risk leaving the socket at one that
// reaches nobody.
void send_datagram(boost::asio::ip::udp::socket& socket, ByteView payload, Endpoint to, std::uint8_t ttl);

}  // namespace yt
