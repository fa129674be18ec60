// Test support for the client core's unit tests: a core with its outputs sorted by
// kind, a scripted server side of the control connection (the real Noise handshake
// and sealing, every reply chosen by the test), and a two-client datagram wire with
// a manual clock.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "client/core/client_context.h"
#include "client/core/client_core.h"
#include "client/core/tcp_mapping_probe.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"

namespace yt::test {

constexpr Time kT0 = time_from_us(1'000'000);
inline const Endpoint kServer{Ipv4::from_octets(198, 51, 100, 1), 443};
inline const Endpoint kDiscovery{Ipv4::from_octets(198, 51, 100, 1), 3478};

// A ClientCore and everything it has output so far, by kind.
struct Driven {
  Driven(std::uint64_t seed, Endpoint address, const PublicKey& server_key, ClientConfig config = {})
      : rng(seed, 7), id_rng(seed, 8), identity(Identity::generate(id_rng)), address(address) {
    config.server = kServer;
    config.server_key = server_key;
    if (config.nickname.empty()) config.nickname = "node" + std::to_string(seed);
    if (config.lan_endpoints.empty()) config.lan_endpoints.push_back(address);
    core = std::make_unique<ClientCore>(config, identity, rng);
  }

  void drain() {
    for (ClientCore::Output& out : core->drain_outputs()) {
      if (auto* d = std::get_if<SendDatagram>(&out)) {
        datagrams.push_back(std::move(*d));
      } else if (auto* o = std::get_if<OpenStream>(&out)) {
        opens.push_back(*o);
      } else if (auto* s = std::get_if<SendStream>(&out)) {
        stream[s->conn].insert(stream[s->conn].end(), s->data.begin(), s->data.end());
      } else if (auto* c = std::get_if<CloseStream>(&out)) {
        closes.push_back(*c);
      } else if (auto* k = std::get_if<CloseSocket>(&out)) {
        closed_sockets.push_back(k->socket);
      } else if (auto* l = std::get_if<ListenStream>(&out)) {
        listens.push_back(*l);
      } else {
        events.push_back(std::get<ClientEvent>(std::move(out)));
      }
    }
  }

  template <typename E>
  std::vector<E> events_of() const {
    std::vector<E> out;
    for (const ClientEvent& e : events) {
      if (const E* x = std::get_if<E>(&e)) out.push_back(*x);
    }
    return out;
  }
  // Datagrams of one type sent so far, decoded, with their destinations.
  template <typename D>
  std::vector<std::pair<Endpoint, D>> sent() const {
    std::vector<std::pair<Endpoint, D>> out;
    for (const SendDatagram& d : datagrams) {
      auto decoded = decode_datagram(d.payload);
      if (!decoded) continue;
      if (const D* x = std::get_if<D>(&decoded.value())) out.emplace_back(d.to, *x);
    }
    return out;
  }
  // Stream bytes written on `conn` and not yet taken.
  Bytes take_stream(ConnId conn) {
    Bytes out = std::move(stream[conn]);
    stream[conn].clear();
    return out;
  }

  void start(Time now) { core->start(now); drain(); }
  void timer(Time now) { core->on_timer(now); drain(); }
  void connected(Time now, ConnId conn) { core->on_stream_connected(now, conn); drain(); }
  void data(Time now, ConnId conn, ByteView bytes) { core->on_stream_data(now, conn, bytes); drain(); }
  void closed(Time now, ConnId conn) { core->on_stream_closed(now, conn); drain(); }
  void datagram(Time now, Endpoint from, ByteView bytes) { core->on_datagram(now, from, bytes); drain(); }
  // Fires every timer due up to `until`, in order; returns the times it fired.
  std::vector<Time> run_timers(Time until) {
    std::vector<Time> fired;
    for (int guard = 0; guard < 100000; ++guard) {
      auto t = core->next_deadline();
      if (!t || *t > until) break;
      fired.push_back(*t);
      timer(*t);
    }
    return fired;
  }
  const ClientStats& stats() const { return core->stats(); }

  SeededRandom rng;
  SeededRandom id_rng;
  Identity identity;
  Endpoint address;
  std::vector<Endpoint> aliases;  // more addresses the Wire delivers to this client
  std::unique_ptr<ClientCore> core;

  std::vector<SendDatagram> datagrams;
  std::vector<SocketId> closed_sockets;
  std::vector<OpenStream> opens;
  std::vector<ListenStream> listens;
  std::map<ConnId, Bytes> stream;
  std::vector<CloseStream> closes;
  std::vector<ClientEvent> events;
};

// The server side of one control connection, scripted by the test.
class ScriptedServer {
 public:
  explicit ScriptedServer(const Identity& identity, std::uint64_t seed = 99) : identity_(identity), rng_(seed, 3) {}

  // Frames in `bytes` from the client, decoded (asserting they decode).
  std::vector<ControlFrame> frames(ByteView bytes) {
    framer_.push(bytes);
    std::vector<ControlFrame> out;
    while (auto f = framer_.next()) {
      auto decoded = decode_control_frame(*f);
      EXPECT_TRUE(decoded.ok());
      if (decoded) out.push_back(std::move(decoded.value()));
    }
    return out;
  }
  // Opens sealed frames into messages (asserting they open).
  std::vector<ControlMessage> messages(ByteView bytes) {
    std::vector<ControlMessage> out;
    for (ControlFrame& f : frames(bytes)) {
      EXPECT_EQ(f.type, ControlFrameType::kSealed);
      if (f.type != ControlFrameType::kSealed || !session_) continue;
      auto plain = session_->open(f.body, ByteView{});
      EXPECT_TRUE(plain.ok());
      if (!plain) continue;
      auto m = decode_control(plain.value());
      EXPECT_TRUE(m.ok());
      if (m) out.push_back(std::move(m.value()));
    }
    return out;
  }
  // Answers a kHandshakeInit frame: the framed kHandshakeResp (empty when msg1
  // did not authenticate, with `error` set).
  Bytes accept(const ControlFrame& init, Time now, std::optional<HandshakeError>* error = nullptr) {
    auto received = read_init(identity_, as_bytes(kControlPrologue), init.body, now, guard_);
    if (!received) {
      if (error) *error = received.error();
      return {};
    }
    client_key = received->initiator_static;
    auto response = write_response(received.value(), ByteView{}, rng_);
    EXPECT_TRUE(response.ok());
    session_.emplace(response->keys);
    ControlFrame frame;
    frame.type = ControlFrameType::kHandshakeResp;
    frame.body = response->message;
    return *frame_for_stream(encode_control_frame(frame));
  }
  static Bytes reject(HandshakeRejectReason reason, const std::string& text, std::uint16_t retry_after_s = 0) {
    ControlFrame frame;
    frame.type = ControlFrameType::kHandshakeReject;
    frame.reject_reason = reason;
    frame.reject_text = text;
    frame.retry_after_s = retry_after_s;
    return *frame_for_stream(encode_control_frame(frame));
  }
  Bytes seal(const ControlMessage& m) {
    auto sealed = session_->seal(encode_control(m), ByteView{});
    ControlFrame frame;
    frame.type = ControlFrameType::kSealed;
    frame.body = sealed.value();
    return *frame_for_stream(encode_control_frame(frame));
  }
  bool established() const { return session_.has_value(); }

  PublicKey client_key{};

 private:
  Identity identity_;
  SeededRandom rng_;
  HandshakeReplayGuard guard_;
  StreamFramer framer_;
  std::optional<Session> session_;
};

inline Identity make_server_identity(std::uint64_t seed = 5) {
  SeededRandom rng(seed, 1);
  return Identity::generate(rng);
}

inline LoginReply ok_login(Ipv4 vip, std::uint64_t token = 77) {
  LoginReply reply;
  reply.code = ReplyCode::kOk;
  reply.virtual_ip = vip;
  reply.prefix_length = 8;
  reply.discovery_token = token;
  reply.discovery_endpoints = {kDiscovery};
  return reply;
}

// Runs one connection attempt of `c` to `server` up to a sent LoginRequest. Returns
// the ConnId; the client's stream bytes are consumed.
inline ConnId handshake(Driven& c, ScriptedServer& server, Time now) {
  EXPECT_FALSE(c.opens.empty());
  ConnId conn = c.opens.back().conn;
  c.connected(now, conn);
  auto frames = server.frames(c.take_stream(conn));
  EXPECT_EQ(frames.size(), 1u);
  if (frames.empty()) return conn;
  EXPECT_EQ(frames[0].type, ControlFrameType::kHandshakeInit);
  c.data(now, conn, server.accept(frames[0], now));
  auto login = server.messages(c.take_stream(conn));
  EXPECT_EQ(login.size(), 1u);
  EXPECT_TRUE(!login.empty() && std::holds_alternative<LoginRequest>(login[0]));
  return conn;
}

// Plays the server's side of the client's TCP mapping connection
// (tcp_mapping_probe.h) opened since the last call: it connects, the kTcpMapping
// frame is read, and the server closes it. Returns how many it answered.
inline std::size_t answer_tcp_mapping(Driven& c, Time now) {
  std::size_t answered = 0;
  for (std::size_t i = 0; i < c.opens.size(); ++i) {
    const OpenStream open = c.opens[i];
    if (open.conn < TcpMappingProbe::kFirstConn || open.conn >= ClientContext::kFirstPunchConn) continue;
    c.opens.erase(c.opens.begin() + static_cast<std::ptrdiff_t>(i--));
    c.connected(now, open.conn);
    EXPECT_FALSE(c.take_stream(open.conn).empty());
    c.closed(now, open.conn);
    ++answered;
  }
  return answered;
}

// Takes `c` from start() to kOnline: handshake, login, the TCP mapping connection,
// one discovery round trip answered with `mapped`, the report consumed. Returns the
// ConnId.
inline ConnId bring_online(Driven& c, ScriptedServer& server, Time now, Endpoint mapped, Ipv4 vip) {
  c.start(now);
  ConnId conn = handshake(c, server, now);
  c.data(now, conn, server.seal(ok_login(vip)));
  answer_tcp_mapping(c, now);
  auto probes = c.sent<DiscoveryProbe>();
  EXPECT_FALSE(probes.empty());
  if (probes.empty()) return conn;
  c.datagram(now, kDiscovery, encode_datagram(DiscoveryReply{probes.back().second.transaction, mapped, kDiscovery}));
  auto report = server.messages(c.take_stream(conn));
  EXPECT_EQ(report.size(), 1u);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
  return conn;
}

// Two clients whose datagrams to each other's address are delivered after `delay`,
// with hooks to drop or rewrite them. Time is the wire's clock.
class Wire {
 public:
  Wire(Driven& a, Driven& b, Duration delay = 10ms) : a_(a), b_(b), delay_(delay) {}

  // Return false to drop. May rewrite the payload or the source. Sees the
  // datagrams between the two clients, not those to the relay.
  std::function<bool(SendDatagram&, Endpoint& from)> filter;
  // When set, a relay at this endpoint: it binds any ticket (no mac check) and
  // forwards RelayData between the two bound sides of a pair, each after `delay`.
  std::optional<Endpoint> relay;

  Time now = kT0;

  // Moves new outputs of both clients onto the wire; delivers and fires timers up to
  // `until`, in time order.
  void run_until(Time until) {
    for (int guard = 0; guard < 1000000; ++guard) {
      collect();
      std::optional<Time> next;
      if (!in_flight_.empty()) next = in_flight_.begin()->first.first;
      for (Driven* d : {&a_, &b_}) {
        auto t = d->core->next_deadline();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > until) break;
      now = std::max(now, *next);
      if (!in_flight_.empty() && in_flight_.begin()->first.first <= now) {
        auto node = in_flight_.extract(in_flight_.begin());
        Flight& f = node.mapped();
        f.to->datagram(now, f.from, f.payload);
        continue;
      }
      for (Driven* d : {&a_, &b_}) {
        auto t = d->core->next_deadline();
        if (t && *t <= now) d->timer(now);
      }
    }
    now = std::max(now, until);
    collect();
  }
  void run_for(Duration d) { run_until(now + d); }

  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;
  std::uint64_t relayed = 0;  // datagrams the relay forwarded

 private:
  struct Flight {
    Driven* to;
    Endpoint from;
    Bytes payload;
  };
  void collect() {
    for (auto [src, dst] : {std::pair{&a_, &b_}, std::pair{&b_, &a_}}) {
      for (std::size_t i = cursor_[src]; i < src->datagrams.size(); ++i) {
        SendDatagram d = src->datagrams[i];
        Endpoint from = src->address;
        bool for_dst = d.to == dst->address ||
                       std::find(dst->aliases.begin(), dst->aliases.end(), d.to) != dst->aliases.end();
        if (relay && d.to == *relay) {
          relay_datagram(*src, d);
          continue;
        }
        if (!for_dst) continue;  // to the server, or a candidate nobody has
        if (filter && !filter(d, from)) {
          ++dropped;
          continue;
        }
        ++delivered;
        in_flight_.emplace(std::make_pair(now + delay_, seq_++), Flight{dst, from, std::move(d.payload)});
      }
      cursor_[src] = src->datagrams.size();
    }
  }

  // The fake relay (`relay`): bound sides by (pair, side).
  void relay_datagram(Driven& src, const SendDatagram& d) {
    auto decoded = decode_datagram(d.payload);
    if (!decoded) return;
    if (auto* bind = std::get_if<RelayBind>(&decoded.value())) {
      bound_[{bind->pair_id, bind->side}] = &src;
      const bool peer = bound_.count({bind->pair_id, static_cast<std::uint8_t>(1 - bind->side)}) > 0;
      RelayBound answer{bind->pair_id, bind->side, bind->sequence, RelayBindResult::kBound, peer};
      in_flight_.emplace(std::make_pair(now + delay_, seq_++), Flight{&src, *relay, encode_datagram(answer)});
    } else if (auto* data = std::get_if<RelayData>(&decoded.value())) {
      auto to = bound_.find({data->pair_id, static_cast<std::uint8_t>(1 - data->side)});
      if (to == bound_.end()) return;
      ++relayed;
      in_flight_.emplace(std::make_pair(now + delay_, seq_++), Flight{to->second, *relay, d.payload});
    }
  }

  Driven& a_;
  Driven& b_;
  Duration delay_;
  std::map<std::pair<std::uint64_t, std::uint8_t>, Driven*> bound_;
  std::map<Driven*, std::size_t> cursor_;
  std::map<std::pair<Time, std::uint64_t>, Flight> in_flight_;
  std::uint64_t seq_ = 0;
};

}  // namespace yt::test
