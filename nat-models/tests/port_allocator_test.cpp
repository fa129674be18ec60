#include "nat-models/port_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

const Ipv4 kIp = test::ip("198.51.100.1");
constexpr PortRange kWide{1024, 65535};

AllocationPolicy policy(PortAllocation strategy) {
  AllocationPolicy p;
  p.strategy = strategy;
  return p;
}

std::vector<std::uint16_t> allocate_n(PortAllocator& a, int n, PortRange range, const AllocationPolicy& p,
                                      RandomSource& rng, std::uint16_t internal = 40000) {
  std::vector<std::uint16_t> out;
  for (int i = 0; i < n; ++i) {
    const auto port = a.allocate(Transport::kUdp, kIp, range, internal, p, rng);
    if (!port) break;
    out.push_back(*port);
  }
  return out;
}

TEST(PortAllocatorTest, PreservationKeepsAFreeInternalPort) {
  SeededRandom rng(1);
  PortAllocator a;
  EXPECT_EQ(a.allocate(Transport::kUdp, kIp, kWide, 40000, policy(PortAllocation::kPreserve), rng), 40000);
  EXPECT_TRUE(a.in_use(Transport::kUdp, kIp, 40000));
  EXPECT_FALSE(a.in_use(Transport::kTcp, kIp, 40000));
  EXPECT_EQ(a.allocate(Transport::kTcp, kIp, kWide, 40000, policy(PortAllocation::kPreserve), rng), 40000);
}

TEST(PortAllocatorTest, PreservationFallsBackToTheNextFreePortWhenSequential) {
  SeededRandom rng(1);
  PortAllocator a;
  AllocationPolicy p = policy(PortAllocation::kPreserve);
  p.preserve_fallback = PortAllocation::kSequential;
  EXPECT_EQ(allocate_n(a, 3, kWide, p, rng), (std::vector<std::uint16_t>{40000, 40001, 40002}));
  // Wraps inside the range.
  EXPECT_EQ(allocate_n(a, 2, PortRange{100, 101}, p, rng, 101), (std::vector<std::uint16_t>{101, 100}));
}

TEST(PortAllocatorTest, PreservationFallsBackToARandomPortWhenRandom) {
  SeededRandom rng(1);
  PortAllocator a;
  AllocationPolicy p = policy(PortAllocation::kPreserve);
  p.preserve_fallback = PortAllocation::kRandom;
  const auto ports = allocate_n(a, 4, kWide, p, rng);
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0], 40000);
  for (std::size_t i = 1; i < ports.size(); ++i) {
    EXPECT_NE(ports[i], 40000);
    EXPECT_GT(std::abs(int(ports[i]) - 40000), 3) << "looks sequential";
  }
}

TEST(PortAllocatorTest, PreservationOfAPortOutsideTheRangeFallsBack) {
  SeededRandom rng(1);
  PortAllocator a;
  const auto port = a.allocate(Transport::kUdp, kIp, kWide, 80, policy(PortAllocation::kPreserve), rng);
  ASSERT_TRUE(port);
  EXPECT_TRUE(kWide.contains(*port));
}

struct DeltaCase {
  std::int32_t delta;
  int expected_step;
};

class SequentialDeltaTest : public ::testing::TestWithParam<DeltaCase> {};

TEST_P(SequentialDeltaTest, ConsecutiveAllocationsStepByDelta) {
  SeededRandom rng(3);
  PortAllocator a;
  AllocationPolicy p = policy(PortAllocation::kSequential);
  p.sequential_delta = GetParam().delta;
  const PortRange range{20000, 29999};
  const auto ports = allocate_n(a, 10, range, p, rng);
  ASSERT_EQ(ports.size(), 10u);
  for (std::size_t i = 1; i < ports.size(); ++i) {
    int step = int(ports[i]) - int(ports[i - 1]);
    if (step > 5000) step -= int(range.size());  // wrapped
    if (step < -5000) step += int(range.size());
    EXPECT_EQ(step, GetParam().expected_step) << "at allocation " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Deltas, SequentialDeltaTest,
                         ::testing::Values(DeltaCase{1, 1}, DeltaCase{2, 2}, DeltaCase{7, 7},
                                           DeltaCase{-1, -1}, DeltaCase{0, 1}));

TEST(PortAllocatorTest, SequentialSkipsTakenPortsAndWraps) {
  SeededRandom rng(1);
  PortAllocator a;
  const PortRange range{100, 104};
  // Preservation takes some ports first, so the counter has to step over them.
  a.allocate(Transport::kUdp, kIp, range, 101, policy(PortAllocation::kPreserve), rng);
  a.allocate(Transport::kUdp, kIp, range, 103, policy(PortAllocation::kPreserve), rng);
  const auto ports = allocate_n(a, 5, range, policy(PortAllocation::kSequential), rng);
  EXPECT_EQ(std::set<std::uint16_t>(ports.begin(), ports.end()), (std::set<std::uint16_t>{100, 102, 104}));
}

TEST(PortAllocatorTest, RandomStaysInRangeAndIsNotSequential) {
  SeededRandom rng(5);
  PortAllocator a;
  const PortRange range{30000, 39999};
  const auto ports = allocate_n(a, 200, range, policy(PortAllocation::kRandom), rng);
  ASSERT_EQ(ports.size(), 200u);
  std::set<std::uint16_t> distinct(ports.begin(), ports.end());
  EXPECT_EQ(distinct.size(), 200u);
  int small_steps = 0;
  for (std::size_t i = 1; i < ports.size(); ++i) {
    EXPECT_TRUE(range.contains(ports[i]));
    small_steps += std::abs(int(ports[i]) - int(ports[i - 1])) <= 2;
  }
  EXPECT_LT(small_steps, 5);
  // And spread over the range rather than bunched at one end.
  EXPECT_LT(*distinct.begin(), 31000);
  EXPECT_GT(*distinct.rbegin(), 39000);
}

TEST(PortAllocatorTest, ParityIsPreservedByEveryStrategy) {
  for (PortAllocation s : {PortAllocation::kPreserve, PortAllocation::kSequential, PortAllocation::kRandom}) {
    for (std::uint16_t internal : {std::uint16_t(5000), std::uint16_t(5001)}) {
      SeededRandom rng(9);
      PortAllocator a;
      AllocationPolicy p = policy(s);
      p.preserve_parity = true;
      const auto ports = allocate_n(a, 50, kWide, p, rng, internal);
      ASSERT_EQ(ports.size(), 50u);
      for (std::uint16_t port : ports) EXPECT_EQ(port % 2, internal % 2) << to_string(s);
    }
  }
}

TEST(PortAllocatorTest, SequentialWithParityStepsOverWrongParityPorts) {
  SeededRandom rng(2);
  PortAllocator a;
  AllocationPolicy p = policy(PortAllocation::kSequential);
  p.preserve_parity = true;
  const auto ports = allocate_n(a, 6, PortRange{20000, 29999}, p, rng, 5000);
  ASSERT_EQ(ports.size(), 6u);
  for (std::size_t i = 1; i < ports.size(); ++i) EXPECT_EQ(ports[i] - ports[i - 1], 2);
}

TEST(PortAllocatorTest, ParityHalvesTheUsablePorts) {
  SeededRandom rng(1);
  PortAllocator a;
  AllocationPolicy p = policy(PortAllocation::kRandom);
  p.preserve_parity = true;
  EXPECT_EQ(allocate_n(a, 10, PortRange{100, 109}, p, rng, 2).size(), 5u);
}

TEST(PortAllocatorTest, ExhaustedRangeFailsUntilAPortIsReleased) {
  SeededRandom rng(1);
  PortAllocator a;
  const PortRange range{100, 103};
  const auto ports = allocate_n(a, 10, range, policy(PortAllocation::kRandom), rng);
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_FALSE(a.allocate(Transport::kUdp, kIp, range, 100, policy(PortAllocation::kRandom), rng));
  a.release(Transport::kUdp, kIp, 102);
  EXPECT_EQ(a.allocate(Transport::kUdp, kIp, range, 100, policy(PortAllocation::kRandom), rng), 102);
  // Other addresses have their own ports.
  EXPECT_TRUE(a.allocate(Transport::kUdp, test::ip("198.51.100.2"), range, 100,
                         policy(PortAllocation::kRandom), rng));
}

TEST(PortAllocatorTest, BlocksAreAlignedDisjointAndReusable) {
  SeededRandom rng(1);
  PortAllocator a;
  const PortRange whole{1024, 1024 + 10 * 64 + 5};  // ten blocks and a short tail
  std::set<std::uint16_t> firsts;
  for (int i = 0; i < 10; ++i) {
    const auto block = a.allocate_block(kIp, whole, 64, rng);
    ASSERT_TRUE(block);
    EXPECT_EQ(block->size(), 64u);
    EXPECT_EQ((block->first - whole.first) % 64, 0);
    firsts.insert(block->first);
  }
  EXPECT_EQ(firsts.size(), 10u);
  EXPECT_FALSE(a.allocate_block(kIp, whole, 64, rng));  // the tail is never a block
  a.release_block(kIp, whole, PortRange{1024 + 3 * 64, 1024 + 4 * 64 - 1});
  const auto again = a.allocate_block(kIp, whole, 64, rng);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->first, 1024 + 3 * 64);
}

TEST(PortAllocatorTest, SameSeedSameChoices) {
  auto run = [](std::uint64_t seed, PortAllocation s) {
    SeededRandom rng(seed);
    PortAllocator a;
    return allocate_n(a, 30, kWide, policy(s), rng);
  };
  EXPECT_EQ(run(11, PortAllocation::kRandom), run(11, PortAllocation::kRandom));
  EXPECT_EQ(run(11, PortAllocation::kSequential), run(11, PortAllocation::kSequential));
  EXPECT_NE(run(11, PortAllocation::kRandom), run(12, PortAllocation::kRandom));
}

TEST(PortAllocatorTest, ClearFreesEverything) {
  SeededRandom rng(1);
  PortAllocator a;
  const PortRange range{100, 100};
  ASSERT_TRUE(a.allocate(Transport::kUdp, kIp, range, 100, policy(PortAllocation::kPreserve), rng));
  EXPECT_FALSE(a.allocate(Transport::kUdp, kIp, range, 100, policy(PortAllocation::kPreserve), rng));
  a.clear();
  EXPECT_TRUE(a.allocate(Transport::kUdp, kIp, range, 100, policy(PortAllocation::kPreserve), rng));
}

}  // namespace
}  // namespace yt::nat
