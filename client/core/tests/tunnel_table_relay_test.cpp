// What a client takes through its relay: only the peer's side of its own pair, from
// its own relay, and only the handshake and data of that pair's tunnel. Everything
// else is dropped and counted.
#include "client/core/tunnel_table.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Endpoint kRelay{Ipv4::from_octets(198, 51, 100, 1), 3478};
const Endpoint kMallory{Ipv4::from_octets(192, 0, 2, 66), 3478};
constexpr std::uint64_t kPair = 42;
constexpr std::uint64_t kTunnelId = 7;

struct TunnelTableRelayTest : ::testing::Test {
  TunnelTableRelayTest() {
    TunnelInstruction ins{peer.public_key, Ipv4::from_octets(25, 0, 0, 2), kTunnelId, TunnelRole::kResponder, 0, {},
                          0, RelayOffer{kRelay, issue_ticket(TicketKeyring{1, TicketKey{3}}, kPair, 0), 0, Endpoint{}}};
    table.instruct(kT0, ins);
  }
  std::optional<std::pair<PublicKey, PeerPayload>> relayed(Endpoint from, std::uint64_t pair, std::uint8_t side,
                                                           const Datagram& inner) {
    return table.on_relay_data(kT0, from, RelayData{pair, side, encode_datagram(inner)});
  }

  SeededRandom rng{1, 1};
  Identity peer = Identity::generate(rng);
  ClientContext ctx{ClientConfig{}, Identity::generate(rng), rng};
  TunnelTable table{ctx};
};

TEST_F(TunnelTableRelayTest, OnlyThePeersSideOfOurPairFromOurRelayIsTaken) {
  const PeerData data{12345, Bytes(32, 0)};
  EXPECT_FALSE(relayed(kMallory, kPair, 1, data));  // not our relay
  EXPECT_FALSE(relayed(kRelay, kPair + 1, 1, data));  // not our pair
  EXPECT_FALSE(relayed(kRelay, kPair, 0, data));  // our own side: a reflection
  EXPECT_EQ(ctx.stats.relay_unknown_pair, 3u);
  EXPECT_FALSE(relayed(kRelay, kPair, 1, data));  // ours, but no such session
  EXPECT_EQ(ctx.stats.unknown_session, 1u);
}

TEST_F(TunnelTableRelayTest, OnlyTheTunnelsHandshakeAndDataTravelByTheRelay) {
  EXPECT_FALSE(relayed(kRelay, kPair, 1, PunchProbe{kTunnelId, 1}));  // probes are for direct paths
  EXPECT_FALSE(relayed(kRelay, kPair, 1, RelayData{kPair, 1, Bytes{1}}));  // no nesting
  EXPECT_EQ(ctx.stats.malformed_datagrams, 2u);
  // An init for another tunnel, smuggled through this pair.
  EXPECT_FALSE(relayed(kRelay, kPair, 1, PeerHandshakeInit{1, kTunnelId + 1, Bytes(96, 0)}));
  EXPECT_EQ(ctx.stats.unknown_tunnel, 1u);
  // Garbage inside a valid wrapper.
  EXPECT_FALSE(table.on_relay_data(kT0, kRelay, RelayData{kPair, 1, Bytes{0xff, 0xff}}));
  EXPECT_EQ(ctx.stats.malformed_datagrams, 3u);
  EXPECT_TRUE(ctx.outputs.empty() || std::none_of(ctx.outputs.begin(), ctx.outputs.end(), [](const ClientOutput& o) {
    return std::holds_alternative<ClientEvent>(o);
  }));
}

}  // namespace
}  // namespace yt
