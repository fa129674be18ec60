#include "client/daemon/web_token.h"

#include <sodium.h>

#include "platform/state_dir.h"

namespace yt {
namespace {

bool is_token(std::string_view text) {
  if (text.size() != kWebTokenHexLength) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<std::string, std::string> load_or_create_web_token(const std::string& path, RandomSource& rng) {
  auto existing = read_small_file(path, 4096);
  if (!existing) return Err{existing.error()};
  if (*existing) {
    std::string text = **existing;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (is_token(text)) return text;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  Bytes secret = rng.bytes(kWebTokenHexLength / 2);
  std::string token;
  for (std::uint8_t b : secret) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  if (auto written = write_file_atomically(path, token + "\n", 0600); !written) {
    return Err{"web UI token " + path + ": " + written.error()};
  }
  return token;
}

bool web_token_matches(std::string_view given, std::string_view token) {
  // The length is no secret (always kWebTokenHexLength); the bytes are.
  if (given.size() != token.size() || token.empty()) return false;
  return sodium_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace yt
