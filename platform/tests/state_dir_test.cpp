#include "platform/state_dir.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "platform/tests/temp_dir_test_base.h"

namespace yt {
namespace {

using StateDirTest = test_support::TempDirTest;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

TEST_F(StateDirTest, CreatesMissingDirectoryClosed) {
  std::string dir = root_ + "/a/b/state";
  auto ready = prepare_state_dir(dir);
  ASSERT_TRUE(ready.ok()) << ready.error();
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_TRUE(std::filesystem::is_empty(dir));  // the write probe is cleaned up
  EXPECT_TRUE(prepare_state_dir(dir).ok());     // and again: idempotent
}

TEST_F(StateDirTest, RefusesAFile) {
  std::string file = root_ + "/file";
  std::ofstream(file) << "x";
  auto ready = prepare_state_dir(file);
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.error().find("is not a directory"), std::string::npos) << ready.error();
}

TEST_F(StateDirTest, RefusesAnOpenDirectoryWithTheFix) {
  ASSERT_EQ(::chmod(root_.c_str(), 0777), 0);
  auto ready = prepare_state_dir(root_);
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.error().find("chmod 700"), std::string::npos) << ready.error();
}

TEST_F(StateDirTest, RefusesSomeoneElsesDirectory) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  std::string dir = root_ + "/other";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  auto ready = prepare_state_dir(dir);
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.error().find("belongs to uid 65534"), std::string::npos) << ready.error();
}

TEST_F(StateDirTest, RefusesAnEmptyPath) { EXPECT_FALSE(prepare_state_dir("").ok()); }

TEST_F(StateDirTest, AtomicWriteAndBoundedRead) {
  std::string file = root_ + "/f";
  ASSERT_TRUE(write_file_atomically(file, "one", 0600).ok());
  ASSERT_TRUE(write_file_atomically(file, "two", 0600).ok());
  EXPECT_EQ(mode_of(file), 0600u);
  auto read = read_small_file(file, 100);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(*read);
  EXPECT_EQ(**read, "two");
  auto missing = read_small_file(root_ + "/none", 100);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  auto big = read_small_file(file, 2);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().find("larger than 2 bytes"), std::string::npos);
  EXPECT_FALSE(write_file_atomically(root_ + "/no/such/dir/f", "x", 0600).ok());
}

}  // namespace
}  // namespace yt
