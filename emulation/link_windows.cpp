#include "emulation/link_windows.h"

#include <ns3/simulator.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <tuple>

#include "emulation/point_to_point_link.h"

namespace yt::emulation {
namespace {

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
bool get(const std::string& in, std::size_t& at, T& value) {
  if (in.size() - at < sizeof value) return false;
  std::memcpy(&value, in.data() + at, sizeof value);
  at += sizeof value;
  return true;
}

}  // namespace

LinkWindows::Origin::Origin(LinkWindows* windows, uint32_t index) : windows_(windows) {
  if (!windows_) return;
  previous_ = windows_->origin_;
  windows_->origin_ = index;
}

LinkWindows::Origin::~Origin() {
  if (windows_) windows_->origin_ = previous_;
}

uint32_t LinkWindows::Add(OnePassPointToPointDevice* device, int owner) {
  const auto index = static_cast<uint32_t>(devices_.size());
  devices_.push_back(device);
  owner_.push_back(owner);
  next_rank_.assign(devices_.size() + 1, 0);
  device->DeferTo(this, index);
  return index;
}

ns3::Time LinkWindows::Lookahead() const {
  ns3::Time shortest = ns3::Time::Max();
  for (OnePassPointToPointDevice* device : devices_) shortest = std::min(shortest, device->Delay());
  return shortest;
}

void LinkWindows::Enter(uint32_t link, ns3::Ptr<ns3::Packet> packet, uint16_t ppp_protocol, bool dropped_on_arrival) {
  uint32_t& rank = next_rank_[origin_ == kNoOrigin ? devices_.size() : origin_];
  entries_.push_back(Entry{ns3::Simulator::Now().GetTimeStep(), window_, origin_, rank++, link, ppp_protocol,
                           dropped_on_arrival, packet});
}

std::string LinkWindows::TakeOthers(int me) {
  std::string out;
  std::vector<Entry> kept;
  for (Entry& e : entries_) {
    if (owner_[e.link] == me) {
      kept.push_back(std::move(e));
      continue;
    }
    put(out, e.sent);
    put(out, e.window);
    put(out, e.origin);
    put(out, e.rank);
    put(out, e.link);
    put(out, e.ppp_protocol);
    put(out, static_cast<uint8_t>(e.dropped_on_arrival));
    const uint32_t size = e.packet->GetSize();
    put(out, size);
    const std::size_t at = out.size();
    out.resize(at + size);
    e.packet->CopyData(reinterpret_cast<uint8_t*>(out.data() + at), size);
  }
  entries_ = std::move(kept);
  return out;
}

bool LinkWindows::Receive(int me, const std::string& from_other) {
  std::vector<Entry> received;
  std::size_t at = 0;
  while (at < from_other.size()) {
    Entry e;
    uint8_t dropped = 0;
    uint32_t size = 0;
    if (!get(from_other, at, e.sent) || !get(from_other, at, e.window) || !get(from_other, at, e.origin) || !get(from_other, at, e.rank) ||
        !get(from_other, at, e.link) || !get(from_other, at, e.ppp_protocol) || !get(from_other, at, dropped) ||
        !get(from_other, at, size) || from_other.size() - at < size || e.link >= devices_.size() ||
        owner_[e.link] != me) {
      return false;
    }
    e.dropped_on_arrival = dropped != 0;
    e.packet = ns3::Create<ns3::Packet>(reinterpret_cast<const uint8_t*>(from_other.data() + at), size);
    at += size;
    received.push_back(std::move(e));
  }
  entries_.insert(entries_.end(), std::make_move_iterator(received.begin()), std::make_move_iterator(received.end()));
  return true;
}

void LinkWindows::TransmitThrough(int me, uint32_t window) {
  std::vector<Entry> due, later;
  for (Entry& e : entries_) (owner_[e.link] == me && e.window <= window ? due : later).push_back(std::move(e));
  entries_ = std::move(later);
  std::sort(due.begin(), due.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.link, a.sent, a.origin, a.rank) < std::tie(b.link, b.sent, b.origin, b.rank);
  });
  for (Entry& e : due) {
    devices_[e.link]->TransmitAt(ns3::TimeStep(e.sent), e.packet, e.ppp_protocol, e.dropped_on_arrival);
  }
}

}  // namespace yt::emulation
