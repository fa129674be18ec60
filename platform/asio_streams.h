// The TCP connections an Asio driver holds for its core, by ConnId: reading them,
// reporting data and closes, and carrying out the core's SendStream / CloseStream.
// Both drivers (client and server) use it, so a connection is read, closed and
// forgotten the same way on either side.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "platform/asio_conversions.h"
#include "platform/asio_stream.h"
#include "protocol/bytes.h"
#include "protocol/io_boundary.h"

namespace yt {

class AsioStreams {
 public:
  struct Handlers {
    std::function<void(ConnId, ByteView)> data;
    // The peer closed or the connection failed; the stream is already forgotten.
    std::function<void(ConnId)> closed;
  };

  explicit AsioStreams(Handlers handlers) : handlers_(std::move(handlers)) {}
  ~AsioStreams() { close_all(); }
  AsioStreams(const AsioStreams&) = delete;
  AsioStreams& operator=(const AsioStreams&) = delete;

  // Carries out a core's OpenStream: connects a new stream for `conn` to `to`, then
  // starts reading it and calls `connected`, or forgets it and calls `failed` (the
  // connect was refused). Neither runs when the core closed `conn` meanwhile or
  // the table is gone. A `from` address other than 0.0.0.0 is the source the
  // stream is bound to (a client bound to one address keeps all its traffic there);
  // a `local_port` other than 0 is the port it is bound to, with SO_REUSEADDR and
  // SO_REUSEPORT (a TCP punch port: OpenStream::local_port). A bind that fails is a
  // failed connect. A connect that completes by a simultaneous open is a connect
  // like any to the kernel, so it needs nothing here.
  void connect(boost::asio::io_context& io, ConnId conn, Endpoint to, std::function<void()> connected,
               std::function<void()> failed, Ipv4 from = Ipv4{}, std::uint16_t local_port = 0);
  // Holds `stream` under `conn` without reading it yet (a connect in flight).
  void add(ConnId conn, std::shared_ptr<AsioStream> stream) { streams_[conn] = std::move(stream); }
  // Whether `stream` is still the one held for `conn`: the core may have closed
  // (or replaced) it while it was connecting.
  bool holds(ConnId conn, const std::shared_ptr<AsioStream>& stream) const;
  // Starts reading the stream held for `conn`.
  void start(ConnId conn);
  // Drops `conn` without closing it (its connect failed: nothing to flush).
  void forget(ConnId conn) { streams_.erase(conn); }

  // The core's outputs; unknown connections (already closed) are ignored.
  void send(ConnId conn, ByteView data, bool droppable = false);
  // Droppable writes dropped over the queue limit, on every stream so far.
  std::uint64_t dropped() const { return dropped_; }
  void close(ConnId conn);  // flushes queued writes, then closes; no handler runs
  void close_all();

 private:
  Handlers handlers_;
  std::map<ConnId, std::shared_ptr<AsioStream>> streams_;
  std::uint64_t dropped_ = 0;
  // Read handlers outlive neither this table nor a close_all(): they check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Handlers that hand a connection's data and close to a driver's core (client or
// server: both take the same calls), then let the driver pump the core's outputs.
template <typename Core>
AsioStreams::Handlers core_stream_handlers(const std::unique_ptr<Core>& core, const DriverClock& clock,
                                           std::function<void()> pump) {
  return AsioStreams::Handlers{[&core, &clock, pump](ConnId conn, ByteView data) {
                                 core->on_stream_data(clock.now(), conn, data);
                                 pump();
                               },
                               [&core, &clock, pump](ConnId conn) {
                                 core->on_stream_closed(clock.now(), conn);
                                 pump();
                               }};
}

}  // namespace yt
