#include "protocol/handshake.h"

#include <gtest/gtest.h>

#include <set>

#include "protocol/session.h"

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);

Bytes text(std::string_view s) { return as_bytes(s).to_bytes(); }
ByteView view(const std::array<std::uint8_t, 32>& a) { return ByteView(a.data(), a.size()); }

struct Fixture {
  SeededRandom id_rng{42, 0};
  Identity client = Identity::generate(id_rng);
  Identity server = Identity::generate(id_rng);
  Identity other = Identity::generate(id_rng);
  SeededRandom client_rng{42, 1};
  SeededRandom server_rng{42, 2};
  Bytes prologue = text("yellowtail client-server");
  HandshakeReplayGuard guard;
};

Bytes write_init(HandshakeInitiator& init, std::string_view payload) {
  auto msg = init.write_init(as_bytes(payload));
  EXPECT_TRUE(msg.ok());
  return msg.ok() ? msg.value() : Bytes();
}

TEST(HandshakeTest, CompletesBothWaysWithMatchingKeysAndPayloads) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "login: alice");
  EXPECT_EQ(msg1.size(), kHandshakeInitOverhead + 12);

  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(received->initiator_static, f.client.public_key);
  EXPECT_EQ(received->payload, text("login: alice"));

  auto response = write_response(*received, as_bytes("welcome"), f.server_rng);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->message.size(), kHandshakeResponseOverhead + 7);

  auto done = init.read_response(response->message);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->payload, text("welcome"));

  const SessionKeys& ik = done->keys;
  const SessionKeys& rk = response->keys;
  EXPECT_EQ(ik.send_key, rk.recv_key);
  EXPECT_EQ(ik.recv_key, rk.send_key);
  EXPECT_NE(ik.send_key, ik.recv_key);
  EXPECT_EQ(ik.handshake_hash, rk.handshake_hash);

  // The keys drive a working session pair.
  Session a(ik), b(rk);
  auto sealed = a.seal(as_bytes("ping"), ByteView());
  ASSERT_TRUE(sealed.ok());
  auto opened = b.open(*sealed, ByteView());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, text("ping"));
}

TEST(HandshakeTest, EmptyPayloadsWork) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, ByteView(), f.client_rng);
  Bytes msg1 = write_init(init, "");
  EXPECT_EQ(msg1.size(), kHandshakeInitOverhead);
  auto received = read_init(f.server, ByteView(), msg1, kT0, f.guard);
  ASSERT_TRUE(received.ok());
  EXPECT_TRUE(received->payload.empty());
  auto response = write_response(*received, ByteView(), f.server_rng);
  ASSERT_TRUE(response.ok());
  auto done = init.read_response(response->message);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->payload.empty());
  EXPECT_EQ(done->keys.send_key, response->keys.recv_key);
}

TEST(HandshakeTest, TwoHandshakesDeriveDifferentKeys) {
  Fixture f;
  std::set<std::array<std::uint8_t, 32>> seen;
  for (int i = 0; i < 2; ++i) {
    HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
    Bytes msg1 = write_init(init, "x");
    auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
    ASSERT_TRUE(received.ok());
    auto response = write_response(*received, ByteView(), f.server_rng);
    ASSERT_TRUE(response.ok());
    seen.insert(response->keys.send_key);
    seen.insert(response->keys.handshake_hash);
  }
  EXPECT_EQ(seen.size(), 4u);
}

TEST(HandshakeTest, WrongPinnedServerKeyIsWrongResponderKey) {
  Fixture f;
  // The client pinned `other`, but the real server answers.
  HandshakeInitiator init(f.client, f.other.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "login");
  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error(), HandshakeError::kWrongResponderKey);
  EXPECT_EQ(f.guard.size(), 0u);
}

TEST(HandshakeTest, ClaimedKeyWithoutItsSecretIsInitiatorNotAuthentic) {
  Fixture f;
  // Claims `other`'s public key while holding the client's secret.
  Identity impostor;
  impostor.public_key = f.other.public_key;
  impostor.secret_key = f.client.secret_key;
  HandshakeInitiator init(impostor, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "login as other");
  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error(), HandshakeError::kInitiatorNotAuthentic);
  EXPECT_EQ(f.guard.size(), 0u);
}

TEST(HandshakeTest, DifferentPrologueFails) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, as_bytes("peer-peer"), f.client_rng);
  Bytes msg1 = write_init(init, "x");
  auto received = read_init(f.server, as_bytes("client-server"), msg1, kT0, f.guard);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error(), HandshakeError::kWrongResponderKey);
}

TEST(HandshakeTest, FakeResponderIsResponderNotAuthentic) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "login");

  // The fake (`other`) intercepts msg1 and cannot read it.
  auto intercepted = read_init(f.other, f.prologue, msg1, kT0, f.guard);
  ASSERT_FALSE(intercepted.ok());
  EXPECT_EQ(intercepted.error(), HandshakeError::kWrongResponderKey);

  // Its best attempt: a valid msg2 from a handshake it can complete, namely one
  // where the same client pinned the fake's key.
  SeededRandom rng(7, 7);
  HandshakeInitiator decoy(f.client, f.other.public_key, f.prologue, rng);
  Bytes decoy_msg1 = write_init(decoy, "login");
  auto decoy_received = read_init(f.other, f.prologue, decoy_msg1, kT0, f.guard);
  ASSERT_TRUE(decoy_received.ok());
  auto fake_response = write_response(*decoy_received, as_bytes("welcome"), rng);
  ASSERT_TRUE(fake_response.ok());

  auto done = init.read_response(fake_response->message);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error(), HandshakeError::kResponderNotAuthentic);

  // The forged reply did not spoil the handshake: the genuine one still completes.
  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_TRUE(received.ok());
  auto response = write_response(*received, as_bytes("welcome"), f.server_rng);
  ASSERT_TRUE(response.ok());
  auto genuine = init.read_response(response->message);
  ASSERT_TRUE(genuine.ok());
  EXPECT_EQ(genuine->keys.send_key, response->keys.recv_key);
}

TEST(HandshakeTest, ReplayedInitRejectedUntilWindowExpires) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "login");
  ASSERT_TRUE(read_init(f.server, f.prologue, msg1, kT0, f.guard).ok());

  auto replay = read_init(f.server, f.prologue, msg1, kT0 + std::chrono::seconds(1), f.guard);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error(), HandshakeError::kReplayedHandshake);

  Time just_before = kT0 + kHandshakeReplayWindow - Duration(1);
  auto late_replay = read_init(f.server, f.prologue, msg1, just_before, f.guard);
  ASSERT_FALSE(late_replay.ok());
  EXPECT_EQ(late_replay.error(), HandshakeError::kReplayedHandshake);

  EXPECT_TRUE(read_init(f.server, f.prologue, msg1, kT0 + kHandshakeReplayWindow, f.guard).ok());
}

TEST(HandshakeTest, StateMisuseIsWrongState) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  auto early = init.read_response(Bytes(kHandshakeResponseOverhead, 0));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error(), HandshakeError::kWrongState);

  Bytes msg1 = write_init(init, "x");
  auto twice = init.write_init(ByteView());
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error(), HandshakeError::kWrongState);

  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_TRUE(received.ok());
  auto response = write_response(*received, ByteView(), f.server_rng);
  ASSERT_TRUE(response.ok());
  auto again = write_response(*received, ByteView(), f.server_rng);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), HandshakeError::kWrongState);

  ASSERT_TRUE(init.read_response(response->message).ok());
  auto after = init.read_response(response->message);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error(), HandshakeError::kWrongState);
}

TEST(HandshakeTest, LowOrderPinnedKeyIsInvalidKey) {
  Fixture f;
  PublicKey zero{};  // the identity point: low order
  HandshakeInitiator init(f.client, zero, f.prologue, f.client_rng);
  auto msg = init.write_init(as_bytes("secret login"));
  ASSERT_FALSE(msg.ok());
  EXPECT_EQ(msg.error(), HandshakeError::kInvalidKey);
}

TEST(HandshakeTest, LowOrderEphemeralIsMalformed) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "x");
  std::fill(msg1.begin() + 1, msg1.begin() + 33, 0);
  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error(), HandshakeError::kMalformed);

  HandshakeInitiator init2(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1b = write_init(init2, "x");
  auto received2 = read_init(f.server, f.prologue, msg1b, kT0, f.guard);
  ASSERT_TRUE(received2.ok());
  auto response = write_response(*received2, ByteView(), f.server_rng);
  ASSERT_TRUE(response.ok());
  Bytes msg2 = response->message;
  std::fill(msg2.begin() + 1, msg2.begin() + 33, 0);
  auto done = init2.read_response(msg2);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error(), HandshakeError::kMalformed);
}

TEST(HandshakeTest, WrongKindByteIsMalformed) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "x");
  msg1[0] = kHandshakeResponseKind;
  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error(), HandshakeError::kMalformed);
}

bool is_init_rejection(HandshakeError e) {
  return e == HandshakeError::kMalformed || e == HandshakeError::kWrongResponderKey ||
         e == HandshakeError::kInitiatorNotAuthentic;
}

TEST(HandshakeTest, TruncatedCorruptedOrGarbageInitNeverAccepted) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "payload");
  SeededRandom garbage_rng(99);

  for (std::size_t n = 0; n < msg1.size(); ++n) {
    auto truncated = read_init(f.server, f.prologue, ByteView(msg1).subview(0, n), kT0, f.guard);
    ASSERT_FALSE(truncated.ok()) << n;
    EXPECT_TRUE(is_init_rejection(truncated.error())) << n;

    Bytes garbage = garbage_rng.bytes(n + 1);
    if (!garbage.empty()) garbage[0] = kHandshakeInitKind;  // get past the kind check
    auto junk = read_init(f.server, f.prologue, garbage, kT0, f.guard);
    ASSERT_FALSE(junk.ok()) << n;
    EXPECT_TRUE(is_init_rejection(junk.error())) << n;

    Bytes flipped = msg1;
    flipped[n] ^= 0x80;
    auto corrupt = read_init(f.server, f.prologue, flipped, kT0, f.guard);
    ASSERT_FALSE(corrupt.ok()) << n;
    EXPECT_TRUE(is_init_rejection(corrupt.error())) << n;
  }
  Bytes longer = msg1;
  longer.push_back(0);
  auto extended = read_init(f.server, f.prologue, longer, kT0, f.guard);
  ASSERT_FALSE(extended.ok());
  EXPECT_EQ(extended.error(), HandshakeError::kInitiatorNotAuthentic);
  // Nothing unauthenticated reached the guard, so the genuine msg1 still works.
  EXPECT_EQ(f.guard.size(), 0u);
  EXPECT_TRUE(read_init(f.server, f.prologue, msg1, kT0, f.guard).ok());
}

TEST(HandshakeTest, TruncatedCorruptedOrGarbageResponseNeverAccepted) {
  Fixture f;
  HandshakeInitiator init(f.client, f.server.public_key, f.prologue, f.client_rng);
  Bytes msg1 = write_init(init, "x");
  auto received = read_init(f.server, f.prologue, msg1, kT0, f.guard);
  ASSERT_TRUE(received.ok());
  auto response = write_response(*received, as_bytes("payload"), f.server_rng);
  ASSERT_TRUE(response.ok());
  const Bytes& msg2 = response->message;
  SeededRandom garbage_rng(98);

  auto expect_rejected = [&](ByteView m, std::size_t n) {
    auto r = init.read_response(m);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(r.error() == HandshakeError::kMalformed ||
                r.error() == HandshakeError::kResponderNotAuthentic)
        << n;
  };
  for (std::size_t n = 0; n < msg2.size(); ++n) {
    expect_rejected(ByteView(msg2).subview(0, n), n);
    Bytes garbage = garbage_rng.bytes(n + 1);
    if (!garbage.empty()) garbage[0] = kHandshakeResponseKind;
    expect_rejected(garbage, n);
    Bytes flipped = msg2;
    flipped[n] ^= 0x80;
    expect_rejected(flipped, n);
  }
  // None of that spoiled the initiator.
  auto done = init.read_response(msg2);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->payload, text("payload"));
}

TEST(HandshakeReplayGuardTest, RemembersWithinWindowOnly) {
  HandshakeReplayGuard guard(std::chrono::seconds(10), 100);
  PublicKey a{}, b{};
  a[0] = 1;
  b[0] = 2;
  EXPECT_FALSE(guard.seen_before(a, kT0));
  EXPECT_TRUE(guard.seen_before(a, kT0 + std::chrono::seconds(9)));
  EXPECT_FALSE(guard.seen_before(b, kT0 + std::chrono::seconds(9)));
  EXPECT_EQ(guard.size(), 2u);
  // a expires at exactly kT0 + 10 s and is then recorded afresh.
  EXPECT_FALSE(guard.seen_before(a, kT0 + std::chrono::seconds(10)));
  EXPECT_TRUE(guard.seen_before(b, kT0 + std::chrono::seconds(10)));
  EXPECT_TRUE(guard.seen_before(a, kT0 + std::chrono::seconds(15)));
}

TEST(HandshakeReplayGuardTest, CapacityEvictsOldest) {
  HandshakeReplayGuard guard(std::chrono::hours(1), 3);
  PublicKey k[4] = {};
  for (int i = 0; i < 4; ++i) {
    k[i][31] = static_cast<std::uint8_t>(i + 1);
    EXPECT_FALSE(guard.seen_before(k[i], kT0 + std::chrono::seconds(i)));
  }
  EXPECT_EQ(guard.size(), 3u);
  EXPECT_TRUE(guard.seen_before(k[3], kT0 + std::chrono::seconds(5)));
  EXPECT_TRUE(guard.seen_before(k[1], kT0 + std::chrono::seconds(5)));
  EXPECT_FALSE(guard.seen_before(k[0], kT0 + std::chrono::seconds(5)));  // was evicted
  EXPECT_EQ(guard.size(), 3u);
}

TEST(HandshakeReplayGuardTest, ZeroCapacityActsAsOne) {
  HandshakeReplayGuard guard(std::chrono::hours(1), 0);
  PublicKey a{};
  EXPECT_FALSE(guard.seen_before(a, kT0));
  EXPECT_TRUE(guard.seen_before(a, kT0));
  EXPECT_EQ(guard.size(), 1u);
}

// Pins the wire format: every random byte is injected, so fixed seeds give fixed
// messages. A change here is a protocol change: bump kHandshakeProtocolName.
TEST(HandshakeTest, FixedBytes) {
  SeededRandom id_rng(2024, 0);
  Identity client = Identity::generate(id_rng);
  Identity server = Identity::generate(id_rng);
  SeededRandom client_rng(2024, 1);
  SeededRandom server_rng(2024, 2);
  HandshakeReplayGuard guard;

  HandshakeInitiator init(client, server.public_key, as_bytes("prologue"), client_rng);
  auto msg1 = init.write_init(as_bytes("hello"));
  ASSERT_TRUE(msg1.ok());
  auto received = read_init(server, as_bytes("prologue"), *msg1, kT0, guard);
  ASSERT_TRUE(received.ok());
  auto response = write_response(*received, as_bytes("world"), server_rng);
  ASSERT_TRUE(response.ok());
  auto done = init.read_response(response->message);
  ASSERT_TRUE(done.ok());
  Session session(done->keys);
  auto packet = session.seal(as_bytes("data"), as_bytes("ad"));
  auto packet1 = session.seal(as_bytes("data"), as_bytes("ad"));  // pins the nonce byte order
  ASSERT_TRUE(packet.ok() && packet1.ok());

  // Cross-checked against an independent implementation of the header's spec
  // (Python: hashlib.blake2b + cryptography's X25519 and ChaCha20Poly1305).
  EXPECT_EQ(to_hex(*msg1),
            "01"
            "3b30263544587a4e7f44d1f613afc8e51b1dc40eca33f63ef832da5c725c1e72"    // E_i
            "418f843f3b8154071eec92bf253a88211d5c78b97e102496311f2aa19cd1037b"    // c_s
            "59adea1e5f22ef3b2755c047e0003e61"                                    //   tag
            "e07c466a81"                                                          // c_p
            "4c73d2a66e25429729b2ccee181f9fde");                                  //   tag
  EXPECT_EQ(to_hex(response->message),
            "02"
            "84056cd49432c5304984356a1fba95960b46b68c18d5a0097c88c58ba1919f53"    // E_r
            "405dab51df"                                                          // c_p
            "6ca506e02e57c056c3a9aad76a9a8b95");                                  //   tag
  EXPECT_EQ(to_hex(view(done->keys.handshake_hash)),
            "5e44334c68050cd0915be3de9ec6445097165d2de7c063968e51f5bd90a223b4");
  EXPECT_EQ(to_hex(*packet), "0000000000000000" "7a4102920d" "fbe64436607e574dd89e7654b552b5");
  EXPECT_EQ(to_hex(*packet1), "0000000000000001" "f586a7af78" "70bcd5328fd52c0e7e5a1f1a4b4b42");
}

}  // namespace
}  // namespace yt
