// CarePlanDomain: the care team — adding and ending involvement, the lead
// team's rules, TransferLead, and who may do each.

#include "absl/strings/str_cat.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr absl::StatusCode kAborted = absl::StatusCode::kAborted;
constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::StatusCode kPrecondition =
    absl::StatusCode::kFailedPrecondition;

// --- AddCareTeamMember ---

TEST_F(CarePlanDomainTest, AddingATeamIsACareTeamVersion) {
  WriteGoals(kAlice, {"One"});
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Add(kAlice, kCrisis, "1"));
  EXPECT_EQ(plan.version(), 2);
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_EQ(plan.change().reason(), "Referral accepted");
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(plan.care_team(1).team(), kCrisis);
  EXPECT_EQ(plan.care_team(1).role(), "crisis support");
  EXPECT_THAT(plan.care_team(1).start_time(),
              EqualsProto(ToProtoTimestamp(clock_.Now())));
  EXPECT_FALSE(plan.care_team(1).lead());
  EXPECT_EQ(plan.lead_team(), kCmht);
  EXPECT_EQ(plan.section_stamps(1).section(), v1::CARE_TEAM);
  EXPECT_EQ(plan.section_stamps(1).version(), 2);
}

// Each version written carries each involved team's sector as the
// directory says then, in what is stored and so in the feed's event: the
// record judges "a crisis team is involved" from the event itself. A
// team's change of sector reaches the next version, and is no change of
// the care team.
TEST_F(CarePlanDomainTest, EachVersionCarriesItsTeamsSectors) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis, "1").status());
  ASSERT_OK_AND_ASSIGN(v1::CarePlan stored, sqlite_->GetCurrent("p1"));
  ASSERT_THAT(stored.care_team(), SizeIs(2));
  EXPECT_EQ(stored.care_team(0).sector(),
            directory::v1::COMMUNITY_MENTAL_HEALTH);
  EXPECT_EQ(stored.care_team(1).sector(), directory::v1::CRISIS);

  directory_client::TeamInfo renamed{kCrisis, "Team crisis", true};
  renamed.sector = directory::v1::OTHER;
  directory_.AddTeam(std::move(renamed));
  v1::CarePlan written = WriteGoals(kAlice, {"Two"});
  EXPECT_THAT(written.change().sections(), ElementsAre(v1::GOALS));
  ASSERT_OK_AND_ASSIGN(stored, sqlite_->GetCurrent("p1"));
  EXPECT_EQ(stored.care_team(1).sector(), directory::v1::OTHER);
  v1::DiffCarePlanVersionsRequest diff_request;
  diff_request.set_name(kPlan);
  diff_request.set_from_version(2);
  diff_request.set_to_version(3);
  ASSERT_OK_AND_ASSIGN(v1::CarePlanDiff diff,
                       domain_->DiffCarePlanVersions(kAlice, diff_request));
  ASSERT_THAT(diff.sections(), SizeIs(1));
  EXPECT_EQ(diff.sections(0).section(), v1::GOALS);
}

TEST_F(CarePlanDomainTest, AddingATeamAlreadyInvolvedIsAlreadyExists) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Add(kAlice, kCmht),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "teams/cmht is already on persons/p1's care team"));
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, AddingAnUnknownTeamIsNotFound) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Add(kAlice, "teams/nope"),
              StatusIs(kNotFound, "teams/nope not found"));
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, AServiceMayAddTheFirstTeamWhichLeads) {
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Add(kRecordService, kCrisis));
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.lead_team(), kCrisis);
  EXPECT_EQ(plan.change().actor(), "services/record");
  EXPECT_EQ(plan.change().actor_team(), "");
  EXPECT_EQ(plan.goals_size(), 0);
}

TEST_F(CarePlanDomainTest, AddingToAnUnknownPersonsPlanIsNotFound) {
  v1::AddCareTeamMemberRequest request;
  request.set_name("persons/p9/carePlan");
  request.set_team(kCrisis);
  request.set_role("crisis support");
  request.set_reason("Referral accepted");
  EXPECT_THAT(domain_->AddCareTeamMember(kRecordService, request),
              StatusIs(kNotFound, "persons/p9 not found"));
}

TEST_F(CarePlanDomainTest, OnlyInvolvedTeamsAddTeamsOnceAnyoneIsInvolved) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Add(kBob, kVoluntary),
              StatusIs(kDenied, HasSubstr("teams/crisis is not involved")));
  EXPECT_THAT(Add(kAdmin, kVoluntary), StatusIs(kDenied));
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, CareTeamEtagIsOptionalButCheckedWhenGiven) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Add(kAlice, kCrisis, "7"),
              StatusIs(kAborted, HasSubstr("(now version 1)")));
  EXPECT_THAT(Add(kAlice, kCrisis, ""), IsOk());
  EXPECT_THAT(End(kAlice, kCrisis, "1"), StatusIs(kAborted));
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, CareTeamChangeWithoutEtagIsAppliedAfterARace) {
  WriteGoals(kAlice, {"One"});
  store_->before_append = [&] { ASSERT_OK(Add(kAlice, kVoluntary).status()); };
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Add(kAlice, kCrisis));
  EXPECT_EQ(plan.version(), 3);
  EXPECT_TRUE(IsInvolved(plan, kVoluntary));
  EXPECT_TRUE(IsInvolved(plan, kCrisis));
}

TEST_F(CarePlanDomainTest, ChangeWithoutEtagGivesUpAfterLosingFiveRaces) {
  WriteGoals(kAlice, {"One"});
  // Before each of its appends, another writer gets in first.
  int rivals = 0;
  std::function<void()> rival = [&] {
    const std::string goal = absl::StrCat("Rival ", ++rivals);
    WriteGoals(kAlice, {goal.c_str()});
    store_->before_append = rival;
  };
  store_->before_append = rival;
  EXPECT_THAT(Add(kAlice, kCrisis),
              StatusIs(absl::StatusCode::kAborted,
                       "persons/p1/carePlan: changed by others 5 times while "
                       "this change was being made; try again"));
  EXPECT_EQ(rivals, 5);
  store_->before_append = nullptr;
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, domain_->GetCarePlan(kAlice, [] {
    v1::GetCarePlanRequest get;
    get.set_name("persons/p1/carePlan");
    return get;
  }()));
  EXPECT_FALSE(IsInvolved(plan, kCrisis));
}

TEST_F(CarePlanDomainTest, CareTeamChangesKeepTheAgreement) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Agree(kAlice, 1).status());
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Add(kAlice, kCrisis));
  EXPECT_TRUE(plan.agreed());
  ASSERT_OK_AND_ASSIGN(plan, SetLead(kAlice, kCrisis));
  EXPECT_TRUE(plan.agreed());
  ASSERT_OK_AND_ASSIGN(plan, End(kBob, kCmht));
  EXPECT_TRUE(plan.agreed());
}

// --- EndCareTeamInvolvement ---

TEST_F(CarePlanDomainTest, ATeamEndsItsOwnInvolvementKeptAsHistory) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, End(kBob, kCrisis));
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_THAT(plan.care_team(1).end_time(),
              EqualsProto(ToProtoTimestamp(clock_.Now())));
  EXPECT_FALSE(IsInvolved(plan, kCrisis));
  // Need to know is about now: the team no longer reads the plan.
  EXPECT_THAT(Get(kBob), StatusIs(kDenied));
}

TEST_F(CarePlanDomainTest, TheLeadTeamOrAServiceMayEndAnotherTeam) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  ASSERT_OK(Add(kAlice, kVoluntary).status());
  EXPECT_THAT(End(kAlice, kCrisis), IsOk());
  EXPECT_THAT(End(kRecordService, kVoluntary), IsOk());
}

TEST_F(CarePlanDomainTest, AnotherInvolvedTeamMayNotEndATeam) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  ASSERT_OK(Add(kAlice, kVoluntary).status());
  EXPECT_THAT(End(kBob, kVoluntary),
              StatusIs(kDenied,
                       "only teams/vcs itself or the lead team "
                       "(teams/cmht) may end its involvement in "
                       "persons/p1's care; members/bob is in "
                       "teams/crisis"));
  EXPECT_THAT(End(kAdmin, kVoluntary), StatusIs(kDenied));
  EXPECT_EQ(StoredVersion(), 3);
}

TEST_F(CarePlanDomainTest, ATeamNotInvolvedLearnsNothingByEndingATeam) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  const std::string kOutsider =
      "only teams on persons/p1's care team may change its care team; "
      "teams/vcs is not involved";
  // Not who leads (a refusal naming the lead team would tell it) ...
  EXPECT_THAT(End(kVal, kCrisis), StatusIs(kDenied, kOutsider));
  // ... nor, by a guessed etag, that there is a plan and its version.
  EXPECT_THAT(End(kVal, kVoluntary, /*etag=*/"1"),
              StatusIs(kDenied, kOutsider));
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, TheLeadCannotLeaveWhileOthersAreInvolved) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  EXPECT_THAT(End(kAlice, kCmht),
              StatusIs(kPrecondition,
                       "teams/cmht leads persons/p1's care: hand the lead over "
                       "to another involved team first (SetLeadTeam or an "
                       "accepted transfer handover)"));
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, TheLastTeamLeavingLeavesNoLead) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, End(kAlice, kCmht));
  EXPECT_EQ(plan.lead_team(), "");
  EXPECT_FALSE(AnyoneInvolved(plan));
}

TEST_F(CarePlanDomainTest, EndingATeamNotInvolvedIsNotFound) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(End(kAlice, kVoluntary),
              StatusIs(kNotFound,
                       "teams/vcs is not on persons/p1's care "
                       "team"));
  EXPECT_EQ(StoredVersion(), 1);
}

// --- SetLeadTeam ---

TEST_F(CarePlanDomainTest, TheLeadTeamPassesTheLeadOn) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, SetLead(kAlice, kCrisis));
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.lead_team(), kCrisis);
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_THAT(CheckLeadInvariant(plan), IsOk());
  EXPECT_TRUE(IsInvolved(plan, kCmht));
}

TEST_F(CarePlanDomainTest, PassingTheLeadToATeamNotInvolvedAddsIt) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan,
                       SetLead(kAlice, kVoluntary, "peer-led coordination"));
  EXPECT_EQ(plan.lead_team(), kVoluntary);
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(plan.care_team(1).role(), "peer-led coordination");
}

TEST_F(CarePlanDomainTest, AnotherInvolvedTeamCannotTakeTheLead) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  EXPECT_THAT(SetLead(kBob, kCrisis),
              StatusIs(kPrecondition, HasSubstr("teams/cmht does, and only "
                                                "the lead team can pass the "
                                                "lead on")));
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, ATeamNotInvolvedCannotSetTheLead) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(SetLead(kBob, kCrisis),
              StatusIs(kDenied, HasSubstr("teams/crisis is not involved")));
  EXPECT_THAT(SetLead(kRecordService, kCrisis), StatusIs(kDenied));
}

TEST_F(CarePlanDomainTest, ATeamPicksUpAPlanNobodyLooksAfterByNamingItself) {
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, SetLead(kBob, kCrisis));
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.lead_team(), kCrisis);
  EXPECT_EQ(plan.care_team(0).role(), "care coordination");
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
}

TEST_F(CarePlanDomainTest, NamingAnotherTeamToPickUpAPlanIsDenied) {
  // The answer would be a plan the caller may not read.
  EXPECT_THAT(SetLead(kBob, kVoluntary),
              StatusIs(kDenied, HasSubstr("may only pick it up itself")));
  EXPECT_EQ(StoredVersion(), 0);
}

TEST_F(CarePlanDomainTest, PassingTheLeadToAnUnknownTeamIsNotFound) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(SetLead(kAlice, "teams/nope"),
              StatusIs(kNotFound, "teams/nope not found"));
  EXPECT_EQ(StoredVersion(), 1);
}

// --- TransferLead (the accepted transfer handover) ---

TEST_F(CarePlanDomainTest, AServiceTransfersTheLeadBetweenTeams) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK_AND_ASSIGN(
      v1::CarePlan plan,
      domain_->TransferLead(kRecordService, "p1", kCmht, kCrisis,
                            "crisis care coordination", "Handover accepted"));
  EXPECT_EQ(plan.lead_team(), kCrisis);
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
  EXPECT_EQ(plan.change().reason(), "Handover accepted");
  EXPECT_EQ(plan.change().actor(), "services/record");
  EXPECT_EQ(plan.care_team(1).role(), "crisis care coordination");
  EXPECT_EQ(plan.name(), kPlan);
  EXPECT_EQ(plan.etag(), "2");
}

TEST_F(CarePlanDomainTest, TransferFromATeamThatDoesNotLeadFails) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  EXPECT_THAT(domain_->TransferLead(kRecordService, "p1", kCrisis, kVoluntary,
                                    "", "Handover accepted"),
              StatusIs(kPrecondition, HasSubstr("teams/crisis does not lead")));
  EXPECT_THAT(domain_->TransferLead(kAdmin, "p1", kCmht, kCrisis, "",
                                    "Handover accepted"),
              StatusIs(kDenied));
  EXPECT_THAT(domain_->TransferLead(kBob, "p1", kCmht, kCrisis, "",
                                    "Handover accepted"),
              StatusIs(kDenied, HasSubstr("only staff of teams/cmht")));
  EXPECT_THAT(domain_->TransferLead(kRecordService, "p9", kCmht, kCrisis, "",
                                    "Handover accepted"),
              StatusIs(kNotFound, "persons/p9 not found"));
  EXPECT_EQ(StoredVersion(), 2);
}

}  // namespace
}  // namespace carebridge::careplan
