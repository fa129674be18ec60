#include "emulation/tunnel_traffic.h"

#include <ns3/simulator.h>

#include <cstring>

#include "emulation/ns3_conversions.h"

namespace yt::emulation {
namespace {

// "yt traffic" then the sender's index and the sequence number, both u32 big-endian.
constexpr char kMagic[] = "yt traffic";
constexpr std::size_t kMagicSize = sizeof kMagic - 1;
constexpr std::size_t kSize = kMagicSize + 8;

void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint32_t get_u32(const Bytes& in, std::size_t at) {
  return static_cast<std::uint32_t>(in[at]) << 24 | static_cast<std::uint32_t>(in[at + 1]) << 16 |
         static_cast<std::uint32_t>(in[at + 2]) << 8 | static_cast<std::uint32_t>(in[at + 3]);
}

}  // namespace

TunnelTraffic::TunnelTraffic(std::vector<YtClientApp*> apps, Duration interval)
    : apps_(std::move(apps)), interval_(interval), flows_(apps_.size() * apps_.size()) {}

bool TunnelTraffic::IsTraffic(const Bytes& packet) {
  return packet.size() == kSize && std::memcmp(packet.data(), kMagic, kMagicSize) == 0;
}

void TunnelTraffic::Start() {
  if (running_) return;
  running_ = true;
  keys_.clear();
  for (YtClientApp* app : apps_) keys_.push_back(app->Key());
  ns3::Simulator::ScheduleNow(&TunnelTraffic::Round, this);
}

void TunnelTraffic::Round() {
  if (!running_) return;
  const double now = ns3::Simulator::Now().GetSeconds();
  const bool paused = pause_from_ && now >= *pause_from_ && now < *pause_until_;
  const std::size_t n = apps_.size();
  for (std::size_t from = 0; !paused && from < n; ++from) {
    for (std::size_t to = 0; to < n; ++to) {
      if (from == to) continue;
      Flow& f = flows_[from * n + to];
      Bytes payload(kMagic, kMagic + kMagicSize);
      put_u32(payload, static_cast<std::uint32_t>(from));
      put_u32(payload, static_cast<std::uint32_t>(f.offered_at.size()));
      f.offered_at.push_back(now);
      f.arrived_at.push_back(-1);
      f.relayed.push_back(false);
      (void)apps_[from]->Core().send_to_peer(core_now(), keys_[to], payload);
    }
    apps_[from]->Pump();
  }
  ns3::Simulator::Schedule(to_ns3(interval_), &TunnelTraffic::Round, this);
}

void TunnelTraffic::OnEvent(std::size_t receiver, const ClientEvent& event) {
  const auto* packet = std::get_if<PacketReceived>(&event);
  if (!packet || !IsTraffic(packet->packet) || receiver >= apps_.size()) return;
  const std::size_t from = get_u32(packet->packet, kMagicSize);
  const std::size_t seq = get_u32(packet->packet, kMagicSize + 4);
  // The sender's index must match the key the core says it came from: a datagram
  // is only counted on the tunnel it was meant for.
  if (from >= apps_.size() || from == receiver || keys_[from] != packet->peer) return;
  Flow& f = flows_[from * apps_.size() + receiver];
  if (seq >= f.arrived_at.size() || f.arrived_at[seq] >= 0) return;
  const double now = ns3::Simulator::Now().GetSeconds();
  f.arrived_at[seq] = now;
  f.relayed[seq] = packet->relayed;
  f.last_arrival = now;
  f.last_relayed = packet->relayed;
}

bool TunnelTraffic::Carrying(std::size_t a, std::size_t b, double now, double window) const {
  return flow(a, b).last_arrival > now - window && flow(b, a).last_arrival > now - window;
}

}  // namespace yt::emulation
