// `carectl careplan …` end to end against a fake CarePlanService: which
// calls each command makes, with what, and what it prints.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "clients/carectl/careplan_cli_fixture.h"
#include "clients/carectl/careplan_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using careplan_cli_testing::Carectl;
using careplan_cli_testing::CarePlanCliTest;
using careplan_cli_testing::Result;
using careplan_cli_testing::StoredPlan;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(CarePlanCliTest, ShowPrintsThePlanSectionBySection) {
  Result r = Run({"careplan", "show", "persons/p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.get_.name(), "persons/p1/carePlan");
  }
  EXPECT_THAT(
      r.out,
      HasSubstr(
          "agreement:    NOT agreed: the person has not agreed any version\n"));
  EXPECT_THAT(r.out, HasSubstr("\nGOALS  (not written yet)\n  g1-1  active\n"
                               "      Work\n"));
  EXPECT_THAT(r.out, HasSubstr("\nCRISIS PLAN"));
  EXPECT_THAT(r.out, HasSubstr("  teams/cmht  care coordination  lead"));
}

TEST_F(CarePlanCliTest, ShowJsonPrintsTheProto) {
  Result r = Run({"--json", "careplan", "show", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"etag\": \"4\""));
  EXPECT_THAT(r.out, HasSubstr("\"what_helps\": \"Music\""));
  EXPECT_THAT(r.out, Not(HasSubstr("CRISIS PLAN")));
}

TEST_F(CarePlanCliTest, NameOnlyPrintsThePlanName) {
  Result r = Run({"--name_only", "careplan", "show", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "persons/p1/carePlan\n");
}

TEST_F(CarePlanCliTest, GoalFlagsReadThePlanAndSendTheEtagRead) {
  Result r = Run({"careplan", "update", "persons/p1/carePlan",
                  "--add_goal=See my sister", "--goal_status=g1-1=achieved",
                  "--reason=Review"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.calls_, 2);
  EXPECT_EQ(service_.get_.name(), "persons/p1/carePlan");
  const cp::UpdateCarePlanRequest& sent = service_.update_;
  EXPECT_EQ(sent.etag(), "4");
  EXPECT_EQ(sent.reason(), "Review");
  EXPECT_THAT(sent.update_mask().paths(), ElementsAre("goals"));
  ASSERT_EQ(sent.care_plan().goals_size(), 2);
  EXPECT_EQ(sent.care_plan().goals(0).status(), cp::Goal::ACHIEVED);
  EXPECT_EQ(sent.care_plan().goals(1).description(), "See my sister");
  EXPECT_THAT(r.out, HasSubstr("version:      5\netag:         5\n"));
  EXPECT_THAT(
      r.out,
      HasSubstr(
          "agreement:    NOT agreed: the person has not agreed any version\n"));
}

TEST_F(CarePlanCliTest, GivenEtagWinsOverTheEtagRead) {
  Result r = Run({"careplan", "update", "p1", "--remove_goal=g1-1", "--etag=3",
                  "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.update_.etag(), "3");
  EXPECT_EQ(service_.update_.care_plan().goals_size(), 0);
}

TEST_F(CarePlanCliTest, GoalFlagsOnAPlanNotWrittenYetCreateIt) {
  {
    absl::MutexLock lock(&service_.mu_);
    service_.exists_ = false;
  }
  Result r =
      Run({"careplan", "update", "p1", "--add_goal=Feel safe", "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.update_.etag(), "");
  ASSERT_EQ(service_.update_.care_plan().goals_size(), 1);
}

TEST_F(CarePlanCliTest, UnknownGoalIdIsAUsageErrorAndNothingIsWritten) {
  Result r =
      Run({"careplan", "update", "p1", "--remove_goal=g7-1", "--reason=R"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "carectl: usage: --remove_goal: persons/p1/carePlan has no goal "
            "g7-1 (its goals are g1-1)\n");
  EXPECT_EQ(Calls(), 1);  // the read only
}

TEST_F(CarePlanCliTest, FieldFlagsWithGoalFlagsNeedTheEtagAndWriteNothing) {
  Result r = Run({"careplan", "update", "p1", "--add_goal=Rest",
                  "--what_helps=Music", "--reason=R"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: --etag: required to change "
                               "crisis_plan.what_helps together with goals"));
  EXPECT_EQ(Calls(), 1);  // the read only
  r = Run({"careplan", "update", "p1", "--add_goal=Rest", "--what_helps=Music",
           "--etag=4", "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.update_.etag(), "4");
  EXPECT_THAT(service_.update_.update_mask().paths(),
              ElementsAre("goals", "crisis_plan.what_helps"));
}

TEST_F(CarePlanCliTest, FieldFlagsWriteWithoutReading) {
  Result r = Run({"careplan", "update", "p1", "--what_helps=Music and walks",
                  "--etag=4", "--reason=R", "--request_id=rq-7"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.calls_, 1);
  EXPECT_THAT(service_.update_.update_mask().paths(),
              ElementsAre("crisis_plan.what_helps"));
  EXPECT_EQ(service_.update_.request_id(), "rq-7");
}

TEST_F(CarePlanCliTest, UpdateThatChangesNothingSaysSo) {
  Result r = Run({"careplan", "update", "p1", "--what_helps=Music", "--etag=4",
                  "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("no change")));
  {
    absl::MutexLock lock(&service_.mu_);
    service_.update_changes_nothing_ = true;
  }
  r = Run({"careplan", "update", "p1", "--what_helps=Music", "--etag=4",
           "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no change: the plan already says this; no "
                               "new version\nplan:         "
                               "persons/p1/carePlan\nversion:      4\n"));
}

TEST_F(CarePlanCliTest, StaleWriteWithoutEtagSaysHowToGetOne) {
  {
    absl::MutexLock lock(&service_.mu_);
    service_.update_status_ = grpc::Status(
        grpc::StatusCode::ABORTED,
        "etag: the care plan changed since you read it (now version 4); read "
        "it again and retry");
  }
  Result r = Run({"careplan", "update", "p1", "--triggers=x", "--reason=R"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("carectl: ABORTED: etag: the care plan "
                               "changed since you read it"));
  EXPECT_THAT(r.err, HasSubstr("give --etag=ETAG from `carectl careplan show "
                               "PLAN`"));
  r = Run(
      {"careplan", "update", "p1", "--triggers=x", "--reason=R", "--etag=2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, Not(HasSubstr("give --etag")));
}

TEST_F(CarePlanCliTest, UsageErrorsComeBeforeAnyCall) {
  const std::vector<std::vector<std::string>> bad = {
      {"careplan", "update", "p1", "--review_date=2026-02-30", "--reason=R"},
      {"careplan", "update", "p1", "--add_goal=x", "--goal_target_date=someday",
       "--reason=R"},
      {"careplan", "update", "p1", "--add_action=x|teams/t|2026-13-01",
       "--reason=R"},
      {"careplan", "update", "p1", "--goal_status=g1-1=done", "--reason=R"},
      {"careplan", "update", "p1", "--contact_methods=fax", "--reason=R"},
      {"careplan", "update", "p1", "--what_helps=x"},  // no --reason
      {"careplan", "update", "p1", "--reason=R"},      // nothing to change
      {"careplan", "update", "teams/t1", "--what_helps=x", "--reason=R"},
      {"careplan", "update", "p1", "--from_file=/nonexistent/plan.json",
       "--reason=R"},
      {"careplan", "show", "teams/t1"},
      {"careplan", "version", "p1", "latest"},
      {"careplan", "version", "p1"},
      {"careplan", "diff", "p1", "5", "2"},
      {"careplan", "diff", "p1", "1", "2", "3"},
      {"careplan", "agree", "p1"},
      {"careplan", "agree", "p1", "--version=x"},
      {"careplan", "versions", "p1", "--page_size=-1"},
      {"careplan", "team", "add", "p1", "--team=t", "--reason=R"},  // no role
      {"careplan", "team", "end", "p1", "--reason=R"},
      {"careplan", "team", "lead", "p1", "--team=t"},
      {"careplan", "team"},
      {"careplan", "team", "join", "p1"},
      // Required flags given empty, and names of the wrong kind.
      {"careplan", "update", "p1", "--what_helps=x", "--reason="},
      {"careplan", "agree", "p1", "--version="},
      {"careplan", "team", "add", "p1", "--team=t", "--role=", "--reason=R"},
      {"careplan", "team", "end", "p1", "--team=", "--reason=R"},
      {"careplan", "team", "lead", "p1", "--team=t", "--reason="},
      {"careplan", "team", "end", "p1", "--team=members/m1", "--reason=R"},
      {"careplan", "team", "review", "p1", "--team=t"},
      {"careplan", "break-glass", "open", "p1"},
      {"careplan", "break-glass", "open", "p1", "--reason="},
      {"careplan", "break-glass", "open", "teams/t1", "--reason=R"},
      {"careplan", "break-glass", "list", "p1", "--page_size=0"},
      {"careplan", "break-glass", "review", "persons/p1/breakGlassAccesses/3",
       "--outcome=maybe", "--reason=R"},
      {"careplan", "break-glass", "review", "persons/p1/breakGlassAccesses/3",
       "--outcome=justified"},
      {"careplan", "break-glass", "review", "persons/p1/breakGlassAccesses/3",
       "--outcome=justified", "--reason="},
      {"careplan", "break-glass", "review", "persons/p1", "--outcome=justified",
       "--reason=R"},
      {"careplan", "break-glass", "review", "3", "--outcome=justified",
       "--reason=R"},
      {"careplan", "update", "p1", "--add_action=Call|persons/p2|",
       "--reason=R"},
  };
  for (const auto& args : bad) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 1) << absl::StrJoin(args, " ") << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("carectl: usage: "));
  }
  EXPECT_EQ(Calls(), 0);
}

TEST_F(CarePlanCliTest, UsageErrorsNameTheProblem) {
  EXPECT_EQ(Run({"careplan", "update", "p1", "--review_date=2026-02-30",
                 "--reason=R"})
                .err,
            "carectl: usage: --review_date: '2026-02-30' is not a date (use "
            "YYYY-MM-DD)\n");
  EXPECT_THAT(Run({"careplan", "team"}).err,
              HasSubstr("unknown command 'careplan team' (careplan team "
                        "add|end|review|lead)"));
  EXPECT_THAT(Run({"careplan", "version", "p1"}).err, HasSubstr("missing N"));
  EXPECT_THAT(Run({"careplan", "diff", "p1", "1", "2", "3"}).err,
              HasSubstr("unexpected argument '3'"));
  EXPECT_THAT(Run({"careplan", "update", "p1", "--from_file=/nonexistent/x",
                   "--reason=R"})
                  .err,
              HasSubstr("--from_file: cannot read /nonexistent/x"));
}

TEST_F(CarePlanCliTest, UpdateFromAFile) {
  std::string path = ::testing::TempDir() + "/carectl_plan.json";
  std::ofstream(path) << R"({"name": "persons/p1/carePlan", "etag": "4",
    "crisisPlan": {"whatHelps": "Music"}, "careTeam": []})";
  Result r = Run({"careplan", "update", "p1", "--from_file=" + path,
                  "--reason=From the meeting"});
  std::remove(path.c_str());
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.calls_, 1);
  EXPECT_EQ(service_.update_.etag(), "4");
  EXPECT_THAT(service_.update_.update_mask().paths(),
              ElementsAre("crisis_plan"));
  EXPECT_EQ(service_.update_.care_plan().crisis_plan().what_helps(), "Music");
}

TEST_F(CarePlanCliTest, VersionsTableAndView) {
  Result r = Run({"careplan", "versions", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("VERSION  TIME"));
  EXPECT_THAT(r.out, HasSubstr("content_updated  goals     First plan  no"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.list_.parent(), "persons/p1/carePlan");
    EXPECT_EQ(service_.list_.view(), cp::BASIC);
  }
  EXPECT_THAT(r.out, Not(HasSubstr("\nGOALS")));
  r = Run({"careplan", "versions", "p1", "--full", "--page_size=10"});
  ASSERT_EQ(r.code, 0) << r.err;
  // --full shows each version whole, not the same table again.
  EXPECT_THAT(r.out, HasSubstr("plan:         persons/p1/carePlan/versions/4"));
  EXPECT_THAT(r.out, HasSubstr("\nGOALS  (not written yet)\n  g1-1  active\n"));
  EXPECT_THAT(r.out, HasSubstr("\nCRISIS PLAN"));
  EXPECT_THAT(r.out, Not(HasSubstr("VERSION  TIME")));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.list_.view(), cp::FULL);
  EXPECT_EQ(service_.list_.page_size(), 10);
}

TEST_F(CarePlanCliTest, VersionShowsThatVersion) {
  Result r = Run({"careplan", "version", "persons/p1", "4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("plan:         persons/p1/carePlan/versions/4"));
  EXPECT_THAT(r.out, HasSubstr("\nGOALS"));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.get_version_.name(), "persons/p1/carePlan/versions/4");
}

TEST_F(CarePlanCliTest, DiffToIsOptional) {
  Result r = Run({"careplan", "diff", "p1", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("  ~ goals[g1-1].status: active \u2192 achieved\n"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.diff_.from_version(), 1);
    EXPECT_EQ(service_.diff_.to_version(), 0);
  }
  r = Run({"careplan", "diff", "p1", "1", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.diff_.to_version(), 3);
}

TEST_F(CarePlanCliTest, DiffLeavesOutAgreementOnlyChangesUnlessAsked) {
  Result r = Run({"careplan", "diff", "p1", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  ~ goals[g1-1].status"));
  EXPECT_THAT(r.out, Not(HasSubstr("agreement_recorded")));
  EXPECT_THAT(r.out, HasSubstr("1 version that only recorded an agreement; "
                               "--with_agreement shows them"));
  Result all = Run({"careplan", "diff", "p1", "1", "--with_agreement"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("agreement_recorded"));
  EXPECT_THAT(all.out, Not(HasSubstr("not shown")));
  // Scripts get the whole diff.
  Result json = Run({"--json", "careplan", "diff", "p1", "1"});
  EXPECT_THAT(json.out, HasSubstr("AGREEMENT_RECORDED"));
}

TEST_F(CarePlanCliTest, AgreeRecordsVersionAndComment) {
  Result r = Run(
      {"careplan", "agree", "p1", "--version=4", "--comment=This is my plan"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("agreement:"));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.agree_.name(), "persons/p1/carePlan");
  EXPECT_EQ(service_.agree_.version(), 4);
  EXPECT_EQ(service_.agree_.person_comment(), "This is my plan");
}

TEST_F(CarePlanCliTest, TeamCommandsPrintTheCareTeam) {
  Result r = Run({"careplan", "team", "add", "p1", "--team=crisis",
                  "--role=crisis support", "--reason=Seen", "--etag=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\ncare team:\n  TEAM        ROLE"));
  r = Run({"careplan", "team", "end", "p1", "--team=teams/crisis",
           "--reason=Discharged"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run({"careplan", "team", "lead", "p1", "--team=mind", "--reason=Moved",
           "--role=peer support"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.add_.team(), "teams/crisis");
  EXPECT_EQ(service_.add_.role(), "crisis support");
  EXPECT_EQ(service_.add_.etag(), "4");
  EXPECT_EQ(service_.end_.team(), "teams/crisis");
  EXPECT_EQ(service_.end_.reason(), "Discharged");
  EXPECT_EQ(service_.lead_.team(), "teams/mind");
  EXPECT_EQ(service_.lead_.role(), "peer support");
  EXPECT_EQ(service_.lead_.name(), "persons/p1/carePlan");
}

TEST_F(CarePlanCliTest, TeamReviewAcceptsAJoinFromOutside) {
  Result r = Run({"careplan", "team", "review", "p1", "--team=crisis",
                  "--reason=Agreed with Sam"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\ncare team:\n"));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.review_.name(), "persons/p1/carePlan");
  EXPECT_EQ(service_.review_.team(), "teams/crisis");
  EXPECT_EQ(service_.review_.reason(), "Agreed with Sam");
}

TEST_F(CarePlanCliTest, ShowMarksAJoinNotReviewed) {
  cp::CarePlan plan = StoredPlan();
  cp::CareTeamMember& joined = *plan.add_care_team();
  joined.set_team("teams/elsewhere");
  joined.set_role("accepted referral");
  joined.set_joined_through("referrals/r9");
  joined.set_unreviewed(true);
  std::ostringstream out;
  PrintCareTeam(out, plan);
  EXPECT_THAT(out.str(),
              HasSubstr("NOT REVIEWED: teams/elsewhere joined through "
                        "referrals/r9, which no team on the care team sent"));
  out.str("");
  PrintCareTeam(out, StoredPlan());
  EXPECT_THAT(out.str(), Not(HasSubstr("NOT REVIEWED")));
}

TEST(CarePlanHelpTest, HelpListsTheCarePlanCommands) {
  Result r = Carectl({"help"});
  EXPECT_THAT(r.out, HasSubstr("careplan show|update|versions|version|diff|"
                               "agree|team add|team end|team review|team "
                               "lead|break-glass open|break-glass list|"
                               "break-glass review"));
  r = Carectl({"careplan", "help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl careplan team lead PLAN --team=TEAM"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"careplan", "team", "--help"}, {"careplan", "team", "help"}}) {
    r = Carectl(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("carectl careplan team add PLAN"));
    EXPECT_THAT(r.out, HasSubstr("carectl careplan team end PLAN"));
    EXPECT_THAT(r.out, HasSubstr("carectl careplan team lead PLAN"));
    EXPECT_THAT(r.out, Not(HasSubstr("careplan show")));
  }
  r = Carectl({"careplan", "team", "add", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl careplan team add PLAN"));
  EXPECT_THAT(r.out, Not(HasSubstr("team end")));
}

}  // namespace
}  // namespace carebridge::carectl
