#include "server/core/address_allocator.h"

#include <gtest/gtest.h>

#include <set>

#include "server/core/memory_storage.h"

namespace yt {
namespace {

PublicKey key_of(std::uint8_t seed) {
  PublicKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return key;
}

TEST(AddressAllocator, UsableHostsExcludeNetworkAndBroadcast) {
  EXPECT_EQ(usable_host_count(*Ipv4Prefix::parse("25.0.0.0/8")), (1u << 24) - 2);
  EXPECT_EQ(usable_host_count(*Ipv4Prefix::parse("10.0.0.0/30")), 2u);
  EXPECT_EQ(usable_host_count(*Ipv4Prefix::parse("10.0.0.0/31")), 0u);
  EXPECT_EQ(usable_host_count(*Ipv4Prefix::parse("10.0.0.4/32")), 0u);
  EXPECT_EQ(usable_host_count(*Ipv4Prefix::parse("0.0.0.0/0")), 0xffffffffull - 1);
}

TEST(AddressAllocator, ProbesStayInsideTheUsableRange) {
  Ipv4Prefix range = *Ipv4Prefix::parse("10.1.2.0/29");
  for (std::uint8_t k = 0; k < 40; ++k) {
    for (std::uint64_t attempt = 0; attempt < 20; ++attempt) {
      Ipv4 ip = *probe_address(range, key_of(k), attempt);
      EXPECT_TRUE(range.contains(ip));
      EXPECT_NE(ip, range.base);
      EXPECT_NE(ip, range.broadcast());
    }
  }
  EXPECT_FALSE(probe_address(*Ipv4Prefix::parse("10.0.0.0/31"), key_of(1), 0).has_value());
}

TEST(AddressAllocator, ProbingIsLinearAndDeterministic) {
  Ipv4Prefix range = *Ipv4Prefix::parse("25.0.0.0/8");
  Ipv4 first = *probe_address(range, key_of(3), 0);
  EXPECT_EQ(first, *probe_address(range, key_of(3), 0));
  Ipv4 second = *probe_address(range, key_of(3), 1);
  bool next_or_wrapped = second.value == first.value + 1 || second.value == range.base.value + 1;
  EXPECT_TRUE(next_or_wrapped);
}

TEST(AddressAllocator, FindOrCreateIsStableAndSkipsTakenAddresses) {
  MemoryStorage storage;
  Ipv4Prefix range = *Ipv4Prefix::parse("10.0.0.0/24");
  // Occupy the preferred address of key 1 with another key.
  ClientRecord squatter{key_of(200), "squatter", *probe_address(range, key_of(1), 0)};
  ASSERT_TRUE(storage.insert_client(squatter).ok());

  auto created = find_or_create_client(storage, range, key_of(1), "one");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created.value().virtual_ip, *probe_address(range, key_of(1), 1));
  EXPECT_EQ(created.value().nickname, "one");

  auto again = find_or_create_client(storage, range, key_of(1), "other name");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().virtual_ip, created.value().virtual_ip);
  EXPECT_EQ(again.value().nickname, "one");  // stored record wins; renames go through set_nickname
}

TEST(AddressAllocator, FullRangeAndStorageErrorsAreReported) {
  MemoryStorage storage;
  Ipv4Prefix range = *Ipv4Prefix::parse("10.0.0.0/30");
  std::set<std::uint32_t> taken;
  for (std::uint8_t k = 0; k < 2; ++k) {
    auto r = find_or_create_client(storage, range, key_of(k), "");
    ASSERT_TRUE(r.ok());
    taken.insert(r.value().virtual_ip.value);
  }
  EXPECT_EQ(taken, (std::set<std::uint32_t>{Ipv4::from_octets(10, 0, 0, 1).value, Ipv4::from_octets(10, 0, 0, 2).value}));
  auto full = find_or_create_client(storage, range, key_of(9), "");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error(), AllocationError::kExhausted);

  storage.set_failing(true);
  auto broken = find_or_create_client(storage, range, key_of(10), "");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error(), AllocationError::kStorage);
}

}  // namespace
}  // namespace yt
