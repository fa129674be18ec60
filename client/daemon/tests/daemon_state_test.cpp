#include "client/daemon/daemon_state.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "client/daemon/chat_history.h"
#include "client/daemon/virtual_addresses.h"
#include "platform/tests/temp_dir_test_base.h"

namespace yt {
namespace {

using DaemonStateTest = test_support::TempDirTest;
using ChatHistoryTest = test_support::TempDirTest;

TEST_F(DaemonStateTest, MissingFileIsFreshState) {
  auto state = load_daemon_state(path("state.json"));
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_EQ(*state, DaemonState{});
}

TEST_F(DaemonStateTest, RoundTripWithMode0600) {
  DaemonState state{true, "caroline", {"lan", "games"}, "this key logged in from 192.0.2.7:4000", 41234};
  ASSERT_TRUE(save_daemon_state(path("state.json"), state).ok());
  auto loaded = load_daemon_state(path("state.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(*loaded, state);
  struct stat st {};
  ASSERT_EQ(::stat(path("state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DaemonStateTest, DamagedFileIsAnErrorNamingIt) {
  for (const char* text :
       {"not json", "[]", "{\"logged_out\": 1}", "{\"offline_networks\": [1]}", "{\"logout_reason\": false}",
        "{\"udp_port\": 70000}", "{\"udp_port\": -1}"}) {
    std::ofstream(path("state.json")) << text;
    auto loaded = load_daemon_state(path("state.json"));
    ASSERT_FALSE(loaded.ok()) << text;
    EXPECT_NE(loaded.error().find("state.json is damaged"), std::string::npos) << loaded.error();
  }
}

TEST_F(ChatHistoryTest, KeepsTheLastEntriesAcrossReopen) {
  auto history = ChatHistory::open(path("chat.jsonl"), 3);
  ASSERT_TRUE(history.ok()) << history.error();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(history->add(ChatEntry{i, i % 2 == 0, i < 3 ? "lan" : "", "id", "bob", "m" + std::to_string(i)}).ok());
  }
  EXPECT_EQ(history->size(), 3u);
  auto reopened = ChatHistory::open(path("chat.jsonl"), 3);
  ASSERT_TRUE(reopened.ok());
  std::vector<ChatEntry> all = reopened->recent("", 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front().text, "m2");  // oldest first
  EXPECT_EQ(all.back().text, "m4");
  EXPECT_EQ(reopened->recent("", 1).front().text, "m4");
  EXPECT_EQ(reopened->recent("lan", 10).size(), 1u);
  EXPECT_EQ(reopened->recent("bob", 10).size(), 2u);  // private ones only
  struct stat st {};
  ASSERT_EQ(::stat(path("chat.jsonl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A member's chat flood: each message appends one line instead of rewriting the
// whole history, and the file never grows past twice the limit.
TEST_F(ChatHistoryTest, AFloodAppendsAndTheFileStaysBounded) {
  auto history = ChatHistory::open(path("chat.jsonl"), 100);
  ASSERT_TRUE(history.ok());
  auto lines = [&] {
    std::ifstream in(path("chat.jsonl"));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  };
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(history->add(ChatEntry{i, false, "lan", "id", "eve", "m" + std::to_string(i)}).ok());
  EXPECT_EQ(lines(), 150u);  // appended, nothing rewritten yet
  std::size_t most = 0;
  for (int i = 150; i < 1000; ++i) {
    ASSERT_TRUE(history->add(ChatEntry{i, false, "lan", "id", "eve", "m" + std::to_string(i)}).ok());
    most = std::max(most, lines());
  }
  EXPECT_LE(most, 200u);
  auto reopened = ChatHistory::open(path("chat.jsonl"), 100);
  ASSERT_TRUE(reopened.ok());
  auto all = reopened->recent("", 1000);
  ASSERT_EQ(all.size(), 100u);
  EXPECT_EQ(all.front().text, "m900");
  EXPECT_EQ(all.back().text, "m999");
  EXPECT_EQ(reopened->skipped_lines(), 0u);
}

TEST_F(ChatHistoryTest, DamagedLinesAreSkippedAndCounted) {
  std::ofstream(path("chat.jsonl")) << "{\"unix_ms\": 1, \"outgoing\": true, \"text\": \"ok\"}\n"
                                    << "garbage\n{\"unix_ms\": \"x\", \"outgoing\": true}\n";
  auto history = ChatHistory::open(path("chat.jsonl"), 10);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);
  EXPECT_EQ(history->skipped_lines(), 2u);
}

TEST_F(ChatHistoryTest, ZeroLimitKeepsNothing) {
  auto history = ChatHistory::open(path("chat.jsonl"), 0);
  ASSERT_TRUE(history.ok());
  ASSERT_TRUE(history->add(ChatEntry{1, true, "lan", "", "", "x"}).ok());
  EXPECT_EQ(history->size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(path("chat.jsonl")));
}

TEST(VirtualAddresses, UlaEmbedsTheIpv4Address) {
  auto prefix = Ipv6Prefix::parse("fd79:6c74:7461::/48");
  ASSERT_TRUE(prefix);
  EXPECT_EQ(ula_address(*prefix, Ipv4::from_octets(25, 1, 2, 3)).to_string(), "fd79:6c74:7461::1901:203/64");
  auto dirty = Ipv6Prefix::parse("fd00:1:2:3:4::/40");  // bits past the prefix are dropped
  ASSERT_TRUE(dirty);
  EXPECT_EQ(ula_address(*dirty, Ipv4::from_octets(25, 0, 0, 1)).to_string(), "fd00:1::1900:1/64");
}

TEST(VirtualAddresses, Ipv6BaseIsTheFirst96BitsOfEveryMemberAddress) {
  auto prefix = Ipv6Prefix::parse("fd79:6c74:7461::/48");
  ASSERT_TRUE(prefix);
  std::array<std::uint8_t, 12> base = ipv6_base(*prefix);
  Ipv6Prefix member = ula_address(*prefix, Ipv4::from_octets(25, 1, 2, 3));
  EXPECT_TRUE(std::equal(base.begin(), base.end(), member.address.begin()));
  EXPECT_EQ(base[0], 0xfd);
  EXPECT_EQ(base[5], 0x61);
  EXPECT_EQ(base[11], 0);
}

}  // namespace
}  // namespace yt
