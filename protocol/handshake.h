// Mutually authenticated key exchange with forward secrecy: the Noise IK pattern
// over X25519, ChaCha20-Poly1305 and BLAKE2b. The initiator knows the responder's
// static public key in advance (a client pins its server's key; a peer learns the
// other peer's key from the server). One round trip:
//
//   IK:  <- s
//        ...
//        -> e, es, s, ss   (+ encrypted payload)     msg1
//        <- e, ee, se      (+ encrypted payload)     msg2
//
// The payloads carry whatever the callers need (login data, tunnel parameters).
// The msg1 payload is encrypted to the responder's static key (no forward secrecy
// for it if that key later leaks), and is replayable: see HandshakeReplayGuard.
// The msg2 payload and the session keys have full forward secrecy.
//
// ---- Wire spec (yellowtail-ik-v1) -------------------------------------------------
//
// Primitives:
//   DH(sk, pk)      X25519 (crypto_scalarmult). An all-zero result (pk of low order)
//                   is an error, never used as a key.
//   HASH(x)         BLAKE2b, 32-byte output, unkeyed (crypto_generichash).
//   MAC(k, x)       BLAKE2b, 32-byte output, keyed with the 32-byte k. Keyed BLAKE2b is
//                   a PRF on its own, so it replaces Noise's HMAC-HASH.
//   KDF(ck, ikm)    prk = MAC(ck, ikm); t1 = MAC(prk, 0x01); t2 = MAC(prk, t1 || 0x02);
//                   returns (t1, t2): Noise's HKDF with MAC in place of HMAC.
//   ENC(k, ad, p)   ChaCha20-Poly1305-IETF, nonce = 12 zero bytes (every k below is
//                   used for exactly one message), output ciphertext || 16-byte tag.
//   MixHash(x):     h = HASH(h || x)
//   MixKey(x):      (ck, k) = KDF(ck, x)
//
// Initial state (both sides):
//   h  = HASH("yellowtail-ik-v1/X25519/ChaChaPoly/BLAKE2b")   (kHandshakeProtocolName)
//   ck = h
//   MixHash(prologue)          caller-supplied; both sides must pass the same bytes
//   MixHash(S_r)               responder's static public key (the IK pre-message)
//
// msg1, initiator -> responder, 1 + 32 + 48 + (n + 16) bytes:
//   0x01                         kind byte (not hashed; fixed per version)
//   E_i                          fresh ephemeral public key;        MixHash(E_i)
//                                MixKey(DH(e_i, S_r))               -- es
//   c_s = ENC(k, h, S_i)         48 bytes;                          MixHash(c_s)
//                                MixKey(DH(s_i, S_r))               -- ss
//   c_p = ENC(k, h, payload)     n + 16 bytes;                      MixHash(c_p)
//
// msg2, responder -> initiator, 1 + 32 + (n + 16) bytes:
//   0x02                         kind byte
//   E_r                          fresh ephemeral public key;        MixHash(E_r)
//                                MixKey(DH(e_r, E_i))               -- ee
//                                MixKey(DH(e_r, S_i))               -- se
//   c_p = ENC(k, h, payload)     n + 16 bytes;                      MixHash(c_p)
//
// Split: (t1, t2) = KDF(ck, empty). Initiator: send = t1, recv = t2; responder the
// reverse. handshake_hash = final h.
//
// A new version gets a new protocol name and new kind bytes; an unknown kind byte
// is kMalformed. The carrier (control stream framing, peer packet header) may add
// its own type byte around these messages; nothing here depends on it.
// -------------------------------------------------------------------------------------
//
// Randomness: each side draws exactly one 32-byte ephemeral secret from the injected
// RandomSource, so with SeededRandom the messages are reproducible byte for byte.
// Secrets held by the objects below are wiped when they are destroyed.
// Not thread-safe; single-threaded like every core object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <string_view>

#include "protocol/bytes.h"
#include "protocol/identity.h"
#include "protocol/random.h"
#include "protocol/result.h"
#include "protocol/session.h"
#include "protocol/time.h"

namespace yt {

constexpr std::string_view kHandshakeProtocolName = "yellowtail-ik-v1/X25519/ChaChaPoly/BLAKE2b";
constexpr std::uint8_t kHandshakeInitKind = 0x01;
constexpr std::uint8_t kHandshakeResponseKind = 0x02;
// Sizes with an empty payload; a payload of n bytes adds n.
constexpr std::size_t kHandshakeInitOverhead = 1 + 32 + 48 + 16;
constexpr std::size_t kHandshakeResponseOverhead = 1 + 32 + 16;

enum class HandshakeError : std::uint8_t {
  // Too short, unknown kind byte, or an ephemeral key of low order. Drop.
  kMalformed,
  // read_init: could not open the initiator's encrypted static key, so the initiator
  // encrypted to a key that is not ours (e.g. a client configured with the wrong
  // server key) -- or msg1 is garbage of a plausible length.
  kWrongResponderKey,
  // read_init: the static key opened but the ss-keyed payload did not, so the
  // initiator does not hold the secret of the static key it claims (or that key is
  // of low order). Refuse; do not treat the claimed key as identified.
  kInitiatorNotAuthentic,
  // read_response: msg2 did not open, so whoever answered is not the responder we
  // pinned (fake server, wrong peer) or the message was tampered with. The
  // initiator stays waiting: a later genuine msg2 may still complete.
  kResponderNotAuthentic,
  // read_init: msg1 authenticated but its ephemeral key was accepted before within
  // the guard window: a replay. Drop without answering.
  kReplayedHandshake,
  // write_init: the pinned remote static key is of low order; no message produced.
  kInvalidKey,
  // write_init called twice; read_response called before write_init or after it
  // already succeeded; write_response called twice on the same InitReceived.
  kWrongState,
};

// ---- Initiator ---------------------------------------------------------------------

class HandshakeInitiator {
 public:
  // `local`: our long-term identity. `remote_static`: the responder's pinned key.
  // `prologue`: domain separation (client-server vs peer-peer, network id, ...);
  // copied, so it need not outlive the call. `rng` must outlive this object.
  HandshakeInitiator(const Identity& local, const PublicKey& remote_static, ByteView prologue,
                     RandomSource& rng);
  ~HandshakeInitiator();
  HandshakeInitiator(HandshakeInitiator&&) noexcept = default;
  HandshakeInitiator& operator=(HandshakeInitiator&&) noexcept = default;
  HandshakeInitiator(const HandshakeInitiator&) = delete;
  HandshakeInitiator& operator=(const HandshakeInitiator&) = delete;

  // Builds msg1 carrying `payload`. Call once. Errors: kInvalidKey, kWrongState.
  Result<Bytes, HandshakeError> write_init(ByteView payload);

  struct Completed {
    SessionKeys keys;
    Bytes payload;  // the responder's msg2 payload
  };
  // Processes msg2. On error the initiator is unchanged and may be handed another
  // msg2 (a forged reply must not kill a handshake the genuine reply can finish).
  // After success the ephemeral secret is wiped and later calls fail.
  // Errors: kMalformed, kResponderNotAuthentic, kWrongState.
  Result<Completed, HandshakeError> read_response(ByteView msg2);

 private:
  enum class Stage : std::uint8_t { kFresh, kAwaitingResponse, kDone };

  Identity local_;
  PublicKey remote_static_{};
  RandomSource* rng_;
  Stage stage_ = Stage::kFresh;
  std::array<std::uint8_t, 32> h_{};
  std::array<std::uint8_t, 32> ck_{};
  SecretKey ephemeral_secret_{};
  PublicKey ephemeral_public_{};
};

// ---- Replay guard --------------------------------------------------------------------

// 10 min: longer than any honest msg1 can take to arrive (TCP retransmits give up
// after minutes) and longer than a client's whole login retry ladder, so within it a
// captured msg1 cannot be replayed. A replay after the window is accepted again:
// callers that care (the server displacing a live session on re-login) carry a
// freshness value in the payload or simply let the replaying party fail, since it
// cannot derive the session keys.
constexpr Duration kHandshakeReplayWindow = std::chrono::minutes(10);
// 65536 entries (~8 MB when full): 100 handshakes/s for the whole window. Beyond
// that the oldest entries are evicted, which only shortens their window.
constexpr std::size_t kHandshakeReplayCapacity = 1 << 16;

// Remembers the initiator ephemeral keys of accepted msg1s. read_init consults it only
// after a msg1 fully authenticated, so unauthenticated traffic cannot fill it.
// Memory is bounded by `capacity` entries. `now` must not go backwards (the driver's
// monotonic clock).
class HandshakeReplayGuard {
 public:
  // A capacity of 0 is treated as 1.
  explicit HandshakeReplayGuard(Duration window = kHandshakeReplayWindow,
                                std::size_t capacity = kHandshakeReplayCapacity);

  // True if `ephemeral` was recorded less than `window` before `now`. Otherwise
  // records it at `now` (evicting the oldest entry when full) and returns false.
  bool seen_before(const PublicKey& ephemeral, Time now);

  std::size_t size() const { return by_age_.size(); }

 private:
  struct Entry {
    PublicKey key;
    Time recorded;
  };
  void expire(Time now);

  Duration window_;
  std::size_t capacity_;
  std::deque<Entry> by_age_;
  // Ordered set, not a hash set: authenticated clients choose ephemeral keys and could
  // grind them into one hash bucket; a tree keeps every lookup O(log n).
  std::set<PublicKey> keys_;
};

// ---- Responder -----------------------------------------------------------------------

// The outcome of a valid msg1. `initiator_static` is authenticated: the initiator
// holds its secret. Whether that key is *allowed* (a known account, the expected
// peer) is the caller's decision, made before answering.
class InitReceived {
 public:
  PublicKey initiator_static{};
  Bytes payload;  // the initiator's msg1 payload

  ~InitReceived();
  InitReceived(InitReceived&&) noexcept = default;
  InitReceived& operator=(InitReceived&&) noexcept = default;
  InitReceived(const InitReceived&) = delete;
  InitReceived& operator=(const InitReceived&) = delete;

 private:
  friend struct HandshakeResponderAccess;  // defined in handshake.cpp
  InitReceived() = default;

  // Opaque responder state; only write_response uses it.
  std::array<std::uint8_t, 32> h_{};
  std::array<std::uint8_t, 32> ck_{};
  PublicKey initiator_ephemeral_{};
  bool answered_ = false;
};

// Processes msg1 with our identity `local` and the same `prologue` the initiator
// used. Records the initiator's ephemeral in `guard` only after msg1 authenticated.
// Errors: kMalformed, kWrongResponderKey, kInitiatorNotAuthentic, kReplayedHandshake.
Result<InitReceived, HandshakeError> read_init(const Identity& local, ByteView prologue,
                                               ByteView msg1, Time now,
                                               HandshakeReplayGuard& guard);

struct ResponderCompleted {
  Bytes message;  // msg2, to send to the initiator
  SessionKeys keys;
};
// Builds msg2 carrying `payload` and derives the session keys. Call at most once per
// InitReceived; draws the responder's ephemeral from `rng`. Error: kWrongState.
Result<ResponderCompleted, HandshakeError> write_response(InitReceived& state, ByteView payload,
                                                          RandomSource& rng);

}  // namespace yt
