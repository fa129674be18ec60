#include "protocol/session.h"

#include <sodium.h>

#include <cstring>

namespace yt {

namespace {

constexpr std::size_t kNonceSize = crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
static_assert(kNonceSize == 12, "nonce layout below assumes the IETF 96-bit nonce");
static_assert(kSessionTagSize == crypto_aead_chacha20poly1305_ietf_ABYTES);

std::array<std::uint8_t, kNonceSize> make_nonce(std::uint64_t counter) {
  std::array<std::uint8_t, kNonceSize> nonce{};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
  return nonce;
}

}  // namespace

Session::Session(const SessionKeys& keys) : send_key_(keys.send_key), recv_key_(keys.recv_key) {}

Session::~Session() {
  sodium_memzero(send_key_.data(), send_key_.size());
  sodium_memzero(recv_key_.data(), recv_key_.size());
}

Session::Session(Session&& other) noexcept
    : send_key_(other.send_key_),
      recv_key_(other.recv_key_),
      send_counter_(other.send_counter_),
      received_(other.received_),
      window_(other.window_) {
  // The source keeps a live key and counter otherwise; sealing through it later
  // would reuse nonces under our key.
  sodium_memzero(other.send_key_.data(), other.send_key_.size());
  sodium_memzero(other.recv_key_.data(), other.recv_key_.size());
  other.send_counter_ = kRejectAfterMessages;
}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    send_key_ = other.send_key_;
    recv_key_ = other.recv_key_;
    send_counter_ = other.send_counter_;
    received_ = other.received_;
    window_ = other.window_;
    sodium_memzero(other.send_key_.data(), other.send_key_.size());
    sodium_memzero(other.recv_key_.data(), other.recv_key_.size());
    other.send_counter_ = kRejectAfterMessages;
  }
  return *this;
}

Result<Bytes, SessionError> Session::seal(ByteView plaintext, ByteView associated_data) {
  Bytes out(kSessionOverhead + plaintext.size());
  if (!plaintext.empty()) std::memcpy(out.data() + kSessionHeaderSize, plaintext.data(), plaintext.size());
  if (auto sealed = seal_in_place(out.data(), plaintext.size(), associated_data); !sealed) return Err{sealed.error()};
  return out;
}

Status<SessionError> Session::seal_in_place(std::uint8_t* message, std::size_t plaintext_size,
                                            ByteView associated_data) {
  if (!can_seal()) return Err{SessionError::kCounterExhausted};
  std::uint64_t counter = send_counter_++;
  for (std::size_t i = 0; i < kSessionHeaderSize; ++i) {
    message[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
  }
  auto nonce = make_nonce(counter);
  // libsodium encrypts in place when the output is the input (c == m).
  std::uint8_t* text = message + kSessionHeaderSize;
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(text, text + plaintext_size, nullptr, text, plaintext_size,
                                                     associated_data.data(), associated_data.size(), nullptr,
                                                     nonce.data(), send_key_.data());
  return Ok{};
}

Result<Bytes, SessionError> Session::open(ByteView sealed, ByteView associated_data) {
  if (sealed.size() < kSessionOverhead) return Err{SessionError::kMalformed};
  Bytes plaintext(sealed.size() - kSessionOverhead);
  auto opened = open_to(sealed, associated_data, plaintext.data());
  if (!opened) return Err{opened.error()};
  return plaintext;
}

Result<std::size_t, SessionError> Session::open_to(ByteView sealed, ByteView associated_data, std::uint8_t* out) {
  if (sealed.size() < kSessionOverhead) return Err{SessionError::kMalformed};
  std::uint64_t counter = 0;
  for (std::size_t i = 0; i < kSessionHeaderSize; ++i) counter = counter << 8 | sealed[i];
  if (counter >= kRejectAfterMessages) return Err{SessionError::kCounterExhausted};
  // Checked before decrypting so duplicates cost no crypto; marked only after the
  // tag verified, so a forged counter cannot push genuine packets out of the window.
  if (!window_.check(counter)) return Err{SessionError::kReplayed};

  std::size_t text_size = sealed.size() - kSessionOverhead;
  auto nonce = make_nonce(counter);
  int rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      out, nullptr, sealed.data() + kSessionHeaderSize, text_size, sealed.data() + kSessionHeaderSize + text_size,
      associated_data.data(), associated_data.size(), nonce.data(), recv_key_.data());
  if (rc != 0) return Err{SessionError::kAuthFailed};

  window_.mark(counter);
  ++received_;
  return text_size;
}

}  // namespace yt
