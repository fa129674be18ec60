#include "nat-models/filtering.h"

#include <gtest/gtest.h>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;

struct Case {
  FilteringBehavior filtering;
  const char* remote;
  bool allowed;
};

class FilteringTest : public ::testing::TestWithParam<Case> {};

TEST_P(FilteringTest, MatchesRfc4787Section5) {
  const Time now{};
  Mapping m;
  m.sessions[ep("203.0.113.1:3478")].expires = now + 10s;
  m.sessions[ep("203.0.113.7:3478")].expires = now;  // timed out exactly now
  EXPECT_EQ(filter_allows(GetParam().filtering, m, ep(GetParam().remote), now), GetParam().allowed);
}

using F = FilteringBehavior;
INSTANTIATE_TEST_SUITE_P(Table, FilteringTest,
                         ::testing::Values(Case{F::kEndpointIndependent, "203.0.113.1:3478", true},
                                           Case{F::kEndpointIndependent, "192.0.2.1:1", true},
                                           Case{F::kAddressDependent, "203.0.113.1:3478", true},
                                           Case{F::kAddressDependent, "203.0.113.1:9", true},
                                           Case{F::kAddressDependent, "192.0.2.1:3478", false},
                                           Case{F::kAddressDependent, "203.0.113.7:3478", false},
                                           Case{F::kAddressPortDependent, "203.0.113.1:3478", true},
                                           Case{F::kAddressPortDependent, "203.0.113.1:9", false},
                                           Case{F::kAddressPortDependent, "203.0.113.7:3478", false}));

}  // namespace
}  // namespace yt::nat
