// The Storage contract (server/core/storage.h) that every backend must keep, as a
// typed test suite: a backend's test file instantiates it with a Backend type that
// has `static std::unique_ptr<Storage> make()` (a fresh, empty store) and
// `static const char* skip()` (nullptr, or why the backend cannot run here).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/core/storage.h"

namespace yt::storage_contract {

inline PublicKey key_of(std::uint8_t n) {
  PublicKey key{};
  key.fill(0x40);
  key[0] = n;
  return key;
}

inline ClientRecord client(std::uint8_t n, std::uint32_t host) {
  return ClientRecord{key_of(n), "client-" + std::to_string(n), Ipv4{Ipv4::from_octets(25, 0, 0, 0).value + host}};
}

inline NetworkRecord network(std::string name, std::uint8_t owner) {
  return NetworkRecord{std::move(name), "yt-argon2id$1$8192$00$00", key_of(owner)};
}

template <typename Backend>
class StorageContract : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = Backend::make();
    // A backend that needs a server not given to this run (Backend::skip says why).
    if (!storage_ && Backend::skip()) GTEST_SKIP() << Backend::skip();
    ASSERT_NE(storage_, nullptr);
  }
  Storage& s() { return *storage_; }
  std::unique_ptr<Storage> storage_;
};

TYPED_TEST_SUITE_P(StorageContract);

TYPED_TEST_P(StorageContract, ClientsAreFoundByKeyAndByAddress) {
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

TYPED_TEST_P(StorageContract, KeyAndAddressAreUnique) {
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

TYPED_TEST_P(StorageContract, NicknamesChangeOnlyForKnownClients) {
  Storage& s = this->s();
  ASSERT_TRUE(s.insert_client(client(1, 10)).ok());
  ASSERT_TRUE(s.set_nickname(key_of(1), "renamed").ok());
  EXPECT_EQ(s.find_client(key_of(1)).value()->nickname, "renamed");
  auto missing = s.set_nickname(key_of(9), "ghost");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), StorageError::kNotFound);
}

TYPED_TEST_P(StorageContract, BinaryNamesRoundTrip) {
  Storage& s = this->s();
  std::string odd("a\0b\xff", 4);
  ASSERT_TRUE(s.create_network(network(odd, 1)).ok());
  auto found = s.find_network(odd);
  ASSERT_TRUE(found.ok() && found.value());
  EXPECT_EQ(found.value()->name, odd);
  EXPECT_FALSE(s.find_network("a").value().has_value());
  EXPECT_EQ(s.networks_of(key_of(1)).value(), std::vector<std::string>{odd});
}

TYPED_TEST_P(StorageContract, CreatingANetworkMakesTheOwnerItsFirstMember) {
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

TYPED_TEST_P(StorageContract, EmptyPasswordHashMeansOpenNetwork) {
  Storage& s = this->s();
  ASSERT_TRUE(s.create_network(NetworkRecord{"open", "", key_of(1)}).ok());
  EXPECT_EQ(s.find_network("open").value()->password_hash, "");
}

TYPED_TEST_P(StorageContract, MembershipAddAndRemove) {
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

TYPED_TEST_P(StorageContract, NetworksOfIsSortedByName) {
  Storage& s = this->s();
  for (const char* name : {"zeta", "alpha", "Mid", "beta"}) {
    ASSERT_TRUE(s.create_network(network(name, 7)).ok());
  }
  ASSERT_TRUE(s.add_member("beta", key_of(1)).ok());
  ASSERT_TRUE(s.add_member("alpha", key_of(1)).ok());
  EXPECT_EQ(s.networks_of(key_of(7)).value(), (std::vector<std::string>{"Mid", "alpha", "beta", "zeta"}));
  EXPECT_EQ(s.networks_of(key_of(1)).value(), (std::vector<std::string>{"alpha", "beta"}));
}

REGISTER_TYPED_TEST_SUITE_P(StorageContract, ClientsAreFoundByKeyAndByAddress, KeyAndAddressAreUnique, NicknamesChangeOnlyForKnownClients, BinaryNamesRoundTrip, CreatingANetworkMakesTheOwnerItsFirstMember, EmptyPasswordHashMeansOpenNetwork, MembershipAddAndRemove, NetworksOfIsSortedByName);

}  // namespace yt::storage_contract
