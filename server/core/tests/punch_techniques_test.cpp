// Switching punch techniques off by name: parsing, and what the planner is told.
#include "server/core/punch_techniques.h"

#include <gtest/gtest.h>

#include "server/core/server_config.h"

namespace yt {
namespace {

TEST(PunchTechniques, ListsParseAndUnknownNamesAreRefusedWithTheKnownOnes) {
  EXPECT_TRUE(parse_techniques("")->empty());
  EXPECT_EQ(*parse_techniques("birthday, prediction,"), (std::set<std::string>{"birthday", "prediction"}));
  EXPECT_EQ(*parse_techniques("tcp,portmap"), (std::set<std::string>{"tcp", "portmap"}));
  EXPECT_EQ(parse_techniques("birthday,upnp").error(),
            "unknown punch technique 'upnp' (lan, prediction, serialize, prepunch, follower-delay, birthday, tcp, portmap)");
}

TEST(PunchTechniques, EachDisabledTechniqueIsLeftOutOfThePlanOptions) {
  ServerConfig config;
  PlanOptions all = plan_options(config);
  EXPECT_TRUE(all.lan_candidates);
  EXPECT_EQ(all.prediction_window, config.port_prediction_window);
  EXPECT_EQ(all.prepunch_ttl, config.prepunch_ttl);
  EXPECT_EQ(all.follower_delay, config.punch_follower_delay);
  EXPECT_TRUE(all.birthday.enabled);
  EXPECT_TRUE(all.tcp.enabled);
  EXPECT_TRUE(all.port_mapping);
  config.disabled_techniques = *parse_techniques("lan,prediction,prepunch,follower-delay,birthday,tcp,portmap");
  PlanOptions none = plan_options(config);
  EXPECT_FALSE(none.lan_candidates);
  EXPECT_EQ(none.prediction_window, 0u);
  EXPECT_EQ(none.prepunch_ttl, 0);
  EXPECT_EQ(none.follower_delay, Duration(0));
  EXPECT_FALSE(none.birthday.enabled);
  EXPECT_FALSE(none.tcp.enabled);
  EXPECT_FALSE(none.port_mapping);
  EXPECT_FALSE(technique_enabled(config, "birthday"));
  EXPECT_TRUE(technique_enabled(config, "serialize"));
}

}  // namespace
}  // namespace yt
