// Noise IK (protocol/handshake.h) with fixed identities: the input is handed to a
// server-side responder as msg1 and to a client-side initiator that has sent its
// msg1 as msg2. Garbage must fail cleanly; the real messages (in the seed corpus)
// must complete, with mirrored session keys.
#include "fuzz/fuzz_support.h"

#include <memory>

using namespace yt;

namespace {

constexpr Time kNow = time_from_us(1'000'000);

struct Initiator {
  SeededRandom rng = fuzz::client_rng();
  HandshakeInitiator handshake;
  Bytes msg1;
  Initiator()
      : handshake(fuzz::handshake_identities().client, fuzz::handshake_identities().server.public_key,
                  fuzz::control_prologue(), rng) {
    auto m = handshake.write_init(as_bytes(fuzz::kInitPayload));
    FUZZ_CHECK(m.ok());
    msg1 = *m;
  }
};

// The genuine msg2 the server answers the fixed msg1 with, and the server's keys.
const ResponderCompleted& genuine_response() {
  static const ResponderCompleted completed = [] {
    Initiator init;
    HandshakeReplayGuard guard;
    auto received = read_init(fuzz::handshake_identities().server, fuzz::control_prologue(), init.msg1, kNow, guard);
    FUZZ_CHECK(received.ok());
    SeededRandom rng = fuzz::server_rng();
    auto response = write_response(*received, as_bytes(fuzz::kResponsePayload), rng);
    FUZZ_CHECK(response.ok());
    return std::move(*response);
  }();
  return completed;
}

// Kept across inputs because a failed read_response leaves it unchanged (handshake.h);
// replaced after a success, which consumes it. Saves a key exchange per input.
std::unique_ptr<Initiator> initiator;

void as_msg1(ByteView msg1) {
  const auto& ids = fuzz::handshake_identities();
  HandshakeReplayGuard guard;  // fresh: a replay verdict must not depend on earlier inputs
  auto received = read_init(ids.server, fuzz::control_prologue(), msg1, kNow, guard);
  if (msg1.to_bytes() == initiator->msg1) FUZZ_CHECK(received.ok());
  if (!received.ok()) {
    FUZZ_CHECK(guard.size() == 0);  // only authenticated msg1s are remembered
    return;
  }
  FUZZ_CHECK(guard.size() == 1);
  FUZZ_CHECK(msg1.size() >= kHandshakeInitOverhead);
  FUZZ_CHECK(received->payload.size() == msg1.size() - kHandshakeInitOverhead);
  auto again = read_init(ids.server, fuzz::control_prologue(), msg1, kNow, guard);
  FUZZ_CHECK(!again.ok() && again.error() == HandshakeError::kReplayedHandshake);

  SeededRandom rng = fuzz::server_rng();
  auto response = write_response(*received, as_bytes(fuzz::kResponsePayload), rng);
  FUZZ_CHECK(response.ok());
  FUZZ_CHECK(response->message.size() == kHandshakeResponseOverhead + fuzz::kResponsePayload.size());
  auto twice = write_response(*received, ByteView(), rng);
  FUZZ_CHECK(!twice.ok() && twice.error() == HandshakeError::kWrongState);
}

void as_msg2(ByteView msg2) {
  auto done = initiator->handshake.read_response(msg2);
  const ResponderCompleted& genuine = genuine_response();
  bool is_genuine = msg2.to_bytes() == genuine.message;
  if (is_genuine) FUZZ_CHECK(done.ok());
  if (!done.ok()) {
    FUZZ_CHECK(done.error() != HandshakeError::kWrongState);
    return;
  }
  FUZZ_CHECK(done->keys.send_key != done->keys.recv_key);
  if (is_genuine) {
    FUZZ_CHECK(done->keys.send_key == genuine.keys.recv_key);
    FUZZ_CHECK(done->keys.recv_key == genuine.keys.send_key);
    FUZZ_CHECK(done->keys.handshake_hash == genuine.keys.handshake_hash);
  }
  FUZZ_CHECK(done->payload.size() == msg2.size() - kHandshakeResponseOverhead);
  auto twice = initiator->handshake.read_response(msg2);
  FUZZ_CHECK(!twice.ok() && twice.error() == HandshakeError::kWrongState);
  initiator = std::make_unique<Initiator>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!initiator) initiator = std::make_unique<Initiator>();
  ByteView in = fuzz::view(data, size);
  as_msg1(in);
  as_msg2(in);
  return 0;
}
