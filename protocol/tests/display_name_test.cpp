#include "protocol/display_name.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(DisplayName, AcceptsOrdinaryNamesInAnyScript) {
  EXPECT_TRUE(valid_display_name("alice", 64));
  EXPECT_TRUE(valid_display_name("bob's laptop", 64));
  EXPECT_TRUE(valid_display_name("\xe3\x81\xaf\xe3\x81\xbe\xe3\x81\xa1", 64));  // はまち
  EXPECT_TRUE(valid_display_name("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 64));      // Hebrew, right to left
}

TEST(DisplayName, RefusesTheForgedListLine) {
  // The reproduction: a newline followed by a fake `yellowtail list` row.
  auto problem = display_name_problem("eve\n  bank-server      25.0.0.1        online  direct", 64);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("line break"), std::string::npos);
}

TEST(DisplayName, RefusesControlAndFormattingCharacters) {
  for (std::string bad : {std::string("a\rb"), std::string("a\tb"), std::string("a\x1b[2Jb"), std::string("a\x7f"),
                          std::string("a\xc2\x85"),       // NEL (C1)
                          std::string("a\xe2\x80\xae"),   // RIGHT-TO-LEFT OVERRIDE
                          std::string("a\xe2\x81\xa6"),   // LEFT-TO-RIGHT ISOLATE
                          std::string("a\xe2\x80\x8b"),   // ZERO WIDTH SPACE
                          std::string("a\xe2\x80\xa8"),   // LINE SEPARATOR
                          std::string("a\xef\xbb\xbf"),   // BOM
                          std::string("a\0b", 3)}) {
    EXPECT_FALSE(valid_display_name(bad, 64)) << escape_unsafe(bad);
  }
}

TEST(DisplayName, RefusesMalformedUtf8) {
  EXPECT_FALSE(valid_display_name("a\xff", 64));
  EXPECT_FALSE(valid_display_name("a\xc0\xaf", 64));      // overlong '/'
  EXPECT_FALSE(valid_display_name("a\xed\xa0\x80", 64));  // surrogate
  EXPECT_FALSE(valid_display_name("a\xe3\x81", 64));      // cut short
}

TEST(DisplayName, RefusesEmptyTooLongAndPaddedNames) {
  EXPECT_FALSE(valid_display_name("", 64));
  EXPECT_FALSE(valid_display_name(std::string(65, 'x'), 64));
  EXPECT_TRUE(valid_display_name(std::string(64, 'x'), 64));
  EXPECT_FALSE(valid_display_name(" alice", 64));
  EXPECT_FALSE(valid_display_name("alice ", 64));
}

TEST(EscapeUnsafe, MakesEveryUnsafeCharacterVisibleOnOneLine) {
  EXPECT_EQ(escape_unsafe("eve\n  bank"), "eve\\n  bank");
  EXPECT_EQ(escape_unsafe("a\x1b[2J"), "a\\x1b[2J");
  EXPECT_EQ(escape_unsafe("a\xe2\x80\xae" "b"), "a\\u202eb");
  EXPECT_EQ(escape_unsafe("a\xff"), "a\\xff");
  EXPECT_EQ(escape_unsafe("back\\slash"), "back\\\\slash");
  EXPECT_EQ(escape_unsafe("\xe3\x81\xaf ok"), "\xe3\x81\xaf ok");
}

}  // namespace
}  // namespace yt
