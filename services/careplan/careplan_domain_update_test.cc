// CarePlanDomain: UpdateCarePlan — versioning, etags, ids, request_id
// retries, who may write, and failures that leave no trace.

#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

constexpr absl::StatusCode kAborted = absl::StatusCode::kAborted;
constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// --- Versions ---

TEST_F(CarePlanDomainTest, FirstUpdateCreatesVersionOneLedByTheWritersTeam) {
  ASSERT_OK_AND_ASSIGN(
      v1::CarePlan plan,
      domain_->UpdateCarePlan(
          kAlice, UpdateRequest({"goals"}, Goals({"Feel safe at home"}), "",
                                "First plan with Alex")));
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  EXPECT_EQ(plan.name(), kPlan);
  EXPECT_EQ(plan.person(), kPerson);
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.etag(), "1");
  EXPECT_THAT(plan.create_time(), EqualsProto(now));
  EXPECT_THAT(plan.update_time(), EqualsProto(now));
  EXPECT_EQ(plan.change().kind(), v1::Change::CONTENT_UPDATED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::GOALS, v1::CARE_TEAM));
  EXPECT_EQ(plan.change().reason(), "First plan with Alex");
  EXPECT_EQ(plan.change().actor(), "members/alice");
  EXPECT_EQ(plan.change().actor_team(), kCmht);
  EXPECT_THAT(plan.change().time(), EqualsProto(now));
  EXPECT_EQ(plan.lead_team(), kCmht);
  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_EQ(plan.care_team(0).team(), kCmht);
  EXPECT_EQ(plan.care_team(0).role(), "care coordination");
  EXPECT_TRUE(plan.care_team(0).lead());
  ASSERT_THAT(plan.section_stamps(), SizeIs(2));
  EXPECT_EQ(plan.section_stamps(0).section(), v1::GOALS);
  EXPECT_EQ(plan.section_stamps(0).version(), 1);
  EXPECT_EQ(plan.section_stamps(0).updated_by(), "members/alice");
  EXPECT_EQ(plan.section_stamps(0).updated_by_team(), kCmht);
  EXPECT_EQ(plan.section_stamps(1).section(), v1::CARE_TEAM);
  ASSERT_THAT(plan.goals(), SizeIs(1));
  EXPECT_EQ(plan.goals(0).id(), "g1-1");
  EXPECT_EQ(plan.goals(0).status(), v1::Goal::ACTIVE);
  EXPECT_FALSE(plan.agreed());
  EXPECT_THAT(Get(kAlice),
              ::carebridge::testing::IsOkAndHolds(EqualsProto(plan)));
}

// Every version must fit in one feed event: a plan within every per-field
// limit but made of 4-byte characters is refused, naming its largest
// section, and nothing is stored.
TEST_F(CarePlanDomainTest,
       APlanTooLargeForOneVersionIsRefusedNamingTheSection) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "\xF0\x9F\x8C\xBF";  // U+1F33F
  v1::CarePlan goals;
  for (int i = 0; i < 50; ++i) goals.add_goals()->set_description(text);
  // 50 goals of 2,000 four-byte characters: 400 KB, within the limit.
  ASSERT_OK_AND_ASSIGN(
      v1::CarePlan first,
      domain_->UpdateCarePlan(
          kAlice, UpdateRequest({"goals"}, goals, "", "Large plan")));
  v1::CarePlan actions;
  for (int i = 0; i < 100; ++i) {
    v1::Action* action = actions.add_actions();
    action->set_description(text);
    action->set_owning_team(kCmht);
  }
  EXPECT_THAT(
      domain_->UpdateCarePlan(kAlice, UpdateRequest({"actions"}, actions,
                                                    first.etag(), "Too much")),
      StatusIs(kInvalid, HasSubstr("care_plan.actions: the care_plan "
                                   "would be")));
  EXPECT_THAT(Get(kAlice),
              ::carebridge::testing::IsOkAndHolds(EqualsProto(first)));
}

TEST_F(CarePlanDomainTest, EveryUpdateIsANewVersionStampingOnlyWhatChanged) {
  WriteGoals(kAlice, {"Feel safe at home"});
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(Add(kAlice, kCrisis).status());
  clock_.Advance(absl::Hours(1));
  v1::CarePlan plan = WriteWhatHelps(kBob, "Music, a walk with the dog");
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.etag(), "3");
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CRISIS_PLAN));
  EXPECT_EQ(plan.change().actor(), "members/bob");
  EXPECT_THAT(plan.update_time(), EqualsProto(ToProtoTimestamp(clock_.Now())));
  EXPECT_THAT(plan.create_time(),
              EqualsProto(ToProtoTimestamp(clock_.Now() - absl::Hours(2))));
  // Goals still carry alice's stamp from version 1; the crisis plan bob's.
  ASSERT_THAT(plan.section_stamps(), SizeIs(3));
  EXPECT_EQ(plan.section_stamps(0).section(), v1::GOALS);
  EXPECT_EQ(plan.section_stamps(0).version(), 1);
  EXPECT_EQ(plan.section_stamps(1).section(), v1::CRISIS_PLAN);
  EXPECT_EQ(plan.section_stamps(1).version(), 3);
  EXPECT_EQ(plan.section_stamps(1).updated_by_team(), kCrisis);
  EXPECT_EQ(plan.section_stamps(2).section(), v1::CARE_TEAM);
  EXPECT_EQ(plan.section_stamps(2).version(), 2);
  EXPECT_EQ(plan.goals(0).description(), "Feel safe at home");
  EXPECT_THAT(History(), ElementsAre(Pair(3, v1::Change::CONTENT_UPDATED),
                                     Pair(2, v1::Change::CARE_TEAM_CHANGED),
                                     Pair(1, v1::Change::CONTENT_UPDATED)));
}

TEST_F(CarePlanDomainTest, UpdateThatChangesNothingMakesNoVersion) {
  v1::CarePlan first = WriteGoals(kAlice, {"Feel safe at home"});
  v1::CarePlan same = Goals({});
  *same.add_goals() = first.goals(0);
  same.mutable_goals(0)->set_status(v1::Goal::STATUS_UNSPECIFIED);  // default
  ASSERT_OK_AND_ASSIGN(
      v1::CarePlan plan,
      domain_->UpdateCarePlan(kAlice, UpdateRequest({"goals"}, same, "1")));
  EXPECT_THAT(plan, EqualsProto(first));
  ASSERT_OK_AND_ASSIGN(
      plan, domain_->UpdateCarePlan(
                kAlice, UpdateRequest({"crisis_plan"}, v1::CarePlan(), "1")));
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, NewGoalsAndActionsGetIdsOfTheirVersion) {
  v1::CarePlan plan = WriteGoals(kAlice, {"One", "Two"});
  EXPECT_EQ(plan.goals(0).id(), "g1-1");
  EXPECT_EQ(plan.goals(1).id(), "g1-2");
  v1::CarePlan content;
  *content.add_goals() = plan.goals(1);
  content.add_goals()->set_description("Three");
  v1::Action* action = content.add_actions();
  action->set_description("Weekly call");
  action->set_owning_team(kCrisis);
  ASSERT_OK_AND_ASSIGN(
      plan, domain_->UpdateCarePlan(
                kAlice, UpdateRequest({"goals", "actions"}, content, "1")));
  ASSERT_THAT(plan.goals(), SizeIs(2));
  EXPECT_EQ(plan.goals(0).id(), "g1-2");
  EXPECT_EQ(plan.goals(1).id(), "g2-1");
  EXPECT_EQ(plan.actions(0).id(), "a2-1");
  EXPECT_EQ(plan.actions(0).status(), v1::Action::NOT_STARTED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::GOALS, v1::ACTIONS));
}

// --- Etags ---

TEST_F(CarePlanDomainTest, StaleOrMissingEtagIsAbortedAndChangesNothing) {
  WriteGoals(kAlice, {"One"});
  WriteGoals(kAlice, {"Two"});
  for (const char* etag : {"1", "", "x"}) {
    EXPECT_THAT(domain_->UpdateCarePlan(
                    kAlice, UpdateRequest({"goals"}, Goals({"Three"}), etag)),
                StatusIs(kAborted,
                         "etag: the care plan changed since you read it (now "
                         "version 2); read it again and retry"))
        << etag;
  }
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, EtagOnAPlanNotWrittenYetIsAborted) {
  EXPECT_THAT(domain_->UpdateCarePlan(
                  kAlice, UpdateRequest({"goals"}, Goals({"One"}), "1")),
              StatusIs(kAborted,
                       "etag: persons/p1 has no care plan yet; send no etag "
                       "to create it"));
  EXPECT_EQ(StoredVersion(), 0);
}

TEST_F(CarePlanDomainTest, UpdateThatLostARaceIsAbortedNamingTheNewVersion) {
  WriteGoals(kAlice, {"One"});
  store_->before_append = [&] { WriteWhatHelps(kAlice, "Music"); };
  EXPECT_THAT(domain_->UpdateCarePlan(
                  kAlice, UpdateRequest({"goals"}, Goals({"Two"}), "1")),
              StatusIs(kAborted, HasSubstr("(now version 2)")));
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Get(kAlice));
  EXPECT_EQ(plan.version(), 2);
  EXPECT_EQ(plan.goals(0).description(), "One");
}

// --- Agreement ---

TEST_F(CarePlanDomainTest, ContentChangeClearsAgreementButKeepsTheRecord) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK_AND_ASSIGN(v1::CarePlan agreed, Agree(kAlice, 1, "Yes, that's me"));
  ASSERT_TRUE(agreed.agreed());
  v1::CarePlan plan = WriteWhatHelps(kAlice, "Music");
  EXPECT_FALSE(plan.agreed());
  EXPECT_THAT(plan.agreement(), EqualsProto(agreed.agreement()));
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CRISIS_PLAN));
}

// --- Bad input and unknown things ---

TEST_F(CarePlanDomainTest, AnIdThePlanDoesNotHaveIsInvalidAndMakesNoVersion) {
  WriteGoals(kAlice, {"One"});
  v1::CarePlan content = Goals({"Two"});
  content.mutable_goals(0)->set_id("g7-1");
  EXPECT_THAT(
      domain_->UpdateCarePlan(kAlice, UpdateRequest({"goals"}, content, "1")),
      StatusIs(kInvalid, HasSubstr("care_plan.goals[0].id: "
                                   "persons/p1/carePlan has no goal")));
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, ActionOwnedByAnUnknownTeamIsInvalid) {
  v1::CarePlan content;
  for (const char* team : {kCmht, kCmht, "teams/nope"}) {
    v1::Action* action = content.add_actions();
    action->set_description("Something");
    action->set_owning_team(team);
  }
  EXPECT_THAT(
      domain_->UpdateCarePlan(kAlice, UpdateRequest({"actions"}, content, "")),
      StatusIs(kInvalid,
               "care_plan.actions[2].owning_team: teams/nope does not exist"));
  EXPECT_EQ(StoredVersion(), 0);
}

TEST_F(CarePlanDomainTest, DirectoryDownWhileCheckingTeamsIsUnavailable) {
  WriteGoals(kAlice, {"One"});
  directory_.FailWith(absl::UnavailableError("connection refused"));
  v1::CarePlan content;
  v1::Action* action = content.add_actions();
  action->set_description("Something");
  action->set_owning_team(kCmht);
  EXPECT_THAT(
      domain_->UpdateCarePlan(kAlice, UpdateRequest({"actions"}, content, "1")),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("directory")));
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, DirectoryDownBeforeAWriteCommitsMakesNoVersion) {
  // What the caller will be shown is decided before the commit: a team
  // ending its own involvement is then shown its sector's share, which
  // takes the directory. Down, the call fails and nothing is written.
  WriteGoals(kAlice, {"One"});
  ASSERT_TRUE(Add(kAlice, kCrisis, CurrentEtag()).ok());
  const int64_t before = StoredVersion();
  directory_.FailWith(absl::UnavailableError("connection refused"));
  EXPECT_THAT(End(kBob, kCrisis),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("directory")));
  EXPECT_EQ(StoredVersion(), before);
  directory_.FailWith(absl::OkStatus());
  EXPECT_TRUE(End(kBob, kCrisis).ok());
  EXPECT_EQ(StoredVersion(), before + 1);
}

TEST_F(CarePlanDomainTest, PlanOfAnUnknownPersonIsNotFound) {
  v1::UpdateCarePlanRequest request =
      UpdateRequest({"goals"}, Goals({"One"}), "");
  request.mutable_care_plan()->set_name("persons/p9/carePlan");
  EXPECT_THAT(domain_->UpdateCarePlan(kAlice, request),
              StatusIs(absl::StatusCode::kNotFound, "persons/p9 not found"));
  EXPECT_EQ(StoredVersion("p9"), 0);
}

// --- Who may write ---

TEST_F(CarePlanDomainTest, TeamNotInvolvedMayNotWrite) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(domain_->UpdateCarePlan(
                  kBob, UpdateRequest({"goals"}, Goals({"Two"}), "1")),
              StatusIs(kDenied,
                       "only teams on persons/p1's care team may change its "
                       "care plan; teams/crisis is not involved"));
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainTest, AnyTeamMayPickUpAPlanNobodyIsInvolvedIn) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(End(kAlice, kCmht).status());
  v1::CarePlan plan = WriteGoals(kBob, {"Two"});
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.lead_team(), kCrisis);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::GOALS, v1::CARE_TEAM));
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_TRUE(plan.care_team(0).has_end_time());
  EXPECT_EQ(plan.care_team(1).team(), kCrisis);
  EXPECT_EQ(plan.care_team(1).role(), "care coordination");
}

TEST_F(CarePlanDomainTest, ServicesAndAdminsMayNotWriteContent) {
  for (const Principal& caller : {kRecordService, kAdmin}) {
    EXPECT_THAT(domain_->UpdateCarePlan(
                    caller, UpdateRequest({"goals"}, Goals({"One"}), "")),
                StatusIs(kDenied, HasSubstr("UpdateCarePlan: only clinical "
                                            "staff of a team may do this")))
        << caller.subject;
  }
  EXPECT_EQ(StoredVersion(), 0);
}

TEST_F(CarePlanDomainTest, ChecksRunInTheDocumentedOrder) {
  // Shape before role: an admin's malformed request is INVALID_ARGUMENT.
  EXPECT_THAT(domain_->UpdateCarePlan(
                  kAdmin, UpdateRequest({"care_team"}, v1::CarePlan(), "")),
              StatusIs(kInvalid));
  // Role before the plan: an admin learns nothing about persons/p9.
  v1::UpdateCarePlanRequest unknown =
      UpdateRequest({"goals"}, Goals({"One"}), "");
  unknown.mutable_care_plan()->set_name("persons/p9/carePlan");
  EXPECT_THAT(domain_->UpdateCarePlan(kAdmin, unknown), StatusIs(kDenied));
  WriteGoals(kAlice, {"One"});
  // Relationship before etag.
  EXPECT_THAT(domain_->UpdateCarePlan(
                  kBob, UpdateRequest({"goals"}, Goals({"Two"}), "7")),
              StatusIs(kDenied));
  // Etag before the plan's rules (an unknown goal id).
  v1::CarePlan content = Goals({"Two"});
  content.mutable_goals(0)->set_id("g9-9");
  EXPECT_THAT(
      domain_->UpdateCarePlan(kAlice, UpdateRequest({"goals"}, content, "7")),
      StatusIs(kAborted));
}

// --- request_id ---

TEST_F(CarePlanDomainTest, RetryWithTheSameRequestIdReturnsTheFirstVersion) {
  WriteGoals(kAlice, {"One"});
  v1::UpdateCarePlanRequest request =
      UpdateRequest({"goals"}, Goals({"Two"}), "1");
  request.set_request_id("r1");
  ASSERT_OK_AND_ASSIGN(v1::CarePlan first,
                       domain_->UpdateCarePlan(kAlice, request));
  EXPECT_EQ(first.version(), 2);
  WriteWhatHelps(kAlice, "Music");
  ASSERT_OK_AND_ASSIGN(v1::CarePlan retry,
                       domain_->UpdateCarePlan(kAlice, request));
  EXPECT_THAT(retry, EqualsProto(first));
  EXPECT_EQ(retry.name(), kPlan);
  EXPECT_EQ(retry.etag(), "2");
  EXPECT_EQ(StoredVersion(), 3);
}

TEST_F(CarePlanDomainTest, RequestIdReusedForADifferentChangeIsAlreadyExists) {
  WriteGoals(kAlice, {"One"});
  v1::UpdateCarePlanRequest request =
      UpdateRequest({"goals"}, Goals({"Two"}), "1");
  request.set_request_id("r1");
  ASSERT_OK(domain_->UpdateCarePlan(kAlice, request).status());
  v1::UpdateCarePlanRequest other =
      UpdateRequest({"goals"}, Goals({"Three"}), "2");
  other.set_request_id("r1");
  EXPECT_THAT(domain_->UpdateCarePlan(kAlice, other),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "request_id: r1 was already used for a different "
                       "change (version 2)"));
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, RequestIdsBelongToTheTeamThatUsedThem) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  v1::UpdateCarePlanRequest request =
      UpdateRequest({"goals"}, Goals({"Two"}), "2");
  request.set_request_id("r1");
  ASSERT_OK(domain_->UpdateCarePlan(kAlice, request).status());
  v1::UpdateCarePlanRequest bobs =
      UpdateRequest({"crisis_plan"}, WhatHelps("Music"), "3");
  bobs.set_request_id("r1");
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, domain_->UpdateCarePlan(kBob, bobs));
  EXPECT_EQ(plan.version(), 4);
}

TEST_F(CarePlanDomainTest, RetryRacingItsFirstAttemptGetsTheFirstResult) {
  WriteGoals(kAlice, {"One"});
  v1::UpdateCarePlanRequest request =
      UpdateRequest({"goals"}, Goals({"Two"}), "1");
  request.set_request_id("r1");
  v1::CarePlan first;
  // The first attempt commits between the retry's read and its write.
  store_->before_append = [&] {
    first = Succeed(domain_->UpdateCarePlan(kAlice, request));
  };
  ASSERT_OK_AND_ASSIGN(v1::CarePlan retry,
                       domain_->UpdateCarePlan(kAlice, request));
  EXPECT_EQ(first.version(), 2);
  EXPECT_THAT(retry, EqualsProto(first));
  EXPECT_EQ(StoredVersion(), 2);
}

// Every attempt lost its race; the last one to a retry of this very
// request, which is the answer (not "kept changing").
TEST_F(CarePlanDomainTest, ARetryThatWinsTheLastRaceIsTheAnswer) {
  WriteGoals(kAlice, {"One"});
  v1::UpdateCarePlanRequest request =
      UpdateRequest({"goals"}, Goals({"Two"}), "1");
  request.set_request_id("r1");
  v1::CarePlan first;
  store_->busy_appends = 4;
  store_->before_append = [&] {
    first = Succeed(domain_->UpdateCarePlan(kAlice, request));
  };
  const int appends_before = store_->appends;
  ASSERT_OK_AND_ASSIGN(v1::CarePlan retry,
                       domain_->UpdateCarePlan(kAlice, request));
  // Four busy attempts, the racing retry's append and the last attempt.
  EXPECT_EQ(store_->appends - appends_before, 6);
  EXPECT_EQ(first.version(), 2);
  EXPECT_THAT(retry, EqualsProto(first));
  EXPECT_EQ(StoredVersion(), 2);
}

}  // namespace
}  // namespace carebridge::careplan
