// `carectl admin feeds ...` against a fake FeedAdminService: what each
// command asks, what it prints, and the usage errors caught before any call.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/events/v1/feed_admin.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "clients/carectl/feeds_format.h"
#include "clients/carectl/feeds_requests.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace ev = ::carebridge::events::v1;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out;
  std::string err;
};

ev::Consumer Following() {
  ev::Consumer consumer;
  consumer.set_name("consumers/careplan.handover");
  consumer.set_service("careplan");
  consumer.set_feed("handover");
  consumer.set_state(ev::Consumer::FOLLOWING);
  consumer.set_cursor(42);
  consumer.set_head_sequence(42);
  consumer.set_lag_current(true);
  consumer.mutable_last_applied_time()->set_seconds(1796083200);
  return consumer;
}

ev::Consumer Behind() {
  ev::Consumer consumer;
  consumer.set_name("consumers/careplan.referral");
  consumer.set_state(ev::Consumer::RETRYING);
  consumer.set_cursor(7);
  consumer.set_head_sequence(10);
  consumer.set_lag_events(3);
  consumer.mutable_lag()->set_seconds(72);
  consumer.set_parked_count(1);
  consumer.set_last_error("UNAVAILABLE: cannot subscribe: connection refused");
  consumer.mutable_last_error_time()->set_seconds(1796083200);
  return consumer;
}

// Started, and not yet answered by its feed.
ev::Consumer Connecting() {
  ev::Consumer consumer;
  consumer.set_name("consumers/record.handover");
  consumer.set_state(ev::Consumer::CONNECTING);
  return consumer;
}

// Its producer's database was replaced: the head is the new one's.
ev::Consumer Reset() {
  ev::Consumer consumer;
  consumer.set_name("consumers/record.referral");
  consumer.set_state(ev::Consumer::PRODUCER_RESET);
  consumer.set_cursor(9);
  consumer.set_head_sequence(0);
  consumer.set_epoch("e-old");
  consumer.set_producer_epoch("e-new");
  return consumer;
}

ev::ParkedEvent Parked() {
  ev::ParkedEvent parked;
  parked.set_name("consumers/careplan.referral/parkedEvents/8");
  parked.mutable_event()->set_sequence(42);
  parked.mutable_event()->set_type("referral.accepted");
  parked.mutable_event()->set_subject("referrals/r1");
  parked.set_reason(
      "INVALID_ARGUMENT: care_plan.goals: the care_plan would be");
  parked.set_attempts(5);
  parked.set_state(ev::ParkedEvent::PARKED);
  parked.mutable_park_time()->set_seconds(1796083200);
  return parked;
}

// Answers from fixed resources and keeps what it was asked.
class FakeFeedAdmin : public ev::FeedAdminService::Service {
 public:
  grpc::Status ListConsumers(grpc::ServerContext*,
                             const ev::ListConsumersRequest*,
                             ev::ListConsumersResponse* response) override {
    *response->add_consumers() = Following();
    *response->add_consumers() = Behind();
    *response->add_consumers() = Connecting();
    *response->add_consumers() = Reset();
    return grpc::Status::OK;
  }
  grpc::Status ListParkedEvents(
      grpc::ServerContext*, const ev::ListParkedEventsRequest* request,
      ev::ListParkedEventsResponse* response) override {
    Keep(*request);
    *response->add_parked_events() = Parked();
    response->set_next_page_token("tok2");
    return grpc::Status::OK;
  }
  grpc::Status RetryParkedEvent(grpc::ServerContext*,
                                const ev::RetryParkedEventRequest* request,
                                ev::ParkedEvent* response) override {
    Keep(*request);
    *response = Parked();
    response->set_state(ev::ParkedEvent::APPLIED);
    response->set_resolved_by("members/admin");
    response->mutable_resolve_time()->set_seconds(1796083300);
    response->set_resolution("applied on retry");
    return grpc::Status::OK;
  }
  grpc::Status DismissParkedEvent(grpc::ServerContext*,
                                  const ev::DismissParkedEventRequest* request,
                                  ev::ParkedEvent* response) override {
    Keep(*request);
    *response = Parked();
    response->set_state(ev::ParkedEvent::DISMISSED);
    response->set_resolution(request->reason());
    return grpc::Status::OK;
  }
  grpc::Status ResetConsumer(grpc::ServerContext*,
                             const ev::ResetConsumerRequest* request,
                             ev::Consumer* response) override {
    Keep(*request);
    *response = Following();
    return grpc::Status::OK;
  }

  std::string last_request() {
    absl::MutexLock lock(&mu_);
    return last_request_;
  }

 private:
  void Keep(const google::protobuf::Message& request) {
    absl::MutexLock lock(&mu_);
    last_request_ = request.ShortDebugString();
  }
  absl::Mutex mu_;
  std::string last_request_ ABSL_GUARDED_BY(mu_);
};

class FeedsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_flag_ = absl::StrCat("--server=127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  Result Run(std::vector<std::string> args) {
    args.insert(args.begin(), server_flag_);
    std::ostringstream out, err;
    int code = RunCarectl(args, {}, out, err);
    return {code, out.str(), err.str()};
  }

  FakeFeedAdmin service_;
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

TEST_F(FeedsCliTest, FeedsListsEachConsumerWithItsLagAndProblems) {
  Result result = Run({"--utc", "admin", "feeds"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("CONSUMER"));
  EXPECT_THAT(result.out, ContainsRegex("careplan.handover +following +42 "));
  EXPECT_THAT(result.out, HasSubstr("caught up  "));
  EXPECT_THAT(result.out, ContainsRegex("careplan.referral +retrying +7 "));
  // Retrying: the lag is what it was when the consumer last heard from the
  // feed.
  EXPECT_THAT(result.out, HasSubstr("3 events, 1m12s behind, as last seen"));
  EXPECT_THAT(
      result.out,
      ContainsRegex("record.handover +connecting +0 +0 +not known yet"));
  // The head is the new database's: no lag to tell.
  EXPECT_THAT(result.out, ContainsRegex("record.referral +producer_reset +9 +0 "
                                        "+- \\(producer reset\\)"));
  EXPECT_THAT(result.out,
              HasSubstr("careplan.referral: last error at "
                        "2026-12-01T00:00:00Z: UNAVAILABLE: cannot subscribe"));
  EXPECT_THAT(result.out,
              HasSubstr("careplan.referral: 1 parked; see `carectl admin feeds "
                        "parked --consumer=careplan.referral`"));
  EXPECT_THAT(result.out, Not(HasSubstr("careplan.handover: last error")));
}

TEST_F(FeedsCliTest, FeedsJsonIsTheResponse) {
  Result result = Run({"--json", "admin", "feeds"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"lag_events\": \"3\""));
  EXPECT_THAT(result.out, HasSubstr("\"state\": \"RETRYING\""));
}

TEST_F(FeedsCliTest, ParkedAsksEveryConsumerOrOneAndPrintsWhy) {
  Result result = Run({"admin", "feeds", "parked"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(), "parent: \"consumers/-\"");
  EXPECT_THAT(result.out, HasSubstr("careplan.referral/8  parked  42        "
                                    "referral.accepted  referrals/r1  5"));
  EXPECT_THAT(result.out,
              HasSubstr("careplan.referral/8: INVALID_ARGUMENT: care_plan."));
  EXPECT_THAT(result.out, HasSubstr("next page: --page_token=tok2"));

  result = Run({"admin", "feeds", "parked", "--consumer=careplan.referral",
                "--all", "--page_size=5"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "parent: \"consumers/careplan.referral\" include_resolved: true "
            "page_size: 5");
}

TEST_F(FeedsCliTest, RetryTakesTheShortOrTheFullNameAndShowsTheOutcome) {
  Result result =
      Run({"--utc", "admin", "feeds", "retry", "careplan.referral/8"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "name: \"consumers/careplan.referral/parkedEvents/8\"");
  EXPECT_THAT(result.out, HasSubstr("careplan.referral/8  applied"));
  EXPECT_THAT(result.out,
              HasSubstr("applied by members/admin at 2026-12-01T00:01:40Z: "
                        "applied on retry"));
  result = Run({"admin", "feeds", "retry",
                "consumers/careplan.handover/parkedEvents/3"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "name: \"consumers/careplan.handover/parkedEvents/3\"");
}

TEST_F(FeedsCliTest, DismissSendsTheReason) {
  Result result = Run({"admin", "feeds", "dismiss", "careplan.referral/8",
                       "--reason=Added to the care team by hand"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "name: \"consumers/careplan.referral/parkedEvents/8\" reason: "
            "\"Added to the care team by hand\"");
  EXPECT_THAT(result.out, HasSubstr("dismissed"));
}

TEST_F(FeedsCliTest, ResetSendsThePositionAndTheEpoch) {
  Result result = Run({"admin", "feeds", "reset", "careplan.referral",
                       "--after=0", "--epoch=0123abcd"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "name: \"consumers/careplan.referral\" epoch: \"0123abcd\"");
  EXPECT_THAT(result.out, HasSubstr("careplan.handover  following"));
}

TEST_F(FeedsCliTest, UsageErrorsNameTheFlagAndMakeNoCall) {
  Result result = Run({"admin", "feeds", "dismiss", "careplan.referral/8"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("--reason"));
  result = Run({"admin", "feeds", "retry", "careplan.referral"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("CONSUMER/ID"));
  result = Run({"admin", "feeds", "reset", "careplan.referral", "--epoch=e"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("--after"));
  result = Run({"admin", "feeds", "reset", "careplan.referral", "--after=-1",
                "--epoch=e"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("--after"));
  result = Run({"admin", "feeds", "reset", "careplan.referral", "--after=3"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("--epoch"));
  EXPECT_EQ(service_.last_request(), "");
}

TEST(FeedsFormatTest, AProducerResetSaysWhatToCompareAndHowToReset) {
  ev::Consumer consumer = Behind();
  consumer.set_state(ev::Consumer::PRODUCER_RESET);
  consumer.set_epoch("old");
  consumer.set_producer_epoch("new");
  std::ostringstream out;
  PrintConsumer(out, consumer);
  EXPECT_THAT(out.str(),
              HasSubstr("the producer's epoch is new; the cursor 7 belongs to "
                        "epoch old"));
  EXPECT_THAT(out.str(), HasSubstr("carectl admin feeds reset "
                                   "careplan.referral --after=N --epoch=new"));
  EXPECT_THAT(out.str(),
              HasSubstr("after a restore from a backup, N is the smaller of 7 "
                        "and the feed's head in the restore's report "
                        "(docs/backup.md)"));
}

TEST(FeedsRequestsTest, NamesExpand) {
  EXPECT_EQ(ConsumerName("careplan.referral"), "consumers/careplan.referral");
  EXPECT_EQ(ConsumerName("consumers/careplan.referral"),
            "consumers/careplan.referral");
  EXPECT_EQ(ParkedEventName("careplan.referral/8").value_or(""),
            "consumers/careplan.referral/parkedEvents/8");
  EXPECT_FALSE(ParkedEventName("careplan.referral/x").ok());
  EXPECT_FALSE(ParkedEventName("/8").ok());
  EXPECT_FALSE(ParkedEventName("careplan.referral/0").ok());
}

}  // namespace
}  // namespace carebridge::carectl
