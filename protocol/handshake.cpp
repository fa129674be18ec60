#include "protocol/handshake.h"

#include <sodium.h>

#include <algorithm>

namespace yt {

namespace {

using Key32 = std::array<std::uint8_t, 32>;

constexpr std::size_t kTagSize = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t kEncryptedKeySize = kKeySize + kTagSize;
static_assert(kHandshakeInitOverhead == 1 + kKeySize + kEncryptedKeySize + kTagSize);
static_assert(kHandshakeResponseOverhead == 1 + kKeySize + kTagSize);
static_assert(crypto_generichash_BYTES == 32 && crypto_generichash_KEYBYTES == 32);

template <typename T>
void wipe(T& object) {
  sodium_memzero(&object, sizeof object);
}

// A 32-byte secret wiped when it leaves scope, so no early return can leave a DH
// output or an ephemeral secret on the stack.
struct ScopedSecret {
  Key32 bytes{};
  ScopedSecret() = default;
  ScopedSecret(const ScopedSecret&) = delete;
  ScopedSecret& operator=(const ScopedSecret&) = delete;
  ~ScopedSecret() { wipe(bytes); }
};

// The symmetric half of Noise (h, ck and one-shot k), as a value so a receiver can
// work on a copy and drop it on failure.
struct SymmetricState {
  Key32 h{};
  Key32 ck{};
  Key32 k{};

  ~SymmetricState() {
    wipe(h);
    wipe(ck);
    wipe(k);
  }

  void mix_hash(ByteView data) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, h.size());
    crypto_generichash_update(&st, h.data(), h.size());
    crypto_generichash_update(&st, data.data(), data.size());
    crypto_generichash_final(&st, h.data(), h.size());
  }

  void mix_key(ByteView ikm) { kdf(ck, ikm, ck, k); }

  static void mac(const Key32& key, ByteView a, ByteView b, Key32& out) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, key.data(), key.size(), out.size());
    crypto_generichash_update(&st, a.data(), a.size());
    crypto_generichash_update(&st, b.data(), b.size());
    crypto_generichash_final(&st, out.data(), out.size());
  }

  // `out1` may alias `chaining_key`: the PRK is extracted before either output is
  // written.
  static void kdf(const Key32& chaining_key, ByteView ikm, Key32& out1, Key32& out2) {
    static constexpr std::uint8_t kOne[] = {0x01};
    static constexpr std::uint8_t kTwo[] = {0x02};
    ScopedSecret prk, t1, t2;
    mac(chaining_key, ikm, ByteView(), prk.bytes);
    mac(prk.bytes, ByteView(kOne), ByteView(), t1.bytes);
    mac(prk.bytes, ByteView(t1.bytes.data(), t1.bytes.size()), ByteView(kTwo), t2.bytes);
    out1 = t1.bytes;
    out2 = t2.bytes;
  }

  // Every k is used for one message only (each MixKey precedes one ENC), so the
  // all-zero nonce never repeats under a key.
  Bytes encrypt_and_hash(ByteView plaintext) {
    static constexpr std::uint8_t kZeroNonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
    Bytes out(plaintext.size() + kTagSize);
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        out.data(), out.data() + plaintext.size(), nullptr, plaintext.data(), plaintext.size(),
        h.data(), h.size(), nullptr, kZeroNonce, k.data());
    mix_hash(out);
    return out;
  }

  // Precondition: ciphertext.size() >= kTagSize.
  bool decrypt_and_hash(ByteView ciphertext, Bytes& plaintext) {
    static constexpr std::uint8_t kZeroNonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
    std::size_t text_size = ciphertext.size() - kTagSize;
    plaintext.assign(text_size, 0);
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            plaintext.data(), nullptr, ciphertext.data(), text_size, ciphertext.data() + text_size,
            h.data(), h.size(), kZeroNonce, k.data()) != 0) {
      return false;
    }
    mix_hash(ciphertext);
    return true;
  }

  SessionKeys split(bool initiator) const {
    SessionKeys keys;
    ScopedSecret t1, t2;
    kdf(ck, ByteView(), t1.bytes, t2.bytes);
    keys.send_key = initiator ? t1.bytes : t2.bytes;
    keys.recv_key = initiator ? t2.bytes : t1.bytes;
    keys.handshake_hash = h;
    return keys;
  }
};

ByteView view(const Key32& key) { return ByteView(key.data(), key.size()); }

// Noise allows either rejecting low-order points or using the all-zero result; we
// reject, because a zero DH output would let anyone who can see the public values
// compute the key it feeds.
bool dh(const SecretKey& secret, const PublicKey& pub, ScopedSecret& out) {
  return crypto_scalarmult(out.bytes.data(), secret.data(), pub.data()) == 0;
}

SymmetricState initial_state(ByteView prologue, const PublicKey& responder_static) {
  SymmetricState s;
  crypto_generichash(s.h.data(), s.h.size(),
                     reinterpret_cast<const std::uint8_t*>(kHandshakeProtocolName.data()),
                     kHandshakeProtocolName.size(), nullptr, 0);
  s.ck = s.h;
  s.mix_hash(prologue);
  s.mix_hash(view(responder_static));
  return s;
}

PublicKey read_key(ByteView bytes) {
  PublicKey key{};
  std::copy(bytes.begin(), bytes.begin() + kKeySize, key.begin());
  return key;
}

}  // namespace

// ---- Initiator -------------------------------------------------------------------

HandshakeInitiator::HandshakeInitiator(const Identity& local, const PublicKey& remote_static,
                                       ByteView prologue, RandomSource& rng)
    : local_(local), remote_static_(remote_static), rng_(&rng) {
  SymmetricState s = initial_state(prologue, remote_static_);
  h_ = s.h;
  ck_ = s.ck;
}

HandshakeInitiator::~HandshakeInitiator() {
  wipe(local_.secret_key);
  wipe(ephemeral_secret_);
  wipe(h_);
  wipe(ck_);
}

Result<Bytes, HandshakeError> HandshakeInitiator::write_init(ByteView payload) {
  if (stage_ != Stage::kFresh) return Err{HandshakeError::kWrongState};

  SymmetricState s;
  s.h = h_;
  s.ck = ck_;
  // ss is computed first so that a bad pinned key fails before any randomness is
  // drawn (keeping seeded runs aligned whatever the outcome).
  ScopedSecret static_static;
  if (!dh(local_.secret_key, remote_static_, static_static)) {
    return Err{HandshakeError::kInvalidKey};
  }

  rng_->fill(ephemeral_secret_.data(), ephemeral_secret_.size());
  crypto_scalarmult_base(ephemeral_public_.data(), ephemeral_secret_.data());

  Bytes msg;
  msg.reserve(kHandshakeInitOverhead + payload.size());
  msg.push_back(kHandshakeInitKind);
  msg.insert(msg.end(), ephemeral_public_.begin(), ephemeral_public_.end());
  s.mix_hash(view(ephemeral_public_));

  // Cannot fail: remote_static_ passed the low-order check above, and a clamped
  // scalar times a point of large order is never the identity.
  ScopedSecret shared;
  dh(ephemeral_secret_, remote_static_, shared);
  s.mix_key(view(shared.bytes));
  Bytes c_s = s.encrypt_and_hash(view(local_.public_key));
  msg.insert(msg.end(), c_s.begin(), c_s.end());

  s.mix_key(view(static_static.bytes));
  Bytes c_p = s.encrypt_and_hash(payload);
  msg.insert(msg.end(), c_p.begin(), c_p.end());

  h_ = s.h;
  ck_ = s.ck;
  stage_ = Stage::kAwaitingResponse;
  return msg;
}

Result<HandshakeInitiator::Completed, HandshakeError> HandshakeInitiator::read_response(
    ByteView msg2) {
  if (stage_ != Stage::kAwaitingResponse) return Err{HandshakeError::kWrongState};
  if (msg2.size() < kHandshakeResponseOverhead || msg2[0] != kHandshakeResponseKind) {
    return Err{HandshakeError::kMalformed};
  }
  PublicKey responder_ephemeral = read_key(msg2.subview(1, kKeySize));

  SymmetricState s;
  s.h = h_;
  s.ck = ck_;
  s.mix_hash(view(responder_ephemeral));
  ScopedSecret shared;
  if (!dh(ephemeral_secret_, responder_ephemeral, shared)) return Err{HandshakeError::kMalformed};
  s.mix_key(view(shared.bytes));
  // Cannot fail: E_r just passed the low-order check in ee.
  dh(local_.secret_key, responder_ephemeral, shared);
  s.mix_key(view(shared.bytes));

  Completed done;
  if (!s.decrypt_and_hash(msg2.subview(1 + kKeySize), done.payload)) {
    return Err{HandshakeError::kResponderNotAuthentic};
  }
  done.keys = s.split(/*initiator=*/true);

  wipe(ephemeral_secret_);
  stage_ = Stage::kDone;
  return done;
}

// ---- Replay guard -------------------------------------------------------------------

HandshakeReplayGuard::HandshakeReplayGuard(Duration window, std::size_t capacity)
    : window_(window), capacity_(std::max<std::size_t>(capacity, 1)) {}

void HandshakeReplayGuard::expire(Time now) {
  while (!by_age_.empty() && now - by_age_.front().recorded >= window_) {
    keys_.erase(by_age_.front().key);
    by_age_.pop_front();
  }
}

bool HandshakeReplayGuard::seen_before(const PublicKey& ephemeral, Time now) {
  expire(now);
  if (keys_.count(ephemeral) != 0) return true;
  if (by_age_.size() >= capacity_) {
    keys_.erase(by_age_.front().key);
    by_age_.pop_front();
  }
  by_age_.push_back(Entry{ephemeral, now});
  keys_.insert(ephemeral);
  return false;
}

// ---- Responder ----------------------------------------------------------------------

struct HandshakeResponderAccess {
  static InitReceived make() { return InitReceived(); }
  static Key32& h(InitReceived& r) { return r.h_; }
  static Key32& ck(InitReceived& r) { return r.ck_; }
  static PublicKey& initiator_ephemeral(InitReceived& r) { return r.initiator_ephemeral_; }
  static bool& answered(InitReceived& r) { return r.answered_; }
};

InitReceived::~InitReceived() {
  wipe(h_);
  wipe(ck_);
}

Result<InitReceived, HandshakeError> read_init(const Identity& local, ByteView prologue,
                                               ByteView msg1, Time now,
                                               HandshakeReplayGuard& guard) {
  if (msg1.size() < kHandshakeInitOverhead || msg1[0] != kHandshakeInitKind) {
    return Err{HandshakeError::kMalformed};
  }
  PublicKey initiator_ephemeral = read_key(msg1.subview(1, kKeySize));

  SymmetricState s = initial_state(prologue, local.public_key);
  s.mix_hash(view(initiator_ephemeral));
  ScopedSecret shared;
  if (!dh(local.secret_key, initiator_ephemeral, shared)) return Err{HandshakeError::kMalformed};
  s.mix_key(view(shared.bytes));

  Bytes static_plain;
  if (!s.decrypt_and_hash(msg1.subview(1 + kKeySize, kEncryptedKeySize), static_plain)) {
    return Err{HandshakeError::kWrongResponderKey};
  }
  PublicKey initiator_static = read_key(static_plain);

  // A low-order static key has no owner to authenticate; refusing it here also
  // keeps the ss key from being the public constant DH would otherwise yield.
  if (!dh(local.secret_key, initiator_static, shared)) {
    return Err{HandshakeError::kInitiatorNotAuthentic};
  }
  s.mix_key(view(shared.bytes));

  InitReceived received = HandshakeResponderAccess::make();
  if (!s.decrypt_and_hash(msg1.subview(1 + kKeySize + kEncryptedKeySize), received.payload)) {
    return Err{HandshakeError::kInitiatorNotAuthentic};
  }
  // Only now, with msg1 authenticated, may it occupy a slot in the guard.
  if (guard.seen_before(initiator_ephemeral, now)) return Err{HandshakeError::kReplayedHandshake};

  received.initiator_static = initiator_static;
  HandshakeResponderAccess::h(received) = s.h;
  HandshakeResponderAccess::ck(received) = s.ck;
  HandshakeResponderAccess::initiator_ephemeral(received) = initiator_ephemeral;
  return received;
}

Result<ResponderCompleted, HandshakeError> write_response(InitReceived& state, ByteView payload,
                                                          RandomSource& rng) {
  bool& answered = HandshakeResponderAccess::answered(state);
  if (answered) return Err{HandshakeError::kWrongState};

  SymmetricState s;
  s.h = HandshakeResponderAccess::h(state);
  s.ck = HandshakeResponderAccess::ck(state);
  const PublicKey& initiator_ephemeral = HandshakeResponderAccess::initiator_ephemeral(state);

  ScopedSecret ephemeral_secret;
  rng.fill(ephemeral_secret.bytes.data(), ephemeral_secret.bytes.size());
  PublicKey ephemeral_public;
  crypto_scalarmult_base(ephemeral_public.data(), ephemeral_secret.bytes.data());

  ResponderCompleted out;
  out.message.reserve(kHandshakeResponseOverhead + payload.size());
  out.message.push_back(kHandshakeResponseKind);
  out.message.insert(out.message.end(), ephemeral_public.begin(), ephemeral_public.end());
  s.mix_hash(view(ephemeral_public));

  // Both peer keys passed the low-order check in read_init, so neither DH can fail.
  ScopedSecret shared;
  dh(ephemeral_secret.bytes, initiator_ephemeral, shared);
  s.mix_key(view(shared.bytes));
  dh(ephemeral_secret.bytes, state.initiator_static, shared);
  s.mix_key(view(shared.bytes));

  Bytes c_p = s.encrypt_and_hash(payload);
  out.message.insert(out.message.end(), c_p.begin(), c_p.end());
  out.keys = s.split(/*initiator=*/false);

  answered = true;
  wipe(HandshakeResponderAccess::ck(state));
  return out;
}

}  // namespace yt
