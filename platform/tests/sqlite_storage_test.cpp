// The Storage contract (storage_contract.h) for the embedded backends, plus what
// only SqliteStorage has: durability across reopen, sharing one file between
// two instances, and clear errors for unusable paths.
#include "platform/sqlite_storage.h"

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "platform/tests/storage_contract.h"
#include "server/core/memory_storage.h"

namespace yt {
namespace {

using namespace storage_contract;

// A fresh, empty directory under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "yt-sqlite-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made) path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct MemoryBackend {
  static const char* skip() { return nullptr; }
  static std::unique_ptr<Storage> make() { return std::make_unique<MemoryStorage>(); }
};
struct SqliteMemoryBackend {
  static const char* skip() { return nullptr; }
  static std::unique_ptr<Storage> make() {
    auto opened = SqliteStorage::open(":memory:");
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? std::unique_ptr<Storage>(std::move(opened.value())) : nullptr;
  }
};
// On a real file, so WAL and the busy timeout are in play.
struct SqliteFileBackend {
  static const char* skip() { return nullptr; }
  static std::unique_ptr<Storage> make() {
    static int counter = 0;
    static TempDir dir;
    auto opened = SqliteStorage::open((dir.path() / ("contract-" + std::to_string(++counter) + ".db")).string());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? std::unique_ptr<Storage>(std::move(opened.value())) : nullptr;
  }
};

using Backends = ::testing::Types<MemoryBackend, SqliteMemoryBackend, SqliteFileBackend>;
INSTANTIATE_TYPED_TEST_SUITE_P(Embedded, StorageContract, Backends);

// ---- SqliteStorage only

TEST(SqliteStorage, StatePersistsAcrossReopen) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = (dir.path() / "server.db").string();
  {
    auto opened = SqliteStorage::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error();
    Storage& s = *opened.value();
    ASSERT_TRUE(s.insert_client(client(1, 10)).ok());
    ASSERT_TRUE(s.set_nickname(key_of(1), "alice").ok());
    ASSERT_TRUE(s.create_network(network("lan", 1)).ok());
    ASSERT_TRUE(s.add_member("lan", key_of(2)).ok());
  }
  auto reopened = SqliteStorage::open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.error();
  Storage& s = *reopened.value();
  auto alice = s.find_client(key_of(1));
  ASSERT_TRUE(alice.ok() && alice.value());
  EXPECT_EQ(alice.value()->nickname, "alice");
  EXPECT_EQ(alice.value()->virtual_ip, client(1, 10).virtual_ip);
  EXPECT_EQ(s.members("lan").value(), (std::vector<PublicKey>{key_of(1), key_of(2)}));
  EXPECT_EQ(s.insert_client(client(3, 10)).error(), StorageError::kConflict);  // constraints persist too
}

// Password hashes and member lists: no other local user may read them.
TEST(SqliteStorage, DatabaseAndItsWalFilesAreOwnerOnly) {
  TempDir dir;
  std::string path = (dir.path() / "server.db").string();
  auto mode = [](const std::string& file) {
    struct stat st {};
    EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
    return st.st_mode & 0777;
  };
  mode_t old = ::umask(022);  // the usual umask, under which SQLite alone makes 0644 files
  auto opened = SqliteStorage::open(path);
  ::umask(old);
  ASSERT_TRUE(opened.ok()) << opened.error();
  ASSERT_TRUE(opened.value()->insert_client(client(1, 10)).ok());  // a write creates -wal and -shm
  EXPECT_EQ(mode(path), 0600u);
  EXPECT_EQ(mode(path + "-wal"), 0600u);
  EXPECT_EQ(mode(path + "-shm"), 0600u);
}

TEST(SqliteStorage, AnOlderWorldReadableDatabaseIsMadePrivate) {
  TempDir dir;
  std::string path = (dir.path() / "server.db").string();
  { ASSERT_TRUE(SqliteStorage::open(path).ok()); }
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto reopened = SqliteStorage::open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.error();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SqliteStorage, TwoInstancesShareOneFile) {
  TempDir dir;
  std::string path = (dir.path() / "shared.db").string();
  auto first = SqliteStorage::open(path);
  auto second = SqliteStorage::open(path);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(second.ok()) << second.error();
  ASSERT_TRUE(first.value()->insert_client(client(1, 10)).ok());
  EXPECT_EQ(second.value()->insert_client(client(2, 10)).error(), StorageError::kConflict);
  ASSERT_TRUE(second.value()->create_network(network("lan", 2)).ok());
  EXPECT_EQ(first.value()->create_network(network("lan", 1)).error(), StorageError::kConflict);
  ASSERT_TRUE(first.value()->add_member("lan", key_of(1)).ok());
  EXPECT_EQ(second.value()->members("lan").value(), (std::vector<PublicKey>{key_of(1), key_of(2)}));
}

TEST(SqliteStorage, UsesWalAndRecordsTheSchemaVersion) {
  TempDir dir;
  std::string path = (dir.path() / "wal.db").string();
  ASSERT_TRUE(SqliteStorage::open(path).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto single_text = [db](const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_EQ(single_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(single_text("SELECT version FROM schema_version"), std::to_string(SqliteStorage::kSchemaVersion));
  sqlite3_close(db);
}

TEST(SqliteStorage, NewerSchemaIsRefused) {
  TempDir dir;
  std::string path = (dir.path() / "future.db").string();
  ASSERT_TRUE(SqliteStorage::open(path).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto opened = SqliteStorage::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("schema version 99"), std::string::npos) << opened.error();
}

TEST(SqliteStorage, UnusablePathsGiveAClearError) {
  TempDir dir;
  auto missing_dir = SqliteStorage::open((dir.path() / "no" / "such" / "dir" / "server.db").string());
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.error().find("no/such/dir/server.db"), std::string::npos) << missing_dir.error();
  EXPECT_NE(missing_dir.error().find("cannot"), std::string::npos) << missing_dir.error();

  auto a_directory = SqliteStorage::open(dir.path().string());
  EXPECT_FALSE(a_directory.ok());

  std::string junk = (dir.path() / "junk.db").string();
  {
    std::ofstream out(junk, std::ios::binary);
    out << std::string(4096, 'x');
  }
  auto not_a_db = SqliteStorage::open(junk);
  ASSERT_FALSE(not_a_db.ok());
  EXPECT_NE(not_a_db.error().find(junk), std::string::npos) << not_a_db.error();
}

}  // namespace
}  // namespace yt
