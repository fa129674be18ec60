#include "nat-models/tcp_state.h"

#include <gtest/gtest.h>

#include <vector>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

constexpr Direction kOut = Direction::kOutbound;
constexpr Direction kIn = Direction::kInbound;

struct Step {
  TcpFlags flags;
  Direction dir;
  TcpState expected;
};

struct Script {
  const char* name;
  std::vector<Step> steps;
};

class TcpStateScriptTest : public ::testing::TestWithParam<Script> {};

TEST_P(TcpStateScriptTest, FollowsRfc7857) {
  const auto& steps = GetParam().steps;
  TcpTrack t = tcp_start(steps.front().flags, steps.front().dir);
  EXPECT_EQ(t.state, steps.front().expected) << "step 0";
  for (std::size_t i = 1; i < steps.size(); ++i) {
    t = tcp_advance(t, steps[i].flags, steps[i].dir);
    EXPECT_EQ(t.state, steps[i].expected) << "step " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Scripts, TcpStateScriptTest,
    ::testing::Values(
        Script{"ClientHandshakeAndClose",
               {{kTcpSyn, kOut, TcpState::kSynSent},
                {kTcpSynAck, kIn, TcpState::kEstablished},
                {kTcpAck, kOut, TcpState::kEstablished},
                {kTcpFinAck, kOut, TcpState::kEstablished},  // half close
                {kTcpAck, kIn, TcpState::kEstablished},
                {kTcpFinAck, kIn, TcpState::kClosing},
                {kTcpAck, kOut, TcpState::kClosing}}},
        Script{"ServerSide",
               {{kTcpSyn, kIn, TcpState::kSynReceived},
                {kTcpSynAck, kOut, TcpState::kEstablished},
                {kTcpAck, kIn, TcpState::kEstablished}}},
        Script{"SimultaneousOpen",
               {{kTcpSyn, kOut, TcpState::kSynSent},
                {kTcpSyn, kIn, TcpState::kEstablished},
                {kTcpSynAck, kOut, TcpState::kEstablished},
                {kTcpSynAck, kIn, TcpState::kEstablished}}},
        Script{"RetransmittedSyn",
               {{kTcpSyn, kOut, TcpState::kSynSent}, {kTcpSyn, kOut, TcpState::kSynSent}}},
        Script{"ResetThenReuse",
               {{kTcpSyn, kOut, TcpState::kSynSent},
                {kTcpRst, kIn, TcpState::kClosing},
                {kTcpAck, kOut, TcpState::kClosing},
                {kTcpSyn, kOut, TcpState::kSynSent},
                {kTcpSynAck, kIn, TcpState::kEstablished}}},
        Script{"LoosePickup",
               {{kTcpAck, kOut, TcpState::kEstablished}, {kTcpFinAck, kIn, TcpState::kEstablished}}},
        Script{"PickedUpFin",
               {{kTcpFinAck, kOut, TcpState::kEstablished}, {kTcpFinAck, kIn, TcpState::kClosing}}}),
    [](const ::testing::TestParamInfo<Script>& info) { return std::string(info.param.name); });

TEST(TcpStateTest, TimeoutsFollowTransitoryOrEstablished) {
  EXPECT_EQ(tcp_timeout(TcpState::kSynSent, 4min, 2h), Duration(4min));
  EXPECT_EQ(tcp_timeout(TcpState::kSynReceived, 4min, 2h), Duration(4min));
  EXPECT_EQ(tcp_timeout(TcpState::kClosing, 4min, 2h), Duration(4min));
  EXPECT_EQ(tcp_timeout(TcpState::kEstablished, 4min, 2h), Duration(2h));
}

}  // namespace
}  // namespace yt::nat
