#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "services/careplan/careplan_diff.h"
#include "services/careplan/careplan_diff_test_plans.h"
#include "services/common/time_util.h"

namespace carebridge::careplan::diff_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// DiffSections on the care team and the agreement, and how sections come
// together; content sections are in careplan_diff_test.cc.

// --- Care team and lead ---

TEST(CarePlanDiffTest, TeamJoiningIsAddedWithRoleAndStart) {
  CarePlan to = BasePlan();
  v1::CareTeamMember& crisis = *to.add_care_team();
  crisis.set_team("teams/crisis");
  crisis.set_role("crisis support");
  *crisis.mutable_start_time() = ToProtoTimestamp(kT0 + absl::Minutes(90));
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::CARE_TEAM),
      ElementsAre(IsChange(FieldChange::ADDED, "care_team[teams/crisis]", "",
                           "role: crisis support; start_time: "
                           "2026-01-01T01:30:00Z")));
}

TEST(CarePlanDiffTest, TeamLeavingGetsAnEndTimeAndLosesTheLead) {
  CarePlan to = BasePlan();
  *to.mutable_care_team(0)->mutable_end_time() =
      ToProtoTimestamp(kT0 + absl::Hours(24) + absl::Milliseconds(250));
  to.mutable_care_team(0)->set_lead(false);
  to.clear_lead_team();
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::CARE_TEAM),
      ElementsAre(
          IsChange(FieldChange::ADDED, "care_team[teams/cmht].end_time", "",
                   "2026-01-02T00:00:00Z"),
          IsChange(FieldChange::MODIFIED, "care_team[teams/cmht].lead", "true",
                   "false"),
          IsChange(FieldChange::REMOVED, "lead_team", "teams/cmht", "")));
}

TEST(CarePlanDiffTest, LeadPassingShowsBothFlagsAndTheLeadTeam) {
  CarePlan from = BasePlan();
  v1::CareTeamMember& crisis = *from.add_care_team();
  crisis.set_team("teams/crisis");
  crisis.set_role("crisis support");
  *crisis.mutable_start_time() = ToProtoTimestamp(kT0);
  CarePlan to = from;
  to.mutable_care_team(0)->set_lead(false);
  to.mutable_care_team(1)->set_lead(true);
  to.set_lead_team("teams/crisis");
  EXPECT_THAT(
      OnlySection(from, to, v1::CARE_TEAM),
      ElementsAre(IsChange(FieldChange::MODIFIED, "care_team[teams/cmht].lead",
                           "true", "false"),
                  IsChange(FieldChange::MODIFIED,
                           "care_team[teams/crisis].lead", "false", "true"),
                  IsChange(FieldChange::MODIFIED, "lead_team", "teams/cmht",
                           "teams/crisis")));
}

TEST(CarePlanDiffTest, TeamRejoiningIsANewEntryBesideItsHistory) {
  CarePlan from = BasePlan();
  *from.mutable_care_team(0)->mutable_end_time() =
      ToProtoTimestamp(kT0 + absl::Hours(1));
  from.mutable_care_team(0)->set_lead(false);
  from.clear_lead_team();
  CarePlan to = from;
  v1::CareTeamMember& again = *to.add_care_team();
  again.set_team("teams/cmht");
  again.set_role("care coordination");
  *again.mutable_start_time() = ToProtoTimestamp(kT0 + absl::Hours(2));
  again.set_lead(true);
  to.set_lead_team("teams/cmht");
  EXPECT_THAT(
      OnlySection(from, to, v1::CARE_TEAM),
      ElementsAre(IsChange(FieldChange::ADDED, "care_team[teams/cmht]", "",
                           "role: care coordination; start_time: "
                           "2026-01-01T02:00:00Z; lead: true"),
                  IsChange(FieldChange::ADDED, "lead_team", "", "teams/cmht")));
}

// --- Agreement ---

TEST(CarePlanDiffTest, RecordedAgreementShowsItsFieldsAndTheFlag) {
  CarePlan to = BasePlan();
  v1::Agreement& agreement = *to.mutable_agreement();
  agreement.set_agreed_version("persons/p1/carePlan/versions/3");
  *agreement.mutable_agree_time() = ToProtoTimestamp(kT0);
  agreement.set_recorded_by("members/m1");
  agreement.set_recorded_by_team("teams/cmht");
  agreement.set_person_comment("This is what I want");
  to.set_agreed(true);
  EXPECT_THAT(
      OnlySection(BasePlan(), to, v1::AGREEMENT),
      ElementsAre(IsChange(FieldChange::ADDED, "agreement.agreed_version", "",
                           "persons/p1/carePlan/versions/3"),
                  IsChange(FieldChange::ADDED, "agreement.agree_time", "",
                           "2026-01-01T00:00:00Z"),
                  IsChange(FieldChange::ADDED, "agreement.recorded_by", "",
                           "members/m1"),
                  IsChange(FieldChange::ADDED, "agreement.recorded_by_team", "",
                           "teams/cmht"),
                  IsChange(FieldChange::ADDED, "agreement.person_comment", "",
                           "This is what I want"),
                  IsChange(FieldChange::MODIFIED, "agreed", "false", "true")));
}

TEST(CarePlanDiffTest, ContentChangeThatClearsAgreementShowsBoth) {
  CarePlan from = BasePlan();
  from.mutable_agreement()->set_agreed_version(
      "persons/p1/carePlan/versions/3");
  from.set_agreed(true);
  CarePlan to = from;
  to.mutable_goals(0)->set_status(v1::Goal::PAUSED);
  to.set_agreed(false);
  std::vector<v1::SectionDiff> diffs = DiffSections(from, to);
  EXPECT_THAT(SectionsOf(diffs), ElementsAre(v1::GOALS, v1::AGREEMENT));
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_THAT(
      diffs[1].changes(),
      ElementsAre(IsChange(FieldChange::MODIFIED, "agreed", "true", "false")));
}

// --- Sections together ---

// Each edit changes exactly the named section.
struct Edit {
  Section section;
  std::function<void(CarePlan&)> apply;
};

std::vector<Edit> OneEditPerSection() {
  return {
      {v1::GOALS,
       [](CarePlan& p) { p.mutable_goals(0)->set_description("x"); }},
      {v1::ACTIONS, [](CarePlan& p) { p.mutable_actions()->RemoveLast(); }},
      {v1::CRISIS_PLAN,
       [](CarePlan& p) {
         p.mutable_crisis_plan()->set_advance_statements("x");
       }},
      {v1::COMMUNICATION_PREFERENCES,
       [](CarePlan& p) {
         p.mutable_communication_preferences()->set_other("x");
       }},
      {v1::REVIEW_DATE, [](CarePlan& p) { p.clear_review_date(); }},
      {v1::CARE_TEAM,
       [](CarePlan& p) { p.mutable_care_team(0)->set_role("x"); }},
      {v1::AGREEMENT,
       [](CarePlan& p) { p.mutable_agreement()->set_person_comment("x"); }},
  };
}

TEST(CarePlanDiffTest, SectionsComeInSectionOrder) {
  CarePlan to = BasePlan();
  // Applied last section first, so the order comes from the diff.
  std::vector<Edit> edits = OneEditPerSection();
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) it->apply(to);
  const std::vector<Section> all = {
      v1::GOALS,       v1::ACTIONS,
      v1::CRISIS_PLAN, v1::COMMUNICATION_PREFERENCES,
      v1::REVIEW_DATE, v1::CARE_TEAM,
      v1::AGREEMENT};
  EXPECT_EQ(SectionsOf(DiffSections(BasePlan(), to)), all);
  EXPECT_EQ(ChangedSections(BasePlan(), to), all);
}

TEST(CarePlanDiffTest, ChangedSectionsNamesExactlyTheSectionsThatDiffer) {
  for (const Edit& edit : OneEditPerSection()) {
    SCOPED_TRACE(v1::Section_Name(edit.section));
    CarePlan to = BasePlan();
    edit.apply(to);
    EXPECT_THAT(ChangedSections(BasePlan(), to), ElementsAre(edit.section));
    std::vector<v1::SectionDiff> diffs = DiffSections(BasePlan(), to);
    EXPECT_THAT(SectionsOf(diffs), ElementsAre(edit.section));
    for (const v1::SectionDiff& diff : diffs) {
      EXPECT_THAT(diff.changes(), Not(IsEmpty()));
    }
    // And the other way round.
    EXPECT_THAT(ChangedSections(to, BasePlan()), ElementsAre(edit.section));
  }
}

TEST(CarePlanDiffTest, DiffBackwardsSwapsAddedAndRemoved) {
  CarePlan to = BasePlan();
  to.mutable_goals()->RemoveLast();
  std::vector<FieldChange> forward = OnlySection(BasePlan(), to, v1::GOALS);
  std::vector<FieldChange> backward = OnlySection(to, BasePlan(), v1::GOALS);
  ASSERT_EQ(forward.size(), 1u);
  ASSERT_EQ(backward.size(), 1u);
  EXPECT_EQ(forward[0].kind(), FieldChange::REMOVED);
  EXPECT_THAT(backward, UnorderedElementsAre(IsChange(FieldChange::ADDED,
                                                      forward[0].path(), "",
                                                      forward[0].before())));
}

}  // namespace
}  // namespace carebridge::careplan::diff_test
