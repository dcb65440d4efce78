#include "clients/carectl/careplan_format.h"

#include <sstream>

#include "clients/carectl/utc_times.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message));
  return message;
}

// Version 7 of a plan: agreed at version 5, changed since by the crisis
// team; a care team of two, one of whom has left.
cp::CarePlan FullPlan() {
  return Parse<cp::CarePlan>(R"pb(
    name: "persons/p1/carePlan"
    person: "persons/p1"
    version: 7
    etag: "7"
    goals {
      id: "g1-1"
      description: "Get back to work,\npart-time at first"
      status: ACTIVE
      target_date { year: 2026 month: 6 day: 1 }
    }
    goals { id: "g3-1" description: "Sleep better" status: ACHIEVED }
    actions {
      id: "a1-1"
      description: "Weekly check-in"
      owning_team: "teams/cmht"
      status: IN_PROGRESS
      due_date { year: 2026 month: 3 day: 1 }
      review_date { year: 2026 month: 2 day: 1 }
    }
    actions {
      id: "a2-10"
      description: "Peer group"
      owning_team: "teams/mind"
      status: NOT_STARTED
    }
    crisis_plan {
      early_warning_signs: "Not sleeping\nNot eating"
      what_helps: "A walk with my dog"
      contacts {
        name: "Jo Smith"
        relationship: "sister"
        how_to_contact: "07700 900123"
        when_to_contact: "Evenings"
      }
      contacts { name: "Crisis line" how_to_contact: "0800 123" }
    }
    communication_preferences {
      contact_methods: TEXT_MESSAGE
      contact_methods: PHONE_CALL
      interpreter_language: "Polish"
      supporters {
        name: "Ann"
        relationship: "mother"
        contact: "07700 1"
        may_be_contacted: true
      }
    }
    review_date { year: 2026 month: 9 day: 1 }
    care_team {
      team: "teams/cmht"
      role: "care coordination"
      lead: true
      start_time { seconds: 1767258000 }
    }
    care_team {
      team: "teams/crisis"
      role: "crisis support"
      start_time { seconds: 1767344400 }
      end_time { seconds: 1767430800 }
    }
    lead_team: "teams/cmht"
    agreement {
      agreed_version: "persons/p1/carePlan/versions/5"
      agree_time { seconds: 1767430800 }
      recorded_by: "members/m1"
      recorded_by_team: "teams/cmht"
      person_comment: "Happy with this"
    }
    agreed: false
    change {
      kind: CONTENT_UPDATED
      sections: GOALS
      sections: CRISIS_PLAN
      reason: "After review"
      actor: "members/m2"
      actor_team: "teams/crisis"
      time { seconds: 1767517200 }
    }
    section_stamps {
      section: CARE_TEAM
      version: 3
      update_time { seconds: 1767344400 }
      updated_by: "members/m1"
      updated_by_team: "teams/cmht"
    }
    section_stamps {
      section: GOALS
      version: 7
      update_time { seconds: 1767517200 }
      updated_by: "members/m2"
      updated_by_team: "teams/crisis"
    }
    section_stamps {
      section: CRISIS_PLAN
      version: 7
      update_time { seconds: 1767517200 }
      updated_by: "members/m2"
      updated_by_team: "teams/crisis"
    }
    section_stamps {
      section: ACTIONS
      version: 2
      update_time { seconds: 1767258000 }
      updated_by: "services/referral"
    }
    create_time { seconds: 1767258000 }
    update_time { seconds: 1767517200 }
  )pb");
}

cp::CarePlanDiff SampleDiff() {
  return Parse<cp::CarePlanDiff>(R"pb(
    from_version: "persons/p1/carePlan/versions/3"
    to_version: "persons/p1/carePlan/versions/7"
    sections {
      section: GOALS
      changes { kind: ADDED path: "goals[g6-1]" after: "Find a peer group" }
      changes {
        kind: MODIFIED
        path: "goals[g1-1].status"
        before: "active"
        after: "achieved"
      }
      changes { kind: REMOVED path: "goals[g2-1]" before: "Old words" }
      last_changed {
        section: GOALS
        version: 6
        update_time { seconds: 1767517200 }
        updated_by: "members/m2"
        updated_by_team: "teams/crisis"
      }
    }
    sections {
      section: CRISIS_PLAN
      changes {
        kind: MODIFIED
        path: "crisis_plan.what_helps"
        before: "Music\nWalks"
        after: "Music"
      }
    }
    versions {
      version: 7
      agreed: false
      change {
        kind: CONTENT_UPDATED
        sections: CRISIS_PLAN
        reason: "Crisis review"
        actor: "members/m2"
        actor_team: "teams/crisis"
        time { seconds: 1767517200 }
      }
    }
    versions {
      version: 6
      agreed: true
      change {
        kind: AGREEMENT_RECORDED
        sections: AGREEMENT
        actor: "members/m1"
        actor_team: "teams/cmht"
        time { seconds: 1767430800 }
      }
    }
  )pb");
}

// These read times as --utc prints them.
class FormatDateTest : public UtcTimesTest {};
class AgreementStatusTest : public UtcTimesTest {};
class StampTextTest : public UtcTimesTest {};
class PrintCarePlanTest : public UtcTimesTest {};
class PrintCarePlanSummaryTest : public UtcTimesTest {};
class PrintCareTeamTest : public UtcTimesTest {};
class PrintCarePlanVersionsTest : public UtcTimesTest {};
class PrintCarePlanVersionsInFullTest : public UtcTimesTest {};
class PrintCarePlanDiffTest : public UtcTimesTest {};

TEST_F(FormatDateTest, ZeroPaddedOrEmpty) {
  cp::Date date;
  EXPECT_EQ(FormatDate(date), "");
  date.set_year(2026);
  date.set_month(3);
  date.set_day(5);
  EXPECT_EQ(FormatDate(date), "2026-03-05");
}

TEST_F(AgreementStatusTest, NeverAgreed) {
  EXPECT_EQ(AgreementStatus(cp::CarePlan()),
            "NOT agreed: the person has not agreed any version");
}

TEST_F(AgreementStatusTest, AgreedSaysWhenByWhomAndThePersonsWords) {
  cp::CarePlan plan = FullPlan();
  plan.set_agreed(true);
  plan.mutable_agreement()->set_person_comment("Happy with\nthis");
  EXPECT_EQ(AgreementStatus(plan),
            "agreed with the person (version 5, 2026-01-03T09:00:00Z, "
            "recorded by members/m1 (teams/cmht): \"Happy with this\")");
  plan.mutable_agreement()->clear_person_comment();
  EXPECT_EQ(AgreementStatus(plan),
            "agreed with the person (version 5, 2026-01-03T09:00:00Z, "
            "recorded by members/m1 (teams/cmht))");
}

TEST_F(AgreementStatusTest, ChangedSinceAgreementIsNotAgreed) {
  EXPECT_EQ(AgreementStatus(FullPlan()),
            "NOT agreed: changed since the person agreed version 5");
}

TEST_F(StampTextTest, VersionTimeAndWho) {
  cp::SectionStamp stamp = FullPlan().section_stamps(0);
  EXPECT_EQ(StampText(stamp),
            "version 3, 2026-01-02T09:00:00Z, by members/m1 (teams/cmht)");
  stamp.clear_updated_by_team();
  stamp.set_updated_by("services/referral");
  EXPECT_EQ(StampText(stamp),
            "version 3, 2026-01-02T09:00:00Z, by services/referral");
}

TEST_F(PrintCarePlanTest, SectionBySectionWithWhoChangedEach) {
  std::ostringstream out;
  PrintCarePlan(out, FullPlan());
  EXPECT_EQ(out.str(),
            "plan:         persons/p1/carePlan\n"
            "version:      7\n"
            "etag:         7\n"
            "agreement:    NOT agreed: changed since the person agreed "
            "version 5\n"
            "lead team:    teams/cmht\n"
            "last change:  content_updated (goals, crisis_plan), "
            "2026-01-04T09:00:00Z, by members/m2 (teams/crisis): \"After "
            "review\"\n"
            "created:      2026-01-01T09:00:00Z\n"
            "updated:      2026-01-04T09:00:00Z\n"
            "\n"
            "CARE TEAM  (last changed: version 3, 2026-01-02T09:00:00Z, by "
            "members/m1 (teams/cmht))\n"
            "  TEAM          ROLE               LEAD  SINCE                 "
            "UNTIL\n"
            "  teams/cmht    care coordination  lead  2026-01-01T09:00:00Z\n"
            "  teams/crisis  crisis support           2026-01-02T09:00:00Z  "
            "2026-01-03T09:00:00Z\n"
            "\n"
            "GOALS  (last changed: version 7, 2026-01-04T09:00:00Z, by "
            "members/m2 (teams/crisis))\n"
            "  g1-1  active    target 2026-06-01\n"
            "      Get back to work,\n"
            "      part-time at first\n"
            "  g3-1  achieved\n"
            "      Sleep better\n"
            "\n"
            "ACTIONS  (last changed: version 2, 2026-01-01T09:00:00Z, by "
            "services/referral)\n"
            "  a1-1   teams/cmht  in_progress  due 2026-03-01  review "
            "2026-02-01\n"
            "      Weekly check-in\n"
            "  a2-10  teams/mind  not_started\n"
            "      Peer group\n"
            "\n"
            "CRISIS PLAN  (last changed: version 7, 2026-01-04T09:00:00Z, by "
            "members/m2 (teams/crisis))\n"
            "  Early warning signs:\n"
            "      Not sleeping\n"
            "      Not eating\n"
            "  Triggers:\n"
            "      (not recorded)\n"
            "  What helps:\n"
            "      A walk with my dog\n"
            "  What to avoid:\n"
            "      (not recorded)\n"
            "  Preferred crisis response:\n"
            "      (not recorded)\n"
            "  Advance statements:\n"
            "      (not recorded)\n"
            "  Who to contact, in order:\n"
            "      1. Jo Smith (sister): 07700 900123\n"
            "         when: Evenings\n"
            "      2. Crisis line: 0800 123\n"
            "\n"
            "COMMUNICATION PREFERENCES  (not written yet)\n"
            "  Contact methods:       text_message, phone_call\n"
            "  Contact times:         (not recorded)\n"
            "  Interpreter language:  Polish\n"
            "  Accessibility needs:   (not recorded)\n"
            "  Other:                 (not recorded)\n"
            "  Supporters:\n"
            "      1. Ann (mother): 07700 1; may be contacted: yes\n"
            "\n"
            "REVIEW DATE  (not written yet)\n"
            "  2026-09-01\n");
}

TEST_F(PrintCarePlanTest, EmptySectionsSaySo) {
  cp::CarePlan plan;
  plan.set_name("persons/p2/carePlan/versions/1");
  plan.set_version(1);
  std::ostringstream out;
  PrintCarePlan(out, plan);
  std::string text = out.str();
  EXPECT_THAT(
      text,
      HasSubstr(
          "plan:         persons/p2/carePlan/versions/1\n"
          "version:      1\n"
          "agreement:    NOT agreed: the person has not agreed any version\n"
          "lead team:    none (nobody is involved)\n"));
  EXPECT_THAT(text, Not(HasSubstr("etag:")));  // versions have none
  EXPECT_THAT(text, Not(HasSubstr("last change:")));
  EXPECT_THAT(text, HasSubstr("\nCARE TEAM  (not written yet)\n  (none)\n"));
  EXPECT_THAT(text, HasSubstr("\nGOALS  (not written yet)\n  (none)\n"));
  EXPECT_THAT(text, HasSubstr("\nACTIONS  (not written yet)\n  (none)\n"));
  EXPECT_THAT(text, HasSubstr("\nCRISIS PLAN  (not written yet)\n  (none)\n"));
  EXPECT_THAT(text, HasSubstr("\nCOMMUNICATION PREFERENCES  (not written "
                              "yet)\n  (none)\n"));
  EXPECT_THAT(text,
              HasSubstr("\nREVIEW DATE  (not written yet)\n  (not set)\n"));
}

TEST_F(PrintCarePlanTest, MultiLineCommunicationValuesLineUp) {
  cp::CarePlan plan;
  plan.mutable_communication_preferences()->set_accessibility_needs(
      "Large print\nStep-free access");
  plan.mutable_communication_preferences()->add_supporters()->set_name("Bo");
  std::ostringstream out;
  PrintCarePlan(out, plan);
  EXPECT_THAT(out.str(), HasSubstr("  Accessibility needs:   Large print\n"
                                   "                         Step-free "
                                   "access\n"));
  EXPECT_THAT(out.str(), HasSubstr("      1. Bo; may be contacted: no\n"));
}

TEST_F(PrintCarePlanSummaryTest, VersionEtagAgreementAndChange) {
  cp::CarePlan plan = FullPlan();
  plan.set_agreed(true);
  plan.mutable_agreement()->clear_person_comment();
  std::ostringstream out;
  PrintCarePlanSummary(out, plan);
  EXPECT_EQ(out.str(),
            "plan:         persons/p1/carePlan\n"
            "version:      7\n"
            "etag:         7\n"
            "agreement:    agreed with the person (version 5, "
            "2026-01-03T09:00:00Z, recorded by members/m1 (teams/cmht))\n"
            "lead team:    teams/cmht\n"
            "last change:  content_updated (goals, crisis_plan), "
            "2026-01-04T09:00:00Z, by members/m2 (teams/crisis): \"After "
            "review\"\n");
}

TEST_F(PrintCareTeamTest, EmptyTeamIsNone) {
  std::ostringstream out;
  PrintCareTeam(out, cp::CarePlan());
  EXPECT_EQ(out.str(), "  (none)\n");
}

TEST_F(PrintCarePlanVersionsTest, HistoryTableAndNextPage) {
  std::ostringstream out;
  PrintCarePlanVersions(out, SampleDiff().versions(), "tok");
  EXPECT_EQ(out.str(),
            "VERSION  TIME                  ACTOR       TEAM          KIND    "
            "            SECTIONS     REASON         AGREED\n"
            "7        2026-01-04T09:00:00Z  members/m2  teams/crisis  "
            "content_updated     crisis_plan  Crisis review  no\n"
            "6        2026-01-03T09:00:00Z  members/m1  teams/cmht    "
            "agreement_recorded  agreement                   yes\n"
            "next page: tok\n");
}

TEST_F(PrintCarePlanVersionsTest, SeveralSectionsAndNoVersions) {
  google::protobuf::RepeatedPtrField<cp::CarePlan> versions;
  cp::CarePlan* v = versions.Add();
  v->set_version(1);
  v->mutable_change()->add_sections(cp::GOALS);
  v->mutable_change()->add_sections(cp::CARE_TEAM);
  std::ostringstream out;
  PrintCarePlanVersions(out, versions, "");
  EXPECT_THAT(out.str(), HasSubstr("goals,care_team"));
  std::ostringstream none;
  PrintCarePlanVersions(none, {}, "");
  EXPECT_EQ(none.str(), "(none)\n");
}

TEST_F(PrintCarePlanVersionsInFullTest, EachVersionWholeThenNextPage) {
  google::protobuf::RepeatedPtrField<cp::CarePlan> versions;
  cp::CarePlan* newer = versions.Add();
  newer->set_name("persons/p1/carePlan/versions/2");
  newer->set_version(2);
  newer->add_goals()->set_description("Sleep through the night.");
  cp::CarePlan* older = versions.Add();
  older->set_name("persons/p1/carePlan/versions/1");
  older->set_version(1);
  std::ostringstream out;
  PrintCarePlanVersionsInFull(out, versions, "tok");
  const std::string text = out.str();
  const size_t second =
      text.find("plan:         persons/p1/carePlan/versions/1");
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(text.find("plan:         persons/p1/carePlan/versions/2"), 0u);
  EXPECT_LT(text.find("Sleep through the night."), second);
  EXPECT_THAT(text.substr(0, second),
              HasSubstr("\n" + std::string(78, '=') + "\n"));
  EXPECT_THAT(text, ::testing::EndsWith("\nnext page: tok\n"));

  std::ostringstream none;
  PrintCarePlanVersionsInFull(none, {}, "");
  EXPECT_EQ(none.str(), "(none)\n");
}

TEST_F(PrintCarePlanDiffTest, ChangesBySectionThenTheVersionsBetween) {
  std::ostringstream out;
  PrintCarePlanDiff(out, SampleDiff());
  EXPECT_EQ(out.str(),
            "from persons/p1/carePlan/versions/3 to "
            "persons/p1/carePlan/versions/7\n"
            "\n"
            "GOALS  (last changed: version 6, 2026-01-04T09:00:00Z, by "
            "members/m2 (teams/crisis))\n"
            "  + goals[g6-1]: Find a peer group\n"
            "  ~ goals[g1-1].status: active \u2192 achieved\n"
            "  - goals[g2-1]: Old words\n"
            "\n"
            "CRISIS PLAN\n"
            "  ~ crisis_plan.what_helps:\n"
            "      before:  Music\n"
            "               Walks\n"
            "      after:   Music\n"
            "\n"
            "VERSIONS IN BETWEEN (newest first)\n"
            "  VERSION  TIME                  ACTOR       TEAM          KIND  "
            "              SECTIONS     REASON         AGREED\n"
            "  7        2026-01-04T09:00:00Z  members/m2  teams/crisis  "
            "content_updated     crisis_plan  Crisis review  no\n"
            "  6        2026-01-03T09:00:00Z  members/m1  teams/cmht    "
            "agreement_recorded  agreement                   yes\n");
}

TEST_F(PrintCarePlanDiffTest, MultiLineAddedAndRemovedValuesGoBelow) {
  cp::CarePlanDiff diff;
  cp::SectionDiff* section = diff.add_sections();
  section->set_section(cp::CRISIS_PLAN);
  cp::FieldChange* added = section->add_changes();
  added->set_kind(cp::FieldChange::ADDED);
  added->set_path("crisis_plan.triggers");
  added->set_after("Crowds\nLoud noise");
  cp::FieldChange* removed = section->add_changes();
  removed->set_kind(cp::FieldChange::REMOVED);
  removed->set_path("crisis_plan.contacts[2]");
  removed->set_before("Jo\n07700");
  std::ostringstream out;
  PrintCarePlanDiff(out, diff);
  EXPECT_THAT(out.str(), HasSubstr("  + crisis_plan.triggers:\n"
                                   "      Crowds\n"
                                   "      Loud noise\n"
                                   "  - crisis_plan.contacts[2]:\n"
                                   "      Jo\n"
                                   "      07700\n"));
}

// What only touched the record of the agreement is counted, not shown,
// unless asked for; whether the plan is agreed always shows.
TEST_F(PrintCarePlanDiffTest, AgreementOnlyChangesAreCountedUnlessAsked) {
  cp::CarePlanDiff diff = SampleDiff();
  cp::SectionDiff* agreement = diff.add_sections();
  agreement->set_section(cp::AGREEMENT);
  cp::FieldChange* version = agreement->add_changes();
  version->set_kind(cp::FieldChange::MODIFIED);
  version->set_path("agreement.agreed_version");
  version->set_before("persons/p1/carePlan/versions/2");
  version->set_after("persons/p1/carePlan/versions/5");
  cp::FieldChange* comment = agreement->add_changes();
  comment->set_kind(cp::FieldChange::ADDED);
  comment->set_path("agreement.person_comment");
  comment->set_after("Happy with this");
  std::ostringstream hidden;
  PrintCarePlanDiff(hidden, diff, /*with_agreement=*/false);
  EXPECT_THAT(hidden.str(), Not(HasSubstr("agreement.agreed_version")));
  EXPECT_THAT(hidden.str(), Not(HasSubstr("AGREEMENT")));
  EXPECT_THAT(hidden.str(), Not(HasSubstr("agreement_recorded")));
  EXPECT_THAT(hidden.str(), HasSubstr("  ~ goals[g1-1].status"));
  EXPECT_THAT(hidden.str(),
              HasSubstr("\nnot shown: 2 changes to the record of the person's "
                        "agreement, 1 version that only recorded an "
                        "agreement; --with_agreement shows them\n"));

  cp::FieldChange* agreed = agreement->add_changes();
  agreed->set_kind(cp::FieldChange::MODIFIED);
  agreed->set_path("agreed");
  agreed->set_before("true");
  agreed->set_after("false");
  std::ostringstream status;
  PrintCarePlanDiff(status, diff, /*with_agreement=*/false);
  EXPECT_THAT(status.str(), HasSubstr("AGREEMENT\n  ~ agreed: true \u2192 "
                                      "false\n"));

  std::ostringstream shown;
  PrintCarePlanDiff(shown, diff, /*with_agreement=*/true);
  EXPECT_THAT(shown.str(), HasSubstr("  ~ agreement.agreed_version"));
  EXPECT_THAT(shown.str(), HasSubstr("agreement_recorded"));
  EXPECT_THAT(shown.str(), Not(HasSubstr("not shown")));
}

TEST_F(PrintCarePlanDiffTest, SameContentSaysNoDifferences) {
  cp::CarePlanDiff diff;
  diff.set_from_version("persons/p1/carePlan/versions/2");
  diff.set_to_version("persons/p1/carePlan/versions/2");
  std::ostringstream out;
  PrintCarePlanDiff(out, diff);
  EXPECT_EQ(out.str(),
            "from persons/p1/carePlan/versions/2 to "
            "persons/p1/carePlan/versions/2\n"
            "\n"
            "no differences\n"
            "\n"
            "VERSIONS IN BETWEEN (newest first)\n"
            "  (none)\n");
}

}  // namespace
}  // namespace carebridge::carectl
