// The secret that guards the daemon's local web UI (web_access.h): 32 random bytes
// as 64 hex digits in <state_dir>/ui.token, mode 0600. Only who can read the state
// directory (root) or ask the daemon over its control socket (`yellowtail ui`) can
// learn it, so the UI is exactly as open as the CLI. The token is kept across
// restarts, so a bookmarked URL keeps working; delete the file to change it.
#pragma once

#include <string>
#include <string_view>

#include "protocol/random.h"
#include "protocol/result.h"

namespace yt {

constexpr std::size_t kWebTokenHexLength = 64;

// Reads the token at `path`, or makes one from `rng` and writes it there (atomically,
// 0600). A file that is not exactly one token (a hand edit, a torn copy) is replaced.
// Errors (unreadable directory, full disk) as a readable message.
Result<std::string, std::string> load_or_create_web_token(const std::string& path, RandomSource& rng);

// Compares in time independent of where `given` first differs from `token`, so the
// token cannot be guessed byte by byte from response times.
bool web_token_matches(std::string_view given, std::string_view token);

}  // namespace yt
