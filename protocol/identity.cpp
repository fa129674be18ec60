#include "protocol/identity.h"

#include <sodium.h>

namespace yt {

std::string node_id(const PublicKey& key) {
  std::uint8_t digest[6];
  crypto_generichash(digest, sizeof digest, key.data(), key.size(), nullptr, 0);
  std::string hex = to_hex(ByteView(digest, sizeof digest));
  return hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4);
}

Identity Identity::generate(RandomSource& rng) {
  Identity id;
  rng.fill(id.secret_key.data(), id.secret_key.size());
  crypto_scalarmult_base(id.public_key.data(), id.secret_key.data());
  return id;
}

std::optional<Identity> Identity::from_secret(ByteView secret) {
  if (secret.size() != kKeySize) return std::nullopt;
  Identity id;
  std::copy(secret.begin(), secret.end(), id.secret_key.begin());
  crypto_scalarmult_base(id.public_key.data(), id.secret_key.data());
  return id;
}

std::string key_to_hex(const PublicKey& key) { return to_hex(ByteView(key.data(), key.size())); }

std::optional<PublicKey> key_from_hex(std::string_view hex) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != kKeySize) return std::nullopt;
  PublicKey key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

}  // namespace yt
