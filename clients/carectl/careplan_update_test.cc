#include "clients/carectl/careplan_update.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Binds `args` against the flags of `careplan update`, with --reason.
Flags UpdateFlags(std::vector<std::string> args) {
  args.push_back("--reason=Review with the person");
  auto line = Tokenize(args);
  EXPECT_TRUE(line.ok());
  auto flags = Flags::Bind(line->flags, CarePlanUpdateFlags());
  EXPECT_TRUE(flags.ok()) << flags.status();
  return *flags;
}

// The request the flags make without reading the plan.
cp::UpdateCarePlanRequest FromFlags(const std::vector<std::string>& args) {
  auto update = CarePlanUpdate::FromFlags("persons/p1", UpdateFlags(args));
  EXPECT_TRUE(update.ok()) << update.status();
  if (!update.ok()) return cp::UpdateCarePlanRequest();
  EXPECT_FALSE(update->NeedsCurrentPlan());
  auto request = update->Build(cp::CarePlan());
  EXPECT_TRUE(request.ok()) << request.status();
  return request.ok() ? *request : cp::UpdateCarePlanRequest();
}

// The usage error the flags make.
std::string FlagsError(const std::vector<std::string>& args) {
  auto update = CarePlanUpdate::FromFlags("persons/p1", UpdateFlags(args));
  EXPECT_FALSE(update.ok());
  return update.ok() ? "" : std::string(update.status().message());
}

// A plan as read: goals g1-1 and g2-1, action a1-1, version and etag 4.
cp::CarePlan CurrentPlan() {
  cp::CarePlan plan;
  plan.set_name("persons/p1/carePlan");
  plan.set_etag("4");
  plan.set_version(4);
  cp::Goal* g1 = plan.add_goals();
  g1->set_id("g1-1");
  g1->set_description("Get back to work");
  g1->set_status(cp::Goal::ACTIVE);
  cp::Goal* g2 = plan.add_goals();
  g2->set_id("g2-1");
  g2->set_description("Sleep better");
  g2->set_status(cp::Goal::ACTIVE);
  cp::Action* a1 = plan.add_actions();
  a1->set_id("a1-1");
  a1->set_description("Weekly check-in");
  a1->set_owning_team("teams/cmht");
  a1->set_status(cp::Action::IN_PROGRESS);
  return plan;
}

// The request the flags make after reading CurrentPlan().
absl::StatusOr<cp::UpdateCarePlanRequest> OnCurrentPlan(
    const std::vector<std::string>& args) {
  auto update = CarePlanUpdate::FromFlags("p1", UpdateFlags(args));
  EXPECT_TRUE(update.ok()) << update.status();
  if (!update.ok()) return update.status();
  EXPECT_TRUE(update->NeedsCurrentPlan());
  return update->Build(CurrentPlan());
}

TEST(CarePlanUpdateFlagsTest, EachCrisisTextFlagIsItsOwnPath) {
  cp::UpdateCarePlanRequest request = FromFlags(
      {"--early_warning_signs=Not sleeping", "--triggers=Crowds",
       "--what_helps=A walk\nwith my dog",
       "--what_to_avoid=Raised "
       "voices",
       "--preferred_response=Home treatment",
       "--advance_statements=No restraint", "--etag=3", "--request_id=rq1"});
  EXPECT_EQ(request.care_plan().name(), "persons/p1/carePlan");
  EXPECT_EQ(request.reason(), "Review with the person");
  EXPECT_EQ(request.etag(), "3");
  EXPECT_EQ(request.request_id(), "rq1");
  EXPECT_THAT(
      request.update_mask().paths(),
      ElementsAre("crisis_plan.early_warning_signs", "crisis_plan.triggers",
                  "crisis_plan.what_helps", "crisis_plan.what_to_avoid",
                  "crisis_plan.preferred_response",
                  "crisis_plan.advance_statements"));
  const cp::CrisisPlan& crisis = request.care_plan().crisis_plan();
  EXPECT_EQ(crisis.early_warning_signs(), "Not sleeping");
  EXPECT_EQ(crisis.triggers(), "Crowds");
  EXPECT_EQ(crisis.what_helps(), "A walk\nwith my dog");
  EXPECT_EQ(crisis.what_to_avoid(), "Raised voices");
  EXPECT_EQ(crisis.preferred_response(), "Home treatment");
  EXPECT_EQ(crisis.advance_statements(), "No restraint");
}

TEST(CarePlanUpdateFlagsTest, PathsFollowTheOrderOfTheFlags) {
  cp::UpdateCarePlanRequest request =
      FromFlags({"--review_date=2026-09-01", "--what_helps=Music",
                 "--contact_times=Mornings"});
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("review_date", "crisis_plan.what_helps",
                          "communication_preferences.contact_times"));
}

TEST(CarePlanUpdateFlagsTest, EmptyTextClearsTheField) {
  cp::UpdateCarePlanRequest request = FromFlags({"--triggers="});
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("crisis_plan.triggers"));
  EXPECT_EQ(request.care_plan().crisis_plan().triggers(), "");
}

TEST(CarePlanUpdateFlagsTest, CrisisContactsReplaceTheListInOrder) {
  cp::UpdateCarePlanRequest request = FromFlags(
      {"--crisis_contact=Jo Smith | sister | 07700 900123 | evenings",
       "--crisis_contact=Crisis line||0800 123||",
       "--crisis_contact=Sam|friend|sam@example.org|only if Jo | is away"});
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("crisis_plan.contacts"));
  const auto& contacts = request.care_plan().crisis_plan().contacts();
  ASSERT_EQ(contacts.size(), 3);
  EXPECT_EQ(contacts[0].name(), "Jo Smith");
  EXPECT_EQ(contacts[0].relationship(), "sister");
  EXPECT_EQ(contacts[0].how_to_contact(), "07700 900123");
  EXPECT_EQ(contacts[0].when_to_contact(), "evenings");
  EXPECT_EQ(contacts[1].name(), "Crisis line");
  EXPECT_EQ(contacts[1].relationship(), "");
  EXPECT_EQ(contacts[1].how_to_contact(), "0800 123");
  // The last part takes the rest, '|' included.
  EXPECT_EQ(contacts[2].when_to_contact(), "only if Jo | is away");
}

TEST(CarePlanUpdateFlagsTest, CrisisContactWhenMayBeLeftOut) {
  cp::UpdateCarePlanRequest request =
      FromFlags({"--crisis_contact=Jo|sister|07700"});
  ASSERT_EQ(request.care_plan().crisis_plan().contacts_size(), 1);
  EXPECT_EQ(request.care_plan().crisis_plan().contacts(0).when_to_contact(),
            "");
}

TEST(CarePlanUpdateFlagsTest, EmptyCrisisContactClearsTheList) {
  cp::UpdateCarePlanRequest request = FromFlags({"--crisis_contact="});
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("crisis_plan.contacts"));
  EXPECT_EQ(request.care_plan().crisis_plan().contacts_size(), 0);
}

TEST(CarePlanUpdateFlagsTest, BadCrisisContacts) {
  EXPECT_THAT(FlagsError({"--crisis_contact=Jo|sister"}),
              HasSubstr("--crisis_contact: expected \"NAME|RELATIONSHIP|HOW "
                        "TO CONTACT|WHEN\", not \"Jo|sister\""));
  EXPECT_THAT(FlagsError({"--crisis_contact=|sister|07700|x"}),
              HasSubstr("--crisis_contact: name and how to contact are "
                        "required"));
  EXPECT_THAT(FlagsError({"--crisis_contact=Jo|sister| |x"}),
              HasSubstr("--crisis_contact: name and how to contact are "
                        "required"));
  EXPECT_THAT(FlagsError({"--crisis_contact=Jo||1", "--crisis_contact="}),
              HasSubstr("--crisis_contact: an empty value clears the list; "
                        "give it alone"));
}

TEST(CarePlanUpdateFlagsTest, CommunicationFields) {
  cp::UpdateCarePlanRequest request = FromFlags(
      {"--contact_methods=text_message, PHONE_CALL", "--contact_times=After 10",
       "--interpreter_language=Polish", "--accessibility_needs=Large print",
       "--communication_other=Please use my first name",
       "--supporter=Ann|mother|07700 1|yes", "--supporter=Bo|advocate||No"});
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("communication_preferences.contact_methods",
                          "communication_preferences.contact_times",
                          "communication_preferences.interpreter_language",
                          "communication_preferences.accessibility_needs",
                          "communication_preferences.other",
                          "communication_preferences.supporters"));
  const cp::CommunicationPreferences& prefs =
      request.care_plan().communication_preferences();
  EXPECT_THAT(prefs.contact_methods(),
              ElementsAre(cp::TEXT_MESSAGE, cp::PHONE_CALL));
  EXPECT_EQ(prefs.contact_times(), "After 10");
  EXPECT_EQ(prefs.interpreter_language(), "Polish");
  EXPECT_EQ(prefs.accessibility_needs(), "Large print");
  EXPECT_EQ(prefs.other(), "Please use my first name");
  ASSERT_EQ(prefs.supporters_size(), 2);
  EXPECT_EQ(prefs.supporters(0).name(), "Ann");
  EXPECT_EQ(prefs.supporters(0).relationship(), "mother");
  EXPECT_EQ(prefs.supporters(0).contact(), "07700 1");
  EXPECT_TRUE(prefs.supporters(0).may_be_contacted());
  EXPECT_EQ(prefs.supporters(1).contact(), "");
  EXPECT_FALSE(prefs.supporters(1).may_be_contacted());
}

TEST(CarePlanUpdateFlagsTest, EmptyListsClear) {
  cp::UpdateCarePlanRequest request =
      FromFlags({"--contact_methods=", "--supporter="});
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("communication_preferences.contact_methods",
                          "communication_preferences.supporters"));
  EXPECT_EQ(
      request.care_plan().communication_preferences().contact_methods_size(),
      0);
  EXPECT_EQ(request.care_plan().communication_preferences().supporters_size(),
            0);
}

TEST(CarePlanUpdateFlagsTest, BadCommunicationValues) {
  EXPECT_THAT(FlagsError({"--contact_methods=phone_call,pigeon"}),
              HasSubstr("--contact_methods: 'pigeon' is not one of "
                        "phone_call, text_message, email, letter, in_person, "
                        "video_call"));
  EXPECT_THAT(FlagsError({"--supporter=Ann|mother|07700"}),
              HasSubstr("--supporter: expected \"NAME|RELATIONSHIP|CONTACT|"
                        "yes or no\""));
  EXPECT_THAT(FlagsError({"--supporter=Ann|mother|07700|maybe"}),
              HasSubstr("--supporter: a name and whether teams may contact "
                        "them (yes or no) are required"));
  EXPECT_THAT(FlagsError({"--supporter=|mother|07700|yes"}),
              HasSubstr("--supporter: a name and whether"));
  EXPECT_THAT(FlagsError({"--supporter=", "--supporter=Ann|||yes"}),
              HasSubstr("--supporter: an empty value clears the list"));
}

TEST(CarePlanUpdateFlagsTest, ReviewDateSetOrCleared) {
  cp::UpdateCarePlanRequest set = FromFlags({"--review_date=2026-09-01"});
  EXPECT_THAT(set.update_mask().paths(), ElementsAre("review_date"));
  EXPECT_EQ(set.care_plan().review_date().year(), 2026);
  EXPECT_EQ(set.care_plan().review_date().month(), 9);
  EXPECT_EQ(set.care_plan().review_date().day(), 1);
  cp::UpdateCarePlanRequest cleared = FromFlags({"--review_date="});
  EXPECT_THAT(cleared.update_mask().paths(), ElementsAre("review_date"));
  EXPECT_FALSE(cleared.care_plan().has_review_date());
}

TEST(CarePlanUpdateFlagsTest, BadReviewDate) {
  EXPECT_EQ(FlagsError({"--review_date=2026-02-30"}),
            "--review_date: '2026-02-30' is not a date (use YYYY-MM-DD)");
}

TEST(CarePlanUpdateFlagsTest, NothingToChangeIsAUsageError) {
  EXPECT_THAT(FlagsError({"--etag=3"}), HasSubstr("give something to change"));
}

TEST(CarePlanUpdateFlagsTest, MaskNeedsAFile) {
  EXPECT_THAT(FlagsError({"--mask=goals", "--what_helps=x"}),
              HasSubstr("--mask: only with --from_file"));
}

TEST(CarePlanUpdateFlagsTest, BadPlanIsAUsageError) {
  auto update =
      CarePlanUpdate::FromFlags("teams/t1", UpdateFlags({"--what_helps=x"}));
  ASSERT_FALSE(update.ok());
  EXPECT_THAT(update.status().message(), HasSubstr("PLAN: expected"));
}

TEST(CarePlanUpdateGoalsTest, AddedGoalsFollowTheCurrentOnes) {
  auto request = OnCurrentPlan({"--add_goal=See my sister more",
                                "--add_goal=Find a course",
                                "--goal_target_date=2026-12-01"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->update_mask().paths(), ElementsAre("goals"));
  EXPECT_EQ(request->etag(), "4");  // the etag just read
  const auto& goals = request->care_plan().goals();
  ASSERT_EQ(goals.size(), 4);
  EXPECT_EQ(goals[0].id(), "g1-1");
  EXPECT_EQ(goals[1].id(), "g2-1");
  EXPECT_EQ(goals[2].id(), "");
  EXPECT_EQ(goals[2].description(), "See my sister more");
  EXPECT_EQ(goals[2].status(), cp::Goal::STATUS_UNSPECIFIED);
  EXPECT_EQ(goals[2].target_date().year(), 2026);
  EXPECT_EQ(goals[3].description(), "Find a course");
  EXPECT_EQ(goals[3].target_date().month(), 12);
  EXPECT_EQ(request->care_plan().actions_size(), 0);
}

TEST(CarePlanUpdateGoalsTest, AddedGoalWithoutTargetDateHasNone) {
  auto request = OnCurrentPlan({"--add_goal=Walk daily"});
  ASSERT_TRUE(request.ok());
  EXPECT_FALSE(request->care_plan().goals(2).has_target_date());
}

TEST(CarePlanUpdateGoalsTest, StatusAndRemoval) {
  auto request = OnCurrentPlan(
      {"--goal_status=g1-1=achieved", "--remove_goal=g2-1", "--etag=3"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->etag(), "3");  // --etag wins over the etag read
  const auto& goals = request->care_plan().goals();
  ASSERT_EQ(goals.size(), 1);
  EXPECT_EQ(goals[0].id(), "g1-1");
  EXPECT_EQ(goals[0].status(), cp::Goal::ACHIEVED);
  EXPECT_EQ(goals[0].description(), "Get back to work");
}

TEST(CarePlanUpdateGoalsTest, UnknownIdNamesThePlansIds) {
  auto status = OnCurrentPlan({"--goal_status=g9-1=paused"});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().message(),
            "--goal_status: persons/p1/carePlan has no goal g9-1 (its goals "
            "are g1-1, g2-1)");
  auto removed = OnCurrentPlan({"--remove_goal=g9-1"});
  ASSERT_FALSE(removed.ok());
  EXPECT_THAT(removed.status().message(),
              HasSubstr("--remove_goal: persons/p1/carePlan has no goal g9-1"));
}

TEST(CarePlanUpdateGoalsTest, PlanWithoutGoalsSaysSo) {
  auto update =
      CarePlanUpdate::FromFlags("p1", UpdateFlags({"--remove_goal=g1-1"}));
  ASSERT_TRUE(update.ok());
  cp::CarePlan empty;
  empty.set_name("persons/p1/carePlan");
  auto request = update->Build(empty);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().message(),
            "--remove_goal: persons/p1/carePlan has no goal g1-1 (it has no "
            "goals)");
}

TEST(CarePlanUpdateGoalsTest, NewPlanIsCreatedWithoutEtag) {
  auto update =
      CarePlanUpdate::FromFlags("p1", UpdateFlags({"--add_goal=Feel safe"}));
  ASSERT_TRUE(update.ok());
  auto request = update->Build(cp::CarePlan());
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->etag(), "");
  ASSERT_EQ(request->care_plan().goals_size(), 1);
}

TEST(CarePlanUpdateGoalsTest, BadGoalFlags) {
  EXPECT_EQ(FlagsError({"--goal_target_date=2026-01-01"}),
            "--goal_target_date: applies to the goals added with --add_goal; "
            "give one");
  EXPECT_EQ(FlagsError({"--add_goal=x", "--goal_target_date=2026-02-31"}),
            "--goal_target_date: '2026-02-31' is not a date (use YYYY-MM-DD)");
  EXPECT_EQ(FlagsError({"--add_goal=  "}),
            "--add_goal: the goal's words are required");
  EXPECT_EQ(FlagsError({"--goal_status=g1-1"}),
            "--goal_status: expected ID=STATUS (e.g. g3-1=achieved), not "
            "'g1-1'");
  EXPECT_THAT(FlagsError({"--goal_status==achieved"}),
              HasSubstr("expected ID=STATUS"));
  EXPECT_THAT(FlagsError({"--goal_status=g1-1="}),
              HasSubstr("expected ID=STATUS"));
  EXPECT_EQ(FlagsError({"--goal_status=g1-1=done"}),
            "--goal_status: 'done' is not one of active, achieved, paused");
  EXPECT_EQ(FlagsError({"--remove_goal="}),
            "--remove_goal: give an id (e.g. g3-1)");
}

TEST(CarePlanUpdateActionsTest, AddedActions) {
  auto request = OnCurrentPlan({"--add_action=Peer support group|voluntary",
                                "--add_action=Medication review|teams/gp|"
                                "2026-03-01",
                                "--add_action=Call weekly|teams/cmht| "});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->update_mask().paths(), ElementsAre("actions"));
  const auto& actions = request->care_plan().actions();
  ASSERT_EQ(actions.size(), 4);
  EXPECT_EQ(actions[0].id(), "a1-1");
  EXPECT_EQ(actions[1].description(), "Peer support group");
  EXPECT_EQ(actions[1].owning_team(), "teams/voluntary");
  EXPECT_FALSE(actions[1].has_due_date());
  EXPECT_EQ(actions[2].owning_team(), "teams/gp");
  EXPECT_EQ(actions[2].due_date().year(), 2026);
  EXPECT_EQ(actions[2].due_date().month(), 3);
  EXPECT_FALSE(actions[3].has_due_date());
  EXPECT_EQ(request->care_plan().goals_size(), 0);
}

TEST(CarePlanUpdateActionsTest, StatusAndRemoval) {
  auto status = OnCurrentPlan({"--action_status=a1-1=completed"});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->care_plan().actions(0).status(), cp::Action::COMPLETED);
  auto removed = OnCurrentPlan({"--remove_action=a1-1"});
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(removed->update_mask().paths(), ElementsAre("actions"));
  EXPECT_EQ(removed->care_plan().actions_size(), 0);
  auto unknown = OnCurrentPlan({"--action_status=a7-1=on_hold"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "--action_status: persons/p1/carePlan has no action a7-1 (its "
            "actions are a1-1)");
}

TEST(CarePlanUpdateActionsTest, GoalsActionsAndFieldsInOneVersion) {
  auto request = OnCurrentPlan({"--what_helps=Music", "--add_goal=Rest",
                                "--action_status=a1-1=on_hold", "--etag=4"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->etag(), "4");
  EXPECT_THAT(request->update_mask().paths(),
              ElementsAre("crisis_plan.what_helps", "goals", "actions"));
  EXPECT_EQ(request->care_plan().crisis_plan().what_helps(), "Music");
  EXPECT_EQ(request->care_plan().goals_size(), 3);
  EXPECT_EQ(request->care_plan().actions_size(), 1);
}

// The etag just read covers the lists just read, not text the caller may
// not have seen: a field flag must not overwrite a colleague's change to it.
TEST(CarePlanUpdateActionsTest, FieldFlagsWithGoalFlagsStillNeedTheEtag) {
  auto request = OnCurrentPlan({"--what_helps=Music", "--add_goal=Rest"});
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().message(),
            "--etag: required to change crisis_plan.what_helps together with "
            "goals or actions: give --etag=ETAG from `carectl careplan show "
            "persons/p1/carePlan` after checking crisis_plan.what_helps is "
            "what you mean to replace");
  // On a plan not written yet there is nothing to overwrite.
  auto update = CarePlanUpdate::FromFlags(
      "p1", UpdateFlags({"--what_helps=Music", "--add_goal=Rest"}));
  ASSERT_TRUE(update.ok());
  cp::CarePlan not_written;
  not_written.set_name("persons/p1/carePlan");
  auto created = update->Build(not_written);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->etag(), "");
}

TEST(CarePlanUpdateActionsTest, BadActionFlags) {
  EXPECT_THAT(FlagsError({"--add_action=Just words"}),
              HasSubstr("--add_action: expected \"WHAT|TEAM|DUE (YYYY-MM-DD, "
                        "may be empty)\", not \"Just words\""));
  EXPECT_THAT(FlagsError({"--add_action=Call| |2026-01-01"}),
              HasSubstr("--add_action: what and the owning team are required"));
  EXPECT_THAT(FlagsError({"--add_action=|teams/x"}),
              HasSubstr("--add_action: what and the owning team are required"));
  EXPECT_EQ(FlagsError({"--add_action=Call|teams/x|next week"}),
            "--add_action: due date: 'next week' is not a date (use "
            "YYYY-MM-DD)");
  EXPECT_EQ(FlagsError({"--action_status=a1-1=finished"}),
            "--action_status: 'finished' is not one of not_started, "
            "scheduled, in_progress, on_hold, completed, cancelled, stopped");
  EXPECT_THAT(FlagsError({"--action_status=completed"}),
              HasSubstr("expected ID=STATUS (e.g. a2-1=completed)"));
  EXPECT_EQ(FlagsError({"--remove_action="}),
            "--remove_action: give an id (e.g. g3-1)");
  EXPECT_EQ(FlagsError({"--add_action=Call|members/m1|"}),
            "--add_action: TEAM: expected teams/ID or ID, not 'members/m1'");
}

// --from_file.

absl::StatusOr<cp::UpdateCarePlanRequest> FromFile(
    const std::string& json, const std::vector<std::string>& args = {}) {
  auto update = CarePlanUpdate::FromFile("persons/p1", UpdateFlags(args), json);
  if (!update.ok()) return update.status();
  EXPECT_FALSE(update->NeedsCurrentPlan());
  return update->Build(cp::CarePlan());
}

TEST(CarePlanUpdateFileTest, MaskIsTheSectionsInTheFile) {
  auto request = FromFile(R"({
    "reviewDate": {"year": 2026, "month": 9, "day": 1},
    "goals": [{"id": "g1-1", "description": "Work", "status": "ACHIEVED"},
              {"description": "Rest"}],
    "crisis_plan": {"what_helps": "Music"},
    "careTeam": [{"team": "teams/other", "lead": true}],
    "version": "4"
  })");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->update_mask().paths(),
              ElementsAre("goals", "crisis_plan", "review_date"));
  EXPECT_EQ(request->care_plan().name(), "persons/p1/carePlan");
  EXPECT_EQ(request->care_plan().goals_size(), 2);
  EXPECT_EQ(request->care_plan().goals(0).status(), cp::Goal::ACHIEVED);
  EXPECT_EQ(request->care_plan().crisis_plan().what_helps(), "Music");
  EXPECT_EQ(request->care_plan().review_date().day(), 1);
  // Output-only fields are not sent.
  EXPECT_EQ(request->care_plan().care_team_size(), 0);
  EXPECT_EQ(request->care_plan().version(), 0);
  EXPECT_EQ(request->reason(), "Review with the person");
}

TEST(CarePlanUpdateFileTest, EmptyListInTheFileClearsIt) {
  auto request = FromFile(R"({"actions": []})");
  ASSERT_TRUE(request.ok());
  EXPECT_THAT(request->update_mask().paths(), ElementsAre("actions"));
  EXPECT_EQ(request->care_plan().actions_size(), 0);
}

TEST(CarePlanUpdateFileTest, MaskFlagChoosesThePaths) {
  auto request =
      FromFile(R"({"goals": [{"description": "x"}], "crisis_plan": {}})",
               {"--mask=crisis_plan.what_helps, review_date"});
  ASSERT_TRUE(request.ok());
  EXPECT_THAT(request->update_mask().paths(),
              ElementsAre("crisis_plan.what_helps", "review_date"));
  auto every_field = FromFile(
      R"({"goals": []})",
      {"--mask=goals,actions,crisis_plan,communication_preferences,"
       "review_date,crisis_plan.contacts,communication_preferences.other"});
  EXPECT_TRUE(every_field.ok()) << every_field.status();
  auto empty = FromFile(R"({"goals": []})", {"--mask=,"});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "--mask: give at least one path (e.g. goals)");
}

TEST(CarePlanUpdateFileTest, MaskPathsTheServerRefusesAreUsageErrors) {
  auto unknown =
      FromFile(R"({"goals": []})", {"--mask=goals,crisis_plan.help"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "--mask: unknown path 'crisis_plan.help' (give goals, actions, "
            "crisis_plan, communication_preferences, review_date, or one field "
            "such as crisis_plan.what_helps or "
            "communication_preferences.contact_times)");
  auto team = FromFile(R"({"goals": []})", {"--mask=care_team"});
  ASSERT_FALSE(team.ok());
  EXPECT_THAT(team.status().message(),
              HasSubstr("`carectl careplan team add|end|lead`"));
  auto agreed = FromFile(R"({"goals": []})", {"--mask=agreed"});
  ASSERT_FALSE(agreed.ok());
  EXPECT_THAT(agreed.status().message(), HasSubstr("`carectl careplan agree`"));
  EXPECT_FALSE(FromFile(R"({"goals": []})", {"--mask=goals.description"}).ok());
}

TEST(CarePlanUpdateFileTest, EtagFromTheFileUnlessGiven) {
  auto from_file = FromFile(R"({"etag": "7", "goals": []})");
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->etag(), "7");
  auto given = FromFile(R"({"etag": "7", "goals": []})", {"--etag=8"});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->etag(), "8");
  auto none = FromFile(R"({"goals": []})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->etag(), "");
}

TEST(CarePlanUpdateFileTest, RequestIdIsSent) {
  auto request = FromFile(R"({"goals": []})", {"--request_id=r9"});
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->request_id(), "r9");
}

TEST(CarePlanUpdateFileTest, FileOfTheSamePlanOrOneOfItsVersions) {
  EXPECT_TRUE(FromFile(R"({"name": "persons/p1/carePlan", "goals": []})").ok());
  EXPECT_TRUE(
      FromFile(R"({"name": "persons/p1/carePlan/versions/2", "goals": []})")
          .ok());
  auto other = FromFile(R"({"name": "persons/p2/carePlan", "goals": []})");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message(),
            "--from_file: the file is persons/p2/carePlan, not "
            "persons/p1/carePlan");
  EXPECT_FALSE(
      FromFile(R"({"name": "persons/p10/carePlan", "goals": []})").ok());
}

TEST(CarePlanUpdateFileTest, BadFiles) {
  auto not_json = FromFile("goals: none");
  ASSERT_FALSE(not_json.ok());
  EXPECT_THAT(not_json.status().message(),
              HasSubstr("--from_file: not a CarePlan in JSON: "));
  auto unknown = FromFile(R"({"goalz": []})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("--from_file: not a CarePlan in JSON: "));
  auto bad_enum = FromFile(R"({"goals": [{"status": "DONE"}]})");
  ASSERT_FALSE(bad_enum.ok());
  auto nothing = FromFile(R"({"etag": "3", "careTeam": []})");
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.status().message(),
            "--from_file: the file has none of goals, actions, crisis_plan, "
            "communication_preferences, review_date: nothing to update");
}

TEST(CarePlanUpdateFileTest, SectionFlagsAreNotMixedIn) {
  auto mixed = FromFile(R"({"goals": []})", {"--what_helps=x"});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().message(),
            "--what_helps: give either --from_file or section flags, not both");
  EXPECT_FALSE(FromFile(R"({"goals": []})", {"--add_goal=x"}).ok());
}

}  // namespace
}  // namespace carebridge::carectl
