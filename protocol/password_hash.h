// Password hashing for account storage: Argon2id (libsodium crypto_pwhash) with a
// salt drawn from the injected RandomSource, so hashing is reproducible under
// SeededRandom and never touches the OS generator.
//
// Encoded form (stored in the accounts database; printable ASCII, no spaces):
//
//   yt-argon2id$<opslimit>$<memlimit>$<salt>$<hash>
//
//   opslimit  decimal, Argon2 passes (t_cost), no leading zeros
//   memlimit  decimal, bytes, a multiple of 1024 (Argon2 counts KiB)
//   salt      32 lowercase hex digits (16 bytes)
//   hash      64 lowercase hex digits (32-byte Argon2id v1.3 output, 1 lane)
//
// Decoding is strict: anything else, including parameters outside
// [PwhashStrength::minimum(), kPwhashMax*], fails verification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/random.h"
#include "protocol/result.h"

namespace yt {

struct PwhashStrength {
  std::uint64_t opslimit = 0;
  std::size_t memlimit = 0;  // bytes

  // libsodium's interactive preset, 2 passes over 64 MiB (~0.1 s): what the server
  // uses for account passwords, which are checked on every login.
  static PwhashStrength interactive();
  // Argon2id's floor, 1 pass over 8 KiB: for tests and simulation only, where a
  // thousand logins must not take minutes. Offers no real protection.
  static PwhashStrength minimum();
};

// Ceilings on the parameters verify_password accepts (and hash_password produces):
// a corrupted or hostile database row must not make the server allocate gigabytes or
// spin for minutes on one login. 256 MiB and 4 passes sit just above libsodium's
// "moderate" preset (3 x 256 MiB), leaving room to raise the strength later.
constexpr std::uint64_t kPwhashMaxOpsLimit = 4;
constexpr std::size_t kPwhashMaxMemLimit = std::size_t{256} << 20;

enum class PasswordHashError : std::uint8_t {
  // `strength` is below PwhashStrength::minimum(), above the kPwhashMax* ceilings, or
  // memlimit is not a multiple of 1024.
  kStrengthOutOfRange,
  // Argon2 could not allocate its memory.
  kOutOfMemory,
};

// Hashes `password` (any bytes, any length) with a fresh 16-byte salt from `rng`.
Result<std::string, PasswordHashError> hash_password(std::string_view password,
                                                     RandomSource& rng, PwhashStrength strength);

// True only if `encoded` is a well-formed encoding (see above) within the ceilings
// and `password` hashes to it. The final comparison is constant-time. Malformed
// input, out-of-range parameters and allocation failure all yield false.
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace yt
