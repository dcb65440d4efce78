// Accept, decline, cancel, get and list: who may, what each records.

#include <string>

#include "services/common/page_token.h"
#include "services/common/time_util.h"
#include "services/handover/handover_domain_test_fixture.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class AnswerHandoverTest : public HandoverDomainTest {};

TEST_F(AnswerHandoverTest, AcceptedTransferKeepsTheReadBack) {
  v1::Handover handover = Create();
  clock_.Advance(absl::Hours(1));
  const absl::Time now = clock_.Now();
  v1::AcceptHandoverRequest request = AcceptRequest(handover.name());
  ASSERT_OK_AND_ASSIGN(v1::Handover accepted,
                       domain_->AcceptHandover(kAlice, request));
  EXPECT_EQ(accepted.state(), v1::ACCEPTED);
  EXPECT_EQ(accepted.read_back().summary(), request.read_back().summary());
  EXPECT_THAT(accepted.read_back().actions_taken_on(),
              ElementsAre("Visit her at home by Thursday"));
  EXPECT_EQ(accepted.read_back().recorded_by(), "members/alice");
  EXPECT_EQ(FromProtoTimestamp(accepted.read_back().record_time()), now);
  EXPECT_EQ(accepted.answer_note(), request.note());
  EXPECT_EQ(accepted.answered_by(), "members/alice");
  EXPECT_EQ(FromProtoTimestamp(accepted.answer_time()), now);
  EXPECT_EQ(FromProtoTimestamp(accepted.update_time()), now);
  EXPECT_EQ(accepted.etag(), "2");
  EXPECT_THAT(Reread(handover.name()), EqualsProto(accepted));

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type(), "handover.accepted");
  EXPECT_EQ(events[1].actor(), "members/alice");
  EXPECT_THAT(events[1].teams(), ElementsAre(kCrisis, kCmht));
  EXPECT_EQ(FromProtoTimestamp(events[1].time()), now);
  EXPECT_THAT(PayloadOf(events[1]), EqualsProto(AsFeedCarries(accepted)));
}

TEST_F(AnswerHandoverTest, TransferIsNotAcceptedWithoutAReadBack) {
  v1::Handover handover = Create();
  v1::AcceptHandoverRequest request = AcceptRequest(handover.name());
  request.clear_read_back();
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("read_back: must be set to accept")));

  request = AcceptRequest(handover.name());
  request.mutable_read_back()->set_summary("   ");
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "read_back.summary: must be set"));

  request = AcceptRequest(handover.name());
  request.mutable_read_back()->clear_actions_taken_on();
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("read_back.actions_taken_on: must name")));

  // Nothing changed: responsibility stays with the sender.
  EXPECT_THAT(Reread(handover.name()), EqualsProto(handover));
  EXPECT_THAT(EventTypes(), ElementsAre("handover.created"));
}

TEST_F(AnswerHandoverTest, SharedCareIsAcceptedWithOrWithoutReadBack) {
  v1::Handover bare = Create(kBob, CreateRequest(v1::SHARED_CARE));
  v1::AcceptHandoverRequest request;
  request.set_name(bare.name());
  ASSERT_OK_AND_ASSIGN(v1::Handover accepted,
                       domain_->AcceptHandover(kAlice, request));
  EXPECT_EQ(accepted.state(), v1::ACCEPTED);
  EXPECT_FALSE(accepted.has_read_back());

  v1::Handover info = Create(kBob, CreateRequest(v1::INFORMATION_ONLY));
  ASSERT_OK_AND_ASSIGN(
      v1::Handover with_read_back,
      domain_->AcceptHandover(kAlice, AcceptRequest(info.name())));
  EXPECT_EQ(with_read_back.read_back().recorded_by(), "members/alice");
}

// A read-back is proof the situation was understood, whatever the kind: one
// that is given must be whole (ReadBack.summary is required, and at least
// one action), or an empty one would be recorded as that proof.
TEST_F(AnswerHandoverTest, ReadBackGivenForOtherKindsMustBeComplete) {
  v1::Handover shared = Create(kBob, CreateRequest(v1::SHARED_CARE));
  v1::AcceptHandoverRequest request = AcceptRequest(shared.name());
  request.mutable_read_back()->clear_summary();
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "read_back.summary: must be set"));
  request = AcceptRequest(shared.name());
  request.mutable_read_back()->clear_actions_taken_on();
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("read_back.actions_taken_on: must name")));
  EXPECT_THAT(Reread(shared.name()), EqualsProto(shared));
  EXPECT_THAT(EventTypes(), ElementsAre("handover.created"));
}

TEST_F(AnswerHandoverTest, DeclineRecordsTheReasonAndLeavesTheSenderInCharge) {
  v1::Handover handover = Create();
  ASSERT_OK_AND_ASSIGN(
      v1::Handover declined,
      domain_->DeclineHandover(kAlice, DeclineRequest(handover.name())));
  EXPECT_EQ(declined.state(), v1::DECLINED);
  EXPECT_EQ(declined.answer_note(), DeclineRequest("").reason());
  EXPECT_EQ(declined.answered_by(), "members/alice");
  EXPECT_FALSE(declined.has_read_back());
  EXPECT_THAT(EventTypes(),
              ElementsAre("handover.created", "handover.declined"));
  EXPECT_THAT(PayloadOf(Events()[1]), EqualsProto(AsFeedCarries(declined)));
}

TEST_F(AnswerHandoverTest, DeclineAndCancelNeedAReason) {
  v1::Handover handover = Create();
  v1::DeclineHandoverRequest decline = DeclineRequest(handover.name());
  decline.clear_reason();
  EXPECT_THAT(
      domain_->DeclineHandover(kAlice, decline),
      StatusIs(absl::StatusCode::kInvalidArgument, "reason: must be set"));
  v1::CancelHandoverRequest cancel = CancelRequest(handover.name());
  cancel.clear_reason();
  EXPECT_THAT(
      domain_->CancelHandover(kBob, cancel),
      StatusIs(absl::StatusCode::kInvalidArgument, "reason: must be set"));
  EXPECT_THAT(EventTypes(), ElementsAre("handover.created"));
}

TEST_F(AnswerHandoverTest, SenderCancelsWhilePending) {
  v1::Handover handover = Create();
  ASSERT_OK_AND_ASSIGN(
      v1::Handover cancelled,
      domain_->CancelHandover(kBob, CancelRequest(handover.name())));
  EXPECT_EQ(cancelled.state(), v1::CANCELLED);
  EXPECT_EQ(cancelled.answer_note(), "She was admitted overnight.");
  EXPECT_EQ(cancelled.answered_by(), "members/bob");
  EXPECT_THAT(EventTypes(),
              ElementsAre("handover.created", "handover.cancelled"));
}

TEST_F(AnswerHandoverTest, OnlyTheReceivingTeamAnswers) {
  v1::Handover handover = Create();
  for (const Principal& who : {kBob, kVal, kAdmin, kRecordService}) {
    EXPECT_THAT(domain_->AcceptHandover(who, AcceptRequest(handover.name())),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << who.subject;
    EXPECT_THAT(domain_->DeclineHandover(who, DeclineRequest(handover.name())),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << who.subject;
  }
  EXPECT_THAT(domain_->AcceptHandover(kVal, AcceptRequest(handover.name())),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("only members of teams/cmht")));
  EXPECT_THAT(EventTypes(), ElementsAre("handover.created"));
}

TEST_F(AnswerHandoverTest, OnlyTheSendingTeamCancels) {
  v1::Handover handover = Create();
  for (const Principal& who : {kAlice, kVal, kAdmin, kRecordService}) {
    EXPECT_THAT(domain_->CancelHandover(who, CancelRequest(handover.name())),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << who.subject;
  }
  EXPECT_THAT(EventTypes(), ElementsAre("handover.created"));
}

TEST_F(AnswerHandoverTest, AnswersAreFinal) {
  v1::Handover handover = Create();
  ASSERT_TRUE(
      domain_->DeclineHandover(kAlice, DeclineRequest(handover.name())).ok());
  EXPECT_THAT(
      domain_->AcceptHandover(kAlice, AcceptRequest(handover.name())),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               handover.name() + " is DECLINED; it cannot be accepted"));
  EXPECT_THAT(domain_->CancelHandover(kBob, CancelRequest(handover.name())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is DECLINED; it cannot be cancelled")));
  EXPECT_THAT(EventTypes(),
              ElementsAre("handover.created", "handover.declined"));
}

TEST_F(AnswerHandoverTest, UnknownHandoverIsNotFound) {
  EXPECT_THAT(domain_->AcceptHandover(kAlice, AcceptRequest("handovers/x")),
              StatusIs(absl::StatusCode::kNotFound, "handovers/x not found"));
}

TEST_F(AnswerHandoverTest, StaleEtagIsAborted) {
  v1::Handover handover = Create();
  v1::AcceptHandoverRequest request = AcceptRequest(handover.name());
  request.set_etag("7");
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kAborted, HasSubstr(handover.name())));
  request.set_etag(handover.etag());
  EXPECT_TRUE(domain_->AcceptHandover(kAlice, request).ok());
}

TEST_F(AnswerHandoverTest, LostRaceWithoutEtagIsDecidedOnTheFreshRead) {
  v1::Handover handover = Create();
  store_->before_write = [&] {
    ASSERT_TRUE(
        domain_->CancelHandover(kBob, CancelRequest(handover.name())).ok());
  };
  EXPECT_THAT(domain_->AcceptHandover(kAlice, AcceptRequest(handover.name())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is CANCELLED")));
  EXPECT_THAT(EventTypes(),
              ElementsAre("handover.created", "handover.cancelled"));
}

TEST_F(AnswerHandoverTest, LostRaceWithEtagIsAborted) {
  v1::Handover handover = Create();
  store_->before_write = [&] {
    ASSERT_TRUE(
        domain_->CancelHandover(kBob, CancelRequest(handover.name())).ok());
  };
  v1::AcceptHandoverRequest request = AcceptRequest(handover.name());
  request.set_etag(handover.etag());
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(AnswerHandoverTest, BothTeamsAndServicesReadAHandover) {
  v1::Handover handover = Create();
  v1::GetHandoverRequest request;
  request.set_name(handover.name());
  for (const Principal& who : {kBob, kAlice, kRecordService}) {
    EXPECT_THAT(domain_->GetHandover(who, request),
                ::carebridge::testing::IsOkAndHolds(EqualsProto(handover)))
        << who.subject;
  }
  EXPECT_THAT(domain_->GetHandover(kVal, request),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("members/val is in teams/vcs")));
  EXPECT_THAT(domain_->GetHandover(kAdmin, request),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AnswerHandoverTest, AdminsLearnNotEvenWhetherAHandoverExists) {
  v1::GetHandoverRequest request;
  request.set_name("handovers/none");
  EXPECT_THAT(domain_->GetHandover(kAdmin, request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(domain_->GetHandover(kVal, request),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AnswerHandoverTest, MailboxesListOldestFirstWithFilters) {
  v1::Handover first = Create(kBob, CreateRequest(v1::SHARED_CARE));
  clock_.Advance(absl::Seconds(1));
  v1::Handover second = Create(kBob, CreateRequest(v1::INFORMATION_ONLY));
  clock_.Advance(absl::Seconds(1));
  v1::Handover to_vcs =
      Create(kBob, CreateRequest(v1::SHARED_CARE, kVoluntary));
  ASSERT_TRUE(
      domain_->DeclineHandover(kAlice, DeclineRequest(second.name())).ok());

  EXPECT_THAT(ListNames(kAlice, Mailbox(v1::INBOX)),
              ElementsAre(first.name(), second.name()));
  EXPECT_THAT(ListNames(kBob, Mailbox(v1::SENT_BY_TEAM)),
              ElementsAre(first.name(), second.name(), to_vcs.name()));
  EXPECT_THAT(ListNames(kBob, Mailbox(v1::INBOX)), IsEmpty());
  v1::ListHandoversRequest pending = Mailbox(v1::SENT_BY_TEAM);
  pending.add_states(v1::PENDING);
  EXPECT_THAT(ListNames(kBob, pending),
              ElementsAre(first.name(), to_vcs.name()));
  v1::ListHandoversRequest other_person = Mailbox(v1::SENT_BY_TEAM);
  other_person.set_person(kPersonWithoutPlan);
  EXPECT_THAT(ListNames(kBob, other_person), IsEmpty());
  v1::ListHandoversRequest paged = Mailbox(v1::SENT_BY_TEAM);
  paged.set_page_size(1);
  EXPECT_THAT(ListNames(kBob, paged),
              ElementsAre(first.name(), second.name(), to_vcs.name()));
}

TEST_F(AnswerHandoverTest, PageTokensAreBoundToTheirFilters) {
  Create(kBob, CreateRequest(v1::SHARED_CARE));
  Create(kBob, CreateRequest(v1::INFORMATION_ONLY));
  v1::ListHandoversRequest request = Mailbox(v1::SENT_BY_TEAM);
  request.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListHandoversResponse page,
                       domain_->ListHandovers(kBob, request));
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  request.set_overdue_only(true);
  EXPECT_THAT(
      domain_->ListHandovers(kBob, request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(AnswerHandoverTest, AReferralListsTokenIsRefused) {
  // ListReferrals fingerprints the same filters the same way (mailbox,
  // team, states, person, overdue): its tokens must not page handovers.
  Create(kBob, CreateRequest(v1::SHARED_CARE));
  v1::ListHandoversRequest request = Mailbox(v1::SENT_BY_TEAM);
  request.set_page_token(EncodePageToken(
      absl::StrCat(v1::SENT_BY_TEAM, "|", kBob.team, "||", "|", 0),
      {"1767225600000000", "1"}));
  EXPECT_THAT(
      domain_->ListHandovers(kBob, request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(AnswerHandoverTest, OnlyClinicalStaffListMailboxes) {
  EXPECT_THAT(domain_->ListHandovers(kAdmin, Mailbox(v1::INBOX)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(domain_->ListHandovers(kRecordService, Mailbox(v1::INBOX)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      domain_->ListHandovers(kBob, v1::ListHandoversRequest()),
      StatusIs(absl::StatusCode::kInvalidArgument, "mailbox: must be set"));
}

}  // namespace
}  // namespace carebridge::handover
