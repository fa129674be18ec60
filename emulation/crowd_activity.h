// What a crowd does while the scenario engine runs it (spec_scenario.cpp): each
// client's traffic to every peer it has a tunnel with, and churn (clients
// leaving and coming back). Both act on the engine's own client apps and its
// record of who is present (synced, not churned away).
#pragma once

#include <ns3/random-variable-stream.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "emulation/yt_client_app.h"
#include "protocol/bytes.h"

namespace yt::emulation {

// Every `interval`, a present client sends one marked datagram to every peer it
// has a tunnel with (direct or relayed), in rounds of its own.
class CrowdTraffic {
 public:
  CrowdTraffic(std::vector<ns3::Ptr<YtClientApp>>& apps, const std::vector<bool>& present, Duration interval);
  // Client i's rounds, the first at first_s simulated seconds.
  void Schedule(std::size_t i, double first_s);
  // Counts `packet` when it is this traffic's.
  bool OnPacket(const Bytes& packet);
  static bool IsCrowdTraffic(const Bytes& packet);
  std::uint64_t sent() const { return sent_; }
  std::uint64_t delivered() const { return delivered_; }

 private:
  void Round(std::size_t i);

  std::vector<ns3::Ptr<YtClientApp>>& apps_;
  const std::vector<bool>& present_;
  Duration interval_;
  std::uint64_t sent_ = 0, delivered_ = 0;
};

// Once a second from Start: rate_per_minute of the present clients leave (their
// core stops; a debt carries fractions between rounds), each back `away_s` later
// (it starts again), while a return still leaves kReturnSlackS before end_s.
// Who leaves is drawn from `draw`. In a run split over two processes
// (split_run.h) both draw alike, from `present` as both know it at the round, and
// each stops and restarts only the clients it runs (`local`).
class Churn {
 public:
  static constexpr double kReturnSlackS = 5;  // for the returning client's login

  Churn(std::vector<ns3::Ptr<YtClientApp>>& apps, std::vector<bool>& present, const std::vector<bool>& local,
        ns3::UniformRandomVariable& draw, double end_s);
  // The first round now.
  void Start(double rate_per_minute, double away_s);
  std::uint64_t departures() const { return departures_; }

 private:
  void Round();

  std::vector<ns3::Ptr<YtClientApp>>& apps_;
  std::vector<bool>& present_;
  const std::vector<bool>& local_;
  ns3::UniformRandomVariable& draw_;
  double end_s_;
  double rate_per_minute_ = 0, away_s_ = 0, debt_ = 0;
  std::uint64_t departures_ = 0;
};

}  // namespace yt::emulation
