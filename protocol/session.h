// Transport session: AEAD with counter nonces and a sliding replay window, keyed by a
// completed handshake (protocol/handshake.h).
//
// Wire format of one sealed message (our wire spec):
//
//   [counter: u64 big-endian][ciphertext || 16-byte Poly1305 tag]
//
//   AEAD      ChaCha20-Poly1305-IETF (crypto_aead_chacha20poly1305_ietf_*)
//   key       SessionKeys::send_key when sealing, recv_key when opening
//   nonce     12 bytes = 00 00 00 00 || counter as u64 *little*-endian
//             (the Noise / WireGuard convention; the header carries it big-endian)
//   AD        the caller's associated_data only (e.g. the carrier's packet header);
//             the counter is authenticated through the nonce.
//
// The sender numbers its messages 0, 1, 2, ... and never reuses a number. The
// receiver accepts each counter at most once and only within kReplayWindowSize of the
// highest one accepted (protocol/replay_window.h), so packets may arrive reordered.
//
// Rekeying: after kRekeyAfterMessages sent, needs_rekey() turns true and the owner
// should run a new handshake; the session keeps working until kRejectAfterMessages,
// after which seal() refuses. Time-based rekeying (WireGuard's 2 minutes) is the
// owner's job: a Session has no clock.
//
// Keys are wiped on destruction. A Session is move-only; moving leaves the source
// unable to seal (so two objects can never send under the same nonce).
// Single-threaded.
#pragma once

#include <array>
#include <cstdint>

#include "protocol/bytes.h"
#include "protocol/replay_window.h"
#include "protocol/result.h"

namespace yt {

// Produced by a completed handshake. The initiator's send_key is the responder's
// recv_key and vice versa. handshake_hash is the Noise transcript hash h: equal on
// both sides, unique per handshake, usable as a channel binding; not a secret key.
struct SessionKeys {
  std::array<std::uint8_t, 32> send_key{};
  std::array<std::uint8_t, 32> recv_key{};
  std::array<std::uint8_t, 32> handshake_hash{};
};

enum class SessionError : std::uint8_t {
  // Shorter than header + tag. Drop.
  kMalformed,
  // The tag did not verify: tampered bytes, tampered associated data, or a different
  // key (a stale session, or not our peer). Drop; the window is unchanged.
  kAuthFailed,
  // Counter already accepted, or kReplayWindowSize or more below the highest one
  // accepted. Drop; duplicates are normal on lossy paths, not an attack signal.
  kReplayed,
  // seal(): this session has sent kRejectAfterMessages messages; rekey.
  // open(): the counter is at or past kRejectAfterMessages, which no honest sender
  // uses. Drop.
  kCounterExhausted,
};

constexpr std::size_t kSessionHeaderSize = 8;
constexpr std::size_t kSessionTagSize = 16;
// Bytes seal() adds to a plaintext.
constexpr std::size_t kSessionOverhead = kSessionHeaderSize + kSessionTagSize;

// 2^60, WireGuard's REKEY_AFTER_MESSAGES: unreachable at any real packet rate, so in
// practice the owner's time-based rekey fires first; it bounds how much data one key
// protects if a peer runs for ever.
constexpr std::uint64_t kRekeyAfterMessages = std::uint64_t{1} << 60;
// 2^64 - 2^13 - 1, WireGuard's REJECT_AFTER_MESSAGES: the last counter must never be
// reused, and the margin keeps counter arithmetic (top + window) far from wrapping.
constexpr std::uint64_t kRejectAfterMessages = ~std::uint64_t{0} - (std::uint64_t{1} << 13);

class Session {
 public:
  explicit Session(const SessionKeys& keys);
  ~Session();
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Encrypts `plaintext` bound to `associated_data` under the next counter. Returns
  // header + ciphertext + tag (plaintext.size() + kSessionOverhead bytes).
  // Error: kCounterExhausted only.
  Result<Bytes, SessionError> seal(ByteView plaintext, ByteView associated_data);

  // Authenticates and decrypts one sealed message; on success the counter is marked
  // in the replay window and the plaintext returned. Errors: see SessionError; on
  // any error nothing about the session changes.
  Result<Bytes, SessionError> open(ByteView sealed, ByteView associated_data);

  // The same two without a buffer of their own, for the batched data plane
  // (docs/data-plane.md): no allocation, no copy beyond the cipher's own pass.
  // seal_in_place: `message` holds kSessionHeaderSize bytes of room, then the
  // `plaintext_size` bytes of plaintext, then kSessionTagSize bytes of room; on
  // success it holds the sealed message (plaintext_size + kSessionOverhead bytes).
  Status<SessionError> seal_in_place(std::uint8_t* message, std::size_t plaintext_size, ByteView associated_data);
  // open_to: writes the plaintext (sealed.size() - kSessionOverhead bytes) to `out`,
  // which must not overlap `sealed`, and returns its size. Errors as open().
  Result<std::size_t, SessionError> open_to(ByteView sealed, ByteView associated_data, std::uint8_t* out);

  bool can_seal() const { return send_counter_ < kRejectAfterMessages; }
  bool needs_rekey() const { return send_counter_ >= kRekeyAfterMessages; }
  // Messages sealed so far (= the next counter to use).
  std::uint64_t messages_sent() const { return send_counter_; }
  // Messages that opened successfully.
  std::uint64_t messages_received() const { return received_; }

 private:
  std::array<std::uint8_t, 32> send_key_{};
  std::array<std::uint8_t, 32> recv_key_{};
  std::uint64_t send_counter_ = 0;
  std::uint64_t received_ = 0;
  ReplayWindow window_;
};

}  // namespace yt
