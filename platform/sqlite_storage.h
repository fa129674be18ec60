// Storage on SQLite: the server's durable state (accounts, virtual addresses,
// networks, memberships), so addresses and memberships survive a restart, and
// several server instances can share one database file.
//
// Opening creates the schema when absent (tables plus a schema_version row), turns on
// WAL (readers never block the one writer, which matters when instances share the
// file), foreign keys, and a busy timeout (a writer waits for another instance's
// transaction instead of failing at once). Uniqueness lives in the schema (client
// key, virtual address, network name, membership pair), so two instances racing to
// take the same address or name get kConflict, never a duplicate. Every multi-step
// update runs in one transaction.
//
// Errors follow storage.h: kIo for anything SQLite reports other than a constraint
// (disk full, corruption, still busy after the timeout). Nothing throws.
// Single-threaded: one object per thread (the server core is single-threaded anyway).
#pragma once

#include <memory>
#include <string>

#include "protocol/result.h"
#include "server/core/storage.h"

struct sqlite3;

namespace yt {

class SqliteStorage final : public Storage {
 public:
  // The schema version this code writes and reads. A file with a newer version is
  // refused (an old binary must not scribble over a schema it does not know).
  static constexpr int kSchemaVersion = 1;
  // How long a write waits for another instance's transaction on the same file.
  // 5 s: far longer than any of our transactions (a few row writes), short enough
  // that a stuck instance shows up as kIo instead of hanging logins for ever.
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens or creates the database at `path` (":memory:" for a private in-memory
  // database). On failure returns a human-readable reason naming the path, e.g.
  // when the directory does not exist, the file is not a database, or its schema
  // is newer than kSchemaVersion.
  static Result<std::unique_ptr<SqliteStorage>, std::string> open(const std::string& path);

  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  Result<std::optional<ClientRecord>, StorageError> find_client(const PublicKey& key) override;
  Result<std::optional<ClientRecord>, StorageError> find_client_by_address(Ipv4 address) override;
  Status<StorageError> insert_client(const ClientRecord& record) override;
  Status<StorageError> set_nickname(const PublicKey& key, std::string_view nickname) override;

  Result<std::optional<NetworkRecord>, StorageError> find_network(std::string_view name) override;
  Status<StorageError> create_network(const NetworkRecord& record) override;
  Status<StorageError> add_member(std::string_view network, const PublicKey& key) override;
  Status<StorageError> remove_member(std::string_view network, const PublicKey& key) override;
  Result<std::vector<PublicKey>, StorageError> members(std::string_view network) override;
  Result<std::vector<std::string>, StorageError> networks_of(const PublicKey& key) override;

 private:
  explicit SqliteStorage(sqlite3* db) : db_(db) {}

  sqlite3* db_;  // owned; closed by the destructor
};

}  // namespace yt
