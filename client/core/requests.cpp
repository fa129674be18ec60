#include "client/core/requests.h"

namespace yt {

std::uint32_t RequestTracker::add(RequestKind kind, std::string argument) {
  std::uint32_t id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;  // 0 reads as "no request" in logs
  pending_[id] = PendingRequest{kind, std::move(argument)};
  return id;
}

std::optional<PendingRequest> RequestTracker::complete(std::uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  PendingRequest request = std::move(it->second);
  pending_.erase(it);
  return request;
}

std::vector<std::uint32_t> RequestTracker::take_all() {
  std::vector<std::uint32_t> ids;
  for (const auto& entry : pending_) ids.push_back(entry.first);
  pending_.clear();
  return ids;
}

}  // namespace yt
