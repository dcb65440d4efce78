#include "services/common/ids.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace carebridge {
namespace {

using ::testing::MatchesRegex;

TEST(IdGeneratorTest, SameSeedGivesTheSameSequence) {
  IdGenerator a(/*seed=*/42);
  IdGenerator b(/*seed=*/42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.NewId(), b.NewId());
}

TEST(IdGeneratorTest, DifferentSeedsGiveDifferentSequences) {
  IdGenerator a(/*seed=*/1);
  IdGenerator b(/*seed=*/2);
  EXPECT_NE(a.NewId(), b.NewId());
}

TEST(IdGeneratorTest, UnseededGeneratorsDiffer) {
  IdGenerator a;
  IdGenerator b;
  EXPECT_NE(a.NewId(), b.NewId());
}

TEST(IdGeneratorTest, IdsAreTwentyLowercaseBase32Characters) {
  IdGenerator ids(/*seed=*/7);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_THAT(ids.NewId(), MatchesRegex("[a-z2-7]{20}"));
  }
}

TEST(IdGeneratorTest, EveryCharacterPositionVaries) {
  // Guards against positions stuck at one value (fewer random bits than
  // promised).
  IdGenerator ids(/*seed=*/11);
  std::vector<absl::flat_hash_set<char>> seen(20);
  for (int i = 0; i < 2000; ++i) {
    std::string id = ids.NewId();
    for (int p = 0; p < 20; ++p) seen[p].insert(id[p]);
  }
  for (int p = 0; p < 20; ++p) {
    EXPECT_EQ(seen[p].size(), 32u) << "position " << p;
  }
}

TEST(IdGeneratorTest, HundredThousandIdsAreUnique) {
  IdGenerator ids(/*seed=*/3);
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(seen.insert(ids.NewId()).second) << "duplicate after " << i;
  }
}

TEST(IdGeneratorTest, ConcurrentCallersNeverGetTheSameId) {
  IdGenerator ids(/*seed=*/5);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(ids.NewId());
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::flat_hash_set<std::string> seen;
  for (const auto& list : made) {
    for (const std::string& id : list) EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace carebridge
