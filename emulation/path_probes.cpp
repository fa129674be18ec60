#include "emulation/path_probes.h"

#include <ns3/simulator.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {
namespace {

constexpr std::string_view kProbeText = "direct probe";

}  // namespace

bool PathProbes::IsProbe(const Bytes& packet) {
  return std::string_view(reinterpret_cast<const char*>(packet.data()), packet.size()) == kProbeText;
}

void PathProbes::OnEvent(YtClientApp* app, const ClientEvent& event) {
  std::optional<PublicKey> up;
  if (auto* direct = std::get_if<TunnelUp>(&event)) up = direct->peer;
  if (auto* relayed = std::get_if<TunnelRelayed>(&event)) up = relayed->peer;
  if (up) {
    // Scheduled, not sent inline: the callback runs while the app's outputs drain.
    if (probing_.insert({app->Key(), *up}).second) ns3::Simulator::ScheduleNow(&PathProbes::Send, this, app, *up);
  } else if (auto* packet = std::get_if<PacketReceived>(&event); packet && IsProbe(packet->packet)) {
    Crossing(packet->peer, app->Key(), packet->relayed);
  }
}

void PathProbes::Crossing(const PublicKey& from, const PublicKey& to, bool relayed) {
  const auto key = std::make_pair(from, to);
  const double now = ns3::Simulator::Now().GetSeconds();
  (relayed ? crossed_relay_ : crossed_).emplace(key, now);
  if (relayed) first_crossed_relay_.emplace(key, now);
}

std::optional<double> PathProbes::both(const Crossings& crossings, const PublicKey& a, const PublicKey& b) {
  auto there = crossings.find({a, b});
  auto back = crossings.find({b, a});
  if (there == crossings.end() || back == crossings.end()) return std::nullopt;
  return std::max(there->second, back->second);
}

void PathProbes::Send(YtClientApp* app, PublicKey peer) {
  if (Direct(app->Key(), peer)) return;
  (void)app->Core().send_to_peer(core_now(), peer, as_bytes(kProbeText));
  app->Pump();
  ns3::Simulator::Schedule(to_ns3(kInterval), &PathProbes::Send, this, app, peer);
}

}  // namespace yt::emulation
