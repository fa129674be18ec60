// PostgresStorage against a real PostgreSQL: the Storage contract, two servers'
// connections sharing one database, a lost connection, and clear errors. The
// database comes from YT_POSTGRES_URL (tests/postgres/with_postgres.sh starts a
// throwaway one); without it these tests are skipped, except the error tests that
// need no server.
#include "platform/postgres_storage.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <cstdlib>

#include "platform/tests/storage_contract.h"

namespace yt {
namespace {

using namespace storage_contract;

const char* database_url() { return std::getenv("YT_POSTGRES_URL"); }
constexpr const char* kNoDatabase = "YT_POSTGRES_URL is not set (run under tests/postgres/with_postgres.sh)";

// Empties the database of everything the storage made, so each test starts fresh.
void drop_tables(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work w(c);
  w.exec("DROP TABLE IF EXISTS memberships, networks, clients, yt_schema_version");
  w.commit();
}

struct PostgresBackend {
  static const char* skip() { return database_url() ? nullptr : kNoDatabase; }
  static std::unique_ptr<Storage> make() {
    if (!database_url()) return nullptr;
    drop_tables(database_url());
    auto opened = PostgresStorage::open(database_url());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? std::unique_ptr<Storage>(std::move(opened.value())) : nullptr;
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StorageContract, ::testing::Types<PostgresBackend>);

class PostgresStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!database_url()) GTEST_SKIP() << kNoDatabase;
    drop_tables(database_url());
  }
  std::unique_ptr<PostgresStorage> open() {
    auto opened = PostgresStorage::open(database_url());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? std::move(opened.value()) : nullptr;
  }
};

TEST_F(PostgresStorageTest, TwoServersSeeOneStateAndRaceIntoConflictsNotDuplicates) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->insert_client(client(1, 10)).ok());
  EXPECT_EQ(b->find_client(key_of(1)).value()->virtual_ip, client(1, 10).virtual_ip);
  auto taken = b->insert_client(client(2, 10));
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error(), StorageError::kConflict);
  ASSERT_TRUE(b->create_network(network("lan", 1)).ok());
  ASSERT_TRUE(a->add_member("lan", key_of(2)).ok());
  EXPECT_EQ(b->members("lan").value(), (std::vector<PublicKey>{key_of(1), key_of(2)}));
}

TEST_F(PostgresStorageTest, ALostConnectionIsMadeAgainAtTheNextCall) {
  auto storage = open();
  ASSERT_TRUE(storage);
  ASSERT_TRUE(storage->insert_client(client(1, 10)).ok());
  {
    // The database ends every other session, as a restart or failover would.
    pqxx::connection admin(database_url());
    pqxx::work w(admin);
    w.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
           "datname = current_database()");
    w.commit();
  }
  // The first call may find the connection dead (kIo, nothing changed); the next works.
  auto first = storage->find_client(key_of(1));
  if (!first.ok()) {
    EXPECT_EQ(first.error(), StorageError::kIo);
  }
  auto again = storage->find_client(key_of(1));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again.value().has_value());
  EXPECT_EQ(again.value()->nickname, "client-1");
}

TEST_F(PostgresStorageTest, ANewerSchemaIsRefused) {
  ASSERT_TRUE(open());
  {
    pqxx::connection c(database_url());
    pqxx::work w(c);
    w.exec("INSERT INTO yt_schema_version(version) VALUES (99)");
    w.commit();
  }
  auto refused = PostgresStorage::open(database_url());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("schema version 99"), std::string::npos) << refused.error();
}

TEST(PostgresStorageErrors, AnUnreachableDatabaseIsAClearErrorThatHidesThePassword) {
  auto refused = PostgresStorage::open("postgresql://yt:hunter2@127.0.0.1:1/yellowtail?connect_timeout=2");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("cannot use database postgresql://yt:***@127.0.0.1:1/yellowtail"),
            std::string::npos)
      << refused.error();
  EXPECT_EQ(refused.error().find("hunter2"), std::string::npos) << refused.error();
  EXPECT_EQ(redact_postgres_url("host=db user=yt password=hunter2 dbname=x"), "host=db user=yt password=*** dbname=x");
  EXPECT_TRUE(is_postgres_url("postgresql://db/x"));
  EXPECT_TRUE(is_postgres_url("postgres://db/x"));
  EXPECT_FALSE(is_postgres_url("/var/lib/yellowtail-server/server.db"));
}

}  // namespace
}  // namespace yt
