// The seeds of tun_offload_fuzz, built by make_seeds: TSO super-packets as the
// kernel hands them over (platform/tests/tso_packets.h), and the segments they are
// cut into, in the target's two input formats (see tun_offload_fuzz.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "platform/tests/tso_packets.h"
#include "platform/virtio_net.h"

namespace yt::fuzz {

// Mode byte 0: one TUN read. Mode byte 1: packets, each with a u16 length first.
inline std::vector<std::pair<std::string, Bytes>> tun_offload_seeds() {
  using namespace tso_test;
  std::vector<std::pair<std::string, Bytes>> seeds;
  auto read = [&](const std::string& name, const VirtioNetHeader& h, const Bytes& packet) {
    Bytes seed{0};
    Bytes r = with_header(h, packet);
    seed.insert(seed.end(), r.begin(), r.end());
    seeds.emplace_back("read-" + name, seed);
  };
  read("tso-ipv4", tso(true, 1000), tcp_super_packet(true, make_payload(2500), kAck | kPsh));
  read("tso-ipv6", tso(false, 700), tcp_super_packet(false, make_payload(2000), kAck | kFin));
  VirtioNetHeader none = tso(true, 0);
  none.gso_type = VirtioNetHeader::kGsoNone;
  read("csum-only", none, tcp_super_packet(true, make_payload(40), kAck));
  none.flags = 0;
  read("plain", none, tcp_super_packet(true, {}, kAck));

  auto batch = [&](const std::string& name, bool v4, std::size_t payload, std::uint16_t mss) {
    PacketBatch segments;
    (void)split_tun_packet(with_header(tso(v4, mss), tcp_super_packet(v4, make_payload(payload), kAck | kPsh)), segments);
    Bytes seed{1};
    for (std::size_t i = 0; i < segments.size(); ++i) {
      ByteView s = segments.bytes(i);
      seed.push_back(static_cast<std::uint8_t>(s.size() >> 8));
      seed.push_back(static_cast<std::uint8_t>(s.size()));
      seed.insert(seed.end(), s.begin(), s.end());
    }
    seeds.emplace_back("segments-" + name, seed);
  };
  batch("ipv4", true, 2200, 700);
  batch("ipv6", false, 1500, 600);
  return seeds;
}

}  // namespace yt::fuzz
