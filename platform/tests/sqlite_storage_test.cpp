// The Storage contract (server/core/storage.h), run against every backend, plus
// what only SqliteStorage has: durability across reopen, sharing one file between
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

#include "server/core/memory_storage.h"

namespace yt {
namespace {

PublicKey key_of(std::uint8_t n) {
  PublicKey key{};
  key.fill(0x40);
  key[0] = n;
  return key;
}

ClientRecord client(std::uint8_t n, std::uint32_t host) {
  return ClientRecord{key_of(n), "client-" + std::to_string(n), Ipv4{Ipv4::from_octets(25, 0, 0, 0).value + host}};
}

NetworkRecord network(std::string name, std::uint8_t owner) {
  return NetworkRecord{std::move(name), "yt-argon2id$1$8192$00$00", key_of(owner)};
}

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
  static std::unique_ptr<Storage> make() { return std::make_unique<MemoryStorage>(); }
};
struct SqliteMemoryBackend {
  static std::unique_ptr<Storage> make() {
    auto opened = SqliteStorage::open(":memory:");
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? std::unique_ptr<Storage>(std::move(opened.value())) : nullptr;
  }
};
// On a real file, so WAL and the busy timeout are in play.
struct SqliteFileBackend {
  static std::unique_ptr<Storage> make() {
    static int counter = 0;
    static TempDir dir;
    auto opened = SqliteStorage::open((dir.path() / ("contract-" + std::to_string(++counter) + ".db")).string());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? std::unique_ptr<Storage>(std::move(opened.value())) : nullptr;
  }
};

template <typename Backend>
class StorageContract : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = Backend::make();
    ASSERT_NE(storage_, nullptr);
  }
  Storage& s() { return *storage_; }
  std::unique_ptr<Storage> storage_;
};

using Backends = ::testing::Types<MemoryBackend, SqliteMemoryBackend, SqliteFileBackend>;
TYPED_TEST_SUITE(StorageContract, Backends);

TYPED_TEST(StorageContract, ClientsAreFoundByKeyAndByAddress) {
  Storage& s = this->s();
  EXPECT_FALSE(s.find_client(key_of(1)).value().has_value());
  ASSERT_TRUE(s.insert_client(client(1, 10)).ok());
  auto by_key = s.find_client(key_of(1));
  ASSERT_TRUE(by_key.ok() && by_key.value());
  EXPECT_EQ(by_key.value()->key, key_of(1));
  EXPECT_EQ(by_key.value()->nickname, "client-1");
  EXPECT_EQ(by_key.value()->virtual_ip, client(1, 10).virtual_ip);
  auto by_address = s.find_client_by_address(client(1, 10).virtual_ip);
  ASSERT_TRUE(by_address.ok() && by_address.value());
  EXPECT_EQ(by_address.value()->key, key_of(1));
  EXPECT_FALSE(s.find_client_by_address(client(1, 11).virtual_ip).value().has_value());
}

TYPED_TEST(StorageContract, KeyAndAddressAreUnique) {
  Storage& s = this->s();
  ASSERT_TRUE(s.insert_client(client(1, 10)).ok());
  auto same_key = s.insert_client(client(1, 11));
  ASSERT_FALSE(same_key.ok());
  EXPECT_EQ(same_key.error(), StorageError::kConflict);
  auto same_address = s.insert_client(client(2, 10));
  ASSERT_FALSE(same_address.ok());
  EXPECT_EQ(same_address.error(), StorageError::kConflict);
  // Nothing of the refused inserts was stored.
  EXPECT_FALSE(s.find_client(key_of(2)).value().has_value());
  EXPECT_FALSE(s.find_client_by_address(client(1, 11).virtual_ip).value().has_value());
  EXPECT_EQ(s.find_client(key_of(1)).value()->virtual_ip, client(1, 10).virtual_ip);
}

TYPED_TEST(StorageContract, NicknamesChangeOnlyForKnownClients) {
  Storage& s = this->s();
  ASSERT_TRUE(s.insert_client(client(1, 10)).ok());
  ASSERT_TRUE(s.set_nickname(key_of(1), "renamed").ok());
  EXPECT_EQ(s.find_client(key_of(1)).value()->nickname, "renamed");
  auto missing = s.set_nickname(key_of(9), "ghost");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), StorageError::kNotFound);
}

TYPED_TEST(StorageContract, BinaryNamesRoundTrip) {
  Storage& s = this->s();
  std::string odd("a\0b\xff", 4);
  ASSERT_TRUE(s.create_network(network(odd, 1)).ok());
  auto found = s.find_network(odd);
  ASSERT_TRUE(found.ok() && found.value());
  EXPECT_EQ(found.value()->name, odd);
  EXPECT_FALSE(s.find_network("a").value().has_value());
  EXPECT_EQ(s.networks_of(key_of(1)).value(), std::vector<std::string>{odd});
}

TYPED_TEST(StorageContract, CreatingANetworkMakesTheOwnerItsFirstMember) {
  Storage& s = this->s();
  ASSERT_TRUE(s.create_network(network("lan", 1)).ok());
  auto found = s.find_network("lan");
  ASSERT_TRUE(found.ok() && found.value());
  EXPECT_EQ(found.value()->name, "lan");
  EXPECT_EQ(found.value()->password_hash, network("lan", 1).password_hash);
  EXPECT_EQ(found.value()->owner, key_of(1));
  EXPECT_EQ(s.members("lan").value(), std::vector<PublicKey>{key_of(1)});
  EXPECT_EQ(s.networks_of(key_of(1)).value(), std::vector<std::string>{"lan"});

  auto again = s.create_network(network("lan", 2));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), StorageError::kConflict);
  EXPECT_EQ(s.find_network("lan").value()->owner, key_of(1));
  EXPECT_TRUE(s.networks_of(key_of(2)).value().empty());
}

TYPED_TEST(StorageContract, EmptyPasswordHashMeansOpenNetwork) {
  Storage& s = this->s();
  ASSERT_TRUE(s.create_network(NetworkRecord{"open", "", key_of(1)}).ok());
  EXPECT_EQ(s.find_network("open").value()->password_hash, "");
}

TYPED_TEST(StorageContract, MembershipAddAndRemove) {
  Storage& s = this->s();
  ASSERT_TRUE(s.create_network(network("lan", 5)).ok());
  ASSERT_TRUE(s.add_member("lan", key_of(2)).ok());
  ASSERT_TRUE(s.add_member("lan", key_of(9)).ok());
  auto dup = s.add_member("lan", key_of(2));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error(), StorageError::kConflict);
  auto nowhere = s.add_member("nope", key_of(2));
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error(), StorageError::kNotFound);
  EXPECT_TRUE(s.members("nope").value().empty());

  // Sorted by key, whatever the insertion order.
  EXPECT_EQ(s.members("lan").value(), (std::vector<PublicKey>{key_of(2), key_of(5), key_of(9)}));

  ASSERT_TRUE(s.remove_member("lan", key_of(5)).ok());
  auto gone = s.remove_member("lan", key_of(5));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error(), StorageError::kNotFound);
  auto no_network = s.remove_member("nope", key_of(2));
  ASSERT_FALSE(no_network.ok());
  EXPECT_EQ(no_network.error(), StorageError::kNotFound);
  EXPECT_EQ(s.members("lan").value(), (std::vector<PublicKey>{key_of(2), key_of(9)}));
  EXPECT_TRUE(s.networks_of(key_of(5)).value().empty());
  // The network itself outlives its owner's membership.
  EXPECT_TRUE(s.find_network("lan").value().has_value());
}

TYPED_TEST(StorageContract, NetworksOfIsSortedByName) {
  Storage& s = this->s();
  for (const char* name : {"zeta", "alpha", "Mid", "beta"}) {
    ASSERT_TRUE(s.create_network(network(name, 7)).ok());
  }
  ASSERT_TRUE(s.add_member("beta", key_of(1)).ok());
  ASSERT_TRUE(s.add_member("alpha", key_of(1)).ok());
  EXPECT_EQ(s.networks_of(key_of(7)).value(), (std::vector<std::string>{"Mid", "alpha", "beta", "zeta"}));
  EXPECT_EQ(s.networks_of(key_of(1)).value(), (std::vector<std::string>{"alpha", "beta"}));
}

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
