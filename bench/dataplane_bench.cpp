// The batched data plane's stages, one benchmark each (docs/data-plane.md), at the
// packet size of a full 1400-byte adapter MTU:
//   BM_Route          IpRouter::route of one unicast packet (cryptokey routing)
//   BM_Seal           Session::seal_in_place of one packet (ChaCha20-Poly1305)
//   BM_Open           Session::open_to of one sealed packet, replay window included
//   BM_Segment        split_tun_packet of a 64 KiB TSO super-packet into MSS
//                     segments with their headers and checksums (per super-packet;
//                     bytes/s is of TCP payload)
//   BM_CoreSendBatch  ClientCore::send_ip_batch of 45 packets (one super-packet's
//                     worth): route + seal into the PacketBatch, per batch
//   BM_CoreReceiveBatch ClientCore::on_datagram_batch of those 45: open, check,
//                     into the PacketBatch for the adapter
//   BM_CoreOnePacket  the same one packet through send_ip_packet / on_datagram,
//                     outputs drained (the unbatched path), for comparison
// The cores are two clients with a real tunnel on the simulated network (tests/sim);
// sockets and TUN are left out, so the figures are user-space CPU only.
//   build/bench/dataplane_bench
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <stdexcept>

#include "client/core/ip_packet.h"
#include "client/core/ip_router.h"
#include "client/core/membership.h"
#include "platform/virtio_net.h"
#include "protocol/session.h"
#include "tests/sim/sim_world.h"

namespace yt {
namespace {

// libsodium picks its SIMD ChaCha20 and Poly1305 in sodium_init(), as the daemon
// does at start (SystemRandom::init); without it the portable code is measured.
const int kSodiumReady = sodium_init();

constexpr std::size_t kPacket = 1400;
constexpr std::size_t kBatch = 45;  // ~64 KiB of TCP payload at an MSS of 1360

PublicKey key(std::uint8_t b) {
  PublicKey k{};
  k[0] = b;
  return k;
}
Ipv4 vip(std::uint8_t b) { return Ipv4::from_octets(25, 0, 0, b); }

void BM_Route(benchmark::State& state) {
  std::vector<MemberInfo> members;
  for (std::uint8_t i = 1; i <= 64; ++i) members.push_back(MemberInfo{key(i), "m", vip(i), true});
  Membership membership(key(1));
  membership.replace(NetworkSnapshot{{NetworkInfo{"lan", members}}});
  IpRouter router;
  router.set_address(vip(1), 8);
  router.sync(membership);
  Bytes packet = make_ipv4_packet(vip(1), vip(40), kIpProtocolUdp, Bytes(kPacket - 20, 1));
  IpRouter::HasTunnel all = [](const PublicKey&) { return true; };
  for (auto _ : state) {
    auto route = router.route(packet, all, 256);
    benchmark::DoNotOptimize(route);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Route);

SessionKeys keys(std::uint8_t a, std::uint8_t b) {
  SessionKeys k;
  k.send_key.fill(a);
  k.recv_key.fill(b);
  return k;
}

void BM_Seal(benchmark::State& state) {
  Session session(keys(1, 2));
  Bytes buffer(kSessionOverhead + kPacket, 0x5a);
  const std::uint8_t ad[4] = {1, 2, 3, 4};
  for (auto _ : state) {
    (void)session.seal_in_place(buffer.data(), kPacket, ByteView(ad));
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * kPacket);
}
BENCHMARK(BM_Seal);

void BM_Open(benchmark::State& state) {
  // Sealed ahead in a ring, so the replay window sees fresh counters in order.
  constexpr std::size_t kRing = 4096;
  Session sender(keys(1, 2)), receiver(keys(2, 1));
  const std::uint8_t ad[4] = {1, 2, 3, 4};
  Bytes plaintext(kPacket);
  std::vector<Bytes> sealed;
  std::size_t next = kRing;
  for (auto _ : state) {
    if (next == kRing) {
      state.PauseTiming();
      sealed.clear();
      for (std::size_t i = 0; i < kRing; ++i) sealed.push_back(sender.seal(Bytes(kPacket, 7), ByteView(ad)).value());
      next = 0;
      state.ResumeTiming();
    }
    auto opened = receiver.open_to(sealed[next++], ByteView(ad), plaintext.data());
    benchmark::DoNotOptimize(opened);
  }
  state.SetBytesProcessed(state.iterations() * kPacket);
}
BENCHMARK(BM_Open);

// A TSO super-packet as the kernel hands it over: virtio-net header, IPv4, TCP
// with timestamps, 64 KiB of payload to be cut at `mss`.
Bytes super_packet(std::size_t payload, std::uint16_t mss) {
  Bytes read(kVirtioNetHeaderSize + 20 + 32 + payload, 0x42);
  VirtioNetHeader h;
  h.flags = VirtioNetHeader::kNeedsCsum;
  h.gso_type = VirtioNetHeader::kGsoTcpV4;
  h.hdr_len = 52;
  h.gso_size = mss;
  h.csum_start = 20;
  h.csum_offset = 16;
  write_virtio_net_header(read.data(), h);
  std::uint8_t* ip = read.data() + kVirtioNetHeaderSize;
  ip[0] = 0x45;
  ip[9] = 6;
  ip[32] = 8 << 4;  // TCP data offset: 32 bytes
  return read;
}

void BM_Segment(benchmark::State& state) {
  const std::size_t payload = 65535 - 52;
  Bytes read = super_packet(payload, 1348);
  PacketBatch out;
  for (auto _ : state) {
    out.clear();
    auto split = split_tun_packet(read, out);
    benchmark::DoNotOptimize(split);
  }
  state.SetBytesProcessed(state.iterations() * payload);
  state.counters["segments"] = static_cast<double>((payload + 1347) / 1348);
}
BENCHMARK(BM_Segment);

struct Pair {
  sim::FakeNetwork net;
  std::size_t a = 0, b = 0;
  Ipv4 vip_a, vip_b;
  const Endpoint alice_address{Ipv4::from_octets(203, 0, 113, 1), 40001};

  Pair() {
    sim::add_sim_server(net);
    a = add(1, "alice");
    b = add(2, "bob");
    if (!sim::connect_pair(net, a, b)) throw std::runtime_error("no tunnel between the benchmark's clients");
    vip_a = *net.client(a).virtual_ip();
    vip_b = *net.client(b).virtual_ip();
    (void)net.client(a).drain_outputs();
    (void)net.client(b).drain_outputs();
  }
  std::size_t add(std::uint8_t n, const std::string& name) {
    sim::ClientOptions options;
    options.name = name;
    options.address = Endpoint{Ipv4::from_octets(203, 0, 113, n), static_cast<std::uint16_t>(40000 + n)};
    options.config.ip_mode = true;
    return net.add_client(std::move(options));
  }
};

void BM_CoreSendBatch(benchmark::State& state) {
  Pair pair;
  ClientCore& alice = pair.net.client(pair.a);
  Bytes packet = make_ipv4_packet(pair.vip_a, pair.vip_b, kIpProtocolUdp, Bytes(kPacket - 20, 0x5a));
  std::vector<ByteView> packets(kBatch, ByteView(packet));
  PacketBatch sealed;
  const Time now = pair.net.now();
  for (auto _ : state) {
    sealed.clear();
    alice.send_ip_batch(now, packets, sealed);
    if (sealed.size() != kBatch) {
      state.SkipWithError("send_ip_batch did not seal every packet");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * kPacket);
}
BENCHMARK(BM_CoreSendBatch);

void BM_CoreReceiveBatch(benchmark::State& state) {
  Pair pair;
  ClientCore& alice = pair.net.client(pair.a);
  ClientCore& bob = pair.net.client(pair.b);
  Bytes packet = make_ipv4_packet(pair.vip_a, pair.vip_b, kIpProtocolUdp, Bytes(kPacket - 20, 0x5a));
  std::vector<ByteView> packets(kBatch, ByteView(packet));
  const Time now = pair.net.now();
  PacketBatch sealed, opened(10);
  std::vector<ReceivedDatagram> received;
  for (auto _ : state) {
    state.PauseTiming();
    sealed.clear();
    alice.send_ip_batch(now, packets, sealed);
    received.clear();
    for (std::size_t i = 0; i < sealed.size(); ++i) received.push_back({pair.alice_address, sealed.bytes(i)});
    opened.clear();
    state.ResumeTiming();
    bob.on_datagram_batch(now, received, opened);
    if (opened.size() != kBatch) {
      state.SkipWithError("on_datagram_batch did not deliver every packet");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * kPacket);
}
BENCHMARK(BM_CoreReceiveBatch);

void BM_CoreOnePacket(benchmark::State& state) {
  Pair pair;
  ClientCore& alice = pair.net.client(pair.a);
  ClientCore& bob = pair.net.client(pair.b);
  Bytes packet = make_ipv4_packet(pair.vip_a, pair.vip_b, kIpProtocolUdp, Bytes(kPacket - 20, 0x5a));
  const Time now = pair.net.now();
  std::size_t delivered = 0;
  for (auto _ : state) {
    (void)alice.send_ip_packet(now, packet);
    for (ClientCore::Output& out : alice.drain_outputs()) {
      if (auto* d = std::get_if<SendDatagram>(&out)) bob.on_datagram(now, pair.alice_address, d->payload);
    }
    for (ClientCore::Output& out : bob.drain_outputs()) {
      if (auto* e = std::get_if<ClientEvent>(&out); e && std::holds_alternative<PacketReceived>(*e)) ++delivered;
    }
  }
  if (delivered != static_cast<std::size_t>(state.iterations())) state.SkipWithError("a packet was not delivered");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kPacket);
}
BENCHMARK(BM_CoreOnePacket);

}  // namespace
}  // namespace yt
