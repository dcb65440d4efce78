// ApplyUpdate and UpdateFingerprint.

#include "services/careplan/careplan_mask.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

// A stored plan at version 3 with two goals, an action, a crisis plan and a
// care team.
v1::CarePlan Current() {
  v1::CarePlan plan;
  plan.set_person("persons/p1");
  plan.set_version(3);
  v1::Goal* goal = plan.add_goals();
  goal->set_id("g1-1");
  goal->set_description("Feel safe at home");
  goal->set_status(v1::Goal::ACTIVE);
  goal = plan.add_goals();
  goal->set_id("g2-1");
  goal->set_description("Back to college in September");
  goal->set_status(v1::Goal::PAUSED);
  v1::Action* action = plan.add_actions();
  action->set_id("a1-1");
  action->set_description("Weekly call");
  action->set_owning_team("teams/cmht");
  action->set_status(v1::Action::IN_PROGRESS);
  plan.mutable_crisis_plan()->set_what_helps("Music");
  plan.mutable_crisis_plan()->set_triggers("Loud arguments");
  v1::CareTeamMember* member = plan.add_care_team();
  member->set_team("teams/cmht");
  member->set_role("care coordination");
  member->set_lead(true);
  plan.set_lead_team("teams/cmht");
  return plan;
}

v1::UpdateCarePlanRequest Request(std::initializer_list<const char*> paths) {
  v1::UpdateCarePlanRequest request;
  request.mutable_care_plan()->set_name("persons/p1/carePlan");
  for (const char* path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_reason("Reviewed with the person");
  return request;
}

TEST(ApplyUpdateTest, ReplacesOnlyTheMaskedSections) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"review_date"});
  v1::CarePlan* sent = request.mutable_care_plan();
  sent->mutable_review_date()->set_year(2026);
  sent->mutable_review_date()->set_month(3);
  sent->mutable_review_date()->set_day(1);
  sent->add_goals()->set_description("not in the mask");
  sent->mutable_crisis_plan()->set_what_helps("not in the mask");
  ASSERT_OK(ApplyUpdate(request, 4, plan));
  v1::CarePlan expected = Current();
  *expected.mutable_review_date() = sent->review_date();
  EXPECT_THAT(plan, EqualsProto(expected));
}

TEST(ApplyUpdateTest, OutputOnlyFieldsOfTheRequestAreIgnored) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"crisis_plan"});
  v1::CarePlan* sent = request.mutable_care_plan();
  *sent->mutable_crisis_plan() = plan.crisis_plan();
  sent->add_care_team()->set_team("teams/spoof");
  sent->set_lead_team("teams/spoof");
  sent->set_agreed(true);
  sent->set_version(99);
  ASSERT_OK(ApplyUpdate(request, 4, plan));
  EXPECT_THAT(plan, EqualsProto(Current()));
}

TEST(ApplyUpdateTest, NewItemsGetIdsOfTheNewVersionInRequestOrder) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"goals", "actions"});
  v1::CarePlan* sent = request.mutable_care_plan();
  sent->add_goals()->set_description("New one");
  *sent->add_goals() = plan.goals(1);
  sent->add_goals()->set_description("Another new one");
  v1::Action* action = sent->add_actions();
  action->set_description("Peer support group");
  action->set_owning_team("teams/vcs");
  ASSERT_OK(ApplyUpdate(request, 4, plan));
  ASSERT_EQ(plan.goals_size(), 3);
  EXPECT_EQ(plan.goals(0).id(), "g4-1");
  EXPECT_EQ(plan.goals(1).id(), "g2-1");
  EXPECT_EQ(plan.goals(2).id(), "g4-2");
  ASSERT_EQ(plan.actions_size(), 1);
  EXPECT_EQ(plan.actions(0).id(), "a4-1");
}

TEST(ApplyUpdateTest, UnspecifiedStatusesGetTheirDefaults) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"goals", "actions"});
  request.mutable_care_plan()->add_goals()->set_description("x");
  v1::Action* action = request.mutable_care_plan()->add_actions();
  action->set_description("y");
  action->set_owning_team("teams/cmht");
  ASSERT_OK(ApplyUpdate(request, 4, plan));
  EXPECT_EQ(plan.goals(0).status(), v1::Goal::ACTIVE);
  EXPECT_EQ(plan.actions(0).status(), v1::Action::NOT_STARTED);
}

TEST(ApplyUpdateTest, AnIdThePlanDoesNotHaveIsInvalidAndChangesNothing) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"goals"});
  request.mutable_care_plan()->add_goals()->set_description("x");
  v1::Goal* forged = request.mutable_care_plan()->add_goals();
  forged->set_id("a1-1");  // an action's id, not a goal's
  forged->set_description("y");
  EXPECT_THAT(ApplyUpdate(request, 4, plan),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("care_plan.goals[1].id: persons/p1/carePlan "
                                 "has no goal \"a1-1\"")));
  EXPECT_THAT(plan, EqualsProto(Current()));
}

TEST(ApplyUpdateTest, AMaskedSectionLeftEmptyIsCleared) {
  v1::CarePlan plan = Current();
  ASSERT_OK(ApplyUpdate(Request({"goals", "crisis_plan"}), 4, plan));
  EXPECT_EQ(plan.goals_size(), 0);
  EXPECT_FALSE(plan.has_crisis_plan());
  EXPECT_EQ(plan.actions_size(), 1);
}

TEST(ApplyUpdateTest, OneFieldOfAMessageSectionKeepsTheOthers) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"crisis_plan.what_helps"});
  request.mutable_care_plan()->mutable_crisis_plan()->set_what_helps(
      "A walk with my dog");
  request.mutable_care_plan()->mutable_crisis_plan()->set_triggers("ignored");
  ASSERT_OK(ApplyUpdate(request, 4, plan));
  EXPECT_EQ(plan.crisis_plan().what_helps(), "A walk with my dog");
  EXPECT_EQ(plan.crisis_plan().triggers(), "Loud arguments");

  // Sent empty: that field is cleared; the section goes when nothing is left.
  ASSERT_OK(ApplyUpdate(Request({"crisis_plan.what_helps"}), 5, plan));
  EXPECT_EQ(plan.crisis_plan().what_helps(), "");
  ASSERT_OK(ApplyUpdate(Request({"crisis_plan.triggers"}), 6, plan));
  EXPECT_FALSE(plan.has_crisis_plan());
}

TEST(ApplyUpdateTest, EmptyDatesAreAbsent) {
  v1::CarePlan plan = Current();
  v1::UpdateCarePlanRequest request = Request({"review_date", "goals"});
  request.mutable_care_plan()->mutable_review_date();
  request.mutable_care_plan()->add_goals()->set_description("x");
  request.mutable_care_plan()->mutable_goals(0)->mutable_target_date();
  ASSERT_OK(ApplyUpdate(request, 4, plan));
  EXPECT_FALSE(plan.has_review_date());
  EXPECT_FALSE(plan.goals(0).has_target_date());
}

// --- UpdateFingerprint ---

std::string Fingerprint(const v1::UpdateCarePlanRequest& request) {
  absl::StatusOr<std::string> fingerprint = UpdateFingerprint(request);
  EXPECT_TRUE(fingerprint.ok()) << fingerprint.status();
  return fingerprint.value_or("");
}

TEST(UpdateFingerprintTest, SameUpdateSameFingerprint) {
  v1::UpdateCarePlanRequest request = Request({"goals", "review_date"});
  request.mutable_care_plan()->add_goals()->set_description("x");
  v1::UpdateCarePlanRequest retry = request;
  retry.set_etag("3");  // a retry's etag may be stale; not part of it
  retry.mutable_update_mask()->clear_paths();
  retry.mutable_update_mask()->add_paths("review_date");
  retry.mutable_update_mask()->add_paths("goals");
  retry.mutable_update_mask()->add_paths("goals");
  retry.mutable_care_plan()->mutable_crisis_plan()->set_what_helps("unmasked");
  EXPECT_EQ(Fingerprint(request), Fingerprint(retry));
  EXPECT_EQ(Fingerprint(request).size(), 64u);
}

TEST(UpdateFingerprintTest, AnyDifferenceInPathsContentOrReasonDiffers) {
  v1::UpdateCarePlanRequest request = Request({"goals"});
  request.mutable_care_plan()->add_goals()->set_description("x");
  const std::string base = Fingerprint(request);

  v1::UpdateCarePlanRequest other = request;
  other.mutable_care_plan()->mutable_goals(0)->set_description("y");
  EXPECT_NE(Fingerprint(other), base);
  other = request;
  other.set_reason("Another reason");
  EXPECT_NE(Fingerprint(other), base);
  other = request;
  other.mutable_update_mask()->add_paths("actions");
  EXPECT_NE(Fingerprint(other), base);
}

}  // namespace
}  // namespace carebridge::careplan
