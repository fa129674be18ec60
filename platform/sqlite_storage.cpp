#include "platform/sqlite_storage.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace yt {
namespace {

// Names and nicknames are bound as TEXT with an explicit length, so any bytes the
// wire allows (even NUL) round-trip, and BINARY collation orders them like
// std::string. Keys are 32-byte BLOBs, which SQLite orders by memcmp: the same order
// as std::array<uint8_t> in MemoryStorage.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
  key        BLOB    PRIMARY KEY CHECK (length(key) = 32),
  nickname   TEXT    NOT NULL,
  virtual_ip INTEGER NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS networks (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  owner         BLOB NOT NULL CHECK (length(owner) = 32)
);
CREATE TABLE IF NOT EXISTS memberships (
  network TEXT NOT NULL REFERENCES networks(name) ON DELETE CASCADE,
  key     BLOB NOT NULL CHECK (length(key) = 32),
  PRIMARY KEY (network, key)
);
CREATE INDEX IF NOT EXISTS memberships_by_key ON memberships(key, network);
)sql";

// A prepared statement that finalizes itself. step() folds SQLite's result codes
// into what Storage callers care about.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  // Binding to a statement that failed to prepare is skipped; step() then fails.
  void bind_key(int index, const PublicKey& key) {
    if (!stmt_) return;
    sqlite3_bind_blob(stmt_, index, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  }
  void bind_text(int index, std::string_view text) {
    if (!stmt_) return;
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind_int(int index, std::int64_t value) {
    if (stmt_) sqlite3_bind_int64(stmt_, index, value);
  }

  enum class Step { kRow, kDone, kConstraint, kError };
  Step step() {
    if (!stmt_) return Step::kError;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return Step::kRow;
    if (rc == SQLITE_DONE) return Step::kDone;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return Step::kConstraint;
    return Step::kError;
  }

  PublicKey column_key(int column) {
    PublicKey key{};
    const void* blob = sqlite3_column_blob(stmt_, column);
    if (blob && sqlite3_column_bytes(stmt_, column) == static_cast<int>(key.size())) {
      std::memcpy(key.data(), blob, key.size());
    }
    return key;
  }
  std::string column_text(int column) {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)) : std::string();
  }
  std::int64_t column_int(int column) { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// BEGIN IMMEDIATE takes the write lock up front: two instances that both read then
// write inside deferred transactions could deadlock on the lock upgrade, and SQLite
// would fail one of them with SQLITE_BUSY despite the busy timeout.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db), open_(exec(db, "BEGIN IMMEDIATE")) {}
  ~Transaction() {
    if (open_) exec(db_, "ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  bool ok() const { return open_; }
  bool commit() {
    if (!open_) return false;
    open_ = false;
    if (exec(db_, "COMMIT")) return true;
    exec(db_, "ROLLBACK");
    return false;
  }

 private:
  sqlite3* db_;
  bool open_;
};

Status<StorageError> write_status(Statement::Step step) {
  if (step == Statement::Step::kDone) return Ok{};
  if (step == Statement::Step::kConstraint) return Err{StorageError::kConflict};
  return Err{StorageError::kIo};
}

Result<std::optional<ClientRecord>, StorageError> read_client(Statement& st) {
  switch (st.step()) {
    case Statement::Step::kRow: {
      ClientRecord record;
      record.key = st.column_key(0);
      record.nickname = st.column_text(1);
      record.virtual_ip.value = static_cast<std::uint32_t>(st.column_int(2));
      return std::optional<ClientRecord>(std::move(record));
    }
    case Statement::Step::kDone: return std::optional<ClientRecord>();
    default: return Err{StorageError::kIo};
  }
}

std::string open_error(const std::string& path, sqlite3* db, const char* what) {
  std::string reason = db ? sqlite3_errmsg(db) : "out of memory";
  return "cannot " + std::string(what) + " database '" + path + "': " + reason;
}

// Creates the schema or checks an existing one. In one transaction, so two instances
// opening a fresh file at once do not both insert a version row.
std::optional<std::string> prepare_schema(sqlite3* db, const std::string& path) {
  Transaction tx(db);
  if (!tx.ok() || !exec(db, kSchemaSql)) return open_error(path, db, "create the schema of");
  std::int64_t version = 0;
  {
    Statement read(db, "SELECT max(version) FROM schema_version");
    if (read.step() != Statement::Step::kRow) return open_error(path, db, "read the schema version of");
    version = read.column_int(0);  // NULL (no row yet) reads as 0
  }
  if (version > SqliteStorage::kSchemaVersion) {
    return "cannot use database '" + path + "': schema version " + std::to_string(version) +
           " is newer than this server supports (" + std::to_string(SqliteStorage::kSchemaVersion) + ")";
  }
  if (version == 0) {
    Statement insert(db, "INSERT INTO schema_version(version) VALUES (?)");
    insert.bind_int(1, SqliteStorage::kSchemaVersion);
    if (insert.step() != Statement::Step::kDone) return open_error(path, db, "initialize");
  }
  if (!tx.commit()) return open_error(path, db, "initialize");
  return std::nullopt;
}

// The database holds password hashes and who is in which network: only the server's
// user may read it. SQLite creates -wal and -shm with the database file's mode, so
// creating the file 0600 first covers all three; files an older version left
// readable by others are narrowed to the owner.
std::optional<std::string> restrict_to_owner(const std::string& path) {
  if (path == ":memory:" || path.empty() || path.rfind("file:", 0) == 0) return std::nullopt;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot open database '" + path + "': " + std::strerror(errno);
  ::close(fd);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) continue;  // -wal/-shm exist only while open
    if ((st.st_mode & 077) == 0) continue;
    if (::chmod(file.c_str(), st.st_mode & 0700) != 0) {
      return "database file '" + file + "' is readable by other users and cannot be made private: " +
             std::strerror(errno);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<SqliteStorage>, std::string> SqliteStorage::open(const std::string& path) {
  if (auto error = restrict_to_owner(path)) return Err{*error};
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  // From here on the object owns `db`, so every early return closes it.
  std::unique_ptr<SqliteStorage> storage(new SqliteStorage(db));
  if (rc != SQLITE_OK) return Err{open_error(path, db, "open")};
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (!exec(db, "PRAGMA foreign_keys = ON")) return Err{open_error(path, db, "configure")};
  // WAL lets readers in other instances proceed during a write. An in-memory database
  // answers "memory" and that is fine; only a failing statement is an error (the
  // first statement is also where SQLite notices that a file is not a database).
  if (!exec(db, "PRAGMA journal_mode = WAL")) return Err{open_error(path, db, "open")};
  // Every commit reaches the disk before the server answers: an acknowledged change
  // survives a crash of the process (WAL alone does that) and of the machine. (FULL
  // is SQLite's usual default; said here so that a build that differs cannot weaken it.)
  if (!exec(db, "PRAGMA synchronous = FULL")) return Err{open_error(path, db, "configure")};
  if (auto error = prepare_schema(db, path)) return Err{*error};
  return storage;
}

SqliteStorage::~SqliteStorage() { sqlite3_close_v2(db_); }

Result<std::optional<ClientRecord>, StorageError> SqliteStorage::find_client(const PublicKey& key) {
  Statement st(db_, "SELECT key, nickname, virtual_ip FROM clients WHERE key = ?");
  st.bind_key(1, key);
  return read_client(st);
}

Result<std::optional<ClientRecord>, StorageError> SqliteStorage::find_client_by_address(Ipv4 address) {
  Statement st(db_, "SELECT key, nickname, virtual_ip FROM clients WHERE virtual_ip = ?");
  st.bind_int(1, address.value);
  return read_client(st);
}

Status<StorageError> SqliteStorage::insert_client(const ClientRecord& record) {
  Statement st(db_, "INSERT INTO clients(key, nickname, virtual_ip) VALUES (?, ?, ?)");
  st.bind_key(1, record.key);
  st.bind_text(2, record.nickname);
  st.bind_int(3, record.virtual_ip.value);
  return write_status(st.step());
}

Status<StorageError> SqliteStorage::set_nickname(const PublicKey& key, std::string_view nickname) {
  Statement st(db_, "UPDATE clients SET nickname = ? WHERE key = ?");
  st.bind_text(1, nickname);
  st.bind_key(2, key);
  auto status = write_status(st.step());
  if (status.ok() && sqlite3_changes(db_) == 0) return Err{StorageError::kNotFound};
  return status;
}

Result<std::optional<NetworkRecord>, StorageError> SqliteStorage::find_network(std::string_view name) {
  Statement st(db_, "SELECT name, password_hash, owner FROM networks WHERE name = ?");
  st.bind_text(1, name);
  switch (st.step()) {
    case Statement::Step::kRow: {
      NetworkRecord record;
      record.name = st.column_text(0);
      record.password_hash = st.column_text(1);
      record.owner = st.column_key(2);
      return std::optional<NetworkRecord>(std::move(record));
    }
    case Statement::Step::kDone: return std::optional<NetworkRecord>();
    default: return Err{StorageError::kIo};
  }
}

Status<StorageError> SqliteStorage::create_network(const NetworkRecord& record) {
  Transaction tx(db_);
  if (!tx.ok()) return Err{StorageError::kIo};
  Statement network(db_, "INSERT INTO networks(name, password_hash, owner) VALUES (?, ?, ?)");
  network.bind_text(1, record.name);
  network.bind_text(2, record.password_hash);
  network.bind_key(3, record.owner);
  auto status = write_status(network.step());
  if (!status.ok()) return status;
  Statement member(db_, "INSERT INTO memberships(network, key) VALUES (?, ?)");
  member.bind_text(1, record.name);
  member.bind_key(2, record.owner);
  status = write_status(member.step());
  if (!status.ok()) return status;
  if (!tx.commit()) return Err{StorageError::kIo};
  return Ok{};
}

Status<StorageError> SqliteStorage::add_member(std::string_view network, const PublicKey& key) {
  // Check-then-insert inside one write transaction, so "no such network" and
  // "already a member" are told apart reliably (a foreign-key failure and a
  // primary-key failure both surface as a bare constraint error).
  Transaction tx(db_);
  if (!tx.ok()) return Err{StorageError::kIo};
  Statement exists(db_, "SELECT 1 FROM networks WHERE name = ?");
  exists.bind_text(1, network);
  switch (exists.step()) {
    case Statement::Step::kRow: break;
    case Statement::Step::kDone: return Err{StorageError::kNotFound};
    default: return Err{StorageError::kIo};
  }
  Statement insert(db_, "INSERT INTO memberships(network, key) VALUES (?, ?)");
  insert.bind_text(1, network);
  insert.bind_key(2, key);
  auto status = write_status(insert.step());
  if (!status.ok()) return status;
  if (!tx.commit()) return Err{StorageError::kIo};
  return Ok{};
}

Status<StorageError> SqliteStorage::remove_member(std::string_view network, const PublicKey& key) {
  Statement st(db_, "DELETE FROM memberships WHERE network = ? AND key = ?");
  st.bind_text(1, network);
  st.bind_key(2, key);
  auto status = write_status(st.step());
  if (status.ok() && sqlite3_changes(db_) == 0) return Err{StorageError::kNotFound};
  return status;
}

Result<std::vector<PublicKey>, StorageError> SqliteStorage::members(std::string_view network) {
  Statement st(db_, "SELECT key FROM memberships WHERE network = ? ORDER BY key");
  st.bind_text(1, network);
  std::vector<PublicKey> keys;
  for (;;) {
    switch (st.step()) {
      case Statement::Step::kRow: keys.push_back(st.column_key(0)); break;
      case Statement::Step::kDone: return keys;
      default: return Err{StorageError::kIo};
    }
  }
}

Result<std::vector<std::string>, StorageError> SqliteStorage::networks_of(const PublicKey& key) {
  Statement st(db_, "SELECT network FROM memberships WHERE key = ? ORDER BY network");
  st.bind_key(1, key);
  std::vector<std::string> names;
  for (;;) {
    switch (st.step()) {
      case Statement::Step::kRow: names.push_back(st.column_text(0)); break;
      case Statement::Step::kDone: return names;
      default: return Err{StorageError::kIo};
    }
  }
}

}  // namespace yt
