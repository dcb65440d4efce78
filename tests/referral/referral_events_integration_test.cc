// ReferralService's event feed (Subscribe) and deadline scan over real gRPC
// channels: what other services and integrators see of a referral's life.

#include <grpcpp/support/sync_stream.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "tests/referral/referral_test_fixture.h"
#include "tests/support/recording_metric_sink.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

Principal CarePlanService() {
  Principal principal;
  principal.subject = "services/careplan";
  principal.role = Role::kService;
  return principal;
}

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> types;
  for (const Event& event : events) types.push_back(event.type());
  return types;
}

v1::Referral PayloadOf(const Event& event) {
  v1::Referral referral;
  EXPECT_TRUE(event.payload().UnpackTo(&referral)) << event.DebugString();
  return referral;
}

// `referral` as feeds carry it: without the risk summary, which the
// person's sharing choices decide on.
v1::Referral AsFeedCarries(v1::Referral referral) {
  EXPECT_FALSE(referral.risk_summary().empty());
  referral.clear_risk_summary();
  referral.clear_withheld_from_receiving_team();
  return referral;
}

class ReferralEventsTest : public ReferralTest {
 protected:
  // What `as` is shown of the feed after `after`, up to the head now.
  std::vector<Event> ReadFeed(const Principal& as, int64_t after = 0,
                              std::vector<std::string> type_prefixes = {}) {
    SubscribeRequest request;
    request.set_after_sequence(after);
    for (std::string& prefix : type_prefixes) {
      request.add_type_prefixes(std::move(prefix));
    }
    request.set_stop_when_caught_up(true);
    auto context = server_.ContextAs(as);
    auto reader = stub_->Subscribe(context.get(), request);
    std::vector<Event> events;
    SubscribeResponse response;
    while (reader->Read(&response)) {
      for (const Event& event : response.events()) events.push_back(event);
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.through_sequence(), response.head_sequence());
    return events;
  }

  template <typename Request>
  v1::Referral Answer(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                   const Request&,
                                                   v1::Referral*),
                      const Principal& as, const Request& request) {
    v1::Referral referral;
    grpc::Status status = Call(method, as, request, &referral);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return referral;
  }

  v1::Referral Acknowledge(const std::string& name) {
    v1::AcknowledgeReferralRequest request;
    request.set_name(name);
    return Answer(&Stub::AcknowledgeReferral, bob_, request);
  }
  v1::Referral Accept(const std::string& name) {
    v1::AcceptReferralRequest request;
    request.set_name(name);
    return Answer(&Stub::AcceptReferral, bob_, request);
  }

  // The same life for four referrals, in this order: r1 acknowledged,
  // accepted, completed; r2 redirected to the voluntary team as r3, which
  // it declines; r4 withdrawn. Returns the accepted r1 and r3's name.
  std::pair<v1::Referral, std::string> LiveFourReferrals() {
    v1::Referral r1 = Send(crisis_.name());
    Acknowledge(r1.name());
    v1::Referral accepted = Accept(r1.name());
    v1::CompleteReferralRequest complete;
    complete.set_name(r1.name());
    Answer(&Stub::CompleteReferral, bob_, complete);

    v1::Referral r2 = Send(crisis_.name());
    v1::RedirectReferralRequest redirect;
    redirect.set_name(r2.name());
    redirect.set_new_receiving_team(voluntary_.name());
    redirect.set_reason("Peer support matches what the person asked for.");
    v1::RedirectReferralResponse redirected;
    grpc::Status status =
        Call(&Stub::RedirectReferral, bob_, redirect, &redirected);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::DeclineReferralRequest decline;
    decline.set_name(redirected.created().name());
    decline.set_reason("Our evening group is full this month.");
    decline.mutable_onward_route()->set_signposting(
        "Samaritans 116 123, any time.");
    Answer(&Stub::DeclineReferral, val_, decline);

    v1::Referral r4 = Send(crisis_.name());
    v1::WithdrawReferralRequest withdraw;
    withdraw.set_name(r4.name());
    withdraw.set_reason("The person asked us not to go ahead.");
    Answer(&Stub::WithdrawReferral, alice_, withdraw);
    return {accepted, redirected.created().name()};
  }

  v1::ListReferralsResponse ListOverdue(const Principal& as,
                                        v1::Mailbox mailbox) {
    v1::ListReferralsRequest request = Mailbox(mailbox);
    request.set_overdue_only(true);
    v1::ListReferralsResponse response;
    grpc::Status status = Call(&Stub::ListReferrals, as, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

TEST_F(ReferralEventsTest, SubscribeDeliversEveryChangeInCommitOrder) {
  auto [accepted, r3] = LiveFourReferrals();
  std::vector<Event> events = ReadFeed(CarePlanService());
  EXPECT_THAT(Types(events),
              ElementsAre("referral.created", "referral.acknowledged",
                          "referral.accepted", "referral.completed",
                          "referral.created", "referral.redirected",
                          "referral.created", "referral.declined",
                          "referral.created", "referral.withdrawn"));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].id(), absl::StrCat("referral/", i + 1));
  }
  const Event& accept = events[2];
  EXPECT_EQ(accept.subject(), accepted.name());
  EXPECT_EQ(accept.person(), person_);
  EXPECT_THAT(accept.teams(), ElementsAre(cmht_.name(), crisis_.name()));
  EXPECT_EQ(accept.actor(), "members/bob");
  EXPECT_THAT(PayloadOf(accept), EqualsProto(AsFeedCarries(accepted)));
  EXPECT_EQ(events[6].subject(), r3);
  EXPECT_EQ(events[7].actor(), "members/val");
}

TEST_F(ReferralEventsTest, StaffSeeOnlyTheEventsOfTheirTeamsReferrals) {
  auto [accepted, r3] = LiveFourReferrals();
  std::vector<Event> events = ReadFeed(val_);
  EXPECT_THAT(Types(events),
              ElementsAre("referral.created", "referral.declined"));
  for (const Event& event : events) EXPECT_EQ(event.subject(), r3);
}

TEST_F(ReferralEventsTest, SubscribeResumesAfterTheGivenSequence) {
  LiveFourReferrals();
  std::vector<Event> events = ReadFeed(CarePlanService(), /*after=*/4);
  ASSERT_THAT(events, SizeIs(6));
  EXPECT_EQ(events[0].sequence(), 5);
  EXPECT_THAT(ReadFeed(CarePlanService(), /*after=*/10), IsEmpty());
  EXPECT_THAT(Types(ReadFeed(CarePlanService(), /*after=*/0,
                             {"referral.accepted", "referral.declined"})),
              ElementsAre("referral.accepted", "referral.declined"));
}

TEST_F(ReferralEventsTest, LiveSubscriberReceivesAnAcceptMadeAfterCatchingUp) {
  v1::Referral sent = Send(crisis_.name());
  SubscribeRequest request;
  request.add_type_prefixes("referral.accepted");
  // Every Read below is bounded by this context's 10 s deadline.
  auto context = server_.ContextAs(CarePlanService());
  auto reader = stub_->Subscribe(context.get(), request);
  SubscribeResponse response;
  do {
    ASSERT_TRUE(reader->Read(&response));
    EXPECT_THAT(response.events(), IsEmpty());
  } while (response.through_sequence() < response.head_sequence() ||
           response.head_sequence() == 0);

  v1::Referral accepted = Accept(sent.name());
  std::vector<Event> received;
  while (received.empty() && reader->Read(&response)) {
    for (const Event& event : response.events()) received.push_back(event);
  }
  ASSERT_THAT(received, SizeIs(1));
  EXPECT_EQ(received[0].type(), "referral.accepted");
  EXPECT_THAT(PayloadOf(received[0]), EqualsProto(AsFeedCarries(accepted)));
  context->TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ReferralEventsTest, StoppingBackgroundWorkEndsOpenFeeds) {
  Send(crisis_.name());
  SubscribeRequest request;
  auto context = server_.ContextAs(CarePlanService());
  auto reader = stub_->Subscribe(context.get(), request);
  SubscribeResponse response;
  do {
    ASSERT_TRUE(reader->Read(&response));
  } while (response.through_sequence() < response.head_sequence());
  referral_->StopBackgroundWork();
  referral_->StopBackgroundWork();  // Idempotent.
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ReferralEventsTest, ScanEscalatesOnceIntoBothTeamsOverdueLists) {
  v1::Referral late = Send(crisis_.name(), v1::URGENT);  // Due in 24 h.
  v1::Referral answered = Send(crisis_.name(), v1::URGENT);
  Accept(answered.name());
  server_.clock().Advance(absl::Hours(24) - absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(int before_deadline, referral_->ScanDeadlines());
  EXPECT_EQ(before_deadline, 0);
  server_.clock().Advance(absl::Minutes(2));
  const absl::Time escalated_at = server_.clock().Now();
  ASSERT_OK_AND_ASSIGN(int escalated, referral_->ScanDeadlines());
  EXPECT_EQ(escalated, 1);
  ASSERT_OK_AND_ASSIGN(int again, referral_->ScanDeadlines());
  EXPECT_EQ(again, 0);
  // Counted once for operators (carebridge_escalations_total).
  testing::RecordingMetricSink scraped;
  referral_->CollectMetrics(scraped);
  EXPECT_EQ(
      scraped.Value("carebridge_escalations_total", {{"service", "referral"}}),
      1);

  for (const auto& [as, mailbox] :
       {std::pair(bob_, v1::INBOX), std::pair(alice_, v1::SENT_BY_TEAM)}) {
    v1::ListReferralsResponse overdue = ListOverdue(as, mailbox);
    ASSERT_THAT(overdue.referrals(), SizeIs(1)) << as.subject;
    const v1::Referral& shown = overdue.referrals(0);
    EXPECT_EQ(shown.name(), late.name());
    EXPECT_TRUE(shown.overdue());
    EXPECT_EQ(FromProtoTimestamp(shown.escalate_time()), escalated_at);
    EXPECT_EQ(shown.history().rbegin()->action(), v1::ReferralEvent::ESCALATED);
  }
  EXPECT_EQ(FromProtoTimestamp(Get(bob_, late.name()).escalate_time()),
            escalated_at);

  std::vector<Event> escalations =
      ReadFeed(CarePlanService(), /*after=*/0, {"referral.escalated"});
  ASSERT_THAT(escalations, SizeIs(1));
  EXPECT_EQ(escalations[0].subject(), late.name());
  EXPECT_EQ(escalations[0].actor(), "services/referral");
  EXPECT_THAT(escalations[0].teams(),
              ElementsAre(cmht_.name(), crisis_.name()));
}

// The background scan is the same scan on a real-time timer; this checks
// the wiring (the fake clock decides what is overdue).
TEST_F(ReferralEventsTest, BackgroundScanEscalatesOverdueReferrals) {
  v1::Referral late = Send(crisis_.name(), v1::URGENT);
  server_.clock().Advance(absl::Hours(25));
  referral_->StartBackgroundWork(absl::Milliseconds(20));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!Get(bob_, late.name()).has_escalate_time() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(Get(bob_, late.name()).has_escalate_time());
  EXPECT_THAT(ReadFeed(CarePlanService(), 0, {"referral.escalated"}),
              SizeIs(1));
  referral_->StopBackgroundWork();
}

}  // namespace
}  // namespace carebridge::referral
