#include "tests/sim/nat_translator.h"

#include <algorithm>

#include "nat-models/packet.h"

namespace yt::sim {
namespace {

// More than any test has in flight at once; older entries are lost copies.
constexpr std::size_t kMaxHairpinned = 64;

}  // namespace

NatChainTranslator::NatChainTranslator(const std::vector<nat::NatConfig>& chain,
                                       const std::vector<Ipv4>& public_ips, std::uint64_t seed)
    : public_ips_(public_ips) {
  for (std::size_t k = 0; k < chain.size(); ++k) {
    rngs_.push_back(std::make_unique<SeededRandom>(seed, 5000 + k));
    devices_.push_back(std::make_unique<nat::NatModel>(chain[k], std::vector<Ipv4>{public_ips_.at(k)}, *rngs_.back()));
  }
}

std::optional<Endpoint> NatChainTranslator::outbound(Time now, Endpoint local, Endpoint remote) {
  nat::PacketHeader h = nat::udp_packet(local, remote);
  for (std::size_t k = 0; k < devices_.size(); ++k) {
    nat::Verdict v = devices_[k]->outbound(now, h);
    if (v == nat::Verdict::kForward) continue;
    if (v != nat::Verdict::kHairpin) return std::nullopt;
    if (k + 1 != devices_.size()) return std::nullopt;  // no route for it here (see header)
    // Back into the LAN: h.dst is an endpoint on device k's inside.
    for (std::size_t j = k; j-- > 0;) {
      if (devices_[j]->inbound(now, h) != nat::Verdict::kForward) return std::nullopt;
    }
    hairpinned_.push_back(Hairpinned{h.src, remote, h.dst});
    if (hairpinned_.size() > kMaxHairpinned) hairpinned_.pop_front();
    return h.src;
  }
  return h.src;
}

std::optional<Endpoint> NatChainTranslator::inbound(Time now, Endpoint to, Endpoint remote) {
  auto it = std::find_if(hairpinned_.begin(), hairpinned_.end(),
                         [&](const Hairpinned& p) { return p.from == remote && p.to == to; });
  if (it != hairpinned_.end()) {
    Endpoint local = it->local;
    hairpinned_.erase(it);
    return local;
  }
  nat::PacketHeader h = nat::udp_packet(remote, to);
  for (std::size_t k = devices_.size(); k-- > 0;) {
    if (devices_[k]->inbound(now, h) != nat::Verdict::kForward) return std::nullopt;
  }
  return h.dst;
}

}  // namespace yt::sim
