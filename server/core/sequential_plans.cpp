// Plans that predict a sequential NAT's next port, one at a time per public IP of
// such a NAT, each from a fresh look at its port counter (server_config.h says why
// and with which timings). A plan's life here:
//   queued -> its sides behind sequential NATs are asked to RefreshMapping ->
//   their probes arrive at a refresh endpoint (or refresh_wait passes) -> planned,
//   and the queue's next starts sequential_plan_spacing later.
#include "server/core/punch_techniques.h"
#include "server/core/server_core_impl.h"

#include <algorithm>

namespace yt {

std::optional<Ipv4> ServerCore::Impl::sequential_ip(const Client& c) const {
  if (!config_.serialize_sequential_plans || config_.punch_strategy != PunchStrategy::kServerDriven ||
      !technique_enabled(config_, "serialize") || !technique_enabled(config_, "prediction")) {
    return std::nullopt;
  }
  // Only clients hosted here can be asked to refresh, and only a hosted client's
  // NAT is what our plans move.
  if (c.host != 0) return std::nullopt;
  const TunnelSide side = tunnel_side(c);
  if (predicted_endpoints(side, 1).empty()) return std::nullopt;
  return side.newest_mapping ? side.newest_mapping->ip : side.mapped->ip;
}

bool ServerCore::Impl::is_refresh_endpoint(Endpoint local) const {
  return std::find(config_.refresh_endpoints.begin(), config_.refresh_endpoints.end(), local) !=
         config_.refresh_endpoints.end();
}

void ServerCore::Impl::queue_plan(Ipv4 ip, const Client& a, const Client& b) {
  PlanQueue& q = plan_queues_[ip];
  const auto pair = std::pair{a.key, b.key};
  const auto reversed = std::pair{b.key, a.key};
  if (std::find(q.waiting.begin(), q.waiting.end(), pair) != q.waiting.end() ||
      std::find(q.waiting.begin(), q.waiting.end(), reversed) != q.waiting.end()) {
    return;
  }
  q.waiting.push_back(pair);
  ++stats_.plans_queued;
  run_plan_queues();
}

void ServerCore::Impl::refresh_arrived(Client& c) {
  for (auto& [ip, q] : plan_queues_) q.awaiting.erase(c.key);
  run_plan_queues();
}

void ServerCore::Impl::run_plan_queues() {
  for (auto it = plan_queues_.begin(); it != plan_queues_.end();) {
    PlanQueue& q = it->second;
    if (q.refreshing && (q.awaiting.empty() || now_ >= q.refresh_deadline)) {
      if (!q.awaiting.empty()) ++stats_.refreshes_missed;
      const auto [ka, kb] = *q.refreshing;
      q.refreshing.reset();
      q.awaiting.clear();
      Client* a = find_online(ka);
      Client* b = find_online(kb);
      auto known = tunnels_.find(ka);
      // Gone meanwhile, or forgotten (they no longer share a network): nothing to plan.
      if (a && b && known != tunnels_.end() && known->second.count(kb)) plan_now(*a, *b);
      q.next_start = now_ + config_.sequential_plan_spacing;
    }
    while (!q.refreshing && !q.waiting.empty() && now_ >= q.next_start) {
      const auto [ka, kb] = q.waiting.front();
      q.waiting.pop_front();
      Client* a = find_online(ka);
      Client* b = find_online(kb);
      auto known = tunnels_.find(ka);
      if (!a || !b || known == tunnels_.end() || !known->second.count(kb)) continue;
      q.refreshing = std::pair{ka, kb};
      q.refresh_deadline = now_ + config_.refresh_wait;
      if (!config_.refresh_endpoints.empty()) {
        for (Client* side : {a, b}) {
          if (!sequential_ip(*side)) continue;
          const Endpoint to = config_.refresh_endpoints[side->refresh_cursor++ % config_.refresh_endpoints.size()];
          send(*side, RefreshMapping{to});
          q.awaiting.insert(side->key);
          ++stats_.mapping_refreshes;
        }
      }
      if (q.awaiting.empty()) {
        // Nothing to wait for: plan now (still spaced from the previous one).
        q.refreshing.reset();
        plan_now(*a, *b);
        q.next_start = now_ + config_.sequential_plan_spacing;
      }
    }
    if (!q.refreshing && q.waiting.empty() && now_ >= q.next_start) {
      it = plan_queues_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Time> ServerCore::Impl::next_plan_deadline() const {
  std::optional<Time> next;
  for (const auto& [ip, q] : plan_queues_) {
    Time t = q.refreshing ? q.refresh_deadline : q.next_start;
    if (!q.refreshing && q.waiting.empty()) continue;  // only spacing left: nothing to do then
    if (!next || t < *next) next = t;
  }
  return next;
}

}  // namespace yt
