#include "client/core/relay_streams.h"

namespace yt {

void RelayStreams::send(Endpoint stream, Endpoint relay, const Datagram& datagram) {
  std::optional<Bytes> framed = frame_for_stream(encode_datagram(datagram));
  if (!framed) return;
  auto it = streams_.find(stream);
  if (it == streams_.end()) {
    Stream s;
    s.conn = next_conn_++;
    s.relay = relay;
    it = streams_.emplace(stream, std::move(s)).first;
    ctx_.outputs.emplace_back(OpenStream{it->second.conn, stream});
  }
  Stream& s = it->second;
  s.used = true;
  if (s.connected) {
    ctx_.outputs.emplace_back(SendStream{s.conn, std::move(*framed)});
  } else if (s.queued.size() < kMaxQueued) {
    s.queued.push_back(std::move(*framed));
  }
}

std::map<Endpoint, RelayStreams::Stream>::iterator RelayStreams::by_conn(ConnId conn) {
  for (auto it = streams_.begin(); it != streams_.end(); ++it) {
    if (it->second.conn == conn) return it;
  }
  return streams_.end();
}

void RelayStreams::on_connected(Time now, ConnId conn) {
  auto it = by_conn(conn);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  s.connected = true;
  for (Bytes& framed : s.queued) ctx_.outputs.emplace_back(SendStream{s.conn, std::move(framed)});
  s.queued.clear();
}

std::vector<std::pair<Endpoint, Datagram>> RelayStreams::on_data(Time now, ConnId conn, ByteView data) {
  std::vector<std::pair<Endpoint, Datagram>> out;
  auto it = by_conn(conn);
  if (it == streams_.end()) return out;
  Stream& s = it->second;
  s.used = true;
  s.framer.push(data);
  while (std::optional<Bytes> frame = s.framer.next()) {
    auto decoded = decode_datagram(*frame);
    if (!decoded) {
      ++ctx_.stats.malformed_datagrams;
      continue;
    }
    out.emplace_back(s.relay, std::move(decoded.value()));
  }
  if (s.framer.failed()) {
    // Not a relay speaking our framing: give up on this stream; the next send
    // opens a new one.
    ++ctx_.stats.malformed_datagrams;
    ctx_.outputs.emplace_back(CloseStream{s.conn});
    streams_.erase(it);
  }
  return out;
}

void RelayStreams::on_closed(Time now, ConnId conn) {
  auto it = by_conn(conn);
  if (it != streams_.end()) streams_.erase(it);
}

void RelayStreams::on_timer(Time now) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    Stream& s = it->second;
    if (s.idle_since == Time{} || s.used) {
      s.idle_since = now;  // new, or used since we last looked: a fresh idle period
      s.used = false;
      ++it;
    } else if (now >= s.idle_since + kIdleClose) {
      ctx_.outputs.emplace_back(CloseStream{s.conn});
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Time> RelayStreams::next_deadline() const {
  std::optional<Time> next;
  for (const auto& [endpoint, s] : streams_) {
    // A stream not looked at yet wants a look at once, to start its idle period.
    const Time at = s.idle_since == Time{} ? Time{} : s.idle_since + kIdleClose;
    if (!next || at < *next) next = at;
  }
  return next;
}

void RelayStreams::close_all() {
  for (const auto& [endpoint, s] : streams_) ctx_.outputs.emplace_back(CloseStream{s.conn});
  streams_.clear();
}

bool RelayStreams::connected(Endpoint stream) const {
  auto it = streams_.find(stream);
  return it != streams_.end() && it->second.connected;
}

}  // namespace yt
