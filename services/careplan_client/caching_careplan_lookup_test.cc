#include "services/careplan_client/caching_careplan_lookup.h"

#include <functional>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "services/careplan_client/fake_careplan_lookup.h"

namespace carebridge::careplan_client {
namespace {

constexpr char kPerson[] = "persons/p1";
constexpr char kOther[] = "persons/p2";

sharing::PersonSharing LedBy(const std::string& team) {
  sharing::PersonSharing found;
  found.lead_team = team;
  return found;
}

// Runs `during` inside GetSharing, after the fake has answered: a change
// delivered while the answer is on its way.
class RacingLookup : public CarePlanLookup {
 public:
  explicit RacingLookup(CarePlanLookup* inner) : inner_(inner) {}
  absl::StatusOr<CareTeamView> GetCareTeam(absl::string_view person) override {
    return inner_->GetCareTeam(person);
  }
  absl::StatusOr<sharing::PersonSharing> GetSharing(
      absl::string_view person) override {
    absl::StatusOr<sharing::PersonSharing> found = inner_->GetSharing(person);
    if (during) std::exchange(during, nullptr)();
    return found;
  }
  std::function<void()> during;

 private:
  CarePlanLookup* const inner_;
};

class CachingCarePlanLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.SetSharing(kPerson, LedBy("teams/cmht"));
    fake_.SetSharing(kOther, LedBy("teams/crisis"));
  }

  std::string LeadOf(CarePlanLookup& lookup, const std::string& person) {
    absl::StatusOr<sharing::PersonSharing> found = lookup.GetSharing(person);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->lead_team : "";
  }

  FakeClock clock_;
  FakeCarePlanLookup fake_;
};

TEST_F(CachingCarePlanLookupTest, AsksEveryTimeUntilTheFeedIsFollowed) {
  CachingCarePlanLookup cache(&fake_, &clock_);
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/cmht");
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/cmht");
  EXPECT_EQ(fake_.sharing_calls(), 2);
  EXPECT_EQ(cache.hits(), 0);
}

TEST_F(CachingCarePlanLookupTest, RemembersEachPersonWhileFollowing) {
  CachingCarePlanLookup cache(&fake_, &clock_);
  cache.SetFollowing(true);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(LeadOf(cache, kPerson), "teams/cmht");
    EXPECT_EQ(LeadOf(cache, kOther), "teams/crisis");
  }
  EXPECT_EQ(fake_.sharing_calls(), 2);
  EXPECT_EQ(cache.hits(), 8);
}

TEST_F(CachingCarePlanLookupTest, WhatIsRememberedIsKnownWithoutAsking) {
  CachingCarePlanLookup cache(&fake_, &clock_, absl::Seconds(30));
  // Not following: nothing is remembered, whatever was asked.
  LeadOf(cache, kPerson);
  EXPECT_FALSE(cache.RememberedSharing(kPerson).has_value());
  cache.SetFollowing(true);
  EXPECT_FALSE(cache.RememberedSharing(kPerson).has_value());
  EXPECT_EQ(fake_.sharing_calls(), 1);
  LeadOf(cache, kPerson);
  std::optional<sharing::PersonSharing> remembered =
      cache.RememberedSharing(kPerson);
  ASSERT_TRUE(remembered.has_value());
  EXPECT_EQ(remembered->lead_team, "teams/cmht");
  EXPECT_EQ(fake_.sharing_calls(), 2);
  cache.Invalidate(kPerson);
  EXPECT_FALSE(cache.RememberedSharing(kPerson).has_value());
  LeadOf(cache, kPerson);
  clock_.Advance(absl::Seconds(30));
  EXPECT_FALSE(cache.RememberedSharing(kPerson).has_value());
  EXPECT_EQ(fake_.sharing_calls(), 3);
}

TEST_F(CachingCarePlanLookupTest, AChangeDeliveredIsAskedAfreshForThatPerson) {
  CachingCarePlanLookup cache(&fake_, &clock_);
  cache.SetFollowing(true);
  LeadOf(cache, kPerson);
  LeadOf(cache, kOther);
  sharing::PersonSharing withdrawn = LedBy("teams/cmht");
  withdrawn.choices.emplace();
  withdrawn.choices->set_version(2);
  fake_.SetSharing(kPerson, withdrawn);
  cache.Invalidate(kPerson);

  absl::StatusOr<sharing::PersonSharing> found = cache.GetSharing(kPerson);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->choices.has_value());
  EXPECT_EQ(found->choices->version(), 2);
  // The other person is still remembered.
  LeadOf(cache, kOther);
  EXPECT_EQ(fake_.sharing_calls(), 3);
}

TEST_F(CachingCarePlanLookupTest, AnAnswerRacingAChangeIsNotRemembered) {
  RacingLookup racing(&fake_);
  CachingCarePlanLookup cache(&racing, &clock_);
  cache.SetFollowing(true);
  // The answer was read before the lead changed; the change is delivered
  // before the answer returns.
  racing.during = [&] {
    fake_.SetSharing(kPerson, LedBy("teams/crisis"));
    cache.Invalidate(kPerson);
  };
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/cmht");
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/crisis");
  EXPECT_EQ(fake_.sharing_calls(), 2);
}

TEST_F(CachingCarePlanLookupTest, LosingTheFeedForgetsEverything) {
  CachingCarePlanLookup cache(&fake_, &clock_);
  cache.SetFollowing(true);
  LeadOf(cache, kPerson);
  cache.SetFollowing(false);
  fake_.SetSharing(kPerson, LedBy("teams/crisis"));
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/crisis");
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/crisis");
  EXPECT_EQ(fake_.sharing_calls(), 3);
  // Following again starts from nothing: what changed while the feed was
  // lost is not remembered from before.
  cache.SetFollowing(true);
  LeadOf(cache, kPerson);
  LeadOf(cache, kPerson);
  EXPECT_EQ(fake_.sharing_calls(), 4);
}

TEST_F(CachingCarePlanLookupTest, NothingIsKeptPastItsMaximumAge) {
  CachingCarePlanLookup cache(&fake_, &clock_, absl::Seconds(30));
  cache.SetFollowing(true);
  LeadOf(cache, kPerson);
  clock_.Advance(absl::Seconds(29));
  LeadOf(cache, kPerson);
  EXPECT_EQ(fake_.sharing_calls(), 1);
  clock_.Advance(absl::Seconds(1));
  LeadOf(cache, kPerson);
  EXPECT_EQ(fake_.sharing_calls(), 2);
}

TEST_F(CachingCarePlanLookupTest, FailuresAreNeverRemembered) {
  CachingCarePlanLookup cache(&fake_, &clock_);
  cache.SetFollowing(true);
  fake_.FailWith(absl::UnavailableError("careplan down"));
  EXPECT_FALSE(cache.GetSharing(kPerson).ok());
  fake_.FailWith(absl::OkStatus());
  EXPECT_EQ(LeadOf(cache, kPerson), "teams/cmht");
  EXPECT_FALSE(cache.GetSharing("persons/unknown").ok());
  EXPECT_FALSE(cache.GetSharing("persons/unknown").ok());
  EXPECT_EQ(fake_.sharing_calls(), 4);
}

TEST_F(CachingCarePlanLookupTest, StaysWithinItsSizeAtThousandsOfPersons) {
  CachingCarePlanLookup cache(&fake_, &clock_, absl::Seconds(30),
                              /*max_entries=*/1000);
  cache.SetFollowing(true);
  for (int i = 0; i < 5000; ++i) {
    const std::string person = "persons/many" + std::to_string(i);
    fake_.SetSharing(person, LedBy("teams/t" + std::to_string(i)));
    EXPECT_EQ(LeadOf(cache, person), "teams/t" + std::to_string(i));
    EXPECT_EQ(LeadOf(cache, person), "teams/t" + std::to_string(i));
  }
  EXPECT_EQ(fake_.sharing_calls(), 5000);
  EXPECT_EQ(cache.hits(), 5000);
}

TEST_F(CachingCarePlanLookupTest, CareTeamsAreAlwaysAskedAfresh) {
  CareTeamView view;
  view.lead_team = "teams/cmht";
  fake_.SetCareTeam(kPerson, view);
  CachingCarePlanLookup cache(&fake_, &clock_);
  cache.SetFollowing(true);
  ASSERT_TRUE(cache.GetCareTeam(kPerson).ok());
  ASSERT_TRUE(cache.GetCareTeam(kPerson).ok());
  EXPECT_EQ(fake_.calls(), 2);
}

}  // namespace
}  // namespace carebridge::careplan_client
