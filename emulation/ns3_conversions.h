// Conversions between ns-3 types and the core's value types. ns-3 naming stays
// inside emulation/; everything crossing into a core is a yt:: value.
#pragma once

#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-address.h>
#include <ns3/nstime.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt::emulation {

// Simulation time as core time: microseconds since the simulation started.
inline Time core_now() { return time_from_us(ns3::Simulator::Now().GetMicroSeconds()); }
inline ns3::Time to_ns3(Duration d) { return ns3::MicroSeconds(d.count()); }

inline ns3::Ipv4Address to_ns3(Ipv4 ip) { return ns3::Ipv4Address(ip.value); }
inline Ipv4 from_ns3(ns3::Ipv4Address ip) { return Ipv4{ip.Get()}; }
inline ns3::InetSocketAddress to_ns3(Endpoint e) { return ns3::InetSocketAddress(to_ns3(e.ip), e.port); }
inline Endpoint from_ns3(const ns3::InetSocketAddress& a) { return Endpoint{from_ns3(a.GetIpv4()), a.GetPort()}; }

inline ns3::Ptr<ns3::Packet> to_packet(ByteView bytes) {
  return ns3::Create<ns3::Packet>(bytes.data(), static_cast<uint32_t>(bytes.size()));
}
inline Bytes from_packet(const ns3::Ptr<ns3::Packet>& packet) {
  Bytes out(packet->GetSize());
  if (!out.empty()) packet->CopyData(out.data(), static_cast<uint32_t>(out.size()));
  return out;
}

}  // namespace yt::emulation
