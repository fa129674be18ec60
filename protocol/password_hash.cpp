#include "protocol/password_hash.h"

#include <sodium.h>

#include <array>
#include <optional>

#include "protocol/bytes.h"

namespace yt {

namespace {

constexpr std::string_view kPrefix = "yt-argon2id$";
constexpr std::size_t kSaltSize = crypto_pwhash_argon2id_SALTBYTES;
constexpr std::size_t kHashSize = 32;
static_assert(kSaltSize == 16);
static_assert(kHashSize >= crypto_pwhash_argon2id_BYTES_MIN);

using Salt = std::array<std::uint8_t, kSaltSize>;
using Digest = std::array<std::uint8_t, kHashSize>;

bool strength_in_range(std::uint64_t opslimit, std::uint64_t memlimit) {
  PwhashStrength floor = PwhashStrength::minimum();
  return opslimit >= floor.opslimit && opslimit <= kPwhashMaxOpsLimit &&
         memlimit >= floor.memlimit && memlimit <= kPwhashMaxMemLimit &&
         memlimit % 1024 == 0;  // Argon2 counts KiB; a remainder would be dropped silently
}

bool derive(std::string_view password, const Salt& salt, std::uint64_t opslimit,
            std::size_t memlimit, Digest& out) {
  return crypto_pwhash_argon2id(out.data(), out.size(), password.data(), password.size(),
                                salt.data(), opslimit, memlimit,
                                crypto_pwhash_argon2id_ALG_ARGON2ID13) == 0;
}

// Splits off the text up to the next '$' (or the end, for the last field).
std::string_view next_field(std::string_view& rest, bool last) {
  std::size_t end = last ? rest.size() : rest.find('$');
  if (end == std::string_view::npos) end = rest.size();
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end < rest.size() ? end + 1 : end);
  return field;
}

// Canonical decimal only, so one hash has one encoding; 19 digits cannot overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// Stricter than from_hex(), which tolerates whitespace and upper case: the stored
// form must be canonical.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> parse_hex(std::string_view text) {
  if (text.size() != 2 * N) return std::nullopt;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  auto bytes = from_hex(text);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace

PwhashStrength PwhashStrength::interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

PwhashStrength PwhashStrength::minimum() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Result<std::string, PasswordHashError> hash_password(std::string_view password,
                                                     RandomSource& rng, PwhashStrength strength) {
  if (!strength_in_range(strength.opslimit, strength.memlimit)) {
    return Err{PasswordHashError::kStrengthOutOfRange};
  }
  Salt salt;
  rng.fill(salt.data(), salt.size());
  Digest digest;
  if (!derive(password, salt, strength.opslimit, strength.memlimit, digest)) {
    return Err{PasswordHashError::kOutOfMemory};
  }
  std::string encoded(kPrefix);
  encoded += std::to_string(strength.opslimit);
  encoded += '$';
  encoded += std::to_string(strength.memlimit);
  encoded += '$';
  encoded += to_hex(ByteView(salt.data(), salt.size()));
  encoded += '$';
  encoded += to_hex(ByteView(digest.data(), digest.size()));
  return encoded;
}

bool verify_password(std::string_view password, std::string_view encoded) {
  if (encoded.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view rest = encoded.substr(kPrefix.size());
  auto opslimit = parse_decimal(next_field(rest, false));
  auto memlimit = parse_decimal(next_field(rest, false));
  auto salt = parse_hex<kSaltSize>(next_field(rest, false));
  auto expected = parse_hex<kHashSize>(next_field(rest, true));
  if (!opslimit || !memlimit || !salt || !expected) return false;
  // Checked before hashing: this is what keeps a corrupted row from costing
  // gigabytes.
  if (!strength_in_range(*opslimit, *memlimit)) return false;

  Digest actual;
  if (!derive(password, *salt, *opslimit, static_cast<std::size_t>(*memlimit), actual)) {
    return false;
  }
  bool match = constant_time_equal(ByteView(actual.data(), actual.size()),
                                   ByteView(expected->data(), expected->size()));
  sodium_memzero(actual.data(), actual.size());
  return match;
}

}  // namespace yt
