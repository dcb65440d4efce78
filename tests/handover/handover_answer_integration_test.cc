// Accept, decline and cancel over gRPC; the event feed; the deadline scan;
// and the accepted transfer reaching the care plan.

#include <thread>

#include "absl/time/clock.h"
#include "tests/handover/handover_test_fixture.h"

namespace carebridge::handover {
namespace {

TEST_F(HandoverTest, TransferIsAcceptedOnlyWithAReadBack) {
  v1::Handover handover = Create();
  v1::AcceptHandoverRequest request = AcceptRequest(handover.name());
  request.clear_read_back();
  v1::Handover accepted;
  EXPECT_THAT(Call(&Stub::AcceptHandover, alice_, request, &accepted),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                ::testing::StartsWith("read_back: ")));
  request = AcceptRequest(handover.name());
  request.mutable_read_back()->clear_summary();
  EXPECT_THAT(Call(&Stub::AcceptHandover, alice_, request, &accepted),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "read_back.summary: must be set"));
  request = AcceptRequest(handover.name());
  request.mutable_read_back()->clear_actions_taken_on();
  EXPECT_THAT(Call(&Stub::AcceptHandover, alice_, request, &accepted),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("read_back.actions_taken_on")));

  request = AcceptRequest(handover.name());
  request.set_etag(handover.etag());
  ASSERT_GRPC_OK(Call(&Stub::AcceptHandover, alice_, request, &accepted));
  EXPECT_EQ(accepted.state(), v1::ACCEPTED);
  EXPECT_EQ(accepted.read_back().recorded_by(), alice_.subject);
  EXPECT_EQ(accepted.answered_by(), alice_.subject);
  EXPECT_EQ(accepted.etag(), "2");
}

TEST_F(HandoverTest, OnlyTheReceivingTeamAnswers) {
  v1::Handover handover = Create();
  v1::Handover out;
  for (const Principal& who : {bob_, val_, admin_, service_}) {
    EXPECT_THAT(
        Call(&Stub::AcceptHandover, who, AcceptRequest(handover.name()), &out),
        HasCode(grpc::StatusCode::PERMISSION_DENIED))
        << who.subject;
  }
  v1::DeclineHandoverRequest decline;
  decline.set_name(handover.name());
  decline.set_reason("No care coordinator free this week.");
  EXPECT_THAT(Call(&Stub::DeclineHandover, val_, decline, &out),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  ASSERT_GRPC_OK(Call(&Stub::DeclineHandover, alice_, decline, &out));
  EXPECT_EQ(out.state(), v1::DECLINED);
  EXPECT_EQ(out.answer_note(), decline.reason());
  // Answers are final.
  EXPECT_THAT(
      Call(&Stub::AcceptHandover, alice_, AcceptRequest(handover.name()), &out),
      HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                        HasSubstr("is DECLINED")));
}

TEST_F(HandoverTest, OnlyTheSenderCancelsAndNeedsAReason) {
  v1::Handover handover = Create();
  v1::CancelHandoverRequest cancel;
  cancel.set_name(handover.name());
  v1::Handover out;
  EXPECT_THAT(Call(&Stub::CancelHandover, bob_, cancel, &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "reason: must be set"));
  cancel.set_reason("She was admitted overnight.");
  EXPECT_THAT(Call(&Stub::CancelHandover, alice_, cancel, &out),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  cancel.set_etag("9");
  EXPECT_THAT(Call(&Stub::CancelHandover, bob_, cancel, &out),
              HasCode(grpc::StatusCode::ABORTED));
  cancel.clear_etag();
  ASSERT_GRPC_OK(Call(&Stub::CancelHandover, bob_, cancel, &out));
  EXPECT_EQ(out.state(), v1::CANCELLED);
  cancel.set_name("handovers/none");
  EXPECT_THAT(Call(&Stub::CancelHandover, bob_, cancel, &out),
              HasCode(grpc::StatusCode::NOT_FOUND));
}

TEST_F(HandoverTest, FeedDeliversEveryChangeInOrder) {
  v1::Handover accepted = Create();
  v1::Handover out;
  ASSERT_GRPC_OK(Call(&Stub::AcceptHandover, alice_,
                      AcceptRequest(accepted.name()), &out));
  v1::Handover declined =
      Create(bob_, Request(voluntary_.name(), v1::SHARED_CARE));
  v1::DeclineHandoverRequest decline;
  decline.set_name(declined.name());
  decline.set_reason("Full until March.");
  ASSERT_GRPC_OK(Call(&Stub::DeclineHandover, val_, decline, &out));
  v1::Handover cancelled =
      Create(bob_, Request(community_.name(), v1::INFORMATION_ONLY));
  v1::CancelHandoverRequest cancel;
  cancel.set_name(cancelled.name());
  cancel.set_reason("Sent twice.");
  ASSERT_GRPC_OK(Call(&Stub::CancelHandover, bob_, cancel, &out));

  std::vector<events::v1::Event> events = ReadFeed(service_);
  EXPECT_THAT(Types(events),
              ElementsAre("handover.created", "handover.accepted",
                          "handover.created", "handover.declined",
                          "handover.created", "handover.cancelled"));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].feed(), "handover");
    EXPECT_EQ(events[i].person(), person_);
  }
  EXPECT_EQ(events[1].subject(), accepted.name());
  EXPECT_EQ(events[1].actor(), alice_.subject);
  EXPECT_THAT(events[1].teams(),
              ElementsAre(crisis_.name(), community_.name()));
  v1::Handover payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.state(), v1::ACCEPTED);
  EXPECT_EQ(payload.etag(), "2");

  // Resuming after a position delivers only what follows it.
  EXPECT_THAT(Types(ReadFeed(service_, /*after=*/4)),
              ElementsAre("handover.created", "handover.cancelled"));
  // Need to know: the voluntary team sees its own handover only, admins see
  // everything without clinical content, other teams nothing.
  EXPECT_THAT(Types(ReadFeed(val_)),
              ElementsAre("handover.created", "handover.declined"));
  std::vector<events::v1::Event> admin_view = ReadFeed(admin_);
  ASSERT_THAT(admin_view, SizeIs(6));
  EXPECT_FALSE(admin_view[0].has_payload());
  EXPECT_THAT(ReadFeed(otto_), IsEmpty());
}

TEST_F(HandoverTest, OverdueHandoverIsEscalatedOnceAndShownToBothTeams) {
  v1::Handover handover = Create();  // due in 48 hours
  server_.clock().Advance(absl::Hours(47));
  EXPECT_THAT(handover_->ScanDeadlines(),
              ::carebridge::testing::IsOkAndHolds(0));
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::INBOX, /*overdue_only=*/true)),
              IsEmpty());
  EXPECT_EQ(EscalationsCounted(*handover_), 0);

  server_.clock().Advance(absl::Hours(2));
  EXPECT_THAT(handover_->ScanDeadlines(),
              ::carebridge::testing::IsOkAndHolds(1));
  EXPECT_THAT(handover_->ScanDeadlines(),
              ::carebridge::testing::IsOkAndHolds(0));
  // Counted once for operators (carebridge_escalations_total).
  EXPECT_EQ(EscalationsCounted(*handover_), 1);
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::INBOX, /*overdue_only=*/true)),
              ElementsAre(handover.name()));
  EXPECT_THAT(ListAll(bob_, Mailbox(v1::SENT_BY_TEAM, /*overdue_only=*/true)),
              ElementsAre(handover.name()));
  v1::Handover read;
  ASSERT_GRPC_OK(Get(alice_, handover.name(), &read));
  EXPECT_TRUE(read.overdue());
  EXPECT_EQ(FromProtoTimestamp(read.escalate_time()), server_.clock().Now());

  std::vector<events::v1::Event> events = ReadFeed(service_);
  ASSERT_THAT(Types(events),
              ElementsAre("handover.created", "handover.escalated"));
  EXPECT_EQ(events[1].actor(), "services/handover");
  EXPECT_THAT(events[1].teams(),
              ElementsAre(crisis_.name(), community_.name()));
  // Both teams see the escalation in their feed.
  EXPECT_THAT(Types(ReadFeed(alice_)), SizeIs(2));
  EXPECT_THAT(Types(ReadFeed(bob_)), SizeIs(2));
}

TEST_F(HandoverTest, AcceptedTransferMovesTheLeadInTheCarePlan) {
  auto in_process = [this] { return server_.host().InProcessChannel(); };
  careplan_->StartConsumers(in_process, in_process);
  v1::Handover handover = Create();
  v1::Handover accepted;
  ASSERT_GRPC_OK(Call(&Stub::AcceptHandover, alice_,
                      AcceptRequest(handover.name()), &accepted));
  // Eventual: poll with a deadline, never a blind sleep.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  cp::CarePlan plan = CurrentPlan();
  while (plan.lead_team() != community_.name() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    plan = CurrentPlan();
  }
  EXPECT_EQ(plan.lead_team(), community_.name());
  EXPECT_EQ(plan.change().kind(), cp::Change::LEAD_CHANGED);
  EXPECT_EQ(careplan_->applied_through("handover"), 2);

  // And back: once the plan shows the crisis team leading again (a care
  // team change after its own transfer was accepted), it may hand over
  // responsibility once more.
  v1::Handover back = Create(alice_, Request(crisis_.name()));
  ASSERT_GRPC_OK(
      Call(&Stub::AcceptHandover, bob_, AcceptRequest(back.name()), &accepted));
  plan = CurrentPlan();
  while (plan.lead_team() != crisis_.name() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    plan = CurrentPlan();
  }
  ASSERT_EQ(plan.lead_team(), crisis_.name());
  v1::Handover again = Create();
  EXPECT_EQ(again.state(), v1::PENDING);
}

TEST_F(HandoverTest, StoppingBackgroundWorkEndsLiveFeeds) {
  handover_->StartBackgroundWork(absl::Hours(1));
  Create();
  handover_->StopBackgroundWork();
  handover_->StopBackgroundWork();  // idempotent
  // A live subscription (not stopping when caught up) is told to resume
  // later instead of holding the server's shutdown up.
  events::v1::SubscribeRequest request;
  auto context = server_.ContextAs(service_);
  auto reader = stub_->Subscribe(context.get(), request);
  events::v1::SubscribeResponse response;
  int events = 0;
  while (reader->Read(&response)) events += response.events_size();
  EXPECT_THAT(reader->Finish(), HasCode(grpc::StatusCode::UNAVAILABLE));
  EXPECT_LE(events, 1);
  // Scans can still be run by hand.
  EXPECT_THAT(handover_->ScanDeadlines(),
              ::carebridge::testing::IsOkAndHolds(0));
}

}  // namespace
}  // namespace carebridge::handover
