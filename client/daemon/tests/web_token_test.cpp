// The web UI's token file: created once with mode 0600, kept across restarts,
// replaced when it is not a token.
#include "client/daemon/web_token.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "platform/tests/temp_dir_test_base.h"
#include "protocol/random.h"

namespace yt {
namespace {

using WebTokenTest = test_support::TempDirTest;

TEST_F(WebTokenTest, CreatedOnceOwnerOnlyAndKept) {
  SeededRandom rng(1, 0);
  auto token = load_or_create_web_token(path("ui.token"), rng);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->size(), kWebTokenHexLength);
  EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos) << *token;
  struct stat info {};
  ASSERT_EQ(::stat(path("ui.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  SeededRandom other(2, 0);
  auto again = load_or_create_web_token(path("ui.token"), other);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*again, *token);  // a bookmarked URL survives a restart
}

TEST_F(WebTokenTest, AFileThatIsNoTokenIsReplaced) {
  std::ofstream(path("ui.token")) << "hunter2\n";
  SeededRandom rng(3, 0);
  auto token = load_or_create_web_token(path("ui.token"), rng);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->size(), kWebTokenHexLength);
  EXPECT_NE(*token, "hunter2");
}

TEST_F(WebTokenTest, AnUnwritableDirectoryIsAReadableError) {
  SeededRandom rng(4, 0);
  auto token = load_or_create_web_token(path("missing-dir/ui.token"), rng);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().find("ui.token"), std::string::npos) << token.error();
}

TEST(WebToken, MatchesOnlyTheWholeToken) {
  const std::string token(kWebTokenHexLength, 'a');
  EXPECT_TRUE(web_token_matches(token, token));
  EXPECT_FALSE(web_token_matches(token.substr(1), token));
  EXPECT_FALSE(web_token_matches(token + "a", token));
  EXPECT_FALSE(web_token_matches(std::string(kWebTokenHexLength - 1, 'a') + "b", token));
  EXPECT_FALSE(web_token_matches("", token));
  EXPECT_FALSE(web_token_matches("", ""));  // no token configured lets nobody in
}

}  // namespace
}  // namespace yt
