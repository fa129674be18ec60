// The server's durable state, behind an interface so the core stays free of I/O.
// platform/sqlite_storage.h implements it on SQLite (production, restart tests);
// memory_storage.h keeps it in memory (unit tests, large simulations).
//
// Every call is synchronous and either fully applies or changes nothing. Errors:
//   kIo        the backing store failed (disk, corruption): nothing was changed
//   kConflict  a uniqueness rule would break (key or address taken, name exists)
//   kNotFound  the record the call updates does not exist
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/result.h"

namespace yt {

enum class StorageError : std::uint8_t { kIo, kConflict, kNotFound };
const char* to_string(StorageError e);

struct ClientRecord {
  PublicKey key{};
  std::string nickname;
  Ipv4 virtual_ip;  // bound to `key` for good
};

struct NetworkRecord {
  std::string name;
  std::string password_hash;  // protocol/password_hash.h encoding; empty: no password
  PublicKey owner{};
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual Result<std::optional<ClientRecord>, StorageError> find_client(const PublicKey& key) = 0;
  virtual Result<std::optional<ClientRecord>, StorageError> find_client_by_address(Ipv4 address) = 0;
  // kConflict when the key or the address is already stored.
  virtual Status<StorageError> insert_client(const ClientRecord& record) = 0;
  virtual Status<StorageError> set_nickname(const PublicKey& key, std::string_view nickname) = 0;

  virtual Result<std::optional<NetworkRecord>, StorageError> find_network(std::string_view name) = 0;
  // Creates the network with `record.owner` as its first member, atomically.
  virtual Status<StorageError> create_network(const NetworkRecord& record) = 0;
  // kConflict when already a member; kNotFound when the network does not exist.
  virtual Status<StorageError> add_member(std::string_view network, const PublicKey& key) = 0;
  // kNotFound when not a member.
  virtual Status<StorageError> remove_member(std::string_view network, const PublicKey& key) = 0;
  // Sorted by key, so every caller sees one order.
  virtual Result<std::vector<PublicKey>, StorageError> members(std::string_view network) = 0;
  // Sorted by name.
  virtual Result<std::vector<std::string>, StorageError> networks_of(const PublicKey& key) = 0;
};

}  // namespace yt
