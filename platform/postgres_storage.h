// Storage on PostgreSQL (libpqxx): the server's durable state in a database that
// several yellowtail-server processes share (server/core/federation.h says how
// they share the clients). SQLite (sqlite_storage.h) stays the embedded default.
//
// Opening connects, and creates the schema when absent under an advisory lock (two
// servers starting at once must not race on CREATE TABLE). Names and nicknames are
// BYTEA: the wire allows any bytes in them (even NUL, which TEXT refuses), and BYTEA
// orders bytewise, like std::string and like the SQLite backend. Uniqueness lives
// in the schema, so two servers racing for one address or name get kConflict.
//
// Errors follow storage.h: kIo for anything but a constraint, including a lost
// connection; the next call connects again. Nothing throws. Blocking, like every
// Storage call; one object per thread.
#pragma once

#include <pqxx/connection>

#include <memory>
#include <string>

#include "protocol/result.h"
#include "server/core/storage.h"

namespace yt {

// "postgresql://..." or "postgres://..." (libpq's URI forms).
bool is_postgres_url(const std::string& text);

class PostgresStorage final : public Storage {
 public:
  static constexpr int kSchemaVersion = 1;

  // Connects to `url` (any libpq connection string) and prepares the schema. On
  // failure returns a reason that names the database but not the password.
  static Result<std::unique_ptr<PostgresStorage>, std::string> open(const std::string& url);

  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

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
  explicit PostgresStorage(std::string url);
  // The connection, made again after a failure; nullptr when the database is down.
  pqxx::connection* connection();
  template <typename Body>
  auto attempt(Body&& body) -> decltype(body(std::declval<pqxx::connection&>()));

  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
};

// A connection string with any password replaced, for messages and logs.
std::string redact_postgres_url(const std::string& url);
// What libpq/libpqxx said, without the line breaks they end it with.
std::string postgres_error_text(const std::exception& e);

}  // namespace yt
