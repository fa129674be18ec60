#include "emulation/crowd_activity.h"

#include <ns3/simulator.h>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {
namespace {

// The crowd traffic's marker, so nothing else a peer sends is counted.
const Bytes kCrowdPayload = {'y', 't', '-', 'p', 'o', 'p'};

}  // namespace

CrowdTraffic::CrowdTraffic(std::vector<ns3::Ptr<YtClientApp>>& apps, const std::vector<bool>& present,
                           Duration interval)
    : apps_(apps), present_(present), interval_(interval) {}

void CrowdTraffic::Schedule(std::size_t i, double first_s) {
  // On the client's node, so a run split in two (split_run.h) runs them where the
  // client runs.
  ns3::Simulator::ScheduleWithContext(apps_[i]->GetNode()->GetId(), ns3::Seconds(first_s), [this, i] { Round(i); });
}

bool CrowdTraffic::IsCrowdTraffic(const Bytes& packet) { return packet == kCrowdPayload; }

bool CrowdTraffic::OnPacket(const Bytes& packet) {
  if (!IsCrowdTraffic(packet)) return false;
  ++delivered_;
  return true;
}

void CrowdTraffic::Round(std::size_t i) {
  if (present_[i]) {
    const Time now = core_now();
    for (const PeerStatus& p : apps_[i]->Core().peers()) {
      if (!p.has_tunnel || (p.tunnel != TunnelState::kDirect && p.tunnel != TunnelState::kRelayed)) continue;
      if (apps_[i]->Core().send_to_peer(now, p.key, kCrowdPayload).ok()) ++sent_;
    }
    apps_[i]->Pump();
  }
  ns3::Simulator::Schedule(to_ns3(interval_), [this, i] { Round(i); });
}

Churn::Churn(std::vector<ns3::Ptr<YtClientApp>>& apps, std::vector<bool>& present, const std::vector<bool>& local,
             ns3::UniformRandomVariable& draw, double end_s)
    : apps_(apps), present_(present), local_(local), draw_(draw), end_s_(end_s) {}

void Churn::Start(double rate_per_minute, double away_s) {
  rate_per_minute_ = rate_per_minute;
  away_s_ = away_s;
  Round();
}

void Churn::Round() {
  const double now = ns3::Simulator::Now().GetSeconds();
  std::vector<std::size_t> up;
  for (std::size_t i = 0; i < present_.size(); ++i) {
    if (present_[i]) up.push_back(i);
  }
  debt_ += rate_per_minute_ / 60.0 * static_cast<double>(up.size());
  // Only departures whose return (and its login) still falls inside the run.
  const bool back_in_time = now + away_s_ + kReturnSlackS <= end_s_;
  while (back_in_time && debt_ >= 1 && !up.empty()) {
    debt_ -= 1;
    const auto pick = static_cast<std::size_t>(draw_.GetInteger(0, static_cast<uint32_t>(up.size() - 1)));
    const std::size_t i = up[pick];
    up.erase(up.begin() + static_cast<std::ptrdiff_t>(pick));
    present_[i] = false;
    ++departures_;
    if (!local_[i]) continue;
    apps_[i]->Core().stop(core_now());
    apps_[i]->Pump();
    ns3::Simulator::ScheduleWithContext(apps_[i]->GetNode()->GetId(), ns3::Seconds(away_s_), [this, i] {
      apps_[i]->Core().start(core_now());
      apps_[i]->Pump();
    });
  }
  if (now + 1 < end_s_) ns3::Simulator::Schedule(ns3::Seconds(1), [this] { Round(); });
}

}  // namespace yt::emulation
