// The daemon's peer cache file: saved owner-only, read back, and refused with a
// reason naming the file when it was changed or is another key's.
#include "client/daemon/peer_cache_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace yt {
namespace {

struct PeerCacheFileTest : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("yt-peer-cache-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path = (dir / "peers.cache").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
  std::string path;
  SeededRandom rng{9, 1};
  Identity me = Identity::generate(rng);
};

TEST_F(PeerCacheFileTest, MissingIsNothingAndSavedComesBack) {
  auto none = load_peer_cache(path, me);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  PeerCache cache;
  cache.virtual_ip = Ipv4::from_octets(25, 9, 9, 9);
  cache.direct = {{Identity::generate(rng).public_key, Endpoint{Ipv4::from_octets(192, 0, 2, 1), 4500}}};
  ASSERT_TRUE(save_peer_cache(path, cache, me).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = load_peer_cache(path, me);
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->virtual_ip, cache.virtual_ip);
  EXPECT_EQ((*back)->direct.size(), 1u);
}

TEST_F(PeerCacheFileTest, AnEditedFileIsRefusedWithItsName) {
  ASSERT_TRUE(save_peer_cache(path, PeerCache{}, me).ok());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x42');
  }
  auto refused = load_peer_cache(path, me);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find(path), std::string::npos);
  EXPECT_NE(refused.error().find("refused"), std::string::npos);
}

}  // namespace
}  // namespace yt
