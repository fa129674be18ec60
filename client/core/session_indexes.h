// Local session indexes: the receiver_index a peer puts on every PeerData and
// PeerHandshakeResp so that we find the session without trusting the source
// endpoint (which NAT rebinding may change).
//
// Each index is a random nonzero u32 from the injected rng, unique among the live
// ones; random rather than sequential so an index says nothing about how many
// sessions exist and a stale packet is unlikely to hit a newer session.
#pragma once

#include <cstdint>
#include <map>

#include "protocol/identity.h"
#include "protocol/random.h"

namespace yt {

class SessionIndexes {
 public:
  std::uint32_t allocate(RandomSource& rng, const PublicKey& owner);
  // Releasing 0 or an unknown index does nothing.
  void release(std::uint32_t index) { owners_.erase(index); }
  // The peer that owns `index`; nullptr when unknown.
  const PublicKey* find(std::uint32_t index) const;
  std::size_t size() const { return owners_.size(); }

 private:
  std::map<std::uint32_t, PublicKey> owners_;
};

}  // namespace yt
