// CreateHandover: who may hand over, what is checked, what is recorded.

#include <string>

#include "services/common/time_util.h"
#include "services/handover/handover_domain_test_fixture.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CreateHandoverTest : public HandoverDomainTest {};

TEST_F(CreateHandoverTest, TransferFromTheLeadTeamRecordsEverything) {
  const absl::Time now = clock_.Now();
  v1::CreateHandoverRequest request = CreateRequest();
  v1::Handover handover = Create(kBob, request);

  EXPECT_THAT(handover.name(), ::testing::StartsWith("handovers/"));
  EXPECT_EQ(handover.person(), kPerson);
  EXPECT_EQ(handover.sending_team(), kCrisis);
  EXPECT_EQ(handover.receiving_team(), kCmht);
  EXPECT_EQ(handover.kind(), v1::TRANSFER_OF_RESPONSIBILITY);
  EXPECT_EQ(handover.situation(), request.handover().situation());
  EXPECT_EQ(handover.background(), request.handover().background());
  EXPECT_EQ(handover.assessment(), request.handover().assessment());
  EXPECT_EQ(handover.recommendation(), request.handover().recommendation());
  EXPECT_EQ(handover.illness_severity(), v1::WATCHER);
  ASSERT_EQ(handover.actions_size(), 2);
  EXPECT_EQ(handover.actions(0).id(), "a1");
  EXPECT_EQ(handover.actions(1).id(), "a2");
  EXPECT_EQ(handover.actions(1).owning_team(), kVoluntary);
  EXPECT_THAT(handover.contingencies(),
              ElementsAre(EqualsProto(request.handover().contingencies(0))));
  EXPECT_EQ(handover.care_plan_version(), kPlanVersion);
  EXPECT_EQ(handover.state(), v1::PENDING);
  EXPECT_EQ(handover.created_by(), "members/bob");
  EXPECT_EQ(FromProtoTimestamp(handover.create_time()), now);
  EXPECT_EQ(FromProtoTimestamp(handover.update_time()), now);
  // The CMHT's own deadline for URGENT.
  EXPECT_EQ(FromProtoTimestamp(handover.response_due_time()),
            now + absl::Hours(48));
  EXPECT_FALSE(handover.overdue());
  EXPECT_FALSE(handover.has_escalate_time());
  EXPECT_FALSE(handover.has_read_back());
  EXPECT_EQ(handover.etag(), "1");
  EXPECT_THAT(Reread(handover.name()), EqualsProto(handover));
}

TEST_F(CreateHandoverTest, DeadlineFollowsUrgency) {
  const absl::Time now = clock_.Now();
  v1::Handover crisis =
      Create(kBob, CreateRequest(v1::SHARED_CARE, kCmht, referral::v1::CRISIS));
  EXPECT_EQ(FromProtoTimestamp(crisis.response_due_time()),
            now + absl::Hours(2));
  v1::Handover routine = Create(
      kBob, CreateRequest(v1::SHARED_CARE, kCmht, referral::v1::ROUTINE));
  EXPECT_EQ(FromProtoTimestamp(routine.response_due_time()),
            now + absl::Hours(240));
}

TEST_F(CreateHandoverTest, WritesOneCreatedEventWithTheHandoverAsShown) {
  v1::Handover handover = Create();
  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  const events::v1::Event& event = events[0];
  EXPECT_EQ(event.type(), "handover.created");
  EXPECT_EQ(event.feed(), "handover");
  EXPECT_EQ(event.subject(), handover.name());
  EXPECT_EQ(event.person(), kPerson);
  EXPECT_THAT(event.teams(), ElementsAre(kCrisis, kCmht));
  EXPECT_EQ(event.actor(), "members/bob");
  EXPECT_EQ(FromProtoTimestamp(event.time()), clock_.Now());
  EXPECT_THAT(PayloadOf(event), EqualsProto(AsFeedCarries(handover)));
  EXPECT_FALSE(handover.assessment().empty());
}

TEST_F(CreateHandoverTest, GivenCarePlanVersionIsKept) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.mutable_handover()->set_care_plan_version(2);
  EXPECT_EQ(Create(kBob, request).care_plan_version(), 2);
}

TEST_F(CreateHandoverTest, CarePlanVersionAheadOfThePlanIsInvalid) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.mutable_handover()->set_care_plan_version(kPlanVersion + 1);
  EXPECT_THAT(domain_->CreateHandover(kBob, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("handover.care_plan_version: persons/p1's "
                                 "care plan has no version 5")));
  EXPECT_THAT(Events(), IsEmpty());
}

TEST_F(CreateHandoverTest, OnlyTheLeadTeamTransfersResponsibility) {
  v1::CreateHandoverRequest request =
      CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary);
  EXPECT_THAT(domain_->CreateHandover(kAlice, request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the lead team is teams/crisis, not "
                                 "teams/cmht")));
  // The same team may share care or pass information on.
  Create(kAlice, CreateRequest(v1::SHARED_CARE, kVoluntary));
  Create(kAlice, CreateRequest(v1::INFORMATION_ONLY, kVoluntary));
  EXPECT_THAT(EventTypes(),
              ElementsAre("handover.created", "handover.created"));
}

TEST_F(CreateHandoverTest, TeamNotOnTheCareTeamCannotHandOver) {
  EXPECT_THAT(
      domain_->CreateHandover(kOtto, CreateRequest(v1::SHARED_CARE, kCmht)),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("teams/housing is not on the care team of "
                         "persons/p1")));
  EXPECT_THAT(Events(), IsEmpty());
}

TEST_F(CreateHandoverTest, PersonWithoutCarePlanHasNobodyToHandOver) {
  v1::CreateHandoverRequest request = CreateRequest(v1::SHARED_CARE);
  request.mutable_handover()->set_person(kPersonWithoutPlan);
  EXPECT_THAT(domain_->CreateHandover(kBob, request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("teams/crisis is not on the care team of "
                                 "persons/p2")));
}

TEST_F(CreateHandoverTest, UnknownPersonIsNotFound) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.mutable_handover()->set_person("persons/p9");
  EXPECT_THAT(domain_->CreateHandover(kBob, request),
              StatusIs(absl::StatusCode::kNotFound,
                       "handover.person: persons/p9 not found"));
}

TEST_F(CreateHandoverTest, CarePlanServiceDownIsUnavailableAndStoresNothing) {
  careplan_.FailWith(absl::UnavailableError("connection refused"));
  EXPECT_THAT(domain_->CreateHandover(kBob, CreateRequest()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("careplan")));
  EXPECT_THAT(Events(), IsEmpty());
  EXPECT_THAT(ListNames(kBob, Mailbox(v1::SENT_BY_TEAM)), IsEmpty());
}

TEST_F(CreateHandoverTest, DirectoryDownIsUnavailableAndStoresNothing) {
  directory_.FailWith(absl::UnavailableError("directory: unreachable"));
  EXPECT_THAT(domain_->CreateHandover(kBob, CreateRequest()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Events(), IsEmpty());
}

TEST_F(CreateHandoverTest, ReceivingTeamMustExist) {
  EXPECT_THAT(domain_->CreateHandover(
                  kBob, CreateRequest(v1::SHARED_CARE, "teams/nowhere")),
              StatusIs(absl::StatusCode::kNotFound,
                       "handover.receiving_team: teams/nowhere not found"));
}

TEST_F(CreateHandoverTest, ReceivingTeamMayNotBeTheSender) {
  EXPECT_THAT(
      domain_->CreateHandover(kBob, CreateRequest(v1::SHARED_CARE, kCrisis)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("handover.receiving_team: must be another team")));
}

TEST_F(CreateHandoverTest, ReceivingTeamNeedNotBeOnTheCareTeamOrAccepting) {
  // Housing takes no referrals and is not involved: a handover still
  // reaches it (it is how a team joins).
  v1::Handover handover =
      Create(kBob, CreateRequest(v1::SHARED_CARE, kHousing));
  EXPECT_EQ(handover.receiving_team(), kHousing);
}

TEST_F(CreateHandoverTest, EveryActionOwningTeamMustExist) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.mutable_handover()->mutable_actions(1)->set_owning_team("teams/gone");
  EXPECT_THAT(
      domain_->CreateHandover(kBob, request),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "handover.actions[1].owning_team: teams/gone does not exist"));
  EXPECT_THAT(Events(), IsEmpty());
}

TEST_F(CreateHandoverTest, OnlyClinicalStaffHandOver) {
  EXPECT_THAT(domain_->CreateHandover(kAdmin, CreateRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(domain_->CreateHandover(kRecordService, CreateRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(careplan_.calls(), 0);
}

TEST_F(CreateHandoverTest, RequestShapeIsCheckedBeforeTheCaller) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.mutable_handover()->clear_situation();
  EXPECT_THAT(domain_->CreateHandover(kAdmin, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "handover.situation: must be set"));
}

TEST_F(CreateHandoverTest, OnePendingTransferPerPerson) {
  v1::Handover first = Create();
  // Not even to another team.
  EXPECT_THAT(
      domain_->CreateHandover(
          kBob, CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary)),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr(first.name() + " already transfers responsibility")));
  // Sharing care meanwhile is fine.
  Create(kBob, CreateRequest(v1::SHARED_CARE, kVoluntary));
  ASSERT_TRUE(
      domain_->DeclineHandover(kAlice, DeclineRequest(first.name())).ok());
  v1::Handover next =
      Create(kBob, CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary));
  EXPECT_EQ(next.receiving_team(), kVoluntary);
}

TEST_F(CreateHandoverTest, NoSecondTransferBeforeTheCarePlanShowsTheFirst) {
  // Bob's team handed responsibility to the CMHT; the care plan still shows
  // the crisis team leading (its care team last changed before that).
  CareTeamView view;
  view.current_version = kPlanVersion;
  view.lead_team = kCrisis;
  view.involved_teams = {kCrisis, kCmht, kVoluntary};
  view.care_team_change_time = clock_.Now() - absl::Hours(1);
  careplan_.SetCareTeam(kPerson, view);
  v1::Handover first = Create();
  ASSERT_TRUE(
      domain_->AcceptHandover(kAlice, AcceptRequest(first.name())).ok());
  clock_.Advance(absl::Seconds(1));
  const size_t events = Events().size();
  EXPECT_THAT(
      domain_->CreateHandover(
          kBob, CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary)),
      StatusIs(absl::StatusCode::kAborted,
               AllOf(HasSubstr(first.name()), HasSubstr("not caught up"))));
  EXPECT_EQ(Events().size(), events) << "a refused create stored something";
  // Sharing care is not a transfer: still fine.
  Create(kBob, CreateRequest(v1::SHARED_CARE, kVoluntary));
  // Once the care plan's care team changed after the acceptance (the lead
  // came back to the crisis team, say), the crisis team may transfer again.
  view.care_team_change_time = clock_.Now();
  careplan_.SetCareTeam(kPerson, view);
  Create(kBob, CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary));
}

TEST_F(CreateHandoverTest, AStaleCarePlanIsBelievedAfterTheCatchUpWindow) {
  CareTeamView view;
  view.current_version = kPlanVersion;
  view.lead_team = kCrisis;
  view.involved_teams = {kCrisis, kCmht, kVoluntary};
  careplan_.SetCareTeam(kPerson, view);  // no care team time known
  v1::Handover first = Create();
  ASSERT_TRUE(
      domain_->AcceptHandover(kAlice, AcceptRequest(first.name())).ok());
  EXPECT_THAT(
      domain_->CreateHandover(
          kBob, CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary)),
      StatusIs(absl::StatusCode::kAborted));
  clock_.Advance(absl::Minutes(6));
  Create(kBob, CreateRequest(v1::TRANSFER_OF_RESPONSIBILITY, kVoluntary));
}

TEST_F(CreateHandoverTest, RetryWithTheSameRequestIdReturnsTheFirst) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.set_request_id("crisis-2026-01-01-1");
  v1::Handover first = Create(kBob, request);
  clock_.Advance(absl::Minutes(1));
  v1::Handover retry = Create(kBob, request);
  EXPECT_THAT(retry, EqualsProto(first));
  // With no second event, and found by the write itself: a create whose
  // checks pass reads nothing before its one transaction (a retry is rare;
  // every create paid for that read).
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(store_->request_id_lookups, 0);
}

TEST_F(CreateHandoverTest, RetryIsAnsweredEvenAfterTheCareTeamChanged) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.set_request_id("r1");
  v1::Handover first = Create(kBob, request);
  careplan_.FailWith(absl::UnavailableError("down"));
  // The same handover; as the person's sharing choices cannot be read now,
  // the sender is told the receiving team would not be shown the
  // assessment (withheld, never guessed).
  v1::Handover expected = first;
  expected.add_withheld_from_receiving_team("assessment");
  EXPECT_THAT(Create(kBob, request), EqualsProto(expected));
}

// The care team changed since (the sender's team left it): the retry is
// still answered from what was stored; a new create is refused.
TEST_F(CreateHandoverTest, RetryIsAnsweredAfterTheSenderLeftTheCareTeam) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.set_request_id("r2");
  v1::Handover first = Create(kBob, request);
  CareTeamView view;
  view.current_version = kPlanVersion + 1;
  view.lead_team = kCmht;
  view.involved_teams = {kCmht, kVoluntary};
  careplan_.SetCareTeam(kPerson, view);
  EXPECT_THAT(Create(kBob, request), EqualsProto(first));
  v1::CreateHandoverRequest another = request;
  another.set_request_id("r3");
  EXPECT_THAT(domain_->CreateHandover(kBob, another),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not on the care team")));
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(CreateHandoverTest, ReusedRequestIdWithAnotherHandoverAlreadyExists) {
  v1::CreateHandoverRequest request = CreateRequest(v1::SHARED_CARE);
  request.set_request_id("r1");
  v1::Handover first = Create(kBob, request);
  request.mutable_handover()->set_situation("Something else entirely.");
  EXPECT_THAT(domain_->CreateHandover(kBob, request),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("was already used by teams/crisis for " +
                                 first.name())));
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(CreateHandoverTest, OutputOnlyFieldsDoNotMakeARetryDifferent) {
  v1::CreateHandoverRequest request = CreateRequest(v1::SHARED_CARE);
  request.set_request_id("r1");
  v1::Handover first = Create(kBob, request);
  request.mutable_handover()->set_state(v1::ACCEPTED);
  request.mutable_handover()->set_etag("9");
  request.mutable_handover()->mutable_actions(0)->set_id("zz");
  EXPECT_EQ(Create(kBob, request).name(), first.name());
}

TEST_F(CreateHandoverTest, RequestIdsBelongToTheSendingTeam) {
  v1::CreateHandoverRequest request =
      CreateRequest(v1::SHARED_CARE, kVoluntary);
  request.set_request_id("r1");
  v1::Handover bobs = Create(kBob, request);
  v1::Handover alices = Create(kAlice, request);
  EXPECT_NE(bobs.name(), alices.name());
}

TEST_F(CreateHandoverTest, ConcurrentRetryThatWinsTheRaceIsReturned) {
  v1::CreateHandoverRequest request = CreateRequest();
  request.set_request_id("r1");
  std::string winner;
  store_->before_create = [&] {
    winner = Create(kBob, request).name();  // the other attempt commits first
  };
  v1::Handover handover = Create(kBob, request);
  EXPECT_EQ(handover.name(), winner);
  EXPECT_EQ(Events().size(), 1u);
}

}  // namespace
}  // namespace carebridge::handover
