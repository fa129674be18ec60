// Steady numbered traffic on every tunnel of a population, and a record of what
// arrived: each client sends each peer one datagram every `interval`, carrying the
// sender's index and a sequence number, through ClientCore::send_to_peer (so over
// whatever path the tunnel has: direct or relayed). A datagram the core refused to
// send (no tunnel, no path) is still offered and counts as lost: outage figures
// are about what an application would have lost, not what the core agreed to try.
//
// Arrivals are matched by (sender, receiver, sequence), once each, with their time
// and the path they took (PacketReceived::relayed). Nothing here looks at a core's
// own state: a datagram counts only when it crossed the modeled network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "client/core/client_events.h"
#include "emulation/yt_client_app.h"
#include "protocol/time.h"

namespace yt::emulation {

class TunnelTraffic {
 public:
  // One direction of one pair.
  struct Flow {
    std::vector<double> offered_at;  // simulated seconds, by sequence number
    std::vector<double> arrived_at;  // by sequence number; < 0: never arrived
    std::vector<bool> relayed;       // by sequence number, for those that arrived
    double last_arrival = -1;
    bool last_relayed = false;
  };

  // `apps` must outlive the run; clients are named by their index in it.
  TunnelTraffic(std::vector<YtClientApp*> apps, Duration interval);

  // Sends one round now and every `interval` after, until Stop(). Rounds fall
  // between `pause_from` and `pause_until` (when set) are skipped: idle tunnels.
  void Start();
  void Stop() { running_ = false; }
  void Pause(double from_s, double until_s) {
    pause_from_ = from_s;
    pause_until_ = until_s;
  }

  // Call from client `receiver`'s event callback for every event it reports.
  void OnEvent(std::size_t receiver, const ClientEvent& event);

  const Flow& flow(std::size_t from, std::size_t to) const { return flows_[from * apps_.size() + to]; }
  // Both directions had an arrival in (now - window, now].
  bool Carrying(std::size_t a, std::size_t b, double now, double window) const;

  static bool IsTraffic(const Bytes& packet);

 private:
  void Round();

  std::vector<YtClientApp*> apps_;
  std::vector<PublicKey> keys_;
  Duration interval_;
  std::vector<Flow> flows_;  // from * n + to
  bool running_ = false;
  std::optional<double> pause_from_, pause_until_;
};

}  // namespace yt::emulation
