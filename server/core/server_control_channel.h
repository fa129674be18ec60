// The transport of one control connection, server side: u16 stream framing, the
// responder half of the Noise IK handshake (kControlPrologue), and sealing/opening of
// ControlMessages with the resulting Session. It knows nothing about logins or
// networks; ServerCore decides what the messages mean.
//
// Frames the server accepts: exactly one kHandshakeInit first, then only kSealed.
// Sealed frames use empty associated data: the frame header (version, type) is
// already checked before a sealed body is opened. The client core must use empty
// associated data too.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "protocol/handshake.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/random.h"
#include "protocol/result.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"
#include "protocol/time.h"

namespace yt {

// Why a frame was refused. Every failure ends the connection; the kind says which
// counter it lands in and whether the client is told (kBadHandshake only).
enum class ChannelFailure : std::uint8_t {
  kMalformedFrame,     // undecodable frame, or a frame type not allowed in this state
  kBadHandshake,       // msg1 did not authenticate: answer with reject_frame(), close
  kReplayedHandshake,  // msg1 authenticated but was seen before: close without answer
  kAuthFailed,         // a sealed frame did not open
  kMalformedMessage,   // a sealed frame opened but its plaintext is not a ControlMessage
};

class ServerControlChannel {
 public:
  // The handshake completed: send `reply` (already stream-framed), and from now on
  // the channel carries messages from `client`, whose key msg1 authenticated.
  struct Established {
    PublicKey client{};
    Bytes reply;
  };
  using Incoming = std::variant<Established, ControlMessage>;

  struct Error {
    ChannelFailure failure = ChannelFailure::kMalformedFrame;
    HandshakeError handshake = HandshakeError::kMalformed;  // meaningful for handshake failures
  };

  // Stream bytes from the connection, in order. Then call next_frame() until nullopt.
  void push(ByteView data) { framer_.push(data); }
  std::optional<Bytes> next_frame() { return framer_.next(); }
  // A zero-length prefix broke the framing: close the connection.
  bool framing_failed() const { return framer_.failed(); }

  // Interprets one frame. `identity` is the server's; `guard` remembers accepted
  // msg1s (shared by all connections of one server); `rng` draws the ephemeral key.
  // On error the channel is unusable and the caller closes the connection.
  Result<Incoming, Error> receive(ByteView frame, Time now, const Identity& identity,
                                  HandshakeReplayGuard& guard, RandomSource& rng);

  // `message` sealed and framed, ready for SendStream. nullopt when the channel is
  // not established, the session is exhausted, or the frame would exceed
  // kMaxFrameSize (callers keep messages well below it; see snapshot splitting).
  std::optional<Bytes> seal(const ControlMessage& message);

  bool established() const { return session_.has_value(); }

  // A framed kHandshakeReject explaining `error` to a human.
  static Bytes reject_frame(HandshakeError error);
  // A framed kServerBusy reject: try again after `retry_after` (whole seconds, at
  // least 1), `why` for the human.
  static Bytes busy_frame(Duration retry_after, const std::string& why);

 private:
  StreamFramer framer_;
  std::optional<Session> session_;
};

// Bytes a ControlMessage grows by when sealed and framed: u16 length, version and
// type bytes, and the session overhead.
constexpr std::size_t kSealedFrameOverhead = 2 + 2 + kSessionOverhead;

}  // namespace yt
