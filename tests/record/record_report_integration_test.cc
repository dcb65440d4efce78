// The team report end to end: what a team received in a period and how it
// answered, counted from the referral and handover feeds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "services/common/time_util.h"
#include "tests/record/record_test_fixture.h"

namespace carebridge::record::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The crisis team's report for a period: what it received, how fast it
// answered per urgency, why it declined, what it redirected, what was
// withdrawn before it answered, what it answered late, the handovers it
// was sent and their escalation, and whom it saw who had been declined by
// team after team. No person is named.
TEST_F(RecordTest, ATeamReportCountsWhatTheTeamReceivedAndHowItAnswered) {
  const absl::Time start = server_.clock().Now();
  const std::string cy = MakePerson("Cy");
  // Cy is refused by voluntary and housing first.
  Decline(Refer(cy, voluntary_).name(), val_, housing_);
  Decline(Refer(cy, housing_).name(), otto_);
  const std::string first = Refer(cy, crisis_, ref::URGENT).name();
  server_.clock().Advance(absl::Hours(2));
  Decline(first, bob_, housing_);  // the third team: Cy has bounced
  const std::string second = Refer(cy, crisis_, ref::URGENT).name();
  server_.clock().Advance(absl::Hours(10));
  Accept(second, bob_);
  const std::string di = MakePerson("Di");
  Refer(di, crisis_, ref::ROUTINE);  // unanswered
  // Redirected at once, and withdrawn by the community team.
  const std::string gus = MakePerson("Gus");
  Redirect(Refer(gus, crisis_, ref::ROUTINE).name(), bob_, housing_);
  const std::string hal = MakePerson("Hal");
  Withdraw(Refer(hal, crisis_, ref::ROUTINE).name(), alice_);
  // Urgent (72 hours to answer), answered after 73.
  const std::string ivy = MakePerson("Ivy");
  const std::string late = Refer(ivy, crisis_, ref::URGENT).name();

  // Jo, whom the voluntary team took on, handed over to the crisis team
  // three times: declined, cancelled, and left past its deadline (72
  // hours) until the deadline scan escalated it, then accepted.
  const std::string jo = MakePerson("Jo");
  Accept(Refer(jo, voluntary_).name(), val_);
  ASSERT_TRUE(RecordShows(jo, 4));
  DeclineHandover(HandOver(val_, jo, crisis_).name(), bob_);
  CancelHandover(HandOver(val_, jo, crisis_).name(), val_);
  const std::string escalated = HandOver(val_, jo, crisis_).name();
  server_.clock().Advance(absl::Hours(73));
  // (No referral deadline scan: the late referral is late, not escalated.)
  ASSERT_EQ(ScanHandoverDeadlines(), 1);
  Accept(late, bob_);
  AcceptHandover(escalated, bob_);
  // Registered, sent, accepted, the crisis team joining.
  ASSERT_TRUE(RecordShows(ivy, 4));
  // Jo's first four, seven handover steps, the crisis team joining.
  ASSERT_TRUE(RecordShows(jo, 12));

  v1::GetTeamReportRequest request;
  request.set_team(crisis_);
  *request.mutable_start_time() = ToProtoTimestamp(start);
  *request.mutable_end_time() =
      ToProtoTimestamp(server_.clock().Now() + absl::Hours(1));
  v1::TeamReport report;
  auto context = server_.ContextAs(bob_);
  grpc::Status status = record_->GetTeamReport(context.get(), request, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Cy's two, Di's, Gus's, Hal's and Ivy's.
  EXPECT_EQ(report.referrals_received(), 6);
  EXPECT_EQ(report.accepted(), 2);
  EXPECT_EQ(report.declined(), 1);
  EXPECT_EQ(report.redirected(), 1);
  EXPECT_EQ(report.withdrawn(), 1);
  EXPECT_EQ(report.unanswered(), 1);
  // By urgency: routine, then urgent.
  ASSERT_THAT(report.responses(), SizeIs(2));
  // Di's (waiting, within its 14 days), Gus's (redirected at once) and
  // Hal's (withdrawn, never answered).
  const v1::TeamReport::Responses& routine = report.responses(0);
  EXPECT_EQ(routine.urgency(), ref::ROUTINE);
  EXPECT_EQ(routine.received(), 3);
  EXPECT_EQ(routine.answered(), 1);
  EXPECT_EQ(routine.p50().seconds(), 0);
  EXPECT_EQ(routine.p90().seconds(), 0);
  EXPECT_EQ(routine.late(), 0);
  // Answered in 2, 10 and 73 hours; the last late.
  const v1::TeamReport::Responses& urgent = report.responses(1);
  EXPECT_EQ(urgent.urgency(), ref::URGENT);
  EXPECT_EQ(urgent.received(), 3);
  EXPECT_EQ(urgent.answered(), 3);
  EXPECT_EQ(urgent.p50().seconds(), 10 * 3600);
  EXPECT_EQ(urgent.p90().seconds(), 73 * 3600);
  EXPECT_EQ(urgent.late(), 1);
  ASSERT_THAT(report.decline_reasons(), SizeIs(1));
  EXPECT_THAT(report.decline_reasons(0).value(), HasSubstr("Not in crisis"));
  EXPECT_EQ(report.decline_reasons(0).count(), 1);
  ASSERT_THAT(report.onward_routes(), SizeIs(1));
  EXPECT_EQ(report.onward_routes(0).value(), housing_);
  EXPECT_EQ(report.onward_routes(0).count(), 1);
  // The escalated handover; the late referral was not escalated.
  EXPECT_EQ(report.escalations(), 1);
  // A cancelled handover was received, and neither accepted nor declined.
  EXPECT_EQ(report.handovers_received(), 3);
  EXPECT_EQ(report.handovers_accepted(), 1);
  EXPECT_EQ(report.handovers_declined(), 1);
  EXPECT_EQ(report.bounced_persons_seen(), 1);
  for (const std::string& person : {cy, di, gus, hal, ivy, jo}) {
    EXPECT_EQ(report.DebugString().find(person), std::string::npos)
        << "the report names " << person;
  }

  // The housing team's: Gus's referral, opened on the redirection, counts
  // as received there.
  v1::TeamReport housing;
  ASSERT_TRUE(Report(otto_, housing_, start,
                     server_.clock().Now() + absl::Hours(1), &housing)
                  .ok());
  EXPECT_EQ(housing.referrals_received(), 2);
  EXPECT_EQ(housing.declined(), 1);
  EXPECT_EQ(housing.unanswered(), 1);
  EXPECT_EQ(housing.redirected(), 0);

  // Admins may read it (no person in it), without the decline reasons
  // (clinicians' words about particular people); another team may not.
  context = server_.ContextAs(carebridge::testing::TestServer::Admin());
  EXPECT_TRUE(record_->GetTeamReport(context.get(), request, &report).ok());
  EXPECT_EQ(report.declined(), 1);
  EXPECT_EQ(report.redirected(), 1);
  EXPECT_THAT(report.decline_reasons(), IsEmpty());
  context = server_.ContextAs(val_);
  EXPECT_EQ(
      record_->GetTeamReport(context.get(), request, &report).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  request.clear_end_time();
  context = server_.ContextAs(bob_);
  status = record_->GetTeamReport(context.get(), request, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("end_time"));
}

}  // namespace
}  // namespace carebridge::record::testing
