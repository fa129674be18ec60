// Proof that a tunnel carries data: once a client's tunnel to a peer is up (relayed
// or direct), it sends that peer a probe datagram every 200 ms until a probe has
// crossed both ways over the direct path. Each arrival is recorded with the path
// it took (PacketReceived::relayed). A pair counts as direct, or relayed, only on
// that evidence, never on the cores' own state: the probes are real datagrams
// through the modeled NATs and the relay. Resending keeps one lost datagram on a
// lossy link from reading as "no path".
#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "client/core/client_events.h"
#include "emulation/yt_client_app.h"
#include "protocol/time.h"

namespace yt::emulation {

class PathProbes {
 public:
  static constexpr Duration kInterval = 200ms;

  // Call from `app`'s event callback for every event it reports. `app` must outlive
  // the simulation run (probes are scheduled ns-3 events).
  void OnEvent(YtClientApp* app, const ClientEvent& event);

  // A probe sent by `from` arrived at `to` over the direct path / through the relay.
  bool Crossed(const PublicKey& from, const PublicKey& to) const { return crossed_.count({from, to}) != 0; }
  bool CrossedRelay(const PublicKey& from, const PublicKey& to) const {
    return crossed_relay_.count({from, to}) != 0;
  }
  // A probe crossed both ways directly.
  bool Direct(const PublicKey& a, const PublicKey& b) const { return Crossed(a, b) && Crossed(b, a); }
  // A probe crossed both ways through the relay.
  bool Relayed(const PublicKey& a, const PublicKey& b) const { return CrossedRelay(a, b) && CrossedRelay(b, a); }
  // When the second of the two directions had first crossed directly / through a
  // relay (simulated seconds), if both have.
  std::optional<double> DirectSince(const PublicKey& a, const PublicKey& b) const { return both(crossed_, a, b); }
  std::optional<double> RelayedSince(const PublicKey& a, const PublicKey& b) const {
    return both(crossed_relay_, a, b);
  }

  // Forgets every relayed crossing, so that Relayed() says again only what
  // crosses from now on (after a relay failed: through whichever relay is next).
  void ForgetRelayCrossings() { crossed_relay_.clear(); }
  // RelayedSince as if nothing had been forgotten: the first relayed path.
  std::optional<double> FirstRelayedSince(const PublicKey& a, const PublicKey& b) const {
    return both(first_crossed_relay_, a, b);
  }

  static bool IsProbe(const Bytes& packet);

  // Records another datagram's arrival as evidence, as if it were a probe (for
  // runs that send no probes and let their own traffic prove the paths).
  void Crossing(const PublicKey& from, const PublicKey& to, bool relayed);

 private:
  void Send(YtClientApp* app, PublicKey peer);

  using Crossings = std::map<std::pair<PublicKey, PublicKey>, double>;  // (from, to) -> first arrival, s
  static std::optional<double> both(const Crossings& crossings, const PublicKey& a, const PublicKey& b);

  Crossings crossed_;        // direct
  Crossings crossed_relay_;  // through the relay
  Crossings first_crossed_relay_;  // the same, never forgotten
  std::set<std::pair<PublicKey, PublicKey>> probing_;  // (sender, peer): a resend loop runs
};

}  // namespace yt::emulation
