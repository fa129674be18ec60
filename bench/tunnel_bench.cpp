// The client data plane, per packet: an IP packet from the adapter routed, sealed
// and queued by one core (send_ip_packet), then authenticated, cryptokey-checked
// and delivered by the peer's core (on_datagram). Two cores with a real tunnel,
// built over the simulated network; the datagrams are then handed over by hand, so
// the figure is the cores' own cost, without sockets or TUN reads.
//   build/bench/tunnel_bench
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "client/core/ip_packet.h"
#include "tests/sim/sim_world.h"

namespace yt {
namespace {

struct Pair {
  sim::FakeNetwork net;
  std::size_t a = 0, b = 0;
  Ipv4 vip_a, vip_b;

  Pair() {
    sim::add_sim_server(net);
    a = add(1, "alice");
    b = add(2, "bob");
    if (!sim::connect_pair(net, a, b)) throw std::runtime_error("no tunnel between the benchmark's clients");
    vip_a = *net.client(a).virtual_ip();
    vip_b = *net.client(b).virtual_ip();
    drain(a);
    drain(b);
  }
  std::size_t add(std::uint8_t n, const std::string& name) {
    sim::ClientOptions options;
    options.name = name;
    options.address = Endpoint{Ipv4::from_octets(203, 0, 113, n), static_cast<std::uint16_t>(40000 + n)};
    options.config.ip_mode = true;
    return net.add_client(std::move(options));
  }
  std::vector<ClientCore::Output> drain(std::size_t i) { return net.client(i).drain_outputs(); }
};

void BM_TunnelIpPacketOneWay(benchmark::State& state) {
  Pair pair;
  ClientCore& alice = pair.net.client(pair.a);
  ClientCore& bob = pair.net.client(pair.b);
  const Endpoint alice_address{Ipv4::from_octets(203, 0, 113, 1), 40001};
  Bytes payload(static_cast<std::size_t>(state.range(0)) - kIpv4MinHeaderLength, 0x5a);
  Bytes packet = make_ipv4_packet(pair.vip_a, pair.vip_b, kIpProtocolUdp, payload);
  Time now = pair.net.now();
  std::size_t delivered = 0;
  for (auto _ : state) {
    if (!alice.send_ip_packet(now, packet)) {
      state.SkipWithError("send_ip_packet refused the packet");
      break;
    }
    for (ClientCore::Output& out : alice.drain_outputs()) {
      if (auto* d = std::get_if<SendDatagram>(&out)) bob.on_datagram(now, alice_address, d->payload);
    }
    for (ClientCore::Output& out : bob.drain_outputs()) {
      if (auto* e = std::get_if<ClientEvent>(&out); e && std::holds_alternative<PacketReceived>(*e)) ++delivered;
    }
  }
  if (delivered != static_cast<std::size_t>(state.iterations())) state.SkipWithError("packets were lost");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(packet.size()));
}
BENCHMARK(BM_TunnelIpPacketOneWay)->Arg(64)->Arg(1400);

}  // namespace
}  // namespace yt
