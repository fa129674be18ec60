#include "server/relay/relay_node.h"

#include <type_traits>

#include "protocol/display_name.h"

namespace yt {

RelayNode::RelayNode(RelayNodeConfig config, Identity identity, RandomSource& rng)
    : config_(std::move(config)),
      identity_(std::move(identity)),
      rng_(rng),
      relay_(config_.relay),
      backoff_(config_.reconnect_min, config_.reconnect_max) {}

void RelayNode::start(Time now) {
  if (phase_ != Phase::kIdle) return;
  backoff_.reset();
  open(now);
}

void RelayNode::open(Time now) {
  conn_ = next_conn_++;
  phase_ = Phase::kConnecting;
  attempt_started_ = now;
  framer_ = StreamFramer{};
  initiator_.reset();
  session_.reset();
  outputs_.push_back(OpenStream{conn_, config_.server});
}

void RelayNode::fail(Time now, RelayNodeNotice::Kind kind, std::string why, bool close_stream) {
  if (close_stream) outputs_.push_back(CloseStream{conn_});
  initiator_.reset();
  session_.reset();
  framer_ = StreamFramer{};
  phase_ = Phase::kRetryWait;
  retry_at_ = now + backoff_.next(rng_);
  notices_.push_back(RelayNodeNotice{kind, std::move(why)});
}

void RelayNode::on_stream_connected(Time now, ConnId conn) {
  if (conn != conn_ || phase_ != Phase::kConnecting) return;
  initiator_.emplace(identity_, config_.server_key, as_bytes(kControlPrologue), rng_);
  auto msg1 = initiator_->write_init(ByteView{});
  if (!msg1) return fail(now, RelayNodeNotice::Kind::kRefused, "the server key is invalid", true);
  phase_ = Phase::kHandshaking;
  ControlFrame frame;
  frame.type = ControlFrameType::kHandshakeInit;
  frame.body = std::move(msg1.value());
  send_frame(frame);
}

void RelayNode::on_stream_accepted(Time now, ConnId conn, Endpoint remote) {
  relay_.on_stream_accepted(now, conn, remote);
  drain_relay();
}

void RelayNode::on_stream_data(Time now, ConnId conn, ByteView data) {
  if (!is_control(conn)) {
    relay_.on_stream_data(now, conn, data);
    drain_relay();
    return;
  }
  if (conn != conn_ || phase_ == Phase::kIdle || phase_ == Phase::kRetryWait || phase_ == Phase::kConnecting) return;
  framer_.push(data);
  // Stop at the first frame that ends the attempt: later bytes belong to a dead one.
  const ConnId attempt = conn_;
  while (phase_ >= Phase::kHandshaking && conn_ == attempt) {
    std::optional<Bytes> frame = framer_.next();
    if (!frame) break;
    control_frame(now, *frame);
  }
  if (phase_ >= Phase::kHandshaking && conn_ == attempt && framer_.failed()) {
    fail(now, RelayNodeNotice::Kind::kLost, "protocol error on the control stream", true);
  }
}

void RelayNode::on_stream_closed(Time now, ConnId conn) {
  if (!is_control(conn)) {
    relay_.on_stream_closed(now, conn);
    drain_relay();
    return;
  }
  if (conn != conn_ || phase_ < Phase::kConnecting) return;
  fail(now, phase_ == Phase::kRegistered ? RelayNodeNotice::Kind::kLost : RelayNodeNotice::Kind::kRefused,
       phase_ == Phase::kConnecting ? "could not connect to the server " + config_.server.to_string()
                                    : "the server closed the connection",
       false);
}

void RelayNode::on_datagram(Time now, Endpoint from, ByteView data) {
  relay_.on_datagram(now, from, data);
  drain_relay();
}

void RelayNode::on_timer(Time now) {
  relay_.on_timer(now);
  drain_relay();
  switch (phase_) {
    case Phase::kIdle:
      break;
    case Phase::kRetryWait:
      if (now >= retry_at_) open(now);
      break;
    case Phase::kConnecting:
    case Phase::kHandshaking:
    case Phase::kRegistering:
      if (now >= attempt_started_ + config_.register_timeout) {
        fail(now, RelayNodeNotice::Kind::kRefused, "no registration answer from the server", true);
      }
      break;
    case Phase::kRegistered:
      if (now >= last_received_ + config_.server_timeout) {
        fail(now, RelayNodeNotice::Kind::kLost, "no frame from the server", true);
      } else if (now >= last_ping_ + config_.ping_interval) {
        last_ping_ = now;
        send(Ping{++ping_nonce_});
      }
      break;
  }
}

std::optional<Time> RelayNode::next_deadline() const {
  std::optional<Time> control;
  switch (phase_) {
    case Phase::kIdle:
      break;
    case Phase::kRetryWait:
      control = retry_at_;
      break;
    case Phase::kConnecting:
    case Phase::kHandshaking:
    case Phase::kRegistering:
      control = attempt_started_ + config_.register_timeout;
      break;
    case Phase::kRegistered:
      control = std::min(last_received_ + config_.server_timeout, last_ping_ + config_.ping_interval);
      break;
  }
  std::optional<Time> relay = relay_.next_deadline();
  if (!control) return relay;
  if (!relay) return control;
  return std::min(*control, *relay);
}

std::vector<RelayNode::Output> RelayNode::drain_outputs() {
  std::vector<Output> out;
  out.swap(outputs_);
  return out;
}

std::vector<RelayNodeNotice> RelayNode::take_notices() {
  std::vector<RelayNodeNotice> out;
  out.swap(notices_);
  return out;
}

void RelayNode::control_frame(Time now, ByteView bytes) {
  auto decoded = decode_control_frame(bytes);
  if (!decoded) return fail(now, RelayNodeNotice::Kind::kLost, "undecodable frame from the server", true);
  ControlFrame& frame = decoded.value();
  switch (frame.type) {
    case ControlFrameType::kHandshakeResp: {
      if (phase_ != Phase::kHandshaking || !initiator_) return;
      auto done = initiator_->read_response(frame.body);
      if (!done) return fail(now, RelayNodeNotice::Kind::kRefused, "the server is not the pinned key", true);
      session_.emplace(done->keys);
      initiator_.reset();
      phase_ = Phase::kRegistering;
      last_received_ = now;
      send(RelayRegister{config_.name, config_.udp, config_.stream});
      return;
    }
    case ControlFrameType::kHandshakeReject:
      // Unauthenticated: shown, quoted, never trusted beyond ending this attempt.
      if (phase_ != Phase::kHandshaking) return;
      return fail(now, RelayNodeNotice::Kind::kRefused,
                  "the server refused the handshake (\"" + escape_unsafe(frame.reject_text) + "\")", true);
    case ControlFrameType::kSealed: {
      if (!session_) return;
      auto plain = session_->open(frame.body, ByteView{});
      if (!plain) return;  // not from our server: ignored, like any forgery
      auto message = decode_control(plain.value());
      if (!message) return fail(now, RelayNodeNotice::Kind::kLost, "undecodable message from the server", true);
      last_received_ = now;
      control_message(now, message.value());
      return;
    }
    case ControlFrameType::kHandshakeInit:
      return;
  }
}

void RelayNode::control_message(Time now, ControlMessage& m) {
  if (auto* keys = std::get_if<RelayKeys>(&m)) {
    relay_.set_ticket_keys(keys->current, keys->previous);
    const bool first = phase_ != Phase::kRegistered;
    has_keys_ = true;
    if (first) {
      phase_ = Phase::kRegistered;
      backoff_.reset();
      last_ping_ = now;
      notices_.push_back(RelayNodeNotice{RelayNodeNotice::Kind::kRegistered,
                                         "registered with " + config_.server.to_string() + " as " + node_id(identity_.public_key)});
    } else {
      notices_.push_back(RelayNodeNotice{RelayNodeNotice::Kind::kKeysRotated,
                                         "ticket key " + std::to_string(keys->current.id)});
    }
  } else if (auto* reply = std::get_if<Reply>(&m)) {
    // The server's answer to a registration it refused (then it closes).
    fail(now, RelayNodeNotice::Kind::kRefused, "registration refused: " + escape_unsafe(reply->message), true);
  } else if (auto* ping = std::get_if<Ping>(&m)) {
    send(Pong{ping->nonce});
  }
  // Pong and anything else a server might add later: the frame already counted as
  // a sign of life.
}

bool RelayNode::send(const ControlMessage& m) {
  if (!session_) return false;
  auto sealed = session_->seal(encode_control(m), ByteView{});
  if (!sealed) return false;
  ControlFrame frame;
  frame.type = ControlFrameType::kSealed;
  frame.body = std::move(sealed.value());
  send_frame(frame);
  return true;
}

void RelayNode::send_frame(const ControlFrame& frame) {
  if (auto framed = frame_for_stream(encode_control_frame(frame))) outputs_.push_back(SendStream{conn_, std::move(*framed)});
}

void RelayNode::drain_relay() {
  for (auto& output : relay_.drain_outputs()) {
    std::visit(
        [this](auto& o) {
          // A node has no channels: those are the server's control connections.
          if constexpr (!std::is_same_v<std::decay_t<decltype(o)>, SendOnChannel>) outputs_.push_back(std::move(o));
        },
        output);
  }
}

}  // namespace yt
