#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "services/careplan/care_team.h"
#include "services/common/time_util.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using v1::CarePlan;
using v1::CareTeamMember;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);  // 2026-01-01
const absl::Time kT1 = kT0 + absl::Hours(1);
const absl::Time kT2 = kT0 + absl::Hours(2);

CarePlan EmptyPlan() {
  CarePlan plan;
  plan.set_person("persons/p1");
  return plan;
}

// A plan on which `lead` leads and `others` are involved too.
CarePlan PlanLedBy(const std::string& lead,
                   const std::vector<std::string>& others = {}) {
  CarePlan plan = EmptyPlan();
  EXPECT_THAT(AddTeam(plan, lead, "care coordination", kT0), IsOk());
  for (const std::string& team : others) {
    EXPECT_THAT(AddTeam(plan, team, "crisis support", kT0), IsOk());
  }
  return plan;
}

CareTeamMember Entry(const std::string& team, const std::string& role,
                     absl::Time start, bool lead) {
  CareTeamMember member;
  member.set_team(team);
  member.set_role(role);
  *member.mutable_start_time() = ToProtoTimestamp(start);
  member.set_lead(lead);
  return member;
}

CareTeamMember Ended(CareTeamMember member, absl::Time end) {
  *member.mutable_end_time() = ToProtoTimestamp(end);
  return member;
}

// --- Who is involved ---

TEST(CareTeamTest, OnlyEntriesWithoutEndTimeAreInvolved) {
  CarePlan plan = EmptyPlan();
  *plan.add_care_team() = Ended(Entry("teams/old", "x", kT0, false), kT1);
  EXPECT_FALSE(IsInvolved(plan, "teams/old"));
  EXPECT_FALSE(AnyoneInvolved(plan));

  *plan.add_care_team() = Entry("teams/cmht", "x", kT1, true);
  EXPECT_TRUE(IsInvolved(plan, "teams/cmht"));
  EXPECT_FALSE(IsInvolved(plan, "teams/other"));
  EXPECT_TRUE(AnyoneInvolved(plan));
}

// --- Joins from outside and their review ---

TEST(CareTeamTest, AJoinFromOutsideAwaitsReviewUntilReviewedOnce) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  EXPECT_FALSE(AwaitsReview(plan, "teams/crisis"));
  ASSERT_THAT(MarkJoinedFromOutside(plan, "teams/crisis", "referrals/r1"),
              IsOk());
  EXPECT_TRUE(AwaitsReview(plan, "teams/crisis"));
  EXPECT_FALSE(AwaitsReview(plan, "teams/cmht"));
  EXPECT_FALSE(AwaitsReview(plan, "teams/other"));
  ASSERT_THAT(ReviewJoin(plan, "teams/crisis"), IsOk());
  EXPECT_FALSE(AwaitsReview(plan, "teams/crisis"));
  EXPECT_EQ(plan.care_team(1).joined_through(), "referrals/r1");
  EXPECT_THAT(ReviewJoin(plan, "teams/crisis"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("needs no review")));
  EXPECT_THAT(ReviewJoin(plan, "teams/other"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(CareTeamTest, OnlyTheCurrentEntryOfATeamAwaitsReview) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  ASSERT_THAT(MarkJoinedFromOutside(plan, "teams/crisis", "referrals/r1"),
              IsOk());
  ASSERT_THAT(EndInvolvement(plan, "teams/crisis", kT1), IsOk());
  EXPECT_FALSE(AwaitsReview(plan, "teams/crisis"));
  ASSERT_THAT(AddTeam(plan, "teams/crisis", "crisis support", kT2), IsOk());
  EXPECT_FALSE(AwaitsReview(plan, "teams/crisis"));
}

// --- AddTeam ---

TEST(CareTeamTest, FirstTeamAddedBecomesTheLead) {
  CarePlan plan = EmptyPlan();
  ASSERT_THAT(AddTeam(plan, "teams/cmht", "care coordination", kT0), IsOk());
  ASSERT_EQ(plan.care_team_size(), 1);
  EXPECT_THAT(plan.care_team(0),
              EqualsProto(Entry("teams/cmht", "care coordination", kT0, true)));
  EXPECT_EQ(plan.lead_team(), "teams/cmht");
}

TEST(CareTeamTest, LaterTeamsJoinWithoutTheLead) {
  CarePlan plan = PlanLedBy("teams/cmht");
  ASSERT_THAT(AddTeam(plan, "teams/crisis", "crisis support", kT1), IsOk());
  ASSERT_EQ(plan.care_team_size(), 2);
  EXPECT_THAT(plan.care_team(1),
              EqualsProto(Entry("teams/crisis", "crisis support", kT1, false)));
  EXPECT_EQ(plan.lead_team(), "teams/cmht");
}

TEST(CareTeamTest, AddingAnInvolvedTeamIsAlreadyExistsAndChangesNothing) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  const CarePlan before = plan;
  EXPECT_THAT(AddTeam(plan, "teams/crisis", "peer support", kT1),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "teams/crisis is already on persons/p1's care team"));
  EXPECT_THAT(plan, EqualsProto(before));
}

TEST(CareTeamTest, TeamThatLeftRejoinsWithANewEntryKeepingHistory) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  ASSERT_THAT(EndInvolvement(plan, "teams/crisis", kT1), IsOk());
  ASSERT_THAT(AddTeam(plan, "teams/crisis", "crisis support", kT2), IsOk());
  ASSERT_EQ(plan.care_team_size(), 3);
  EXPECT_TRUE(plan.care_team(1).has_end_time());
  EXPECT_THAT(plan.care_team(2),
              EqualsProto(Entry("teams/crisis", "crisis support", kT2, false)));
}

TEST(CareTeamTest, TeamAddedAfterEveryoneLeftBecomesTheLead) {
  CarePlan plan = PlanLedBy("teams/cmht");
  ASSERT_THAT(EndInvolvement(plan, "teams/cmht", kT1), IsOk());
  ASSERT_THAT(AddTeam(plan, "teams/vcs", "peer support", kT2), IsOk());
  EXPECT_EQ(plan.lead_team(), "teams/vcs");
  EXPECT_TRUE(plan.care_team(1).lead());
}

// --- EndInvolvement ---

TEST(CareTeamTest, EndingATeamKeepsItsEntryWithEndTime) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  ASSERT_THAT(EndInvolvement(plan, "teams/crisis", kT1), IsOk());
  EXPECT_THAT(plan.care_team(1),
              EqualsProto(Ended(
                  Entry("teams/crisis", "crisis support", kT0, false), kT1)));
  EXPECT_FALSE(IsInvolved(plan, "teams/crisis"));
  EXPECT_EQ(plan.lead_team(), "teams/cmht");
}

TEST(CareTeamTest, EndingATeamNotInvolvedIsNotFound) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  ASSERT_THAT(EndInvolvement(plan, "teams/crisis", kT1), IsOk());
  const CarePlan before = plan;
  for (const char* team : {"teams/crisis", "teams/never"}) {
    EXPECT_THAT(
        EndInvolvement(plan, team, kT2),
        StatusIs(absl::StatusCode::kNotFound,
                 std::string(team) + " is not on persons/p1's care team"));
  }
  EXPECT_THAT(plan, EqualsProto(before));
}

TEST(CareTeamTest, EndingTheLeadWhileOthersRemainTellsToHandOverFirst) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  const CarePlan before = plan;
  EXPECT_THAT(
      EndInvolvement(plan, "teams/cmht", kT1),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               "teams/cmht leads persons/p1's care: hand the lead over to "
               "another involved team first (SetLeadTeam or an accepted "
               "transfer handover)"));
  EXPECT_THAT(plan, EqualsProto(before));
}

TEST(CareTeamTest, EndingTheLastTeamLeavesNobodyAndNoLead) {
  CarePlan plan = PlanLedBy("teams/cmht");
  ASSERT_THAT(EndInvolvement(plan, "teams/cmht", kT1), IsOk());
  EXPECT_FALSE(AnyoneInvolved(plan));
  EXPECT_EQ(plan.lead_team(), "");
  EXPECT_THAT(plan.care_team(0),
              EqualsProto(Ended(
                  Entry("teams/cmht", "care coordination", kT0, false), kT1)));
}

// --- SetFirstLead ---

TEST(CareTeamTest, FirstLeadJoinsWithTheDefaultRoleWhenNoneIsGiven) {
  CarePlan plan = EmptyPlan();
  ASSERT_THAT(SetFirstLead(plan, "teams/cmht", "", kT0), IsOk());
  EXPECT_EQ(plan.lead_team(), "teams/cmht");
  ASSERT_EQ(plan.care_team_size(), 1);
  EXPECT_THAT(plan.care_team(0),
              EqualsProto(Entry("teams/cmht", kDefaultLeadRole, kT0, true)));
}

TEST(CareTeamTest, FirstLeadJoinsWithTheRoleGiven) {
  CarePlan plan = EmptyPlan();
  ASSERT_THAT(SetFirstLead(plan, "teams/vcs", "key work", kT0), IsOk());
  EXPECT_EQ(plan.care_team(0).role(), "key work");
}

TEST(CareTeamTest, FirstLeadAfterEveryoneLeftStartsANewEntry) {
  CarePlan plan = PlanLedBy("teams/cmht");
  ASSERT_THAT(EndInvolvement(plan, "teams/cmht", kT1), IsOk());
  ASSERT_THAT(SetFirstLead(plan, "teams/cmht", "", kT2), IsOk());
  ASSERT_EQ(plan.care_team_size(), 2);
  EXPECT_THAT(plan.care_team(1),
              EqualsProto(Entry("teams/cmht", kDefaultLeadRole, kT2, true)));
}

TEST(CareTeamTest, FirstLeadWhenThereIsALeadNamesTheLead) {
  struct Case {
    const char* team;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"teams/crisis",
            "teams/cmht leads persons/p1's care; only teams/cmht can pass the "
            "lead on"},
           {"teams/new", "teams/cmht leads persons/p1's care"},
           {"teams/cmht", "teams/cmht already leads persons/p1's care"},
       }) {
    SCOPED_TRACE(c.team);
    CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
    const CarePlan before = plan;
    EXPECT_THAT(
        SetFirstLead(plan, c.team, "", kT1),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(c.message)));
    EXPECT_THAT(plan, EqualsProto(before));
  }
}

// --- PassLead ---

TEST(CareTeamTest, PassingTheLeadToAnInvolvedTeamMovesOnlyTheFlag) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  ASSERT_THAT(PassLead(plan, "teams/cmht", "teams/crisis", "ignored", kT1),
              IsOk());
  EXPECT_EQ(plan.lead_team(), "teams/crisis");
  ASSERT_EQ(plan.care_team_size(), 2);
  EXPECT_THAT(plan.care_team(0),
              EqualsProto(Entry("teams/cmht", "care coordination", kT0,
                                /*lead=*/false)));
  EXPECT_THAT(plan.care_team(1),
              EqualsProto(Entry("teams/crisis", "crisis support", kT0,
                                /*lead=*/true)));
}

TEST(CareTeamTest, PassingTheLeadToANewTeamAddsItWithTheRole) {
  struct Case {
    const char* role;
    const char* expected_role;
  };
  for (const Case& c : std::vector<Case>{
           {"", kDefaultLeadRole},
           {"care coordination (interim)", "care coordination (interim)"}}) {
    SCOPED_TRACE(c.role);
    CarePlan plan = PlanLedBy("teams/cmht");
    ASSERT_THAT(PassLead(plan, "teams/cmht", "teams/new", c.role, kT1), IsOk());
    EXPECT_EQ(plan.lead_team(), "teams/new");
    ASSERT_EQ(plan.care_team_size(), 2);
    EXPECT_FALSE(plan.care_team(0).lead());
    EXPECT_TRUE(IsInvolved(plan, "teams/cmht"));
    EXPECT_THAT(plan.care_team(1),
                EqualsProto(Entry("teams/new", c.expected_role, kT1, true)));
  }
}

TEST(CareTeamTest, OnlyTheLeadPassesTheLeadOn) {
  struct Case {
    const char* name;
    CarePlan plan;
    const char* from;
    const char* to;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"from another involved team",
            PlanLedBy("teams/cmht", {"teams/crisis"}), "teams/crisis",
            "teams/vcs",
            "teams/crisis does not lead persons/p1's care; teams/cmht does, "
            "and only the lead team can pass the lead on"},
           {"from a team not involved", PlanLedBy("teams/cmht"),
            "teams/stranger", "teams/stranger",
            "teams/stranger does not lead persons/p1's care; teams/cmht does"},
           {"when nobody leads", EmptyPlan(), "teams/cmht", "teams/crisis",
            "persons/p1's care has no lead team, so teams/cmht cannot pass it "
            "on; name one with SetLeadTeam"},
           {"to the lead itself", PlanLedBy("teams/cmht"), "teams/cmht",
            "teams/cmht", "teams/cmht already leads persons/p1's care"},
       }) {
    SCOPED_TRACE(c.name);
    CarePlan plan = c.plan;
    EXPECT_THAT(
        PassLead(plan, c.from, c.to, "", kT1),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(c.message)));
    EXPECT_THAT(plan, EqualsProto(c.plan));
  }
}

TEST(CareTeamTest, FormerLeadCanLeaveOnceTheLeadIsPassed) {
  CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
  ASSERT_THAT(PassLead(plan, "teams/cmht", "teams/crisis", "", kT1), IsOk());
  ASSERT_THAT(EndInvolvement(plan, "teams/cmht", kT2), IsOk());
  EXPECT_EQ(plan.lead_team(), "teams/crisis");
  EXPECT_THAT(CheckLeadInvariant(plan), IsOk());
}

// --- The invariant ---

TEST(CareTeamTest, InvariantHoldsForWellFormedPlans) {
  EXPECT_THAT(CheckLeadInvariant(EmptyPlan()), IsOk());
  EXPECT_THAT(CheckLeadInvariant(PlanLedBy("teams/cmht", {"teams/crisis"})),
              IsOk());
  CarePlan history_only = EmptyPlan();
  *history_only.add_care_team() =
      Ended(Entry("teams/cmht", "x", kT0, false), kT1);
  EXPECT_THAT(CheckLeadInvariant(history_only), IsOk());
}

TEST(CareTeamTest, InvariantBreachesAreInternalAndDescribed) {
  struct Case {
    const char* name;
    std::function<void(CarePlan&)> break_it;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"involved but nobody leads",
            [](CarePlan& p) {
              p.mutable_care_team(0)->set_lead(false);
              p.clear_lead_team();
            },
            "persons/p1's care team has 2 involved teams but no lead"},
           {"two leads",
            [](CarePlan& p) { p.mutable_care_team(1)->set_lead(true); },
            "has two leads: teams/cmht and teams/crisis"},
           {"lead_team names another team",
            [](CarePlan& p) { p.set_lead_team("teams/crisis"); },
            "marks teams/cmht as lead but lead_team is \"teams/crisis\""},
           {"lead_team empty", [](CarePlan& p) { p.clear_lead_team(); },
            "marks teams/cmht as lead but lead_team is \"\""},
           {"lead on an ended entry",
            [](CarePlan& p) {
              *p.mutable_care_team(0)->mutable_end_time() =
                  ToProtoTimestamp(kT1);
            },
            "marks teams/cmht as lead in an entry that has ended"},
           {"lead_team while nobody is involved",
            [](CarePlan& p) {
              p.clear_care_team();
              p.set_lead_team("teams/cmht");
            },
            "names teams/cmht as lead team but nobody is involved"},
           {"a team involved twice",
            [](CarePlan& p) {
              *p.add_care_team() = Entry("teams/crisis", "again", kT1, false);
            },
            "has two current entries for teams/crisis"},
       }) {
    SCOPED_TRACE(c.name);
    CarePlan plan = PlanLedBy("teams/cmht", {"teams/crisis"});
    c.break_it(plan);
    EXPECT_THAT(CheckLeadInvariant(plan),
                StatusIs(absl::StatusCode::kInternal, HasSubstr(c.message)));
  }
}

TEST(CareTeamTest, RulesRefuseAPlanThatAlreadyBreaksTheInvariant) {
  CarePlan broken = PlanLedBy("teams/cmht", {"teams/crisis"});
  broken.mutable_care_team(1)->set_lead(true);
  std::vector<std::function<absl::Status(CarePlan&)>> operations = {
      [](CarePlan& p) { return AddTeam(p, "teams/vcs", "x", kT1); },
      [](CarePlan& p) { return EndInvolvement(p, "teams/crisis", kT1); },
      [](CarePlan& p) { return SetFirstLead(p, "teams/vcs", "", kT1); },
      [](CarePlan& p) {
        return PassLead(p, "teams/cmht", "teams/vcs", "", kT1);
      },
  };
  for (const auto& operation : operations) {
    CarePlan plan = broken;
    EXPECT_THAT(operation(plan), StatusIs(absl::StatusCode::kInternal));
    EXPECT_THAT(plan, EqualsProto(broken));
  }
}

TEST(CareTeamTest, EverySequenceOfOperationsKeepsExactlyOneLead) {
  // Random operations, each accepted or refused; either way the invariant
  // holds afterwards. Seeded, so a failure reproduces.
  const std::vector<std::string> teams = {"teams/a", "teams/b", "teams/c",
                                          "teams/d"};
  std::mt19937 random(/*seed=*/20260101);
  auto any_team = [&] { return teams[random() % teams.size()]; };
  CarePlan plan = EmptyPlan();
  absl::Time now = kT0;
  int accepted[4] = {0, 0, 0, 0};
  for (int step = 0; step < 1000; ++step) {
    now += absl::Minutes(1);
    const int operation = static_cast<int>(random() % 4);
    absl::Status status;
    switch (operation) {
      case 0:
        status = AddTeam(plan, any_team(), "role", now);
        break;
      case 1:
        status = EndInvolvement(plan, any_team(), now);
        break;
      case 2:
        status = SetFirstLead(plan, any_team(), "", now);
        break;
      default:
        status = PassLead(plan, random() % 2 ? plan.lead_team() : any_team(),
                          any_team(), "", now);
        break;
    }
    if (status.ok()) ++accepted[operation];
    ASSERT_THAT(CheckLeadInvariant(plan), IsOk()) << "after step " << step;
  }
  // Every kind of operation was accepted at least once (SetFirstLead only
  // can when everyone has left).
  for (int operation = 0; operation < 4; ++operation) {
    EXPECT_GT(accepted[operation], 0) << "operation " << operation;
  }
}

}  // namespace
}  // namespace carebridge::careplan
