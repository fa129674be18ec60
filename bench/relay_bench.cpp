// What one relay core forwards on one core: RelayData between the two bound sides
// of a pair, with many pairs bound (the map lookups a busy relay pays), and what a
// bind costs (two BLAKE2b runs: the derived secret and the mac).
#include <benchmark/benchmark.h>

#include "server/relay/relay_core.h"

namespace {

yt::RelayBind bind_for(const yt::RelayTicket& t, std::uint64_t sequence) {
  return yt::RelayBind{t.key_id, t.pair_id, t.side, sequence, yt::bind_mac(t.bind_secret, t.pair_id, t.side, sequence)};
}

yt::Endpoint client(std::uint32_t n) {
  return yt::Endpoint{yt::Ipv4{0xc6000000u + (n >> 8)}, static_cast<std::uint16_t>(40000 + (n & 0xff))};
}

// A relay with `pairs` bound pairs; limits raised so that only forwarding is measured.
struct BusyRelay {
  explicit BusyRelay(std::size_t pairs) : relay(config()) {
    relay.set_ticket_keys(ring, std::nullopt);
    for (std::uint32_t p = 0; p < pairs; ++p) {
      for (std::uint8_t side : {0, 1}) {
        yt::RelayTicket t = yt::issue_ticket(ring, p + 1, side);
        relay.on_datagram(now, client(2 * p + side), yt::encode_datagram(bind_for(t, 1)));
      }
      relay.drain_outputs();
    }
  }
  static yt::RelayConfig config() {
    yt::RelayConfig c;
    c.max_pairs = 1'000'000;
    c.packets_per_second_per_side = 1e12;
    c.packet_burst_per_side = 1e12;
    c.bytes_per_second_per_pair = 1e15;
    c.byte_burst_per_pair = 1e15;
    c.binds_per_second_per_address = 1e12;
    c.bind_burst_per_address = 1e12;
    return c;
  }
  yt::TicketKeyring ring{1, yt::TicketKey{7}};
  yt::RelayCore relay;
  yt::Time now = yt::time_from_us(1'000'000);
};

void BM_RelayForward(benchmark::State& state) {
  const std::size_t pairs = static_cast<std::size_t>(state.range(0));
  const std::size_t size = static_cast<std::size_t>(state.range(1));
  BusyRelay busy(pairs);
  // One datagram per pair, sent round robin, as it would arrive.
  std::vector<yt::Bytes> datagrams;
  for (std::uint32_t p = 0; p < std::min<std::size_t>(pairs, 1024); ++p) {
    datagrams.push_back(yt::encode_datagram(yt::RelayData{p + 1, 0, yt::Bytes(size, 0x5a)}));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % datagrams.size();
    busy.relay.on_datagram(busy.now, client(static_cast<std::uint32_t>(2 * k)), datagrams[k]);
    auto out = busy.relay.drain_outputs();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
  if (busy.relay.stats().forwarded_packets != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("not every datagram was forwarded");
  }
}
BENCHMARK(BM_RelayForward)->Args({1, 64})->Args({1, 1400})->Args({10000, 1400})->Args({100000, 1400});

void BM_RelayBind(benchmark::State& state) {
  BusyRelay busy(1);
  yt::RelayTicket t = yt::issue_ticket(busy.ring, 99, 0);
  std::uint64_t sequence = 1;
  for (auto _ : state) {
    busy.relay.on_datagram(busy.now, client(7), yt::encode_datagram(bind_for(t, sequence++)));
    auto out = busy.relay.drain_outputs();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RelayBind);

}  // namespace
