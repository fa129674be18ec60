// The daemon's copy of the core's peer cache (client/core/peer_cache.h), in
// <state_dir>/peers.cache (mode 0600), so a daemon restarted while the server is
// down still reaches its peers. Written whenever the membership or a tunnel
// changes; read once at start. A cache that does not authenticate (edited, or
// another key's) is refused with the reason and the daemon starts without it.
#pragma once

#include <optional>
#include <string>

#include "client/core/peer_cache.h"
#include "protocol/identity.h"
#include "protocol/result.h"

namespace yt {

// The cache is at most a few hundred bytes per peer; beyond this it is not ours.
constexpr std::size_t kMaxPeerCacheFileSize = 8 << 20;

// nullopt when there is none; an error naming the file when it is refused.
Result<std::optional<PeerCache>, std::string> load_peer_cache(const std::string& path, const Identity& identity);
Status<std::string> save_peer_cache(const std::string& path, const PeerCache& cache, const Identity& identity);

}  // namespace yt
