#include "protocol/session.h"

#include <gtest/gtest.h>

#include <utility>

namespace yt {
namespace {

SessionKeys keys_for(std::uint8_t a, std::uint8_t b) {
  SessionKeys k;
  k.send_key.fill(a);
  k.recv_key.fill(b);
  return k;
}

// A connected pair: alice's send key is bob's receive key and vice versa.
struct Pair {
  Session alice{keys_for(1, 2)};
  Session bob{keys_for(2, 1)};
};

Bytes text(std::string_view s) { return as_bytes(s).to_bytes(); }

Bytes seal(Session& s, std::string_view msg, std::string_view ad = "") {
  auto r = s.seal(as_bytes(msg), as_bytes(ad));
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : Bytes();
}

TEST(SessionTest, RoundTripsBothWays) {
  Pair p;
  Bytes sealed = seal(p.alice, "hello", "hdr");
  EXPECT_EQ(sealed.size(), 5 + kSessionOverhead);
  auto opened = p.bob.open(sealed, as_bytes("hdr"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, text("hello"));

  auto back = p.bob.seal(as_bytes("hi"), ByteView());
  ASSERT_TRUE(back.ok());
  auto opened_back = p.alice.open(*back, ByteView());
  ASSERT_TRUE(opened_back.ok());
  EXPECT_EQ(*opened_back, text("hi"));

  EXPECT_EQ(p.alice.messages_sent(), 1u);
  EXPECT_EQ(p.bob.messages_received(), 1u);
}

TEST(SessionTest, EmptyPlaintextRoundTrips) {
  Pair p;
  Bytes sealed = seal(p.alice, "");
  EXPECT_EQ(sealed.size(), kSessionOverhead);
  auto opened = p.bob.open(sealed, ByteView());
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->empty());
}

TEST(SessionTest, HeaderIsBigEndianCounter) {
  Pair p;
  for (int i = 0; i < 258; ++i) seal(p.alice, "x");
  Bytes sealed = seal(p.alice, "x");  // counter 258 = 0x0102
  EXPECT_EQ(to_hex(ByteView(sealed).subview(0, 8)), "0000000000000102");
}

TEST(SessionTest, TamperedCiphertextFailsAuth) {
  Pair p;
  Bytes sealed = seal(p.alice, "payload", "ad");
  for (std::size_t i = kSessionHeaderSize; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    auto r = p.bob.open(bad, as_bytes("ad"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), SessionError::kAuthFailed) << i;
  }
  // The failures did not consume the counter: the genuine packet still opens.
  EXPECT_TRUE(p.bob.open(sealed, as_bytes("ad")).ok());
}

TEST(SessionTest, TamperedCounterFailsAuth) {
  Pair p;
  Bytes sealed = seal(p.alice, "payload");
  sealed[7] ^= 0x01;  // counter 0 -> 1: different nonce
  auto r = p.bob.open(sealed, ByteView());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kAuthFailed);
}

TEST(SessionTest, TamperedAssociatedDataFailsAuth) {
  Pair p;
  Bytes sealed = seal(p.alice, "payload", "header-a");
  auto r = p.bob.open(sealed, as_bytes("header-b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kAuthFailed);
  auto r2 = p.bob.open(sealed, ByteView());
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error(), SessionError::kAuthFailed);
}

TEST(SessionTest, WrongKeyFailsAuth) {
  Pair p;
  Session stranger(keys_for(9, 9));
  Bytes sealed = seal(stranger, "payload");
  auto r = p.bob.open(sealed, ByteView());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kAuthFailed);
}

TEST(SessionTest, ShortInputIsMalformed) {
  Pair p;
  Bytes sealed = seal(p.alice, "");
  for (std::size_t n = 0; n < kSessionOverhead; ++n) {
    auto r = p.bob.open(ByteView(sealed).subview(0, n), ByteView());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), SessionError::kMalformed) << n;
  }
}

TEST(SessionTest, ReplayedPacketRejected) {
  Pair p;
  Bytes sealed = seal(p.alice, "once");
  ASSERT_TRUE(p.bob.open(sealed, ByteView()).ok());
  auto again = p.bob.open(sealed, ByteView());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), SessionError::kReplayed);
  EXPECT_EQ(p.bob.messages_received(), 1u);
}

TEST(SessionTest, OutOfOrderWithinWindowAccepted) {
  Pair p;
  Bytes first = seal(p.alice, "0");
  Bytes second = seal(p.alice, "1");
  Bytes third = seal(p.alice, "2");
  ASSERT_TRUE(p.bob.open(third, ByteView()).ok());
  ASSERT_TRUE(p.bob.open(first, ByteView()).ok());
  ASSERT_TRUE(p.bob.open(second, ByteView()).ok());
  EXPECT_FALSE(p.bob.open(first, ByteView()).ok());
}

TEST(SessionTest, TooOldPacketRejected) {
  Pair p;
  Bytes old = seal(p.alice, "old");
  Bytes last;
  for (std::uint64_t i = 0; i < kReplayWindowSize; ++i) last = seal(p.alice, "new");
  ASSERT_TRUE(p.bob.open(last, ByteView()).ok());  // counter == kReplayWindowSize
  auto r = p.bob.open(old, ByteView());            // counter 0: exactly window behind
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kReplayed);
}

TEST(SessionTest, FailedAuthDoesNotAdvanceWindow) {
  Pair p;
  Bytes genuine = seal(p.alice, "genuine");  // counter 0
  // A forgery claiming a far-future counter must not push counter 0 out of the window.
  Bytes forged = genuine;
  forged[0] = 0x7f;
  auto r = p.bob.open(forged, ByteView());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kAuthFailed);
  EXPECT_TRUE(p.bob.open(genuine, ByteView()).ok());
  EXPECT_EQ(p.bob.messages_received(), 1u);
}

TEST(SessionTest, CounterAtRejectLimitRefusedOnOpen) {
  Pair p;
  Bytes sealed = seal(p.alice, "x");
  for (int i = 0; i < 8; ++i) sealed[i] = 0xff;
  auto r = p.bob.open(sealed, ByteView());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kCounterExhausted);
}

TEST(SessionTest, MovedFromSessionCannotSeal) {
  Pair p;
  seal(p.alice, "x");
  Session moved(std::move(p.alice));
  EXPECT_EQ(moved.messages_sent(), 1u);
  EXPECT_TRUE(moved.can_seal());
  EXPECT_FALSE(p.alice.can_seal());  // NOLINT(bugprone-use-after-move): the point of the test
  auto r = p.alice.seal(as_bytes("y"), ByteView());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), SessionError::kCounterExhausted);
  // The moved-to session continues the counter sequence.
  Bytes sealed = seal(moved, "y");
  EXPECT_EQ(sealed[7], 1);
}

TEST(SessionTest, RekeyConstantsAreOrdered) {
  EXPECT_LT(kRekeyAfterMessages, kRejectAfterMessages);
  Pair p;
  EXPECT_FALSE(p.alice.needs_rekey());
  EXPECT_TRUE(p.alice.can_seal());
}

TEST(SessionTest, InPlaceSealAndOpenMatchTheCopyingOnes) {
  // seal_in_place / open_to (the batched data plane) produce and take the same
  // bytes as seal / open: one wire format, whichever path a peer uses.
  Pair copying, in_place;
  const Bytes message = text("the quick brown fox jumps over the lazy dog");
  for (int i = 0; i < 3; ++i) {
    Bytes expected = seal(copying.alice, "the quick brown fox jumps over the lazy dog", "ad");
    Bytes buffer(kSessionOverhead + message.size());
    std::copy(message.begin(), message.end(), buffer.begin() + kSessionHeaderSize);
    ASSERT_TRUE(in_place.alice.seal_in_place(buffer.data(), message.size(), as_bytes("ad")));
    EXPECT_EQ(buffer, expected);

    Bytes out(message.size());
    auto opened = in_place.bob.open_to(buffer, as_bytes("ad"), out.data());
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, message.size());
    EXPECT_EQ(out, message);
    // Each is accepted once, by either method.
    EXPECT_EQ(in_place.bob.open(buffer, as_bytes("ad")).error(), SessionError::kReplayed);
    EXPECT_EQ(in_place.bob.open_to(buffer, as_bytes("ad"), out.data()).error(), SessionError::kReplayed);
  }
  Bytes tampered = seal(in_place.alice, "x", "ad");
  tampered.back() ^= 1;
  Bytes out(1);
  EXPECT_EQ(in_place.bob.open_to(tampered, as_bytes("ad"), out.data()).error(), SessionError::kAuthFailed);
  EXPECT_EQ(in_place.bob.open_to(ByteView(tampered.data(), kSessionOverhead - 1), as_bytes("ad"), out.data()).error(),
            SessionError::kMalformed);
}

}  // namespace
}  // namespace yt
