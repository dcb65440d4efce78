#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DIFF_TEST_PLANS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DIFF_TEST_PLANS_H_

// The plan the diff tests edit, and matchers for what DiffSections says.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "services/careplan/careplan_diff.h"
#include "services/common/time_util.h"

namespace carebridge::careplan::diff_test {

using v1::CarePlan;
using v1::FieldChange;
using v1::Section;

inline const absl::Time kT0 = absl::FromUnixSeconds(1767225600);  // 2026-01-01

inline v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// A plan as the service stores it: two goals, two actions, a crisis plan
// with two contacts, communication preferences, a review date, one team.
inline CarePlan BasePlan() {
  CarePlan plan;
  plan.set_person("persons/p1");
  plan.set_version(3);
  v1::Goal& sleep = *plan.add_goals();
  sleep.set_id("g1-1");
  sleep.set_description("Sleep through the night");
  sleep.set_status(v1::Goal::ACTIVE);
  v1::Goal& swim = *plan.add_goals();
  swim.set_id("g1-2");
  swim.set_description("Get back to swimming");
  swim.set_status(v1::Goal::ACTIVE);
  *swim.mutable_target_date() = MakeDate(2026, 6, 1);
  v1::Action& review = *plan.add_actions();
  review.set_id("a1-1");
  review.set_description("Review medication");
  review.set_owning_team("teams/cmht");
  review.set_status(v1::Action::SCHEDULED);
  v1::Action& group = *plan.add_actions();
  group.set_id("a1-2");
  group.set_description("Peer support group");
  group.set_owning_team("teams/vcs");
  group.set_status(v1::Action::IN_PROGRESS);
  v1::CrisisPlan& crisis = *plan.mutable_crisis_plan();
  crisis.set_early_warning_signs("Not sleeping, stops answering texts");
  crisis.set_what_helps("A calm voice; time outside");
  crisis.set_what_to_avoid("Being told to calm down");
  v1::CrisisContact& sister = *crisis.add_contacts();
  sister.set_name("Anna");
  sister.set_relationship("sister");
  sister.set_how_to_contact("07700 900001");
  v1::CrisisContact& team = *crisis.add_contacts();
  team.set_name("Crisis line");
  team.set_how_to_contact("0800 000 000");
  v1::CommunicationPreferences& comms =
      *plan.mutable_communication_preferences();
  comms.add_contact_methods(v1::TEXT_MESSAGE);
  comms.add_contact_methods(v1::PHONE_CALL);
  comms.set_contact_times("Afternoons");
  v1::Supporter& friend_ = *comms.add_supporters();
  friend_.set_name("Sam");
  friend_.set_relationship("friend");
  *plan.mutable_review_date() = MakeDate(2026, 3, 5);
  v1::CareTeamMember& cmht = *plan.add_care_team();
  cmht.set_team("teams/cmht");
  cmht.set_role("care coordination");
  *cmht.mutable_start_time() = ToProtoTimestamp(kT0);
  cmht.set_lead(true);
  plan.set_lead_team("teams/cmht");
  return plan;
}

MATCHER_P4(IsChange, kind, path, before, after, "") {
  return ::testing::ExplainMatchResult(
      ::testing::AllOf(
          ::testing::Property("kind", &FieldChange::kind, kind),
          ::testing::Property("path", &FieldChange::path, path),
          ::testing::Property("before", &FieldChange::before, before),
          ::testing::Property("after", &FieldChange::after, after)),
      arg, result_listener);
}

inline std::vector<Section> SectionsOf(
    const std::vector<v1::SectionDiff>& diffs) {
  std::vector<Section> sections;
  for (const v1::SectionDiff& diff : diffs) sections.push_back(diff.section());
  return sections;
}

// The changes of the one section that differs; fails when others differ.
inline std::vector<FieldChange> OnlySection(const CarePlan& from,
                                            const CarePlan& to,
                                            Section section) {
  std::vector<v1::SectionDiff> diffs = DiffSections(from, to);
  EXPECT_THAT(SectionsOf(diffs), ::testing::ElementsAre(section));
  if (diffs.size() != 1) return {};
  EXPECT_FALSE(diffs[0].has_last_changed());
  return {diffs[0].changes().begin(), diffs[0].changes().end()};
}

}  // namespace carebridge::careplan::diff_test

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DIFF_TEST_PLANS_H_
