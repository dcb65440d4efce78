// The deadline scan: a referral left unanswered past its deadline is
// escalated once, whatever the number of scans; an answered one never.

#include <string>
#include <thread>
#include <vector>

#include "services/common/time_util.h"
#include "services/referral/referral_domain_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The crisis team's urgent deadline (Send() refers urgently to it).
constexpr absl::Duration kDeadline = absl::Hours(48);

class ReferralEscalationTest : public ReferralDomainTest {
 protected:
  int Scan() {
    absl::StatusOr<int> escalated = domain_->EscalateOverdue(clock_.Now());
    EXPECT_TRUE(escalated.ok()) << escalated.status();
    return escalated.value_or(-1);
  }

  std::vector<events::v1::Event> Escalations() {
    std::vector<events::v1::Event> escalations;
    for (events::v1::Event& event : Events()) {
      if (event.type() == "referral.escalated") escalations.push_back(event);
    }
    return escalations;
  }

  std::vector<std::string> OverdueNames(const Principal& caller,
                                        v1::Mailbox mailbox) {
    v1::ListReferralsRequest request;
    request.set_mailbox(mailbox);
    request.set_overdue_only(true);
    absl::StatusOr<v1::ListReferralsResponse> response =
        domain_->ListReferrals(caller, request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> names;
    for (const auto& r : response->referrals()) names.push_back(r.name());
    return names;
  }
};

TEST_F(ReferralEscalationTest, NothingEscalatesUntilTheDeadlineHasPassed) {
  v1::Referral sent = Send();
  clock_.Advance(kDeadline - absl::Minutes(1));
  EXPECT_EQ(Scan(), 0);
  clock_.Advance(absl::Minutes(1));  // Exactly due: not yet overdue.
  EXPECT_EQ(Scan(), 0);
  EXPECT_THAT(Escalations(), IsEmpty());
  EXPECT_FALSE(Reread(sent.name()).has_escalate_time());
}

TEST_F(ReferralEscalationTest, OverdueReferralEscalatesOnceAcrossScans) {
  v1::Referral sent = Send();
  clock_.Advance(kDeadline + absl::Minutes(1));
  const absl::Time escalated_at = clock_.Now();
  EXPECT_EQ(Scan(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Scan(), 0);

  v1::Referral escalated = Reread(sent.name());
  EXPECT_EQ(FromProtoTimestamp(escalated.escalate_time()), escalated_at);
  EXPECT_EQ(FromProtoTimestamp(escalated.update_time()), escalated_at);
  EXPECT_EQ(escalated.state(), v1::SENT);
  EXPECT_EQ(escalated.etag(), "2");
  ASSERT_THAT(escalated.history(), SizeIs(2));
  const v1::ReferralEvent& entry = escalated.history(1);
  EXPECT_EQ(entry.action(), v1::ReferralEvent::ESCALATED);
  EXPECT_EQ(entry.actor(), "services/referral");
  EXPECT_EQ(entry.actor_team(), "");
  EXPECT_EQ(entry.from_state(), v1::SENT);
  EXPECT_EQ(entry.to_state(), v1::SENT);
  EXPECT_EQ(FromProtoTimestamp(entry.time()), escalated_at);

  std::vector<events::v1::Event> escalations = Escalations();
  ASSERT_THAT(escalations, SizeIs(1));
  const events::v1::Event& event = escalations[0];
  EXPECT_EQ(event.subject(), sent.name());
  EXPECT_EQ(event.person(), kPerson);
  EXPECT_THAT(event.teams(), ElementsAre(kCmht, kCrisis));
  EXPECT_EQ(event.actor(), "services/referral");
  EXPECT_EQ(FromProtoTimestamp(event.time()), escalated_at);
  v1::Referral payload;
  ASSERT_TRUE(event.payload().UnpackTo(&payload));
  // As Get showed it then: overdue, escalated, etag 2; without the risk
  // summary, which feeds never carry.
  v1::Referral expected = escalated;
  expected.set_overdue(true);
  ASSERT_FALSE(expected.risk_summary().empty());
  expected.clear_risk_summary();
  expected.clear_withheld_from_receiving_team();
  EXPECT_THAT(payload, EqualsProto(expected));
}

TEST_F(ReferralEscalationTest, AcknowledgedButUnansweredEscalates) {
  v1::Referral sent = Send();
  v1::AcknowledgeReferralRequest request;
  request.set_name(sent.name());
  ASSERT_OK(domain_->AcknowledgeReferral(kBob, request).status());
  clock_.Advance(kDeadline + absl::Seconds(1));
  EXPECT_EQ(Scan(), 1);
  v1::Referral escalated = Reread(sent.name());
  EXPECT_EQ(escalated.history(2).action(), v1::ReferralEvent::ESCALATED);
  EXPECT_EQ(escalated.history(2).from_state(), v1::ACKNOWLEDGED);
}

TEST_F(ReferralEscalationTest, AnsweredReferralsNeverEscalate) {
  v1::Referral accepted = Send();
  ASSERT_OK(Accept(kBob, accepted.name()).status());
  v1::Referral declined = Send();
  ASSERT_OK(
      domain_->DeclineReferral(kBob, DeclineRequest(declined.name())).status());
  v1::Referral withdrawn = Send();
  v1::WithdrawReferralRequest withdraw;
  withdraw.set_name(withdrawn.name());
  withdraw.set_reason("The person asked us not to go ahead.");
  ASSERT_OK(domain_->WithdrawReferral(kAlice, withdraw).status());

  clock_.Advance(kDeadline * 3);
  EXPECT_EQ(Scan(), 0);
  EXPECT_THAT(Escalations(), IsEmpty());
  for (const v1::Referral& referral : {accepted, declined, withdrawn}) {
    EXPECT_FALSE(Reread(referral.name()).has_escalate_time());
  }
}

// The scan read the referral, then the receiving team answered before the
// scan's write: the write loses the compare-and-swap, and the answered
// referral is not escalated.
TEST_F(ReferralEscalationTest, AnswerRacingTheScanWins) {
  v1::Referral sent = Send();
  clock_.Advance(kDeadline + absl::Minutes(1));
  store_->before_write = [&] { ASSERT_OK(Accept(kBob, sent.name()).status()); };
  EXPECT_EQ(Scan(), 0);
  EXPECT_THAT(Escalations(), IsEmpty());
  v1::Referral read = Reread(sent.name());
  EXPECT_EQ(read.state(), v1::ACCEPTED);
  EXPECT_FALSE(read.has_escalate_time());
}

// Any change but an answer leaves the referral overdue: the scan reads it
// again and escalates it.
TEST_F(ReferralEscalationTest, AcknowledgementRacingTheScanStillEscalates) {
  v1::Referral sent = Send();
  clock_.Advance(kDeadline + absl::Minutes(1));
  store_->before_write = [&] {
    v1::AcknowledgeReferralRequest request;
    request.set_name(sent.name());
    ASSERT_OK(domain_->AcknowledgeReferral(kBob, request).status());
  };
  EXPECT_EQ(Scan(), 1);
  EXPECT_THAT(Escalations(), SizeIs(1));
  EXPECT_EQ(Reread(sent.name()).state(), v1::ACKNOWLEDGED);
}

TEST_F(ReferralEscalationTest, EscalatedReferralCanStillBeAnswered) {
  v1::Referral sent = Send();
  clock_.Advance(kDeadline + absl::Minutes(1));
  ASSERT_EQ(Scan(), 1);
  v1::Referral escalated = Reread(sent.name());
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted,
                       Accept(kBob, sent.name(), escalated.etag()));
  EXPECT_EQ(accepted.escalate_time().seconds(),
            escalated.escalate_time().seconds());
  EXPECT_FALSE(accepted.overdue());
  EXPECT_THAT(OverdueNames(kBob, v1::INBOX), IsEmpty());
}

TEST_F(ReferralEscalationTest, EscalatedReferralIsInBothTeamsOverdueLists) {
  v1::Referral sent = Send();
  v1::Referral on_time = Send();
  ASSERT_OK(Accept(kBob, on_time.name()).status());
  clock_.Advance(kDeadline + absl::Minutes(1));
  ASSERT_EQ(Scan(), 1);
  EXPECT_THAT(OverdueNames(kBob, v1::INBOX), ElementsAre(sent.name()));
  EXPECT_THAT(OverdueNames(kAlice, v1::SENT_BY_TEAM), ElementsAre(sent.name()));
}

// More than one batch (the scan reads 100 at a time).
TEST_F(ReferralEscalationTest, EveryOverdueReferralEscalatesInOneScan) {
  constexpr int kCount = 120;
  for (int i = 0; i < kCount; ++i) Send();
  clock_.Advance(kDeadline + absl::Minutes(1));
  EXPECT_EQ(Scan(), kCount);
  EXPECT_THAT(Escalations(), SizeIs(kCount));
  EXPECT_EQ(Scan(), 0);
}

TEST_F(ReferralEscalationTest, ConcurrentScansEscalateEachReferralOnce) {
  constexpr int kCount = 30;
  for (int i = 0; i < kCount; ++i) Send();
  clock_.Advance(kDeadline + absl::Minutes(1));
  // On the SQLite store itself: the racing wrapper is for one thread.
  ReferralDomain domain(&clock_, &ids_, &directory_, sqlite_.get());
  constexpr int kScanners = 4;
  std::vector<int> counts(kScanners, -1);
  std::vector<std::thread> scanners;
  for (int i = 0; i < kScanners; ++i) {
    scanners.emplace_back([&, i] {
      counts[i] = domain.EscalateOverdue(clock_.Now()).value_or(-1);
    });
  }
  for (std::thread& scanner : scanners) scanner.join();
  int total = 0;
  for (int count : counts) {
    EXPECT_GE(count, 0);
    total += count;
  }
  EXPECT_EQ(total, kCount);
  EXPECT_THAT(Escalations(), SizeIs(kCount));
}

}  // namespace
}  // namespace carebridge::referral
