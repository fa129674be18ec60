// Shared fixtures for the nat-models tests: addresses, a manual clock and a small
// harness that drives one NatModel.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "nat-models/nat_model.h"
#include "protocol/random.h"

namespace yt {
inline void PrintTo(const Endpoint& e, std::ostream* os) { *os << e.to_string(); }
inline void PrintTo(const Ipv4& ip, std::ostream* os) { *os << ip.to_string(); }
}  // namespace yt

namespace yt::nat {
inline void PrintTo(Verdict v, std::ostream* os) { *os << to_string(v); }
inline void PrintTo(TcpState s, std::ostream* os) { *os << to_string(s); }
}  // namespace yt::nat

namespace yt::nat::test {

inline Ipv4 ip(const char* text) { return *Ipv4::parse(text); }
inline Endpoint ep(const char* text) { return *Endpoint::parse(text); }

// The cast of characters: two LAN hosts, the NAT's public addresses, and remote
// endpoints chosen to tell the RFC 4787 behaviours apart.
inline const Endpoint kHostA = ep("10.0.0.2:40000");
inline const Endpoint kHostB = ep("10.0.0.3:40000");
inline const Ipv4 kPublic1 = ip("198.51.100.1");
inline const Ipv4 kPublic2 = ip("198.51.100.2");
inline const Endpoint kRemote1 = ep("203.0.113.1:3478");
inline const Endpoint kRemote1OtherPort = ep("203.0.113.1:3479");  // same IP as kRemote1
inline const Endpoint kRemote2 = ep("203.0.113.2:3478");           // other IP, same port
inline const Endpoint kStranger = ep("192.0.2.99:1000");           // never contacted

class Harness {
 public:
  explicit Harness(NatConfig config, std::vector<Ipv4> public_ips = {kPublic1}, std::uint64_t seed = 1)
      : rng_(seed), nat_(std::move(config), std::move(public_ips), rng_) {}

  NatModel& nat() { return nat_; }
  void advance(Duration d) { now += d; }

  struct Result {
    Verdict verdict;
    PacketHeader packet;  // as rewritten (or unchanged on a drop)
  };
  Result out(PacketHeader p) {
    const Verdict v = nat_.outbound(now, p);
    return {v, p};
  }
  Result in(PacketHeader p) {
    const Verdict v = nat_.inbound(now, p);
    return {v, p};
  }

  // Sends UDP from an internal endpoint; the public endpoint it left with, or
  // nullopt when dropped.
  std::optional<Endpoint> udp_out(Endpoint from, Endpoint to) {
    Result r = out(udp_packet(from, to));
    if (r.verdict != Verdict::kForward) return std::nullopt;
    return r.packet.src;
  }
  Verdict udp_in(Endpoint from, Endpoint to) { return in(udp_packet(from, to)).verdict; }

  std::optional<Endpoint> tcp_out(Endpoint from, Endpoint to, TcpFlags flags) {
    Result r = out(tcp_packet(from, to, flags));
    if (r.verdict != Verdict::kForward) return std::nullopt;
    return r.packet.src;
  }
  Verdict tcp_in(Endpoint from, Endpoint to, TcpFlags flags) {
    return in(tcp_packet(from, to, flags)).verdict;
  }

  // The only live mapping's expiry (test precondition: exactly one).
  Time only_expiry() {
    auto all = nat_.mappings(now);
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? Time{} : all.front().expires;
  }

  Time now{};

 private:
  SeededRandom rng_;  // declared before nat_, which borrows it
  NatModel nat_;
};

}  // namespace yt::nat::test
