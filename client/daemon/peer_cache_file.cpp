#include "client/daemon/peer_cache_file.h"

#include "platform/state_dir.h"

namespace yt {

Result<std::optional<PeerCache>, std::string> load_peer_cache(const std::string& path, const Identity& identity) {
  auto text = read_small_file(path, kMaxPeerCacheFileSize);
  if (!text) return Err{text.error()};
  if (!*text) return std::optional<PeerCache>{};
  auto cache = decode_peer_cache(as_bytes(**text), identity);
  if (!cache) return Err{"peer cache " + path + " refused: " + cache.error()};
  return std::optional<PeerCache>{std::move(*cache)};
}

Status<std::string> save_peer_cache(const std::string& path, const PeerCache& cache, const Identity& identity) {
  const Bytes blob = encode_peer_cache(cache, identity);
  return write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()), 0600);
}

}  // namespace yt
