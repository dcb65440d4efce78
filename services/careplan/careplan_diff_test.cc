#include "services/careplan/careplan_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/careplan/careplan_diff_test_plans.h"
#include "services/common/time_util.h"

namespace carebridge::careplan::diff_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// DiffSections and ChangedSections on the content the person agrees to:
// goals and actions by id, the crisis plan and communication preferences
// field by field, the review date. The care team, agreement and section
// order are in careplan_diff_sections_test.cc.

// --- Nothing changed ---

TEST(CarePlanDiffTest, IdenticalPlansHaveNoDifferences) {
  EXPECT_THAT(DiffSections(BasePlan(), BasePlan()), IsEmpty());
  EXPECT_THAT(ChangedSections(BasePlan(), BasePlan()), IsEmpty());
  EXPECT_THAT(DiffSections(CarePlan(), CarePlan()), IsEmpty());
}

TEST(CarePlanDiffTest, VersionBookkeepingIsNotADifference) {
  CarePlan to = BasePlan();
  to.set_name("persons/p1/carePlan/versions/4");
  to.set_version(4);
  to.set_etag("4");
  to.mutable_change()->set_reason("something else");
  to.add_section_stamps()->set_section(v1::GOALS);
  *to.mutable_update_time() = ToProtoTimestamp(kT0 + absl::Hours(5));
  EXPECT_THAT(DiffSections(BasePlan(), to), IsEmpty());
  EXPECT_THAT(ChangedSections(BasePlan(), to), IsEmpty());
}

TEST(CarePlanDiffTest, EmptySectionIsTheSameAsAnAbsentOne) {
  CarePlan from;
  CarePlan to;
  to.mutable_crisis_plan();
  to.mutable_communication_preferences();
  to.mutable_review_date();
  to.mutable_agreement();
  EXPECT_THAT(DiffSections(from, to), IsEmpty());
  EXPECT_THAT(ChangedSections(from, to), IsEmpty());
}

// --- Goals and actions, by id ---

TEST(CarePlanDiffTest, GoalAddedIsRenderedWhole) {
  CarePlan to = BasePlan();
  v1::Goal& goal = *to.add_goals();
  goal.set_id("g4-1");
  goal.set_description("See my nephew more");
  goal.set_status(v1::Goal::ACTIVE);
  *goal.mutable_target_date() = MakeDate(2026, 12, 25);
  EXPECT_THAT(OnlySection(BasePlan(), to, v1::GOALS),
              ElementsAre(IsChange(FieldChange::ADDED, "goals[g4-1]", "",
                                   "description: See my nephew more; status: "
                                   "ACTIVE; target_date: 2026-12-25")));
}

TEST(CarePlanDiffTest, GoalRemovedIsRenderedWhole) {
  CarePlan to = BasePlan();
  to.mutable_goals()->RemoveLast();
  EXPECT_THAT(OnlySection(BasePlan(), to, v1::GOALS),
              ElementsAre(IsChange(FieldChange::REMOVED, "goals[g1-2]",
                                   "description: Get back to swimming; "
                                   "status: ACTIVE; target_date: 2026-06-01",
                                   "")));
}

TEST(CarePlanDiffTest, GoalFieldsChangedAreListedFieldByField) {
  CarePlan to = BasePlan();
  to.mutable_goals(0)->set_status(v1::Goal::ACHIEVED);
  *to.mutable_goals(0)->mutable_target_date() = MakeDate(2026, 2, 1);
  *to.mutable_goals(1)->mutable_target_date() = MakeDate(2026, 7, 15);
  to.mutable_goals(1)->set_description("Swim once a week");
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::GOALS),
      ElementsAre(IsChange(FieldChange::MODIFIED, "goals[g1-1].status",
                           "ACTIVE", "ACHIEVED"),
                  IsChange(FieldChange::ADDED, "goals[g1-1].target_date", "",
                           "2026-02-01"),
                  IsChange(FieldChange::MODIFIED, "goals[g1-2].description",
                           "Get back to swimming", "Swim once a week"),
                  IsChange(FieldChange::MODIFIED, "goals[g1-2].target_date",
                           "2026-06-01", "2026-07-15")));
}

TEST(CarePlanDiffTest, GoalsAreMatchedByIdNotPosition) {
  // The first goal removed: the second is unchanged, not "modified".
  CarePlan to = BasePlan();
  to.mutable_goals()->DeleteSubrange(0, 1);
  EXPECT_THAT(OnlySection(BasePlan(), to, v1::GOALS),
              ElementsAre(IsChange(FieldChange::REMOVED, "goals[g1-1]",
                                   "description: Sleep through the night; "
                                   "status: ACTIVE",
                                   "")));
}

TEST(CarePlanDiffTest, GoalsReorderedChangeTheListOrder) {
  CarePlan to = BasePlan();
  to.mutable_goals()->SwapElements(0, 1);
  EXPECT_THAT(OnlySection(BasePlan(), to, v1::GOALS),
              ElementsAre(IsChange(FieldChange::MODIFIED, "goals", "g1-1, g1-2",
                                   "g1-2, g1-1")));
}

TEST(CarePlanDiffTest, ActionsAddedRemovedAndModifiedById) {
  CarePlan to = BasePlan();
  to.mutable_actions(0)->set_owning_team("teams/crisis");
  to.mutable_actions(0)->set_status(v1::Action::COMPLETED);
  to.mutable_actions()->DeleteSubrange(1, 1);
  v1::Action& added = *to.add_actions();
  added.set_id("a4-1");
  added.set_description("Weekly phone call");
  added.set_owning_team("teams/vcs");
  added.set_status(v1::Action::NOT_STARTED);
  *added.mutable_review_date() = MakeDate(2026, 4, 1);
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::ACTIONS),
      ElementsAre(
          IsChange(FieldChange::MODIFIED, "actions[a1-1].owning_team",
                   "teams/cmht", "teams/crisis"),
          IsChange(FieldChange::MODIFIED, "actions[a1-1].status", "SCHEDULED",
                   "COMPLETED"),
          IsChange(FieldChange::REMOVED, "actions[a1-2]",
                   "description: Peer support group; owning_team: teams/vcs; "
                   "status: IN_PROGRESS",
                   ""),
          IsChange(FieldChange::ADDED, "actions[a4-1]", "",
                   "description: Weekly phone call; owning_team: teams/vcs; "
                   "status: NOT_STARTED; review_date: 2026-04-01")));
}

// --- Crisis plan and communication preferences, field by field ---

TEST(CarePlanDiffTest, CrisisPlanTextsAreAddedModifiedAndRemoved) {
  CarePlan to = BasePlan();
  v1::CrisisPlan& crisis = *to.mutable_crisis_plan();
  crisis.set_triggers("Anniversaries");
  crisis.set_what_helps("A calm voice; time outside; my dog");
  crisis.clear_what_to_avoid();
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::CRISIS_PLAN),
      ElementsAre(IsChange(FieldChange::ADDED, "crisis_plan.triggers", "",
                           "Anniversaries"),
                  IsChange(FieldChange::MODIFIED, "crisis_plan.what_helps",
                           "A calm voice; time outside",
                           "A calm voice; time outside; my dog"),
                  IsChange(FieldChange::REMOVED, "crisis_plan.what_to_avoid",
                           "Being told to calm down", "")));
}

TEST(CarePlanDiffTest, EveryCrisisPlanTextIsDiffedByItsFieldName) {
  // Walks the message's own fields, so a field added to CrisisPlan later is
  // covered without changing this test or the diff.
  const google::protobuf::Descriptor& type = *v1::CrisisPlan::descriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type.field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
        field->is_repeated()) {
      continue;
    }
    SCOPED_TRACE(field->name());
    CarePlan to = BasePlan();
    to.mutable_crisis_plan()->GetReflection()->SetString(
        to.mutable_crisis_plan(), field, "new words");
    std::vector<FieldChange> changes =
        OnlySection(BasePlan(), to, v1::CRISIS_PLAN);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].path(), "crisis_plan." + field->name());
    EXPECT_EQ(changes[0].after(), "new words");
  }
}

TEST(CarePlanDiffTest, CrisisContactsAreMatchedByPositionFromOne) {
  CarePlan to = BasePlan();
  to.mutable_crisis_plan()->mutable_contacts(1)->set_how_to_contact("111");
  v1::CrisisContact& gp = *to.mutable_crisis_plan()->add_contacts();
  gp.set_name("GP surgery");
  gp.set_how_to_contact("01632 960000");
  gp.set_when_to_contact("Weekdays");
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::CRISIS_PLAN),
      ElementsAre(IsChange(FieldChange::MODIFIED,
                           "crisis_plan.contacts[2].how_to_contact",
                           "0800 000 000", "111"),
                  IsChange(FieldChange::ADDED, "crisis_plan.contacts[3]", "",
                           "name: GP surgery; how_to_contact: 01632 960000; "
                           "when_to_contact: Weekdays")));

  CarePlan fewer = BasePlan();
  fewer.mutable_crisis_plan()->mutable_contacts()->RemoveLast();
  EXPECT_THAT(
      OnlySection(BasePlan(), fewer, v1::CRISIS_PLAN),
      ElementsAre(IsChange(FieldChange::REMOVED, "crisis_plan.contacts[2]",
                           "name: Crisis line; how_to_contact: 0800 "
                           "000 000",
                           "")));
}

TEST(CarePlanDiffTest, CommunicationPreferencesRenderMethodsAndSupporters) {
  CarePlan to = BasePlan();
  v1::CommunicationPreferences& comms = *to.mutable_communication_preferences();
  comms.clear_contact_methods();
  comms.add_contact_methods(v1::EMAIL);
  comms.set_interpreter_language("Polish");
  comms.mutable_supporters(0)->set_may_be_contacted(true);
  v1::Supporter& advocate = *comms.add_supporters();
  advocate.set_name("Jo");
  advocate.set_relationship("advocate");
  advocate.set_may_be_contacted(true);
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::COMMUNICATION_PREFERENCES),
      ElementsAre(
          IsChange(FieldChange::MODIFIED,
                   "communication_preferences.contact_methods",
                   "TEXT_MESSAGE, PHONE_CALL", "EMAIL"),
          IsChange(FieldChange::ADDED,
                   "communication_preferences.interpreter_language", "",
                   "Polish"),
          IsChange(FieldChange::MODIFIED,
                   "communication_preferences.supporters[1].may_be_contacted",
                   "false", "true"),
          IsChange(FieldChange::ADDED,
                   "communication_preferences.supporters[2]", "",
                   "name: Jo; relationship: advocate; may_be_contacted: "
                   "true")));
}

TEST(CarePlanDiffTest, ContactMethodsClearedAreRemoved) {
  CarePlan to = BasePlan();
  to.mutable_communication_preferences()->clear_contact_methods();
  EXPECT_THAT(OnlySection(BasePlan(), to, v1::COMMUNICATION_PREFERENCES),
              ElementsAre(IsChange(FieldChange::REMOVED,
                                   "communication_preferences.contact_methods",
                                   "TEXT_MESSAGE, PHONE_CALL", "")));
}

// --- Review date ---

TEST(CarePlanDiffTest, ReviewDateIsRenderedAsYearMonthDay) {
  CarePlan none = BasePlan();
  none.clear_review_date();
  CarePlan later = BasePlan();
  *later.mutable_review_date() = MakeDate(2026, 11, 30);
  EXPECT_THAT(OnlySection(none, BasePlan(), v1::REVIEW_DATE),
              ElementsAre(IsChange(FieldChange::ADDED, "review_date", "",
                                   "2026-03-05")));
  EXPECT_THAT(OnlySection(BasePlan(), later, v1::REVIEW_DATE),
              ElementsAre(IsChange(FieldChange::MODIFIED, "review_date",
                                   "2026-03-05", "2026-11-30")));
  EXPECT_THAT(OnlySection(BasePlan(), none, v1::REVIEW_DATE),
              ElementsAre(IsChange(FieldChange::REMOVED, "review_date",
                                   "2026-03-05", "")));
}

}  // namespace
}  // namespace carebridge::careplan::diff_test
