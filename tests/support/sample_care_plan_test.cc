#include "tests/support/sample_care_plan.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace carebridge::testing {
namespace {

namespace v1 = ::carebridge::careplan::v1;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

const std::vector<std::string> kTeams = {"teams/cmht", "teams/crisis",
                                         "teams/peer"};

TEST(SampleCarePlanTest, HasTheRealisticShape) {
  const v1::CarePlan plan = SampleCarePlan(kTeams);
  EXPECT_EQ(plan.goals_size(), 10);
  EXPECT_EQ(plan.actions_size(), 20);
  EXPECT_EQ(plan.crisis_plan().contacts_size(), 3);
  EXPECT_EQ(plan.communication_preferences().supporters_size(), 2);
  EXPECT_TRUE(plan.has_review_date());
}

TEST(SampleCarePlanTest, FillsEveryCrisisPlanField) {
  const v1::CrisisPlan crisis = SampleCarePlan(kTeams).crisis_plan();
  EXPECT_THAT((std::vector<std::string>{
                  crisis.early_warning_signs(), crisis.triggers(),
                  crisis.what_helps(), crisis.what_to_avoid(),
                  crisis.preferred_response(), crisis.advance_statements()}),
              Each(Not(IsEmpty())));
  for (const v1::CrisisContact& contact : crisis.contacts()) {
    EXPECT_THAT((std::vector<std::string>{
                    contact.name(), contact.relationship(),
                    contact.how_to_contact(), contact.when_to_contact()}),
                Each(Not(IsEmpty())));
  }
}

TEST(SampleCarePlanTest, SetsOnlyContentAnUpdateMayWrite) {
  const v1::CarePlan plan = SampleCarePlan(kTeams);
  EXPECT_THAT(plan.name(), IsEmpty());
  EXPECT_THAT(plan.etag(), IsEmpty());
  EXPECT_THAT(plan.care_team(), IsEmpty());
  EXPECT_EQ(plan.version(), 0);
  for (const v1::Goal& goal : plan.goals()) EXPECT_THAT(goal.id(), IsEmpty());
  for (const v1::Action& action : plan.actions()) {
    EXPECT_THAT(action.id(), IsEmpty());
  }
  EXPECT_THAT(SampleCarePlanMask().paths(),
              ElementsAre("goals", "actions", "crisis_plan",
                          "communication_preferences", "review_date"));
}

TEST(SampleCarePlanTest, ActionsAreOwnedByEveryGivenTeam) {
  const v1::CarePlan plan = SampleCarePlan(kTeams);
  std::set<std::string> owners;
  for (const v1::Action& action : plan.actions()) {
    owners.insert(action.owning_team());
  }
  EXPECT_EQ(owners, std::set<std::string>(kTeams.begin(), kTeams.end()));
}

TEST(SampleCarePlanTest, OneTeamOwnsEverythingWhenItIsTheOnlyOne) {
  const v1::CarePlan plan = SampleCarePlan({"teams/cmht"});
  for (const v1::Action& action : plan.actions()) {
    EXPECT_EQ(action.owning_team(), "teams/cmht");
  }
}

TEST(SampleCarePlanTest, IsDeterministic) {
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      SampleCarePlan(kTeams), SampleCarePlan(kTeams)));
}

}  // namespace
}  // namespace carebridge::testing
