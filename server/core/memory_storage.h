// Storage kept in memory: for unit tests and large simulations, where a thousand
// servers' worth of state must cost no disk I/O. Not durable: a "restart" test keeps
// the MemoryStorage object alive and builds a new ServerCore over it.
//
// Same contract as storage.h, including the orderings (members sorted by key,
// networks sorted by name) and all-or-nothing updates, so tests written against it
// hold for SqliteStorage too (platform/tests/sqlite_storage_test.cpp runs both).
#pragma once

#include <map>
#include <set>
#include <string>

#include "server/core/storage.h"

namespace yt {

class MemoryStorage final : public Storage {
 public:
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

  // Test hook: while set, every call fails with kIo and changes nothing, like a
  // database whose disk went away. Lets tests check the server's kServerError paths.
  void set_failing(bool failing) { failing_ = failing; }

 private:
  std::map<PublicKey, ClientRecord> clients_;
  std::map<std::uint32_t, PublicKey> client_by_address_;
  std::map<std::string, NetworkRecord, std::less<>> networks_;
  // Both directions of the membership relation, kept in step, so members() and
  // networks_of() come out sorted without a scan.
  std::map<std::string, std::set<PublicKey>, std::less<>> members_;
  std::map<PublicKey, std::set<std::string>> networks_of_;
  bool failing_ = false;
};

}  // namespace yt
