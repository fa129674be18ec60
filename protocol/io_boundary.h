// The I/O boundary: everything a core needs from the outside world, as plain values.
//
// A core (client, server, relay) never performs I/O. Its driver (platform/ with
// Asio, emulation/ with ns-3, or a test's fake network) does this, and only this:
//
//   - hands it inputs: `on_datagram`, `on_stream_*`, `on_timer`, each with `now`;
//   - after every input, drains its outputs (`drain_outputs()`) and performs them in
//     order: send a datagram, open / write / close a stream;
//   - asks `next_deadline()` and arranges to call `on_timer(now)` at or after it.
//
// protocol/driver_loop.h is that loop, written once; drivers supply only how to
// perform each output and arm their timer.
//
// Randomness comes from a RandomSource given at construction; time only as `now`.
// Cores are single-threaded and never call back into their driver, so they are
// never re-entered (docs/style.md rules 2, 3, 4, 11).
#pragma once

#include <cstdint>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"

namespace yt {

// Names one stream connection for its whole life. The side that opens a stream
// picks the id (the client core for its control connection; the server driver for
// accepted connections); ids are never reused by that side.
using ConnId = std::uint64_t;

// Names one of a client's UDP sockets (SendDatagram::socket).
using SocketId = std::uint16_t;

// Send one UDP datagram. `from` is the local endpoint to send from: the server has
// several discovery sockets; a client leaves `from` unset and names its socket
// instead (`socket`).
struct SendDatagram {
  Endpoint from;
  Endpoint to;
  Bytes payload;
  // IP TTL for this datagram; 0 leaves the system default. A small TTL lets a
  // client open its own NAT's mapping without the packet reaching the peer's NAT
  // (TunnelInstruction::prepunch_ttl).
  std::uint8_t ttl = 0;
  // A client's socket: 0 its main one; k > 0 an extra one, which the driver opens
  // on first use (a new ephemeral port on the main socket's address, so a NAT
  // gives it a mapping of its own: birthday probing) until CloseSocket. Datagrams
  // arriving on it are fed back with the same number. A driver that cannot open
  // one drops the datagram (the core's probes are best effort anyway).
  SocketId socket = 0;
};

// Close a client's extra socket (SendDatagram::socket); ignored for 0 and for a
// socket the driver never opened.
struct CloseSocket {
  SocketId socket = 0;
};

// Open a TCP connection; the driver answers with on_stream_connected or
// on_stream_closed (connection refused / unreachable / the port is taken) for the
// same id.
// `local_port`: 0 for any port; otherwise a client's TCP punch port, bound with
// address reuse (SO_REUSEADDR, SO_REUSEPORT) on every address, so that the
// connection that taught the server its TCP mapping and the later punch from the
// same port leave through the same NAT mapping (TcpPunchPlan, messages.h). The
// core opens one such connection per port at a time. A punch connection may come
// up by a simultaneous open (a SYN answered with SYN+ACK while our own SYN waits):
// the driver reports that as on_stream_connected too.
struct OpenStream {
  ConnId conn = 0;
  Endpoint to;
  std::uint16_t local_port = 0;
};

// Listen for TCP connections on `port` (a client's TCP listening port, which its
// gateway maps: client/core/tcp_listener.h), bound with address reuse on every
// address. The driver reports each connection it accepts with
// on_stream_accepted(listener, conn, remote), picking `conn` itself from
// kFirstAcceptedConn up (the core's own ids stay below), and then treats it like
// any stream: on_stream_data, on_stream_closed, SendStream, CloseStream. A
// listener it cannot open (the port is taken) is reported with
// on_stream_closed(listener). CloseStream(listener) stops listening; connections
// already accepted stay.
struct ListenStream {
  ConnId listener = 0;
  std::uint16_t port = 0;
};
constexpr ConnId kFirstAcceptedConn = ConnId{1} << 63;

// Append bytes to a stream, in order. Ignored by the driver if the stream is gone.
// `droppable`: the bytes are one whole frame the receiver can do without (a relayed
// datagram); the driver drops it, whole, when the stream already has more than
// kDroppableQueueLimit bytes waiting for a reader that is slower than its sender,
// and counts it. Other writes are never dropped.
struct SendStream {
  ConnId conn = 0;
  Bytes data;
  bool droppable = false;
};
constexpr std::size_t kDroppableQueueLimit = 256 * 1024;

// Close a stream (after flushing what was queued). The driver does not report
// on_stream_closed for a stream the core closed itself.
struct CloseStream {
  ConnId conn = 0;
};

}  // namespace yt
