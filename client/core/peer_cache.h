// What a client remembers of its peers so that it can reach them again without the
// server: after a restart while the server is down, it rebuilds its membership view
// and its virtual address from the cache and resumes the direct tunnels whose
// endpoints still work (ClientCore::restore_peers, tunnel resume below).
//
// The cache is authenticated with a key derived from the client's own secret key
// (BLAKE2b, keyed): a cache edited by anyone without that key, or written by
// another identity, is refused as a whole. It is not secret (keys, addresses and
// network names of peers); its file is the daemon's, mode 0600.
//
// Resume: both sides of a pair can compute a tunnel id of their own
// (resume_tunnel_id: a hash of both keys, lower first) and agree on roles (the
// lower key initiates), so the restarted side punches and handshakes to the
// cached endpoint under that id, and the peer, which knows it as a member,
// accepts it as if the server had planned it. Nothing else changes: the Noise
// handshake still proves both static keys. When the server is back, its snapshot
// replaces the cached view (a member removed meanwhile loses the tunnel then)
// and its plan replaces the resume id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/result.h"

namespace yt {

struct PeerCache {
  Ipv4 virtual_ip;               // ours
  std::uint8_t prefix_length = 8;
  NetworkSnapshot networks;      // as last synced (members, nicknames, addresses)
  struct Path {
    PublicKey peer{};
    Endpoint endpoint;  // where its direct tunnel reached it
  };
  std::vector<Path> direct;      // peers we had a direct tunnel to
};

// The encoded, authenticated cache; and back. decode refuses (with a reason) a
// blob that is truncated, of another format or version, or whose tag does not
// verify under `identity`.
Bytes encode_peer_cache(const PeerCache& cache, const Identity& identity);
Result<PeerCache, std::string> decode_peer_cache(ByteView blob, const Identity& identity);

// The tunnel id both sides of a pair use to resume without the server.
std::uint64_t resume_tunnel_id(const PublicKey& a, const PublicKey& b);

}  // namespace yt
