// A TCP connection on an ns-3 socket with an unbounded send queue: the core hands
// over whole frames, while an ns-3 TCP socket accepts only what fits its send
// buffer. Bytes wait here until the socket reports space.
#pragma once

#include <ns3/node.h>
#include <ns3/socket.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/io_boundary.h"

namespace yt::emulation {

class Ns3StreamConnection {
 public:
  explicit Ns3StreamConnection(ns3::Ptr<ns3::Socket> socket);
  ~Ns3StreamConnection();

  // `droppable`: see SendStream (protocol/io_boundary.h).
  void send(ByteView data, bool droppable = false);
  std::uint64_t dropped() const { return dropped_; }
  // Closes after the queued bytes are written.
  void close();
  // Teardown only (an application's DoDispose): the destructor leaves the socket
  // as it is instead of closing it. Closing sends a FIN, and while
  // Simulator::Destroy disposes the nodes in creation order, a node on its path
  // (the router at the other end of a link) may already be gone.
  void abandon() { closed_ = true; }
  ns3::Ptr<ns3::Socket> socket() const { return socket_; }

 private:
  void flush();
  ns3::Ptr<ns3::Socket> socket_;
  std::deque<std::uint8_t> pending_;
  bool close_requested_ = false;
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

// Destroys `connection` from a new simulator event. Its destructor clears the
// socket's callbacks, and ns-3 holds the only reference to a callback: destroying
// the connection from inside one of them (a close reported, a CloseStream pumped
// out of a receive) would free that callback's captures while it still runs.
void destroy_later(std::unique_ptr<Ns3StreamConnection> connection);

// The connections of one app by id. close_connection closes `conn` (after its queued
// bytes) and forgets it, destroying it later; an unknown id is ignored.
using Ns3StreamConnections = std::map<ConnId, std::unique_ptr<Ns3StreamConnection>>;
void close_connection(Ns3StreamConnections& streams, ConnId conn);

// What a core's OpenStream needs told: connected, bytes, and the end (a refused
// connect or a close by the peer; the connection is forgotten before it runs).
struct Ns3StreamHandlers {
  std::function<void()> connected;
  std::function<void(ByteView)> data;  // once per packet read
  std::function<void()> read_done;     // after the packets of one receive callback
  std::function<void()> closed;
};
// Carries out a core's OpenStream on `node`: a TCP socket connecting to `to`, held
// in `streams` under `conn`, from `local_port` when it is not 0 (a TCP punch port,
// OpenStream::local_port). ns-3 binds a port once per node: a bind that fails
// (the port is still held) is reported like a refused connect.
// A punch connection may come up by a simultaneous open: our socket in SYN_SENT
// gets the peer's SYN, answers SYN+ACK and is established by the peer's ACK.
// ns-3 3.37's TcpSocketBase reports that as a new connection (the accept
// callback), not as a connect; both count as connected here.
void open_ns3_stream(ns3::Ptr<ns3::Node> node, Ns3StreamConnections& streams, ConnId conn, Endpoint to,
                     Ns3StreamHandlers handlers, std::uint16_t local_port = 0);
// Holds a connection a listener accepted under `conn` and reads it (`connected` is
// not called: it is up already).
void adopt_ns3_stream(Ns3StreamConnections& streams, ConnId conn, ns3::Ptr<ns3::Socket> socket,
                      Ns3StreamHandlers handlers);

}  // namespace yt::emulation
