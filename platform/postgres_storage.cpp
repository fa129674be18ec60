#include "platform/postgres_storage.h"

#include <pqxx/pqxx>

#include <regex>

namespace yt {
namespace {

// Any number both server versions agree on: serializes schema creation.
constexpr long long kSchemaLock = 0x79745f736368656dLL;  // "yt_schem"

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS yt_schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
  key        BYTEA  PRIMARY KEY CHECK (length(key) = 32),
  nickname   BYTEA  NOT NULL,
  virtual_ip BIGINT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS networks (
  name          BYTEA PRIMARY KEY,
  password_hash TEXT  NOT NULL,
  owner         BYTEA NOT NULL CHECK (length(owner) = 32)
);
CREATE TABLE IF NOT EXISTS memberships (
  network BYTEA NOT NULL REFERENCES networks(name) ON DELETE CASCADE,
  key     BYTEA NOT NULL CHECK (length(key) = 32),
  PRIMARY KEY (network, key)
);
CREATE INDEX IF NOT EXISTS memberships_by_key ON memberships(key, network);
)sql";

pqxx::binarystring bytes_of(const PublicKey& key) { return pqxx::binarystring(key.data(), key.size()); }
pqxx::binarystring bytes_of(std::string_view text) { return pqxx::binarystring(text.data(), text.size()); }

std::string text_of(const pqxx::field& field) {
  pqxx::binarystring b(field);
  return std::string(b.get(), b.size());
}

std::optional<PublicKey> key_of(const pqxx::field& field) {
  pqxx::binarystring b(field);
  if (b.size() != PublicKey{}.size()) return std::nullopt;
  PublicKey key{};
  std::copy(b.data(), b.data() + b.size(), key.begin());
  return key;
}

Result<std::optional<ClientRecord>, StorageError> client_from(const pqxx::result& rows) {
  if (rows.empty()) return std::optional<ClientRecord>();
  auto key = key_of(rows[0][0]);
  if (!key) return Err{StorageError::kIo};
  ClientRecord record;
  record.key = *key;
  record.nickname = text_of(rows[0][1]);
  record.virtual_ip.value = static_cast<std::uint32_t>(rows[0][2].as<long long>());
  return std::optional<ClientRecord>(std::move(record));
}

}  // namespace

bool is_postgres_url(const std::string& text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

std::string redact_postgres_url(const std::string& url) {
  // postgresql://user:secret@host/db and password=secret in key=value strings.
  std::string out = std::regex_replace(url, std::regex(R"(://([^:/@]*):[^@/]*@)"), "://$1:***@");
  return std::regex_replace(out, std::regex(R"((password\s*=\s*)(\S+))"), "$1***");
}

std::string postgres_error_text(const std::exception& e) {
  std::string text = e.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

PostgresStorage::PostgresStorage(std::string url) : url_(std::move(url)) {}
PostgresStorage::~PostgresStorage() = default;

Result<std::unique_ptr<PostgresStorage>, std::string> PostgresStorage::open(const std::string& url) {
  std::unique_ptr<PostgresStorage> storage(new PostgresStorage(url));
  try {
    storage->conn_ = std::make_unique<pqxx::connection>(url);
    pqxx::work w(*storage->conn_);
    w.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLock);
    w.exec(kSchemaSql);
    auto version = w.exec("SELECT max(version) FROM yt_schema_version");
    if (version[0][0].is_null()) {
      w.exec_params("INSERT INTO yt_schema_version(version) VALUES ($1)", kSchemaVersion);
    } else if (version[0][0].as<int>() > kSchemaVersion) {
      return Err{"database " + redact_postgres_url(url) + " has schema version " + version[0][0].c_str() +
                 ", newer than this server's " + std::to_string(kSchemaVersion) + "; upgrade the server"};
    }
    w.commit();
  } catch (const std::exception& e) {
    return Err{"cannot use database " + redact_postgres_url(url) + ": " + postgres_error_text(e)};
  }
  return storage;
}

pqxx::connection* PostgresStorage::connection() {
  if (!conn_ || !conn_->is_open()) {
    conn_.reset();
    try {
      conn_ = std::make_unique<pqxx::connection>(url_);
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return conn_.get();
}

template <typename Body>
auto PostgresStorage::attempt(Body&& body) -> decltype(body(std::declval<pqxx::connection&>())) {
  pqxx::connection* c = connection();
  if (!c) return Err{StorageError::kIo};
  try {
    return body(*c);
  } catch (const pqxx::unique_violation&) {
    return Err{StorageError::kConflict};
  } catch (const pqxx::foreign_key_violation&) {
    return Err{StorageError::kNotFound};
  } catch (const pqxx::broken_connection&) {
    conn_.reset();  // made again at the next call
    return Err{StorageError::kIo};
  } catch (const std::exception&) {
    return Err{StorageError::kIo};
  }
}

Result<std::optional<ClientRecord>, StorageError> PostgresStorage::find_client(const PublicKey& key) {
  return attempt([&](pqxx::connection& c) -> Result<std::optional<ClientRecord>, StorageError> {
    pqxx::read_transaction r(c);
    return client_from(r.exec_params("SELECT key, nickname, virtual_ip FROM clients WHERE key = $1", bytes_of(key)));
  });
}

Result<std::optional<ClientRecord>, StorageError> PostgresStorage::find_client_by_address(Ipv4 address) {
  return attempt([&](pqxx::connection& c) -> Result<std::optional<ClientRecord>, StorageError> {
    pqxx::read_transaction r(c);
    return client_from(r.exec_params("SELECT key, nickname, virtual_ip FROM clients WHERE virtual_ip = $1",
                                     static_cast<long long>(address.value)));
  });
}

Status<StorageError> PostgresStorage::insert_client(const ClientRecord& record) {
  return attempt([&](pqxx::connection& c) -> Status<StorageError> {
    pqxx::work w(c);
    w.exec_params("INSERT INTO clients(key, nickname, virtual_ip) VALUES ($1, $2, $3)", bytes_of(record.key),
                  bytes_of(record.nickname), static_cast<long long>(record.virtual_ip.value));
    w.commit();
    return Ok{};
  });
}

Status<StorageError> PostgresStorage::set_nickname(const PublicKey& key, std::string_view nickname) {
  return attempt([&](pqxx::connection& c) -> Status<StorageError> {
    pqxx::work w(c);
    auto r = w.exec_params("UPDATE clients SET nickname = $1 WHERE key = $2", bytes_of(nickname), bytes_of(key));
    w.commit();
    if (r.affected_rows() == 0) return Err{StorageError::kNotFound};
    return Ok{};
  });
}

Result<std::optional<NetworkRecord>, StorageError> PostgresStorage::find_network(std::string_view name) {
  return attempt([&](pqxx::connection& c) -> Result<std::optional<NetworkRecord>, StorageError> {
    pqxx::read_transaction r(c);
    auto rows = r.exec_params("SELECT name, password_hash, owner FROM networks WHERE name = $1", bytes_of(name));
    if (rows.empty()) return std::optional<NetworkRecord>();
    auto owner = key_of(rows[0][2]);
    if (!owner) return Err{StorageError::kIo};
    return std::optional<NetworkRecord>(NetworkRecord{text_of(rows[0][0]), rows[0][1].c_str(), *owner});
  });
}

Status<StorageError> PostgresStorage::create_network(const NetworkRecord& record) {
  return attempt([&](pqxx::connection& c) -> Status<StorageError> {
    pqxx::work w(c);
    w.exec_params("INSERT INTO networks(name, password_hash, owner) VALUES ($1, $2, $3)", bytes_of(record.name),
                  record.password_hash, bytes_of(record.owner));
    w.exec_params("INSERT INTO memberships(network, key) VALUES ($1, $2)", bytes_of(record.name),
                  bytes_of(record.owner));
    w.commit();
    return Ok{};
  });
}

Status<StorageError> PostgresStorage::add_member(std::string_view network, const PublicKey& key) {
  // A missing network is a foreign-key failure (kNotFound), a second membership a
  // primary-key one (kConflict): PostgreSQL tells them apart, so one insert does.
  return attempt([&](pqxx::connection& c) -> Status<StorageError> {
    pqxx::work w(c);
    w.exec_params("INSERT INTO memberships(network, key) VALUES ($1, $2)", bytes_of(network), bytes_of(key));
    w.commit();
    return Ok{};
  });
}

Status<StorageError> PostgresStorage::remove_member(std::string_view network, const PublicKey& key) {
  return attempt([&](pqxx::connection& c) -> Status<StorageError> {
    pqxx::work w(c);
    auto r = w.exec_params("DELETE FROM memberships WHERE network = $1 AND key = $2", bytes_of(network),
                           bytes_of(key));
    w.commit();
    if (r.affected_rows() == 0) return Err{StorageError::kNotFound};
    return Ok{};
  });
}

Result<std::vector<PublicKey>, StorageError> PostgresStorage::members(std::string_view network) {
  return attempt([&](pqxx::connection& c) -> Result<std::vector<PublicKey>, StorageError> {
    pqxx::read_transaction r(c);
    auto rows = r.exec_params("SELECT key FROM memberships WHERE network = $1 ORDER BY key", bytes_of(network));
    std::vector<PublicKey> keys;
    for (const auto& row : rows) {
      auto key = key_of(row[0]);
      if (!key) return Err{StorageError::kIo};
      keys.push_back(*key);
    }
    return keys;
  });
}

Result<std::vector<std::string>, StorageError> PostgresStorage::networks_of(const PublicKey& key) {
  return attempt([&](pqxx::connection& c) -> Result<std::vector<std::string>, StorageError> {
    pqxx::read_transaction r(c);
    auto rows = r.exec_params("SELECT network FROM memberships WHERE key = $1 ORDER BY network", bytes_of(key));
    std::vector<std::string> names;
    for (const auto& row : rows) names.push_back(text_of(row[0]));
    return names;
  });
}

}  // namespace yt
