// NatChainTranslator: real nat-models devices (yt::nat::NatModel) behind
// FakeNetwork's AddressTranslator hook. One device, or several stacked (a home
// router behind a CGN, nat_profiles.h profile_chain()), innermost first.
//
// Outbound, a datagram crosses the devices from the inside out; inbound from the
// outside in. Any drop verdict drops it. Hairpinning: when device k hairpins a
// datagram (its destination is one of k's own public endpoints), the rewritten
// datagram crosses devices k-1..0 inbound, exactly as it would inside the LAN.
// FakeNetwork then routes it like any datagram (to the public address it was sent
// to, after one delay) and asks inbound() for it, so the translator remembers the
// hairpinned datagrams it let out and delivers each one's copy to the socket already
// worked out, instead of translating it a second time. Only the outermost device's
// hairpin can be routed back that way: a datagram to an inner device's public
// address has no route in FakeNetwork (none of our tests sends one).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "nat-models/nat_config.h"
#include "nat-models/nat_model.h"
#include "protocol/random.h"
#include "tests/sim/address_translator.h"

namespace yt::sim {

class NatChainTranslator final : public AddressTranslator {
 public:
  // `chain` innermost first; `public_ips[k]` is device k's Internet-side address
  // (device k+1's LAN side). Each device draws from its own stream of `seed`.
  NatChainTranslator(const std::vector<nat::NatConfig>& chain, const std::vector<Ipv4>& public_ips,
                     std::uint64_t seed);

  std::optional<Endpoint> outbound(Time now, Endpoint local, Endpoint remote) override;
  std::optional<Endpoint> inbound(Time now, Endpoint to, Endpoint remote) override;

  // The outermost device's address: where the client is reached.
  Ipv4 public_ip() const { return public_ips_.back(); }
  nat::NatModel& device(std::size_t k) { return *devices_.at(k); }

 private:
  struct Hairpinned {
    Endpoint from;   // the source the network sees
    Endpoint to;     // where it was sent
    Endpoint local;  // the socket it reaches
  };

  std::vector<std::unique_ptr<SeededRandom>> rngs_;
  std::vector<std::unique_ptr<nat::NatModel>> devices_;
  std::vector<Ipv4> public_ips_;
  std::deque<Hairpinned> hairpinned_;  // bounded: a lost copy must not leak
};

}  // namespace yt::sim
