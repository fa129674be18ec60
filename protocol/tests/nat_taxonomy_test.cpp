// NatProfile::summary(): the text logs, the CLI and describe_event show.
#include "protocol/nat_taxonomy.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(NatTaxonomyTest, SummaryNamesTheBehavioursAndMarksGuesses) {
  NatProfile p;
  p.mapping_known = true;
  p.filtering_known = true;
  EXPECT_EQ(p.summary(), "EIM/APDF preserve");

  p.mapping = MappingBehavior::kAddressPortDependent;
  p.allocation = PortAllocation::kSequential;
  p.port_delta = 2;
  p.mapping_known = false;
  EXPECT_EQ(p.summary(), "APDM?/APDF sequential(2)");

  p.filtering = FilteringBehavior::kEndpointIndependent;
  p.filtering_known = false;
  p.allocation = PortAllocation::kRandom;
  p.hairpinning = true;
  EXPECT_EQ(p.summary(), "APDM?/EIF? random hairpin");
}

TEST(NatTaxonomyTest, BlockedAndNoNatOverrideTheRest) {
  NatProfile p;
  p.udp_blocked = true;
  EXPECT_EQ(p.summary(), "udp-blocked");
  p.udp_blocked = false;
  p.behind_nat = false;
  EXPECT_EQ(p.summary(), "no-nat");
}

}  // namespace
}  // namespace yt
