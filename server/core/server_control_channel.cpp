#include "server/core/server_control_channel.h"

#include <algorithm>
#include <string_view>

namespace yt {
namespace {

ByteView control_prologue() { return as_bytes(std::string_view(kControlPrologue)); }

const char* reject_text(HandshakeError error) {
  switch (error) {
    case HandshakeError::kWrongResponderKey:
      return "handshake refused: the client did not encrypt to this server's key "
             "(check the pinned server key in the client configuration)";
    case HandshakeError::kInitiatorNotAuthentic:
      return "handshake refused: the client could not prove it holds its key";
    case HandshakeError::kMalformed:
      return "handshake refused: malformed handshake message";
    default:
      return "handshake refused";
  }
}

}  // namespace

Result<ServerControlChannel::Incoming, ServerControlChannel::Error> ServerControlChannel::receive(
    ByteView frame, Time now, const Identity& identity, HandshakeReplayGuard& guard, RandomSource& rng) {
  auto decoded = decode_control_frame(frame);
  if (!decoded) return Err{Error{ChannelFailure::kMalformedFrame}};
  ControlFrame& f = decoded.value();

  if (!session_) {
    if (f.type != ControlFrameType::kHandshakeInit) return Err{Error{ChannelFailure::kMalformedFrame}};
    auto init = read_init(identity, control_prologue(), f.body, now, guard);
    if (!init) {
      ChannelFailure failure = init.error() == HandshakeError::kReplayedHandshake
                                   ? ChannelFailure::kReplayedHandshake
                                   : ChannelFailure::kBadHandshake;
      return Err{Error{failure, init.error()}};
    }
    // The msg1 payload is ignored: login data travels in LoginRequest, under
    // forward secrecy, rather than in msg1.
    auto response = write_response(init.value(), ByteView(), rng);
    if (!response) return Err{Error{ChannelFailure::kBadHandshake, response.error()}};
    ControlFrame reply;
    reply.type = ControlFrameType::kHandshakeResp;
    reply.body = std::move(response.value().message);
    auto framed = frame_for_stream(encode_control_frame(reply));
    if (!framed) return Err{Error{ChannelFailure::kBadHandshake, HandshakeError::kMalformed}};
    session_.emplace(response.value().keys);
    return Incoming(Established{init.value().initiator_static, std::move(*framed)});
  }

  if (f.type != ControlFrameType::kSealed) return Err{Error{ChannelFailure::kMalformedFrame}};
  auto plaintext = session_->open(f.body, ByteView());
  if (!plaintext) {
    // A replayed counter is not an attack signal on lossy UDP, but TCP never
    // duplicates, so on a stream every failure to open is fatal.
    return Err{Error{ChannelFailure::kAuthFailed}};
  }
  auto message = decode_control(plaintext.value());
  if (!message) return Err{Error{ChannelFailure::kMalformedMessage}};
  return Incoming(std::move(message.value()));
}

std::optional<Bytes> ServerControlChannel::seal(const ControlMessage& message) {
  if (!session_) return std::nullopt;
  auto sealed = session_->seal(encode_control(message), ByteView());
  if (!sealed) return std::nullopt;
  ControlFrame frame;
  frame.type = ControlFrameType::kSealed;
  frame.body = std::move(sealed.value());
  return frame_for_stream(encode_control_frame(frame));
}

Bytes ServerControlChannel::reject_frame(HandshakeError error) {
  ControlFrame frame;
  frame.type = ControlFrameType::kHandshakeReject;
  frame.reject_reason = HandshakeRejectReason::kBadHandshake;
  frame.reject_text = reject_text(error);
  // Always fits: the texts above are far below one frame.
  return frame_for_stream(encode_control_frame(frame)).value_or(Bytes());
}

Bytes ServerControlChannel::busy_frame(Duration retry_after, const std::string& why) {
  ControlFrame frame;
  frame.type = ControlFrameType::kHandshakeReject;
  frame.reject_reason = HandshakeRejectReason::kServerBusy;
  frame.reject_text = why;
  std::int64_t seconds = (retry_after.count() + 999999) / 1000000;
  frame.retry_after_s = static_cast<std::uint16_t>(std::clamp<std::int64_t>(seconds, 1, 65535));
  return frame_for_stream(encode_control_frame(frame)).value_or(Bytes());
}

}  // namespace yt
