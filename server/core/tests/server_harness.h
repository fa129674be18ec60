// Test scaffolding: a ServerCore on a manual clock, and fake clients that speak the
// real control protocol to it (HandshakeInitiator + Session over StreamFramer), so
// the tests exercise exactly the bytes a real client would send.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"
#include "server/core/memory_storage.h"
#include "server/core/server_core.h"

namespace yt::test {

inline const Endpoint kPrimary{Ipv4::from_octets(198, 51, 100, 1), 3478};

inline ServerConfig test_config() {
  ServerConfig config;
  config.discovery_endpoints = {kPrimary};
  config.password_strength = PwhashStrength::minimum();
  return config;
}

class FakeClient {
 public:
  FakeClient(ConnId conn, Identity identity, PublicKey pinned, Endpoint remote)
      : conn_(conn), identity_(identity), pinned_(pinned), remote_(remote),
        rng_(conn, 7), initiator_(identity_, pinned_, as_bytes(std::string_view(kControlPrologue)), rng_) {}

  ConnId conn() const { return conn_; }
  const PublicKey& key() const { return identity_.public_key; }
  const Identity& identity() const { return identity_; }
  Endpoint remote() const { return remote_; }
  bool closed() const { return closed_; }
  bool established() const { return session_.has_value(); }
  std::uint64_t token() const { return token_; }
  Ipv4 virtual_ip() const { return virtual_ip_; }

  // Bytes the server sent to this connection.
  void on_server_bytes(ByteView data) {
    framer_.push(data);
    while (auto frame = framer_.next()) {
      auto decoded = decode_control_frame(*frame);
      ASSERT_TRUE(decoded.ok()) << "server sent an undecodable frame";
      ControlFrame& f = decoded.value();
      if (f.type == ControlFrameType::kHandshakeResp) {
        auto done = initiator_.read_response(f.body);
        ASSERT_TRUE(done.ok());
        session_.emplace(done.value().keys);
      } else if (f.type == ControlFrameType::kHandshakeReject) {
        rejects_.push_back(f);
      } else if (f.type == ControlFrameType::kSealed) {
        ASSERT_TRUE(session_.has_value());
        auto plain = session_->open(f.body, ByteView());
        ASSERT_TRUE(plain.ok());
        auto message = decode_control(plain.value());
        ASSERT_TRUE(message.ok());
        if (auto* reply = std::get_if<LoginReply>(&message.value()); reply && reply->code == ReplyCode::kOk) {
          token_ = reply->discovery_token;
          virtual_ip_ = reply->virtual_ip;
        }
        inbox_.push_back(std::move(message.value()));
      } else {
        ADD_FAILURE() << "unexpected frame type from the server";
      }
    }
  }
  void on_server_close() { closed_ = true; }

  // Every received message of type T, removed from the inbox.
  template <typename T>
  std::vector<T> take() {
    std::vector<T> out;
    std::vector<ControlMessage> rest;
    for (ControlMessage& m : inbox_) {
      if (auto* t = std::get_if<T>(&m)) {
        out.push_back(std::move(*t));
      } else {
        rest.push_back(std::move(m));
      }
    }
    inbox_ = std::move(rest);
    return out;
  }
  std::vector<ControlMessage>& inbox() { return inbox_; }
  std::vector<ControlFrame>& rejects() { return rejects_; }

  Bytes hello_bytes() {
    auto msg1 = initiator_.write_init(ByteView());
    EXPECT_TRUE(msg1.ok());
    ControlFrame frame;
    frame.type = ControlFrameType::kHandshakeInit;
    frame.body = msg1.value();
    return *frame_for_stream(encode_control_frame(frame));
  }
  Bytes sealed_bytes(const ControlMessage& message) {
    auto sealed = session_->seal(encode_control(message), ByteView());
    ControlFrame frame;
    frame.type = ControlFrameType::kSealed;
    frame.body = sealed.value();
    return *frame_for_stream(encode_control_frame(frame));
  }

 private:
  ConnId conn_;
  Identity identity_;
  PublicKey pinned_;
  Endpoint remote_;
  SeededRandom rng_;
  HandshakeInitiator initiator_;
  std::optional<Session> session_;
  StreamFramer framer_;
  std::vector<ControlMessage> inbox_;
  std::vector<ControlFrame> rejects_;
  bool closed_ = false;
  std::uint64_t token_ = 0;
  Ipv4 virtual_ip_;
};

// Owns the server (over a storage it may share with a "restarted" server) and routes
// its outputs to the fake clients. Time only moves when a test says so.
class Harness {
 public:
  explicit Harness(Storage& storage, ServerConfig config = test_config(), std::uint64_t seed = 1)
      : storage_(storage), server_rng_(seed, 0), key_rng_(seed, 1),
        server_(config, Identity::generate(key_rng_), storage_, server_rng_) {}

  ServerCore& server() { return server_; }
  Time now() const { return now_; }
  void advance(Duration d) {
    now_ += d;
    auto deadline = server_.next_deadline();
    if (deadline && *deadline <= now_) {
      server_.on_timer(now_);
      pump();
    }
  }

  // A connected client with a fresh identity (or `identity`), not yet handshaken.
  // Each from its own address unless `from` says otherwise.
  FakeClient& connect(std::optional<Identity> identity = std::nullopt, std::optional<PublicKey> pinned = std::nullopt,
                      std::optional<Ipv4> from = std::nullopt) {
    ConnId conn = next_conn_++;
    Identity id = identity ? *identity : Identity::generate(key_rng_);
    Endpoint remote{from ? *from : Ipv4::from_octets(203, 0, 113, static_cast<std::uint8_t>(conn)),
                    static_cast<std::uint16_t>(40000 + conn % 20000)};
    clients_.push_back(std::make_unique<FakeClient>(conn, id, pinned ? *pinned : server_.public_key(), remote));
    FakeClient& c = *clients_.back();
    by_conn_[conn] = &c;
    server_.on_stream_accepted(now_, conn, remote);
    pump();
    return c;
  }

  void send_bytes(FakeClient& c, ByteView bytes) {
    server_.on_stream_data(now_, c.conn(), bytes);
    pump();
  }
  void handshake(FakeClient& c) { send_bytes(c, c.hello_bytes()); }
  void send(FakeClient& c, const ControlMessage& m) { send_bytes(c, c.sealed_bytes(m)); }
  void close(FakeClient& c) {
    server_.on_stream_closed(now_, c.conn());
    pump();
  }

  // Handshake + LoginRequest; returns the LoginReply.
  LoginReply login(FakeClient& c, const std::string& nickname = "", std::vector<Endpoint> lan = {}) {
    handshake(c);
    EXPECT_TRUE(c.established());
    send(c, LoginRequest{nickname, std::move(lan)});
    auto replies = c.take<LoginReply>();
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? LoginReply{} : replies.back();
  }

  // Returns the server's answer, if any.
  std::optional<DiscoveryReply> probe(FakeClient& c, Endpoint from, std::uint64_t token, Endpoint to = kPrimary,
                                      bool change_ip = false, bool change_port = false) {
    DiscoveryProbe p{token, ++transaction_, change_ip, change_port};
    server_.on_datagram(now_, to, from, encode_datagram(p));
    pump();
    if (datagrams_.empty()) return std::nullopt;
    SendDatagram sent = datagrams_.back();
    datagrams_.clear();
    EXPECT_EQ(sent.to, from);
    auto decoded = decode_datagram(sent.payload);
    EXPECT_TRUE(decoded.ok());
    auto* reply = std::get_if<DiscoveryReply>(&decoded.value());
    EXPECT_NE(reply, nullptr);
    if (!reply) return std::nullopt;
    EXPECT_EQ(reply->transaction, transaction_);
    EXPECT_EQ(reply->responder, sent.from);
    last_from_ = sent.from;
    return *reply;
  }
  Endpoint last_reply_source() const { return last_from_; }

  // Probe from `mapped`, then report: the client goes online.
  void discover(FakeClient& c, Endpoint mapped) {
    auto reply = probe(c, mapped, c.token());
    ASSERT_TRUE(reply.has_value());
    DiscoveryReport report;
    report.mapped_endpoint = reply->mapped;
    send(c, report);
  }

  // Login + discovery with a mapped endpoint derived from the connection id.
  void bring_online(FakeClient& c, const std::string& nickname = "", std::vector<Endpoint> lan = {},
                    std::optional<Endpoint> mapped = std::nullopt) {
    login(c, nickname, std::move(lan));
    discover(c, mapped ? *mapped : Endpoint{c.remote().ip, static_cast<std::uint16_t>(50000 + c.conn())});
  }

  Reply request(FakeClient& c, const ControlMessage& m) {
    send(c, m);
    auto replies = c.take<Reply>();
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? Reply{} : replies.back();
  }

  std::vector<SendDatagram>& datagrams() { return datagrams_; }
  // Every output ever drained, in order (for determinism checks).
  const std::vector<ServerCore::Output>& history() const { return history_; }

  void pump() {
    for (ServerCore::Output& out : server_.drain_outputs()) {
      history_.push_back(out);
      if (auto* s = std::get_if<SendStream>(&out)) {
        auto it = by_conn_.find(s->conn);
        ASSERT_NE(it, by_conn_.end());
        EXPECT_FALSE(it->second->closed()) << "data after close";
        it->second->on_server_bytes(s->data);
      } else if (auto* c = std::get_if<CloseStream>(&out)) {
        auto it = by_conn_.find(c->conn);
        ASSERT_NE(it, by_conn_.end());
        it->second->on_server_close();
      } else if (auto* d = std::get_if<SendDatagram>(&out)) {
        datagrams_.push_back(*d);
      }
    }
  }

 private:
  Storage& storage_;
  SeededRandom server_rng_;
  SeededRandom key_rng_;
  ServerCore server_;
  Time now_ = time_from_us(1'000'000);
  ConnId next_conn_ = 1;
  std::vector<std::unique_ptr<FakeClient>> clients_;
  std::map<ConnId, FakeClient*> by_conn_;
  std::vector<SendDatagram> datagrams_;
  std::vector<ServerCore::Output> history_;
  std::uint64_t transaction_ = 0;
  Endpoint last_from_;
};

}  // namespace yt::test
