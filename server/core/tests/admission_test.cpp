#include "server/core/admission.h"

#include <gtest/gtest.h>

#include <vector>

namespace yt {
namespace {

const Ipv4 kA = Ipv4::from_octets(203, 0, 113, 1);
const Ipv4 kB = Ipv4::from_octets(203, 0, 113, 2);

TEST(Admission, CapsConnectionsPerAddressAndInAll) {
  AdmissionConfig config;
  config.max_connections = 5;
  config.max_connections_per_address = 3;
  Admission admission(config);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(admission.connection(kA), AdmissionVerdict::kAdmit);
  EXPECT_EQ(admission.connection(kA), AdmissionVerdict::kTooManyFromAddress);
  EXPECT_EQ(admission.connection(kB), AdmissionVerdict::kAdmit);
  EXPECT_EQ(admission.connection(kB), AdmissionVerdict::kAdmit);
  EXPECT_EQ(admission.connection(Ipv4::from_octets(203, 0, 113, 3)), AdmissionVerdict::kTooManyConnections);
  admission.closed(kA);
  EXPECT_EQ(admission.connections(), 4u);
  EXPECT_EQ(admission.connection(kA), AdmissionVerdict::kAdmit);  // a slot came free
  admission.closed(Ipv4::from_octets(9, 9, 9, 9));                // never admitted: ignored
  EXPECT_EQ(admission.connections(), 5u);
}

TEST(Admission, AHandshakeFloodFromOneAddressDoesNotTouchAnother) {
  Admission admission(AdmissionConfig{});
  Time t = time_from_us(5'000'000);
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) {
    auto wait = admission.handshake(t + std::chrono::milliseconds(i), kA);  // 1000/s for 1 s
    if (!wait) {
      ++admitted;
    } else {
      EXPECT_GE(*wait, 1s);
    }
  }
  EXPECT_LE(admitted, 16 + 2 + 1);  // the burst and 2/s
  EXPECT_FALSE(admission.handshake(t + 1s, kB));
}

TEST(Admission, ALoginStormIsSpreadOverTheServersRate) {
  AdmissionConfig config;
  config.handshakes_per_second = 100;
  config.handshake_burst = 100;
  Admission admission(config);
  Time t = time_from_us(1'000'000);
  std::vector<Duration> waits;
  for (std::uint32_t i = 0; i < 1000; ++i) {  // 1,000 clients, each its own address, at once
    auto wait = admission.handshake(t, Ipv4{0x0a000000u + i});
    if (wait) waits.push_back(*wait);
  }
  ASSERT_EQ(waits.size(), 900u);
  // Each later client is sent further out: one slot (10 ms) per client, the last
  // about 9 s out, so they come back at the rate the server takes them.
  // (Nobody is told less than a second: the wire counts whole seconds.)
  for (std::size_t i = 1; i < waits.size(); ++i) {
    if (waits[i - 1] > 1s) {
      EXPECT_GT(waits[i], waits[i - 1]);
    } else {
      EXPECT_GE(waits[i], waits[i - 1]);
    }
  }
  EXPECT_NEAR(to_ms(waits.back()), 9000, 50);
  // Capped: a misjudged rate never sends anyone away for long.
  for (std::uint32_t i = 0; i < 10000; ++i) {
    auto wait = admission.handshake(t, Ipv4{0x0b000000u + i});
    ASSERT_TRUE(wait);
    EXPECT_LE(*wait, config.max_retry_after);
  }
}

TEST(Admission, TheTableOfAddressesStaysBounded) {
  Admission admission(AdmissionConfig{});
  Time t = time_from_us(1'000'000);
  for (std::uint32_t i = 0; i < 100000; ++i) {
    (void)admission.handshake(t + std::chrono::milliseconds(i), Ipv4{0x0a000000u + i});
  }
  // Buckets refill in 8 s: only the addresses of the last few seconds are kept.
  EXPECT_LT(admission.tracked_addresses(), 20000u);
}

}  // namespace
}  // namespace yt
