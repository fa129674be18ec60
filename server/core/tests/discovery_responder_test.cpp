#include "server/core/discovery_responder.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

const Endpoint kA1{Ipv4::from_octets(198, 51, 100, 1), 3478};
const Endpoint kA2{Ipv4::from_octets(198, 51, 100, 1), 3479};
const Endpoint kB1{Ipv4::from_octets(198, 51, 100, 2), 3478};
const Endpoint kB2{Ipv4::from_octets(198, 51, 100, 2), 3479};

TEST(DiscoveryResponder, NoChangeAnswersFromTheReceivingEndpoint) {
  EXPECT_EQ(choose_reply_source(kB2, false, false, {kA1, kA2, kB1, kB2}), kB2);
}

TEST(DiscoveryResponder, ChangeRequestsPickTheMatchingAlternate) {
  std::vector<Endpoint> all{kA1, kA2, kB1, kB2};
  EXPECT_EQ(choose_reply_source(kA1, true, true, all), kB2);
  EXPECT_EQ(choose_reply_source(kA1, true, false, all), kB1);
  EXPECT_EQ(choose_reply_source(kA1, false, true, all), kA2);
  EXPECT_EQ(choose_reply_source(kB2, true, true, all), kA1);
  EXPECT_EQ(choose_reply_source(kB2, false, true, all), kB1);
}

TEST(DiscoveryResponder, MissingAlternateFallsBackToTheReceivingEndpoint) {
  EXPECT_EQ(choose_reply_source(kA1, true, true, {kA1, kA2}), kA1);
  EXPECT_EQ(choose_reply_source(kA1, true, false, {kA1, kA2}), kA1);
  EXPECT_EQ(choose_reply_source(kA1, false, true, {kA1, kA2}), kA2);
  EXPECT_EQ(choose_reply_source(kA1, true, true, {}), kA1);
}

}  // namespace
}  // namespace yt
