// The deadline scan: overdue flags, and one escalation per handover.

#include <string>

#include "services/common/time_util.h"
#include "services/handover/handover_domain_test_fixture.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class EscalationTest : public HandoverDomainTest {
 protected:
  std::vector<events::v1::Event> EscalationEvents() {
    std::vector<events::v1::Event> escalations;
    for (const events::v1::Event& event : Events()) {
      if (event.type() == "handover.escalated") escalations.push_back(event);
    }
    return escalations;
  }
};

TEST_F(EscalationTest, OverdueIsAFlagOnPendingHandoversPastTheirDeadline) {
  v1::Handover handover = Create();  // due in 48 hours
  clock_.Advance(absl::Hours(48));
  EXPECT_FALSE(Reread(handover.name()).overdue());
  clock_.Advance(absl::Seconds(1));
  v1::Handover late = Reread(handover.name());
  EXPECT_TRUE(late.overdue());
  EXPECT_EQ(late.state(), v1::PENDING);
  EXPECT_EQ(late.etag(), "1");
}

TEST_F(EscalationTest, EachOverdueHandoverIsEscalatedExactlyOnce) {
  v1::Handover first = Create(kBob, CreateRequest(v1::SHARED_CARE));
  v1::Handover second =
      Create(kBob, CreateRequest(v1::SHARED_CARE, kVoluntary));
  // Voluntary's default URGENT deadline is 72 hours, the CMHT's 48.
  clock_.Advance(absl::Hours(80));
  const absl::Time scan_time = clock_.Now();
  EXPECT_THAT(domain_->EscalateOverdue(scan_time), IsOkAndHolds(2));
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(0));

  std::vector<events::v1::Event> escalations = EscalationEvents();
  ASSERT_THAT(escalations, SizeIs(2));
  EXPECT_EQ(escalations[0].subject(), first.name());
  EXPECT_EQ(escalations[1].subject(), second.name());
  for (const events::v1::Event& event : escalations) {
    EXPECT_EQ(event.actor(), "services/handover");
    EXPECT_EQ(FromProtoTimestamp(event.time()), scan_time);
    EXPECT_EQ(event.person(), kPerson);
  }
  EXPECT_THAT(escalations[0].teams(), ElementsAre(kCrisis, kCmht));
  v1::Handover escalated = Reread(first.name());
  EXPECT_EQ(FromProtoTimestamp(escalated.escalate_time()), scan_time);
  EXPECT_EQ(escalated.state(), v1::PENDING);
  EXPECT_TRUE(escalated.overdue());
  EXPECT_EQ(escalated.etag(), "2");
  // The event shows the handover as it was then (overdue, escalated).
  v1::Handover payload = PayloadOf(escalations[0]);
  EXPECT_TRUE(payload.overdue());
  EXPECT_EQ(payload.etag(), "2");
  EXPECT_EQ(FromProtoTimestamp(payload.escalate_time()), scan_time);
}

TEST_F(EscalationTest, NothingIsEscalatedBeforeItsDeadline) {
  Create(kBob, CreateRequest(v1::SHARED_CARE));
  clock_.Advance(absl::Hours(48));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(0));
  EXPECT_THAT(EscalationEvents(), IsEmpty());
}

TEST_F(EscalationTest, AnsweredHandoversAreNeverEscalated) {
  v1::Handover accepted = Create(kBob, CreateRequest(v1::SHARED_CARE));
  v1::Handover declined = Create(kBob, CreateRequest(v1::INFORMATION_ONLY));
  v1::Handover cancelled = Create();
  ASSERT_TRUE(
      domain_->AcceptHandover(kAlice, AcceptRequest(accepted.name())).ok());
  ASSERT_TRUE(
      domain_->DeclineHandover(kAlice, DeclineRequest(declined.name())).ok());
  ASSERT_TRUE(
      domain_->CancelHandover(kBob, CancelRequest(cancelled.name())).ok());
  clock_.Advance(absl::Hours(100));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(0));
  EXPECT_THAT(EscalationEvents(), IsEmpty());
  EXPECT_FALSE(Reread(accepted.name()).overdue());
}

TEST_F(EscalationTest, LaterDeadlinesAreEscalatedByLaterScans) {
  v1::Handover crisis =
      Create(kBob, CreateRequest(v1::SHARED_CARE, kCmht, referral::v1::CRISIS));
  v1::Handover urgent = Create(kBob, CreateRequest(v1::SHARED_CARE));
  clock_.Advance(absl::Hours(3));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(1));
  clock_.Advance(absl::Hours(48));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(1));
  std::vector<events::v1::Event> escalations = EscalationEvents();
  ASSERT_THAT(escalations, SizeIs(2));
  EXPECT_EQ(escalations[0].subject(), crisis.name());
  EXPECT_EQ(escalations[1].subject(), urgent.name());
}

TEST_F(EscalationTest, EscalatedHandoversShowInBothTeamsOverdueLists) {
  v1::Handover overdue = Create(kBob, CreateRequest(v1::SHARED_CARE));
  clock_.Advance(absl::Hours(47));
  v1::Handover fresh = Create(kBob, CreateRequest(v1::INFORMATION_ONLY));
  clock_.Advance(absl::Hours(2));
  ASSERT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(1));
  EXPECT_THAT(ListNames(kAlice, Mailbox(v1::INBOX, /*overdue_only=*/true)),
              ElementsAre(overdue.name()));
  EXPECT_THAT(ListNames(kBob, Mailbox(v1::SENT_BY_TEAM, /*overdue_only=*/true)),
              ElementsAre(overdue.name()));
  EXPECT_THAT(ListNames(kAlice, Mailbox(v1::INBOX)),
              ElementsAre(overdue.name(), fresh.name()));
  ASSERT_OK_AND_ASSIGN(v1::ListHandoversResponse inbox,
                       domain_->ListHandovers(kAlice, Mailbox(v1::INBOX)));
  EXPECT_TRUE(inbox.handovers(0).has_escalate_time());
  EXPECT_TRUE(inbox.handovers(0).overdue());
  EXPECT_FALSE(inbox.handovers(1).overdue());
}

TEST_F(EscalationTest, AnEscalatedHandoverCanStillBeAnswered) {
  v1::Handover handover = Create();
  clock_.Advance(absl::Hours(49));
  ASSERT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(1));
  // The escalation changed the handover, so an etag read before it is stale.
  v1::AcceptHandoverRequest request = AcceptRequest(handover.name());
  request.set_etag(handover.etag());
  EXPECT_THAT(domain_->AcceptHandover(kAlice, request),
              StatusIs(absl::StatusCode::kAborted));
  request.set_etag("2");
  ASSERT_OK_AND_ASSIGN(v1::Handover accepted,
                       domain_->AcceptHandover(kAlice, request));
  EXPECT_FALSE(accepted.overdue());
  EXPECT_TRUE(accepted.has_escalate_time());
  EXPECT_THAT(ListNames(kAlice, Mailbox(v1::INBOX, /*overdue_only=*/true)),
              IsEmpty());
}

TEST_F(EscalationTest, AHandoverAnsweredDuringTheScanIsNotEscalated) {
  v1::Handover handover = Create();
  clock_.Advance(absl::Hours(49));
  store_->before_write = [&] {
    ASSERT_TRUE(
        domain_->DeclineHandover(kAlice, DeclineRequest(handover.name())).ok());
  };
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(0));
  EXPECT_THAT(EventTypes(),
              ElementsAre("handover.created", "handover.declined"));
  EXPECT_FALSE(Reread(handover.name()).has_escalate_time());
}

TEST_F(EscalationTest, ScansMoreThanOneBatch) {
  constexpr int kCount = 105;  // more than one scan batch of 100
  for (int i = 0; i < kCount; ++i) {
    Create(kBob, CreateRequest(v1::INFORMATION_ONLY));
  }
  clock_.Advance(absl::Hours(49));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(kCount));
  EXPECT_THAT(domain_->EscalateOverdue(clock_.Now()), IsOkAndHolds(0));
  EXPECT_THAT(EscalationEvents(), SizeIs(kCount));
}

}  // namespace
}  // namespace carebridge::handover
