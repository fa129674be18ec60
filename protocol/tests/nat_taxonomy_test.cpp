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

TEST(NatTaxonomyTest, ClassNamesTheMappingAndForApdmThePortAllocation) {
  NatProfile p;
  p.mapping_known = true;
  EXPECT_STREQ(nat_class(p), "eim");
  p.mapping = MappingBehavior::kAddressDependent;
  EXPECT_STREQ(nat_class(p), "adm");
  p.mapping = MappingBehavior::kAddressPortDependent;
  EXPECT_STREQ(nat_class(p), "apdm-preserve");
  p.allocation = PortAllocation::kSequential;
  EXPECT_STREQ(nat_class(p), "apdm-seq");
  p.allocation = PortAllocation::kRandom;
  EXPECT_STREQ(nat_class(p), "apdm-random");
  p.filtering = FilteringBehavior::kEndpointIndependent;  // filtering is not part of it
  EXPECT_STREQ(nat_class(p), "apdm-random");
  p.mapping_known = false;
  EXPECT_STREQ(nat_class(p), "unknown");
  p.behind_nat = false;
  EXPECT_STREQ(nat_class(p), "no-nat");
  p.udp_blocked = true;
  EXPECT_STREQ(nat_class(p), "udp-blocked");
}

TEST(NatTaxonomyTest, PairClassIsTheSameWhicheverSideIsFirst) {
  NatProfile eim;
  eim.mapping_known = true;
  NatProfile random = eim;
  random.mapping = MappingBehavior::kAddressPortDependent;
  random.allocation = PortAllocation::kRandom;
  EXPECT_EQ(nat_pair_class(eim, random), "apdm-random+eim");
  EXPECT_EQ(nat_pair_class(random, eim), "apdm-random+eim");
  EXPECT_EQ(nat_pair_class(eim, eim), "eim+eim");
}

}  // namespace
}  // namespace yt
