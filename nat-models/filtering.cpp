#include "nat-models/filtering.h"

namespace yt::nat {

bool filter_allows(FilteringBehavior filtering, const Mapping& m, Endpoint remote, Time now) {
  switch (filtering) {
    case FilteringBehavior::kEndpointIndependent: return true;
    case FilteringBehavior::kAddressDependent: return m.has_live_session_with_ip(remote.ip, now);
    case FilteringBehavior::kAddressPortDependent: return m.live_session(remote, now) != nullptr;
  }
  return false;
}

}  // namespace yt::nat
