// The daemon's state directory: where its key, its persisted settings and its chat
// history live. Because the key in it is the node's identity, the directory must
// belong to the daemon's user and be closed to everyone else, as ssh demands of
// ~/.ssh; anything else is refused with a message that says how to fix it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace yt {

// Creates `path` (and missing parents) with mode 0700 if it does not exist, then
// checks that it is a directory, owned by the effective user, not writable by group
// or others, and that a file can really be created in it (a read-only mount or a
// full disk shows up here, at start, rather than at the first save). Returns the
// readable reason on failure.
Status<std::string> prepare_state_dir(const std::string& path);

// Replaces `path` with `contents` so that a crash leaves the old or the new file,
// never a torn one: write a temporary file beside it with `mode`, fsync, rename.
Status<std::string> write_file_atomically(const std::string& path, std::string_view contents, unsigned mode);

// Reads a whole file of at most `max_size` bytes. nullopt when it does not exist;
// an error when it cannot be read or is larger (a state file that grew beyond its
// bound is a bug or tampering, not something to load).
Result<std::optional<std::string>, std::string> read_small_file(const std::string& path, std::size_t max_size);

}  // namespace yt
