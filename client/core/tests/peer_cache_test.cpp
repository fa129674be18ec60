// The peer cache's encoding (peer_cache.h): what goes in comes out, and anything
// changed, or read by another identity, is refused.
#include "client/core/peer_cache.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

struct PeerCacheTest : ::testing::Test {
  SeededRandom rng{5, 1};
  Identity me = Identity::generate(rng);
  Identity peer = Identity::generate(rng);
  PeerCache cache() const {
    PeerCache c;
    c.virtual_ip = Ipv4::from_octets(25, 1, 2, 3);
    c.prefix_length = 8;
    c.networks.networks = {NetworkInfo{"lan", {MemberInfo{me.public_key, "me", c.virtual_ip, true},
                                              MemberInfo{peer.public_key, "peer", Ipv4::from_octets(25, 4, 5, 6), true}}}};
    c.direct = {{peer.public_key, Endpoint{Ipv4::from_octets(203, 0, 113, 9), 4500}}};
    return c;
  }
};

TEST_F(PeerCacheTest, RoundTrips) {
  auto back = decode_peer_cache(encode_peer_cache(cache(), me), me);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->virtual_ip, Ipv4::from_octets(25, 1, 2, 3));
  ASSERT_EQ(back->networks.networks.size(), 1u);
  EXPECT_EQ(back->networks.networks[0].members.size(), 2u);
  EXPECT_EQ(back->networks.networks[0].members[1].nickname, "peer");
  ASSERT_EQ(back->direct.size(), 1u);
  EXPECT_EQ(back->direct[0].peer, peer.public_key);
  EXPECT_EQ(back->direct[0].endpoint.port, 4500);
}

TEST_F(PeerCacheTest, EveryChangedByteAndAnotherIdentityAreRefused) {
  const Bytes blob = encode_peer_cache(cache(), me);
  for (std::size_t i = 0; i < blob.size(); ++i) {
    Bytes tampered = blob;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(decode_peer_cache(tampered, me).ok()) << "byte " << i;
  }
  auto other = decode_peer_cache(blob, peer);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().find("authenticate"), std::string::npos);
  EXPECT_FALSE(decode_peer_cache(Bytes(blob.begin(), blob.end() - 1), me).ok());
  EXPECT_FALSE(decode_peer_cache(Bytes{}, me).ok());
}

TEST_F(PeerCacheTest, BothSidesComputeTheSameResumeIdAndPairsDiffer) {
  EXPECT_EQ(resume_tunnel_id(me.public_key, peer.public_key), resume_tunnel_id(peer.public_key, me.public_key));
  Identity third = Identity::generate(rng);
  EXPECT_NE(resume_tunnel_id(me.public_key, peer.public_key), resume_tunnel_id(me.public_key, third.public_key));
}

}  // namespace
}  // namespace yt
