// Per-packet costs of the data plane and the codec: what bounds tunnel throughput
// and how many simulated clients one core can serve.
#include <benchmark/benchmark.h>

#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/session.h"

namespace {

yt::SessionKeys keys() {
  yt::SessionKeys k;
  k.send_key.fill(1);
  k.recv_key.fill(1);
  k.handshake_hash.fill(0);
  return k;
}

void BM_SessionSealOpen(benchmark::State& state) {
  yt::Session sender(keys()), receiver(keys());
  yt::Bytes payload(static_cast<std::size_t>(state.range(0)), 0x42);
  for (auto _ : state) {
    auto sealed = sender.seal(payload, {});
    auto opened = receiver.open(*sealed, {});
    benchmark::DoNotOptimize(opened);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SessionSealOpen)->Arg(64)->Arg(1400);

void BM_Handshake(benchmark::State& state) {
  yt::SeededRandom rng(1);
  yt::Identity a = yt::Identity::generate(rng), b = yt::Identity::generate(rng);
  yt::HandshakeReplayGuard guard;
  std::int64_t t = 0;
  for (auto _ : state) {
    yt::HandshakeInitiator initiator(a, b.public_key, {}, rng);
    auto msg1 = initiator.write_init({});
    auto received = yt::read_init(b, {}, *msg1, yt::time_from_us(t++), guard);
    auto response = yt::write_response(*received, {}, rng);
    auto done = initiator.read_response(response->message);
    benchmark::DoNotOptimize(done);
  }
}
BENCHMARK(BM_Handshake);

void BM_DecodeTunnelInstruction(benchmark::State& state) {
  yt::TunnelInstruction m;
  m.candidates = {*yt::Endpoint::parse("203.0.113.1:4500"), *yt::Endpoint::parse("192.168.1.2:4500")};
  yt::Bytes bytes = yt::encode_control(m);
  for (auto _ : state) benchmark::DoNotOptimize(yt::decode_control(bytes));
}
BENCHMARK(BM_DecodeTunnelInstruction);

}  // namespace
