// Long-term keys on disk: the secret key as 64 hex digits in a file of mode 0600.
// A key file that others may read is refused, as ssh refuses such a key, because
// whoever holds it can impersonate the node and take over its virtual address.
#pragma once

#include <string>

#include "protocol/identity.h"
#include "protocol/random.h"
#include "protocol/result.h"

namespace yt {

// Loads the identity at `path`, or creates it (and missing parent directories,
// mode 0700) from `rng` if the file does not exist. Errors are readable messages.
Result<Identity, std::string> load_or_create_identity(const std::string& path, RandomSource& rng);

// Loads an existing identity; never creates one.
Result<Identity, std::string> load_identity(const std::string& path);

}  // namespace yt
