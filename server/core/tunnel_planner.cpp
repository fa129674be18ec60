#include "server/core/tunnel_planner.h"

#include <algorithm>

namespace yt {
namespace {

std::vector<Endpoint> candidates_for(const TunnelSide& self, const TunnelSide& peer) {
  std::vector<Endpoint> out;
  auto add = [&out](Endpoint e) {
    if (e.is_unset() || out.size() >= kMaxCandidates) return;
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  };
  bool same_public_ip = self.mapped && peer.mapped && self.mapped->ip == peer.mapped->ip;
  if (same_public_ip) {
    for (Endpoint e : peer.lan_endpoints) add(e);
  }
  if (peer.mapped) add(*peer.mapped);
  return out;
}

TunnelInstruction instruction_for(const TunnelSide& self, const TunnelSide& peer, std::uint64_t tunnel_id,
                                   std::uint32_t delay_ms) {
  TunnelInstruction t;
  t.peer = peer.key;
  t.peer_virtual_ip = peer.virtual_ip;
  t.tunnel_id = tunnel_id;
  t.role = self.key < peer.key ? TunnelRole::kInitiator : TunnelRole::kResponder;
  t.start_delay_ms = delay_ms;
  t.candidates = candidates_for(self, peer);
  return t;
}

}  // namespace

TunnelPlan plan_tunnel(const TunnelSide& a, const TunnelSide& b, std::uint64_t tunnel_id, Duration punch_lead) {
  std::int64_t ms = to_ms(punch_lead);
  std::uint32_t delay_ms = ms < 0 ? 0 : static_cast<std::uint32_t>(std::min<std::int64_t>(ms, UINT32_MAX));
  return TunnelPlan{instruction_for(a, b, tunnel_id, delay_ms), instruction_for(b, a, tunnel_id, delay_ms)};
}

}  // namespace yt
