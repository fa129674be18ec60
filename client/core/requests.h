// Requests the client has sent to the server and not yet seen a Reply for.
//
// Ids count up from 1 per core (never reused while the core lives), so a run is
// reproducible and a Reply can always be matched. When the connection is lost the
// pending requests are failed at once: the server forgets them with the connection.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace yt {

enum class RequestKind : std::uint8_t { kCreateNetwork, kJoinNetwork, kLeaveNetwork, kSetNickname };

struct PendingRequest {
  RequestKind kind = RequestKind::kCreateNetwork;
  std::string argument;  // network name, or the new nickname
};

class RequestTracker {
 public:
  std::uint32_t add(RequestKind kind, std::string argument);
  // The request `id` answers, removed; nullopt for an id that is not pending.
  std::optional<PendingRequest> complete(std::uint32_t id);
  // Every pending id in increasing order, all removed.
  std::vector<std::uint32_t> take_all();

 private:
  std::uint32_t next_id_ = 1;
  std::map<std::uint32_t, PendingRequest> pending_;
};

}  // namespace yt
