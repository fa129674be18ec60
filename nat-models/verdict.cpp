#include "nat-models/verdict.h"

namespace yt::nat {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kForward: return "forward";
    case Verdict::kHairpin: return "hairpin";
    case Verdict::kDropNotForNat: return "drop-not-for-nat";
    case Verdict::kDropNoMapping: return "drop-no-mapping";
    case Verdict::kDropExpired: return "drop-expired";
    case Verdict::kDropFiltered: return "drop-filtered";
    case Verdict::kDropBlocked: return "drop-blocked";
    case Verdict::kDropNoHairpin: return "drop-no-hairpin";
    case Verdict::kDropTcpState: return "drop-tcp-state";
    case Verdict::kDropPortExhausted: return "drop-port-exhausted";
    case Verdict::kDropNoPublicIp: return "drop-no-public-ip";
  }
  return "?";
}

}  // namespace yt::nat
