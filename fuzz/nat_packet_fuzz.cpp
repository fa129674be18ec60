// NAT models (nat-models/). packet.h has no byte parser of its own: drivers fill a
// PacketHeader from their packets. So this target decodes the input into a NAT
// profile and a sequence of packet headers and events, and drives one NatModel with
// them both ways, checking the contract nat_model.h documents per verdict.
//
// Input: byte 0 picks the profile and whether the NAT has one or two public IPs;
// then 4-byte records:
//   op     bits 0-1: 0 outbound, 1 inbound, 2 ICMP error, 3 an event (see below)
//          bit 2: TCP; bits 3-6: SYN, ACK, FIN, RST
//          bit 7: advance the clock by `time` seconds, else by `time` ms
//   time   clock advance before the record
//   src    endpoint selector (endpoint() below); for an event, which one
//   dst    endpoint selector
#include "fuzz/fuzz_support.h"

#include <array>
#include <vector>

#include "nat-models/nat_model.h"
#include "nat-models/nat_profiles.h"

using namespace yt;
using namespace yt::nat;

namespace {

const Ipv4 kPublic1 = Ipv4::from_octets(198, 51, 100, 1);
const Ipv4 kPublic2 = Ipv4::from_octets(198, 51, 100, 2);
const std::array<Ipv4, 8> kIps = {
    Ipv4::from_octets(10, 0, 0, 2),     Ipv4::from_octets(10, 0, 0, 3),     Ipv4::from_octets(192, 168, 1, 5),
    kPublic1,                           kPublic2,                           Ipv4::from_octets(203, 0, 113, 1),
    Ipv4::from_octets(203, 0, 113, 2), Ipv4::from_octets(192, 0, 2, 99)};
const std::array<std::uint16_t, 16> kPorts = {40000, 40001, 3478, 3479, 443, 80, 0,     1,
                                              1023,  1024,  65535, 12975, 5000, 5001, 60000, 2};

// Low 5 bits < 16: an IP (high 3 bits) and port from the pools. Otherwise one of
// the public endpoints the NAT handed out, so inbound traffic can hit mappings.
Endpoint endpoint(std::uint8_t sel, const std::vector<Endpoint>& seen) {
  std::uint8_t low = sel & 31;
  if (low >= 16 && !seen.empty()) return seen[(sel >> 5 | (low - 16) << 3) % seen.size()];
  return Endpoint{kIps[sel >> 5], kPorts[low & 15]};
}

bool same(const PacketHeader& a, const PacketHeader& b) {
  return a.transport == b.transport && a.src == b.src && a.dst == b.dst && a.tcp.syn == b.tcp.syn &&
         a.tcp.ack == b.tcp.ack && a.tcp.fin == b.tcp.fin && a.tcp.rst == b.tcp.rst;
}

std::uint64_t total(const std::array<std::uint64_t, kVerdictCount>& counts) {
  std::uint64_t n = 0;
  for (std::uint64_t c : counts) n += c;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> names = profile_names();
  if (size < 1) return 0;
  auto config = profile(names[data[0] % names.size()]);
  FUZZ_CHECK(config.has_value());
  std::vector<Ipv4> public_ips{kPublic1};
  if (data[0] & 0x80) public_ips.push_back(kPublic2);
  SeededRandom rng(1);
  NatModel nat(*config, public_ips, rng);

  Time now = time_from_us(1'000'000);
  std::vector<Endpoint> seen;  // public endpoints from forwarded outbound packets
  std::uint64_t outbound = 0, inbound = 0, icmp = 0;
  for (std::size_t at = 1; at + 4 <= size; at += 4) {
    const std::uint8_t op = data[at], time = data[at + 1], src = data[at + 2], dst = data[at + 3];
    now += (op & 0x80) ? Duration(std::chrono::seconds(time)) : Duration(std::chrono::milliseconds(time));

    if ((op & 3) == 3) {
      switch (src & 3) {
        case 0: nat.expire(now); break;
        case 1: nat.flush(); seen.clear(); break;
        case 2:
          nat.change_public_ips(dst & 1 ? std::vector<Ipv4>{kPublic2} : std::vector<Ipv4>{});
          seen.clear();
          break;
        case 3: nat.change_public_ips(public_ips); seen.clear(); break;
      }
      if (auto next = nat.next_expiry(); next && (src & 3) == 0) FUZZ_CHECK(*next >= now);
      if (nat.config().mode == NatMode::kNapt) FUZZ_CHECK(nat.mappings(now).size() == nat.mapping_count(now));
      continue;
    }

    PacketHeader packet;
    packet.transport = (op & 4) ? Transport::kTcp : Transport::kUdp;
    packet.tcp = TcpFlags{bool(op & 8), bool(op & 16), bool(op & 32), bool(op & 64)};
    packet.src = endpoint(src, seen);
    packet.dst = endpoint(dst, seen);
    const PacketHeader before = packet;
    Verdict v;
    switch (op & 3) {
      case 0:
        v = nat.outbound(now, packet);
        ++outbound;
        break;
      case 1:
        v = nat.inbound(now, packet);
        ++inbound;
        break;
      default:
        v = nat.inbound_icmp_error(now, packet);
        ++icmp;
        break;
    }
    FUZZ_CHECK(static_cast<std::size_t>(v) < kVerdictCount);
    FUZZ_CHECK(packet.transport == before.transport);
    if (is_drop(v)) {
      FUZZ_CHECK(same(packet, before));  // "drops: packet left unchanged"
      continue;
    }
    if ((op & 3) == 0) {
      FUZZ_CHECK(nat.owns_public_ip(packet.src.ip));  // the sender's public mapping, also when hairpinned
      if (v == Verdict::kForward) FUZZ_CHECK(packet.dst == before.dst);
      if (v == Verdict::kForward && seen.size() < 64) seen.push_back(packet.src);
    } else if ((op & 3) == 1) {
      FUZZ_CHECK(v == Verdict::kForward);
      FUZZ_CHECK(packet.src == before.src);
    } else {
      FUZZ_CHECK(v == Verdict::kForward);
      FUZZ_CHECK(packet.dst == before.dst);
    }
  }
  const NatCounters& counters = nat.counters();
  FUZZ_CHECK(total(counters.outbound) == outbound);
  FUZZ_CHECK(total(counters.inbound) == inbound);
  FUZZ_CHECK(total(counters.icmp) == icmp);
  return 0;
}
