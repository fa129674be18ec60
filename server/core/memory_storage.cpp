#include "server/core/memory_storage.h"

namespace yt {

Result<std::optional<ClientRecord>, StorageError> MemoryStorage::find_client(const PublicKey& key) {
  if (failing_) return Err{StorageError::kIo};
  auto it = clients_.find(key);
  if (it == clients_.end()) return std::optional<ClientRecord>();
  return std::optional<ClientRecord>(it->second);
}

Result<std::optional<ClientRecord>, StorageError> MemoryStorage::find_client_by_address(Ipv4 address) {
  if (failing_) return Err{StorageError::kIo};
  auto it = client_by_address_.find(address.value);
  if (it == client_by_address_.end()) return std::optional<ClientRecord>();
  return std::optional<ClientRecord>(clients_.at(it->second));
}

Status<StorageError> MemoryStorage::insert_client(const ClientRecord& record) {
  if (failing_) return Err{StorageError::kIo};
  if (clients_.count(record.key) || client_by_address_.count(record.virtual_ip.value)) {
    return Err{StorageError::kConflict};
  }
  clients_.emplace(record.key, record);
  client_by_address_.emplace(record.virtual_ip.value, record.key);
  return Ok{};
}

Status<StorageError> MemoryStorage::set_nickname(const PublicKey& key, std::string_view nickname) {
  if (failing_) return Err{StorageError::kIo};
  auto it = clients_.find(key);
  if (it == clients_.end()) return Err{StorageError::kNotFound};
  it->second.nickname = std::string(nickname);
  return Ok{};
}

Result<std::optional<NetworkRecord>, StorageError> MemoryStorage::find_network(std::string_view name) {
  if (failing_) return Err{StorageError::kIo};
  auto it = networks_.find(name);
  if (it == networks_.end()) return std::optional<NetworkRecord>();
  return std::optional<NetworkRecord>(it->second);
}

Status<StorageError> MemoryStorage::create_network(const NetworkRecord& record) {
  if (failing_) return Err{StorageError::kIo};
  if (networks_.count(record.name)) return Err{StorageError::kConflict};
  networks_.emplace(record.name, record);
  members_[record.name].insert(record.owner);
  networks_of_[record.owner].insert(record.name);
  return Ok{};
}

Status<StorageError> MemoryStorage::add_member(std::string_view network, const PublicKey& key) {
  if (failing_) return Err{StorageError::kIo};
  auto it = members_.find(network);
  if (it == members_.end()) return Err{StorageError::kNotFound};
  if (!it->second.insert(key).second) return Err{StorageError::kConflict};
  networks_of_[key].insert(std::string(network));
  return Ok{};
}

Status<StorageError> MemoryStorage::remove_member(std::string_view network, const PublicKey& key) {
  if (failing_) return Err{StorageError::kIo};
  auto it = members_.find(network);
  if (it == members_.end() || it->second.erase(key) == 0) return Err{StorageError::kNotFound};
  auto mine = networks_of_.find(key);
  if (mine != networks_of_.end()) {
    mine->second.erase(std::string(network));
    if (mine->second.empty()) networks_of_.erase(mine);
  }
  return Ok{};
}

Result<std::vector<PublicKey>, StorageError> MemoryStorage::members(std::string_view network) {
  if (failing_) return Err{StorageError::kIo};
  auto it = members_.find(network);
  if (it == members_.end()) return std::vector<PublicKey>();
  return std::vector<PublicKey>(it->second.begin(), it->second.end());
}

Result<std::vector<std::string>, StorageError> MemoryStorage::networks_of(const PublicKey& key) {
  if (failing_) return Err{StorageError::kIo};
  auto it = networks_of_.find(key);
  if (it == networks_of_.end()) return std::vector<std::string>();
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

}  // namespace yt
