// ValidateMaskedContent: the limits of each section, only under the mask,
// with 0-based field paths.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "services/careplan/careplan_validation.h"
#include "tests/support/status_matchers.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

UpdateMask MaskOf(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* path : paths) mask.add_paths(path);
  absl::StatusOr<UpdateMask> parsed = ParseUpdateMask(mask);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.value_or(UpdateMask());
}

v1::Goal* AddGoal(v1::CarePlan& plan, const std::string& description) {
  v1::Goal* goal = plan.add_goals();
  goal->set_description(description);
  return goal;
}

v1::Action* AddAction(v1::CarePlan& plan, const std::string& description) {
  v1::Action* action = plan.add_actions();
  action->set_description(description);
  action->set_owning_team("teams/cmht");
  return action;
}

absl::Status Check(std::initializer_list<const char*> paths,
                   const v1::CarePlan& plan) {
  return ValidateMaskedContent(MaskOf(paths), plan);
}

// --- Goals ---

TEST(GoalsValidationTest, GoalsNeedADescriptionNamedByIndex) {
  v1::CarePlan plan;
  AddGoal(plan, "Get back to swimming on Saturdays");
  AddGoal(plan, "");
  EXPECT_THAT(Check({"goals"}, plan),
              StatusIs(kInvalid,
                       "care_plan.goals[1].description: must be "
                       "set"));
}

TEST(GoalsValidationTest, LimitsOnCountAndLength) {
  v1::CarePlan plan;
  AddGoal(plan, std::string(2000, 'g'));
  EXPECT_THAT(Check({"goals"}, plan), IsOk());
  plan.mutable_goals(0)->set_description(std::string(2001, 'g'));
  EXPECT_THAT(Check({"goals"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.goals[0].description: "
                                           "must be at most 2000")));
  plan.Clear();
  for (int i = 0; i < 51; ++i) AddGoal(plan, "a goal");
  EXPECT_THAT(Check({"goals"}, plan),
              StatusIs(kInvalid,
                       "care_plan.goals: must have at most 50 "
                       "entries"));
}

TEST(GoalsValidationTest, StatusDateAndIds) {
  v1::CarePlan plan;
  AddGoal(plan, "a")->set_status(static_cast<v1::Goal::Status>(9));
  EXPECT_THAT(Check({"goals"}, plan),
              StatusIs(kInvalid, "care_plan.goals[0].status: unknown value 9"));
  plan.mutable_goals(0)->set_status(v1::Goal::STATUS_UNSPECIFIED);
  plan.mutable_goals(0)->mutable_target_date()->set_year(2026);
  EXPECT_THAT(Check({"goals"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.goals[0].target_date")));
  plan.mutable_goals(0)->clear_target_date();
  plan.mutable_goals(0)->set_id("g1-1");
  AddGoal(plan, "b");
  AddGoal(plan, "c")->set_id("g1-1");
  EXPECT_THAT(Check({"goals"}, plan),
              StatusIs(kInvalid,
                       "care_plan.goals[2].id: \"g1-1\" appears "
                       "more than once"));
}

// --- Actions ---

TEST(ActionsValidationTest, DescriptionAndOwningTeamAreRequired) {
  v1::CarePlan plan;
  AddAction(plan, "Weekly check-in call");
  AddAction(plan, " ");
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid,
                       "care_plan.actions[1].description: must be "
                       "set"));
  plan.mutable_actions(1)->set_description("Medication review");
  plan.mutable_actions(1)->clear_owning_team();
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid,
                       "care_plan.actions[1].owning_team: must be "
                       "set"));
  plan.mutable_actions(1)->set_owning_team("cmht");
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.actions[1].owning_team: "
                                           "\"cmht\" is not a resource name")));
}

TEST(ActionsValidationTest, CountStatusDatesAndIds) {
  v1::CarePlan plan;
  for (int i = 0; i < 101; ++i) AddAction(plan, "x");
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.actions: must have at "
                                           "most 100")));
  plan.Clear();
  AddAction(plan, "x")->set_status(static_cast<v1::Action::Status>(42));
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.actions[0].status")));
  plan.mutable_actions(0)->set_status(v1::Action::ON_HOLD);
  v1::Date* due = plan.mutable_actions(0)->mutable_due_date();
  due->set_year(2026);
  due->set_month(2);
  due->set_day(30);
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid,
                       "care_plan.actions[0].due_date: 2026-02-30 "
                       "is not a date"));
  due->set_day(28);
  plan.mutable_actions(0)->mutable_review_date()->set_month(3);
  EXPECT_THAT(
      Check({"actions"}, plan),
      StatusIs(kInvalid, HasSubstr("care_plan.actions[0].review_date")));
  plan.mutable_actions(0)->clear_review_date();
  plan.mutable_actions(0)->set_id("a2-1");
  AddAction(plan, "y")->set_id("a2-1");
  EXPECT_THAT(Check({"actions"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.actions[1].id")));
}

// --- Crisis plan ---

TEST(CrisisPlanValidationTest, TextsUpTo4000Characters) {
  v1::CarePlan plan;
  plan.mutable_crisis_plan()->set_what_helps(std::string(4000, 'h'));
  EXPECT_THAT(Check({"crisis_plan"}, plan), IsOk());
  plan.mutable_crisis_plan()->set_advance_statements(std::string(4001, 'a'));
  EXPECT_THAT(Check({"crisis_plan"}, plan),
              StatusIs(kInvalid, HasSubstr("care_plan.crisis_plan."
                                           "advance_statements: must be at "
                                           "most 4000")));
}

TEST(CrisisPlanValidationTest, ContactsNeedNameAndHowToContact) {
  v1::CarePlan plan;
  v1::CrisisContact* contact = plan.mutable_crisis_plan()->add_contacts();
  contact->set_name("Sam (sister)");
  contact->set_how_to_contact("07700 900123");
  EXPECT_THAT(Check({"crisis_plan"}, plan), IsOk());
  contact->clear_how_to_contact();
  EXPECT_THAT(Check({"crisis_plan.contacts"}, plan),
              StatusIs(kInvalid,
                       "care_plan.crisis_plan.contacts[0]."
                       "how_to_contact: must be set"));
  contact->set_how_to_contact("x");
  contact->set_name("");
  EXPECT_THAT(Check({"crisis_plan"}, plan),
              StatusIs(kInvalid, HasSubstr("contacts[0].name: must be set")));
  contact->set_name("Sam");
  contact->set_relationship(std::string(201, 'r'));
  EXPECT_THAT(Check({"crisis_plan"}, plan),
              StatusIs(kInvalid, HasSubstr("contacts[0].relationship")));
  contact->set_relationship("");
  contact->set_when_to_contact(std::string(2001, 'w'));
  EXPECT_THAT(Check({"crisis_plan"}, plan),
              StatusIs(kInvalid, HasSubstr("contacts[0].when_to_contact")));
  contact->set_when_to_contact("");
  for (int i = 0; i < 20; ++i)
    *plan.mutable_crisis_plan()->add_contacts() = *contact;
  EXPECT_THAT(Check({"crisis_plan"}, plan),
              StatusIs(kInvalid, HasSubstr("contacts: must have at most 20")));
}

// --- Communication preferences ---

TEST(CommunicationValidationTest, MethodsKnownSetAndOnceEach) {
  v1::CarePlan plan;
  auto* prefs = plan.mutable_communication_preferences();
  prefs->add_contact_methods(v1::TEXT_MESSAGE);
  prefs->add_contact_methods(v1::LETTER);
  EXPECT_THAT(Check({"communication_preferences"}, plan), IsOk());
  prefs->add_contact_methods(v1::TEXT_MESSAGE);
  EXPECT_THAT(Check({"communication_preferences.contact_methods"}, plan),
              StatusIs(kInvalid,
                       "care_plan.communication_preferences."
                       "contact_methods[2]: TEXT_MESSAGE is given "
                       "more than once"));
  prefs->set_contact_methods(2, v1::CONTACT_METHOD_UNSPECIFIED);
  EXPECT_THAT(Check({"communication_preferences"}, plan),
              StatusIs(kInvalid, HasSubstr("contact_methods[2]: must be set")));
  prefs->set_contact_methods(2, static_cast<v1::ContactMethod>(77));
  EXPECT_THAT(Check({"communication_preferences"}, plan),
              StatusIs(kInvalid, HasSubstr("unknown value 77")));
}

TEST(CommunicationValidationTest, TextsAndSupporters) {
  v1::CarePlan plan;
  auto* prefs = plan.mutable_communication_preferences();
  prefs->set_interpreter_language(std::string(201, 'l'));
  EXPECT_THAT(Check({"communication_preferences"}, plan),
              StatusIs(kInvalid, HasSubstr("interpreter_language: must be at "
                                           "most 200")));
  prefs->set_interpreter_language("BSL");
  prefs->set_other(std::string(2001, 'o'));
  EXPECT_THAT(Check({"communication_preferences"}, plan),
              StatusIs(kInvalid, HasSubstr("communication_preferences.other")));
  prefs->set_other("");
  prefs->add_supporters()->set_relationship("friend");
  EXPECT_THAT(Check({"communication_preferences"}, plan),
              StatusIs(kInvalid,
                       "care_plan.communication_preferences."
                       "supporters[0].name: must be set"));
  prefs->mutable_supporters(0)->set_name("Jo");
  for (int i = 0; i < 10; ++i) *prefs->add_supporters() = prefs->supporters(0);
  EXPECT_THAT(Check({"communication_preferences"}, plan),
              StatusIs(kInvalid, HasSubstr("supporters: must have at most "
                                           "10")));
}

// --- Only what the mask names ---

TEST(MaskedContentTest, SectionsOutsideTheMaskAreIgnored) {
  v1::CarePlan plan;
  AddGoal(plan, "");  // invalid, not masked
  plan.mutable_crisis_plan()->set_triggers(std::string(5000, 't'));
  plan.mutable_review_date()->set_day(40);
  plan.mutable_crisis_plan()->set_what_helps("Music and a walk");
  EXPECT_THAT(Check({"crisis_plan.what_helps"}, plan), IsOk());
  EXPECT_THAT(Check({"crisis_plan.triggers"}, plan), StatusIs(kInvalid));
  EXPECT_THAT(Check({"review_date"}, plan), StatusIs(kInvalid));
  EXPECT_THAT(Check({"goals"}, plan), StatusIs(kInvalid));
}

}  // namespace
}  // namespace carebridge::careplan
