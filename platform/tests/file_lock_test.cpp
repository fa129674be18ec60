#include "platform/file_lock.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "platform/tests/temp_dir_test_base.h"

namespace yt {
namespace {

using FileLockTest = test_support::TempDirTest;

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(FileLockTest, SecondHolderIsRefusedWithTheFirstOnesPid) {
  const std::string path = root_ + "/yellowtaild.lock";
  auto first = FileLock::acquire_pid_file(path, "state directory " + root_, "stop it");
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(contents(path), std::to_string(::getpid()) + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // flock() locks belong to an open file description, so a second open in this
  // process conflicts like another process would.
  auto second = FileLock::acquire_pid_file(path, "state directory " + root_, "stop it");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("state directory " + root_ + " is in use by another yellowtaild (pid " +
                                std::to_string(::getpid()) + "): stop it"),
            std::string::npos)
      << second.error();
  // The refused attempt did not rewrite the holder's pid.
  EXPECT_EQ(contents(path), std::to_string(::getpid()) + "\n");
}

TEST_F(FileLockTest, TheLockTravelsWithMovesAndEndsWithItsLastHolder) {
  const std::string path = root_ + "/lock";
  {
    auto first = FileLock::acquire_pid_file(path, "x", "y");
    ASSERT_TRUE(first.ok());
    std::optional<FileLock> moved(std::move(*first));
    first = Err{std::string("gone")};  // the moved-from object is destroyed here
    EXPECT_FALSE(FileLock::acquire_pid_file(path, "x", "y").ok());
    auto other = FileLock::acquire_pid_file(root_ + "/other", "x", "y");
    ASSERT_TRUE(other.ok());
    *other = std::move(*moved);  // releases "other", takes over "lock"
    moved.reset();
    EXPECT_FALSE(FileLock::acquire_pid_file(path, "x", "y").ok());
    EXPECT_TRUE(FileLock::acquire_pid_file(root_ + "/other", "x", "y").ok());
  }
  EXPECT_TRUE(FileLock::acquire_pid_file(path, "x", "y").ok());
}

TEST_F(FileLockTest, ADeadHoldersLockIsFree) {
  const std::string path = root_ + "/lock";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = FileLock::acquire_pid_file(path, "x", "y");
    ::_exit(held.ok() ? 0 : 1);  // exits holding it: the kernel releases it
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(contents(path), std::to_string(child) + "\n");  // stale pid left behind
  auto mine = FileLock::acquire_pid_file(path, "x", "y");
  ASSERT_TRUE(mine.ok()) << mine.error();
  EXPECT_EQ(contents(path), std::to_string(::getpid()) + "\n");
}

TEST_F(FileLockTest, ExistingFileIsLockedUnchanged) {
  const std::string path = root_ + "/client.key";
  std::ofstream(path) << "secret";
  auto first = FileLock::acquire_existing(path, "key file " + path, "own key");
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = FileLock::acquire_existing(path, "key file " + path, "own key");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("key file " + path + " is in use by another yellowtaild: own key"), std::string::npos)
      << second.error();
  EXPECT_EQ(contents(path), "secret");
  auto missing = FileLock::acquire_existing(root_ + "/none", "key file", "own key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace yt
