// One-line human-readable text for a client event, shared by the daemon's log,
// the simulator's event log and test failure messages. Stable wording: the
// simulator's determinism test compares logs byte for byte.
#pragma once

#include <string>

#include "client/core/client_events.h"

namespace yt {

std::string describe(const ClientEvent& event);

}  // namespace yt
