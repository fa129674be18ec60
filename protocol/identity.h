// Long-term identities: an X25519 key pair per node (client or server).
//
// The public key *is* the identity: the server binds a client's virtual addresses to
// it for good, and peers authenticate each other by it. The node id is a short
// printable digest of the public key, for humans (logs, CLI), never for security.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/bytes.h"
#include "protocol/random.h"

namespace yt {

constexpr std::size_t kKeySize = 32;
using PublicKey = std::array<std::uint8_t, kKeySize>;
using SecretKey = std::array<std::uint8_t, kKeySize>;

// "ab12-cd34-ef56": 12 hex digits of BLAKE2b(public key), in three dashed groups.
std::string node_id(const PublicKey& key);

struct Identity {
  PublicKey public_key{};
  SecretKey secret_key{};

  // Draws the secret from `rng`; the public key is derived from it.
  static Identity generate(RandomSource& rng);
  // nullopt when `secret` is not 32 bytes.
  static std::optional<Identity> from_secret(ByteView secret);
};

std::string key_to_hex(const PublicKey& key);
std::optional<PublicKey> key_from_hex(std::string_view hex);

}  // namespace yt

template <>
struct std::hash<yt::PublicKey> {
  std::size_t operator()(const yt::PublicKey& k) const noexcept {
    std::size_t h = 0;
    for (int i = 0; i < 8; ++i) h = h << 8 | k[i];
    return h;
  }
};
