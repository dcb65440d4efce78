#include "services/directory_client/caching_directory_lookup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "services/common/clock.h"
#include "services/directory_client/fake_directory_lookup.h"

namespace carebridge::directory_client {
namespace {

// Counts the calls that reach the directory.
class CountingLookup : public DirectoryLookup {
 public:
  explicit CountingLookup(FakeDirectoryLookup* fake) : fake_(fake) {}
  absl::StatusOr<TeamInfo> GetTeam(absl::string_view team) override {
    ++team_calls;
    return fake_->GetTeam(team);
  }
  absl::Status CheckPersonExists(absl::string_view person) override {
    ++person_calls;
    return fake_->CheckPersonExists(person);
  }
  std::atomic<int> team_calls{0};
  std::atomic<int> person_calls{0};

 private:
  FakeDirectoryLookup* fake_;
};

class CachingDirectoryLookupTest : public ::testing::Test {
 protected:
  CachingDirectoryLookupTest() {
    TeamInfo team;
    team.name = "teams/crisis";
    team.accepting_referrals = true;
    fake_.AddTeam(team);
    fake_.AddPerson("persons/alex");
    auto counting = std::make_unique<CountingLookup>(&fake_);
    counting_ = counting.get();
    cache_ = std::make_unique<CachingDirectoryLookup>(
        std::move(counting), &clock_, /*team_ttl=*/absl::Seconds(5),
        /*max_entries=*/2);
  }

  FakeClock clock_;
  FakeDirectoryLookup fake_;
  CountingLookup* counting_;
  std::unique_ptr<CachingDirectoryLookup> cache_;
};

TEST_F(CachingDirectoryLookupTest, TeamIsAskedOncePerTtl) {
  ASSERT_TRUE(cache_->GetTeam("teams/crisis").ok());
  ASSERT_TRUE(cache_->GetTeam("teams/crisis").ok());
  EXPECT_EQ(counting_->team_calls, 1);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(cache_->GetTeam("teams/crisis").ok());
  EXPECT_EQ(counting_->team_calls, 2);
}

TEST_F(CachingDirectoryLookupTest, RemembersATeamOnlyWhileItIsFresh) {
  // Nothing asked yet: nothing known without asking, and asking it does not.
  EXPECT_FALSE(cache_->RememberedTeam("teams/crisis").has_value());
  EXPECT_EQ(counting_->team_calls, 0);
  ASSERT_TRUE(cache_->GetTeam("teams/crisis").ok());
  std::optional<TeamInfo> remembered = cache_->RememberedTeam("teams/crisis");
  ASSERT_TRUE(remembered.has_value());
  EXPECT_TRUE(remembered->accepting_referrals);
  EXPECT_EQ(counting_->team_calls, 1);
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(cache_->RememberedTeam("teams/crisis").has_value());
  EXPECT_EQ(counting_->team_calls, 1);
}

TEST_F(CachingDirectoryLookupTest, TeamSettingChangesArriveAfterTheTtl) {
  ASSERT_TRUE(cache_->GetTeam("teams/crisis")->accepting_referrals);
  fake_.SetAccepting("teams/crisis", false);
  clock_.Advance(absl::Seconds(4));
  EXPECT_TRUE(cache_->GetTeam("teams/crisis")->accepting_referrals);
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache_->GetTeam("teams/crisis")->accepting_referrals);
}

TEST_F(CachingDirectoryLookupTest, FailuresAreNeverRemembered) {
  EXPECT_EQ(cache_->GetTeam("teams/new").status().code(),
            absl::StatusCode::kNotFound);
  TeamInfo team;
  team.name = "teams/new";
  fake_.AddTeam(team);
  EXPECT_TRUE(cache_->GetTeam("teams/new").ok());

  EXPECT_EQ(cache_->CheckPersonExists("persons/sam").code(),
            absl::StatusCode::kNotFound);
  fake_.AddPerson("persons/sam");
  EXPECT_TRUE(cache_->CheckPersonExists("persons/sam").ok());

  fake_.FailWith(absl::UnavailableError("directory down"));
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(cache_->GetTeam("teams/crisis").status().code(),
            absl::StatusCode::kUnavailable);
  fake_.FailWith(absl::OkStatus());
  EXPECT_TRUE(cache_->GetTeam("teams/crisis").ok());
}

TEST_F(CachingDirectoryLookupTest, RegisteredPersonIsAskedOncePerTtl) {
  ASSERT_TRUE(cache_->CheckPersonExists("persons/alex").ok());
  ASSERT_TRUE(cache_->CheckPersonExists("persons/alex").ok());
  EXPECT_EQ(counting_->person_calls, 1);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(cache_->CheckPersonExists("persons/alex").ok());
  EXPECT_EQ(counting_->person_calls, 2);
}

TEST_F(CachingDirectoryLookupTest, AMergedPersonIsRefusedOnceTheTtlHasPassed) {
  ASSERT_TRUE(cache_->CheckPersonExists("persons/alex").ok());
  fake_.AddPerson("persons/alex-kept");
  fake_.MergePerson("persons/alex", "persons/alex-kept");
  clock_.Advance(absl::Seconds(4));
  EXPECT_TRUE(cache_->CheckPersonExists("persons/alex").ok());
  clock_.Advance(absl::Seconds(1));
  absl::Status merged = cache_->CheckPersonExists("persons/alex");
  EXPECT_EQ(merged.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(merged.message(),
            "persons/alex was merged into persons/alex-kept (registered "
            "twice): use persons/alex-kept");
  // Refused every time after, never remembered as registered.
  EXPECT_EQ(cache_->CheckPersonExists("persons/alex").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CachingDirectoryLookupTest, StaysWithinItsBound) {
  for (const char* person : {"persons/a", "persons/b", "persons/c"}) {
    fake_.AddPerson(person);
    ASSERT_TRUE(cache_->CheckPersonExists(person).ok());
  }
  // The bound is 2: the third insert emptied the cache, so "a" is asked
  // again while "c" is still remembered.
  int before = counting_->person_calls;
  ASSERT_TRUE(cache_->CheckPersonExists("persons/c").ok());
  EXPECT_EQ(counting_->person_calls, before);
  ASSERT_TRUE(cache_->CheckPersonExists("persons/a").ok());
  EXPECT_EQ(counting_->person_calls, before + 1);
}

}  // namespace
}  // namespace carebridge::directory_client
