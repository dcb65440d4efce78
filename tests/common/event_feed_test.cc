// ServeEventFeed over a real gRPC stream: batches, resume, live delivery,
// filters, need-to-know and the ways a stream ends.

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/notification.h"
#include "tests/common/feed_test_env.h"
#include "tests/support/status_matchers.h"

namespace carebridge::testing {
namespace {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct Stream {
  std::vector<SubscribeResponse> responses;
  grpc::Status status;

  std::vector<int64_t> Sequences() const {
    std::vector<int64_t> sequences;
    for (const SubscribeResponse& response : responses) {
      for (const Event& event : response.events()) {
        sequences.push_back(event.sequence());
      }
    }
    return sequences;
  }
  std::vector<Event> Events() const {
    std::vector<Event> events;
    for (const SubscribeResponse& response : responses) {
      events.insert(events.end(), response.events().begin(),
                    response.events().end());
    }
    return events;
  }
};

SubscribeRequest CaughtUpRequest(int64_t after = 0) {
  SubscribeRequest request;
  request.set_after_sequence(after);
  request.set_stop_when_caught_up(true);
  return request;
}

class EventFeedTest : public FeedTestEnv {
 protected:
  // Subscribes as `principal` and reads until the stream ends.
  Stream ReadAll(const Principal& principal, const SubscribeRequest& request) {
    auto context = server_->ContextAs(principal);
    return ReadAllWith(context.get(), request);
  }
  Stream ReadAllWith(grpc::ClientContext* context,
                     const SubscribeRequest& request) {
    Stream stream;
    auto reader = Subscribe(context, request);
    SubscribeResponse response;
    while (reader->Read(&response)) stream.responses.push_back(response);
    stream.status = reader->Finish();
    return stream;
  }
};

TEST_F(EventFeedTest, FirstResponseIsAnImmediateHeartbeatWithTheHead) {
  Commit("referral.created");
  Commit("referral.created");
  auto context = server_->ContextAs(Service());
  SubscribeRequest request;
  request.set_after_sequence(2);
  auto reader = Subscribe(context.get(), request);
  SubscribeResponse heartbeat;
  ASSERT_TRUE(reader->Read(&heartbeat));
  EXPECT_THAT(heartbeat.events(), IsEmpty());
  EXPECT_EQ(heartbeat.through_sequence(), 2);
  EXPECT_EQ(heartbeat.head_sequence(), 2);
  context->TryCancel();
}

TEST_F(EventFeedTest, AnEmptyFeedSendsOneHeartbeatAndEndsWhenCaughtUp) {
  Stream stream = ReadAll(Service(), CaughtUpRequest());
  ASSERT_GRPC_OK(stream.status);
  ASSERT_THAT(stream.responses, SizeIs(1));
  EXPECT_THAT(stream.responses[0].events(), IsEmpty());
  EXPECT_EQ(stream.responses[0].through_sequence(), 0);
  EXPECT_EQ(stream.responses[0].head_sequence(), 0);
}

TEST_F(EventFeedTest, DeliversEveryEventInOrderInBatchesOfAtMostAHundred) {
  std::vector<int64_t> committed;
  for (int i = 0; i < 250; ++i) committed.push_back(Commit("referral.created"));

  Stream stream = ReadAll(Service(), CaughtUpRequest());
  ASSERT_GRPC_OK(stream.status);
  EXPECT_THAT(stream.Sequences(), ElementsAreArray(committed));
  EXPECT_GE(stream.responses.size(), 3u);
  for (const SubscribeResponse& response : stream.responses) {
    EXPECT_LE(response.events_size(), 100);
    if (response.events_size() > 0) {
      EXPECT_EQ(response.through_sequence(),
                response.events(response.events_size() - 1).sequence());
    }
    EXPECT_EQ(response.head_sequence(), 250);
  }
  EXPECT_EQ(stream.responses.back().through_sequence(), 250);
  std::vector<Event> events = stream.Events();
  EXPECT_EQ(events[0].id(), "referral/1");
  EXPECT_EQ(events[0].feed(), "referral");
  EXPECT_EQ(events[0].type(), "referral.created");
  referral::v1::Referral payload;
  ASSERT_TRUE(events[0].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.name(), "referrals/r1");
}

TEST_F(EventFeedTest, ResumesAfterTheGivenSequence) {
  for (int i = 0; i < 8; ++i) Commit("referral.created");
  Stream stream = ReadAll(Service(), CaughtUpRequest(/*after=*/5));
  ASSERT_GRPC_OK(stream.status);
  EXPECT_THAT(stream.Sequences(), ElementsAre(6, 7, 8));
  EXPECT_EQ(stream.responses.back().through_sequence(), 8);
}

TEST_F(EventFeedTest, EventsCommittedAfterCatchingUpArriveWithoutPolling) {
  Commit("referral.created");
  auto context = server_->ContextAs(Service());
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_EQ(response.through_sequence(), 1);
  ASSERT_EQ(response.head_sequence(), 1);

  // Each commit wakes the idle subscription; a subscription that missed a
  // notification would sit until the context's deadline and fail here.
  for (int i = 0; i < 5; ++i) {
    int64_t sequence = Commit("referral.accepted");
    ASSERT_TRUE(reader->Read(&response)) << reader->Finish().error_message();
    ASSERT_THAT(response.events(), SizeIs(1));
    EXPECT_EQ(response.events(0).sequence(), sequence);
    EXPECT_EQ(response.events(0).type(), "referral.accepted");
    EXPECT_EQ(response.through_sequence(), sequence);
  }
  context->TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_THAT(reader->Finish(), HasCode(grpc::StatusCode::CANCELLED));
}

TEST_F(EventFeedTest, TypePrefixesFilterEventsButThroughSequenceAdvances) {
  Commit("referral.created");
  Commit("referral.accepted");
  Commit("referral.acknowledged");
  Commit("referral.accepted");
  Commit("referral.created");
  SubscribeRequest request = CaughtUpRequest();
  request.add_type_prefixes("referral.accepted");
  request.add_type_prefixes("handover.");
  Stream stream = ReadAll(Service(), request);
  ASSERT_GRPC_OK(stream.status);
  EXPECT_THAT(stream.Sequences(), ElementsAre(2, 4));
  EXPECT_EQ(stream.responses.back().through_sequence(), 5);
  EXPECT_EQ(stream.responses.back().head_sequence(), 5);
}

// A prefix is matched segment by segment: `careplan.break_glass` asks for
// break-glass accesses, not their reviews (careplan.break_glass_reviewed).
TEST_F(EventFeedTest, TypePrefixesMatchWholeSegments) {
  Commit("careplan.break_glass");
  Commit("careplan.break_glass_reviewed");
  Commit("careplan.break_glass.extra");
  Commit("referral.accepted");
  Commit("referral.acknowledged");
  SubscribeRequest request = CaughtUpRequest();
  request.add_type_prefixes("careplan.break_glass");
  request.add_type_prefixes("referral.accept");
  Stream stream = ReadAll(Service(), request);
  ASSERT_GRPC_OK(stream.status);
  EXPECT_THAT(stream.Sequences(), ElementsAre(1, 3));
  EXPECT_EQ(stream.responses.back().through_sequence(), 5);

  // A whole segment with or without its dot, and the empty prefix.
  for (const char* prefix : {"referral", "referral.", ""}) {
    SubscribeRequest whole = CaughtUpRequest();
    whole.add_type_prefixes(prefix);
    whole.add_type_prefixes("careplan.break_glass_reviewed");
    Stream read = ReadAll(Service(), whole);
    ASSERT_GRPC_OK(read.status);
    const std::vector<int64_t> wanted =
        *prefix == '\0' ? std::vector<int64_t>{1, 2, 3, 4, 5}
                        : std::vector<int64_t>{2, 4, 5};
    EXPECT_EQ(read.Sequences(), wanted) << "`" << prefix << "`";
  }
}

TEST_F(EventFeedTest, LiveEventsLeftOutByTheFilterStillMoveThroughSequence) {
  auto context = server_->ContextAs(Service());
  SubscribeRequest request;
  request.add_type_prefixes("referral.accepted");
  auto reader = Subscribe(context.get(), request);
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  Commit("referral.created");
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_THAT(response.events(), IsEmpty());
  EXPECT_EQ(response.through_sequence(), 1);
  Commit("referral.accepted");
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_THAT(response.events(), SizeIs(1));
  EXPECT_EQ(response.events(0).sequence(), 2);
  context->TryCancel();
}

TEST_F(EventFeedTest, AdminsReceiveEveryEventWithoutItsPayload) {
  Commit("referral.created", {kTeamA});
  Commit("referral.created", {kTeamB});
  Stream stream = ReadAll(TestServer::Admin(), CaughtUpRequest());
  ASSERT_GRPC_OK(stream.status);
  std::vector<Event> events = stream.Events();
  ASSERT_THAT(events, SizeIs(2));
  for (const Event& event : events) {
    EXPECT_FALSE(event.has_payload()) << event.DebugString();
    EXPECT_EQ(event.type(), "referral.created");
    EXPECT_EQ(event.person(), "persons/p1");
    EXPECT_EQ(event.actor(), "members/m1");
    EXPECT_THAT(event.teams(), SizeIs(1));
  }
}

TEST_F(EventFeedTest, ClinicalStaffReceiveOnlyTheirTeamsEventsWithPayloads) {
  Commit("referral.created", {kTeamA, kTeamB});
  Commit("referral.created", {kTeamB});
  Commit("referral.created", {kTeamA});
  Commit("referral.created", {kTeamB});
  Stream stream = ReadAll(StaffOf(kTeamA), CaughtUpRequest());
  ASSERT_GRPC_OK(stream.status);
  EXPECT_THAT(stream.Sequences(), ElementsAre(1, 3));
  for (const Event& event : stream.Events()) {
    EXPECT_TRUE(event.has_payload());
  }
  EXPECT_EQ(stream.responses.back().through_sequence(), 4);

  Stream other = ReadAll(StaffOf("teams/c"), CaughtUpRequest());
  ASSERT_GRPC_OK(other.status);
  EXPECT_THAT(other.Sequences(), IsEmpty());
  EXPECT_EQ(other.responses.back().through_sequence(), 4);
}

TEST_F(EventFeedTest, CallersWithoutATokenAreUnauthenticated) {
  Commit("referral.created");
  auto context = server_->AnonymousContext();
  Stream stream = ReadAllWith(context.get(), CaughtUpRequest());
  EXPECT_THAT(stream.status, HasCode(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(stream.responses, IsEmpty());
}

TEST_F(EventFeedTest, InvalidRequestsNameTheField) {
  SubscribeRequest negative = CaughtUpRequest();
  negative.set_after_sequence(-1);
  EXPECT_THAT(ReadAll(Service(), negative).status,
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("after_sequence")));

  SubscribeRequest too_many = CaughtUpRequest();
  for (int i = 0; i < 21; ++i) too_many.add_type_prefixes("referral.");
  EXPECT_THAT(ReadAll(Service(), too_many).status,
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("type_prefixes")));

  SubscribeRequest too_long = CaughtUpRequest();
  too_long.add_type_prefixes("referral.");
  too_long.add_type_prefixes(std::string(101, 'x'));
  EXPECT_THAT(ReadAll(Service(), too_long).status,
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("type_prefixes[1]")));

  SubscribeRequest at_limits = CaughtUpRequest();
  for (int i = 0; i < 20; ++i) {
    at_limits.add_type_prefixes(std::string(100, 'x'));
  }
  ASSERT_GRPC_OK(ReadAll(Service(), at_limits).status);
}

TEST_F(EventFeedTest, LogShutdownEndsLiveStreamsWithUnavailable) {
  Commit("referral.created");
  auto context = server_->ContextAs(Service());
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_EQ(response.through_sequence(), 1);

  log_->Shutdown();
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_THAT(reader->Finish(),
              HasCodeAndMessage(grpc::StatusCode::UNAVAILABLE,
                                HasSubstr("resume after sequence 1")));
}

TEST_F(EventFeedTest, ASubscriberThatCancelsEndsItsStreamAlone) {
  auto cancelled = server_->ContextAs(Service());
  auto cancelled_reader = Subscribe(cancelled.get(), SubscribeRequest());
  auto staying = server_->ContextAs(Service());
  auto staying_reader = Subscribe(staying.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(cancelled_reader->Read(&response));
  ASSERT_TRUE(staying_reader->Read(&response));

  cancelled->TryCancel();
  while (cancelled_reader->Read(&response)) {
  }
  EXPECT_THAT(cancelled_reader->Finish(), HasCode(grpc::StatusCode::CANCELLED));

  Commit("referral.created");
  ASSERT_TRUE(staying_reader->Read(&response));
  EXPECT_THAT(response.events(), SizeIs(1));
  staying->TryCancel();
}

TEST_F(EventFeedTest, ManySubscribersEachReceiveEveryEventInOrder) {
  constexpr int kSubscribers = 20;
  constexpr int kEvents = 60;
  std::vector<std::vector<int64_t>> received(kSubscribers);
  std::atomic<int> ready{0};
  std::vector<std::thread> subscribers;
  for (int s = 0; s < kSubscribers; ++s) {
    subscribers.emplace_back([&, s] {
      auto context = server_->ContextAs(Service());
      auto reader = Subscribe(context.get(), SubscribeRequest());
      SubscribeResponse response;
      bool first = true;
      while (static_cast<int>(received[s].size()) < kEvents &&
             reader->Read(&response)) {
        if (first) ready.fetch_add(1);
        first = false;
        for (const Event& event : response.events()) {
          received[s].push_back(event.sequence());
        }
      }
      context->TryCancel();
      while (reader->Read(&response)) {
      }
      reader->Finish();
    });
  }
  // Half the events before everyone is connected, half after, from
  // concurrent writers.
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEvents / 3; ++i) {
        if (w == 0 && i == kEvents / 6) {
          Eventually([&] { return ready.load() == kSubscribers; });
        }
        Commit("referral.created");
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (std::thread& subscriber : subscribers) subscriber.join();

  std::vector<int64_t> all;
  for (int i = 1; i <= kEvents; ++i) all.push_back(i);
  for (int s = 0; s < kSubscribers; ++s) {
    EXPECT_THAT(received[s], ElementsAreArray(all)) << "subscriber " << s;
  }
}

// A feed whose executor refuses its read ends the stream (the subscriber
// resumes later) instead of leaving it waiting for a read that never runs.
TEST_F(EventFeedTest, AnExecutorThatRefusesTheReadEndsTheStream) {
  absl::Notification release;
  absl::Notification blocked;
  BlockingExecutor executor(/*threads=*/1, /*max_queued=*/1);
  // Unblocks the executor's thread however the test ends, before it joins.
  absl::Cleanup unblock = [&] {
    if (!release.HasBeenNotified()) release.Notify();
  };
  Environment env = server_->env();
  env.executor = &executor;
  FeedTestingServiceImpl service(env, log_.get());
  TestServer server;
  server.host().AddService(&service,
                           "carebridge.testing.v1.FeedTestingService");
  server.Start();
  auto stub = testing::v1::FeedTestingService::NewStub(server.Channel());

  auto live = server.ContextAs(Service());
  auto live_reader = stub->Subscribe(live.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(live_reader->Read(&response));

  // The one thread blocked, the one queue slot taken: every Post fails.
  ASSERT_OK(executor.Post([&] {
    blocked.Notify();
    release.WaitForNotification();
  }));
  blocked.WaitForNotification();
  ASSERT_OK(executor.Post([] {}));

  Commit("referral.created");
  EXPECT_FALSE(live_reader->Read(&response));
  EXPECT_THAT(live_reader->Finish(),
              HasCode(grpc::StatusCode::RESOURCE_EXHAUSTED));

  auto late = server.ContextAs(Service());
  auto late_reader = stub->Subscribe(late.get(), SubscribeRequest());
  EXPECT_FALSE(late_reader->Read(&response));
  EXPECT_THAT(late_reader->Finish(),
              HasCode(grpc::StatusCode::RESOURCE_EXHAUSTED));
}

// Issue 9, failure 1: a backlog of large events once made responses of up
// to 100 whole resources (8 MB), past the 4 MB a default client accepts, so
// no consumer could ever get past it. Now each response stays within the
// byte budget, and a default client reads the whole backlog.
TEST_F(EventFeedTest,
       ABacklogOfLargeEventsComesInResponsesADefaultClientReads) {
  // 5 MB in all, several events to a budget: batches fill up to the
  // budget and never past it.
  constexpr int kEvents = 250;
  constexpr size_t kReasonBytes = 20 * 1024;
  for (int i = 0; i < kEvents; ++i) {
    Commit("referral.accepted", {kTeamA, kTeamB}, kReasonBytes);
  }
  Stream stream = ReadAll(Service(), CaughtUpRequest());
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  EXPECT_THAT(stream.Sequences(), SizeIs(kEvents));
  size_t total_bytes = 0;
  int largest_batch = 0;
  for (const SubscribeResponse& response : stream.responses) {
    size_t events_bytes = 0;
    for (const Event& event : response.events()) {
      events_bytes += event.ByteSizeLong();
    }
    total_bytes += events_bytes;
    largest_batch = std::max(largest_batch, response.events_size());
    if (response.events_size() > 1) {
      EXPECT_LE(events_bytes, kFeedResponseBudgetBytes);
    }
    EXPECT_LT(response.ByteSizeLong(), size_t{2} * 1024 * 1024);
  }
  EXPECT_GT(total_bytes, size_t{4} * 1024 * 1024);
  // Batched, not one event per response.
  EXPECT_GE(largest_batch, 4);
}

TEST_F(EventFeedTest, AnEventLargerThanTheBudgetComesAlone) {
  Commit("referral.created");
  Commit("referral.accepted", {kTeamA, kTeamB}, 600 * 1024);
  Commit("referral.created");
  Stream stream = ReadAll(Service(), CaughtUpRequest());
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  EXPECT_THAT(stream.Sequences(), ElementsAre(1, 2, 3));
  bool alone = false;
  for (const SubscribeResponse& response : stream.responses) {
    for (const Event& event : response.events()) {
      if (event.sequence() == 2) alone = response.events_size() == 1;
    }
  }
  EXPECT_TRUE(alone);
}

TEST_F(EventFeedTest, ResponsesCarryTheEpochAndTheHeadTime) {
  Commit("referral.created");
  Stream stream = ReadAll(Service(), CaughtUpRequest());
  ASSERT_TRUE(stream.status.ok());
  ASSERT_THAT(stream.responses, ::testing::Not(IsEmpty()));
  EXPECT_EQ(stream.responses.back().epoch(), ProducerEpoch());
  EXPECT_EQ(stream.responses.back().epoch().size(), 32u);
  EXPECT_EQ(stream.responses.back().head_time().seconds(), 1767225600);
}

TEST_F(EventFeedTest, AHeadBelowTheAskedPositionIsReportedAsItIs) {
  Commit("referral.created");
  Commit("referral.created");
  Stream stream = ReadAll(Service(), CaughtUpRequest(/*after=*/7));
  ASSERT_TRUE(stream.status.ok());
  ASSERT_THAT(stream.responses, SizeIs(1));
  EXPECT_EQ(stream.responses[0].head_sequence(), 2);
  EXPECT_EQ(stream.responses[0].through_sequence(), 7);
}

// Issue 9, failure 3 (second half): a stream kept delivering after its
// token expired.
TEST_F(EventFeedTest, AStreamEndsUnauthenticatedWhenItsTokenExpires) {
  Principal staff = StaffOf(kTeamA);
  staff.expire_time = server_->clock().Now() + absl::Seconds(1);
  auto context = server_->ContextAs(staff);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));  // the heartbeat
  server_->clock().Advance(absl::Seconds(2));
  Commit("referral.created");
  std::vector<int64_t> after_expiry;
  absl::Time start = absl::Now();
  while (reader->Read(&response)) {
    for (const Event& event : response.events()) {
      after_expiry.push_back(event.sequence());
    }
  }
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("token expired"));
  EXPECT_THAT(after_expiry, IsEmpty());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(EventFeedTest, AnIdleStreamEndsWhenItsTokenExpires) {
  Principal staff = StaffOf(kTeamA);
  staff.expire_time = server_->clock().Now() + absl::Seconds(1);
  auto context = server_->ContextAs(staff);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  // No commit wakes it: the expiry alarm does.
  server_->clock().Advance(absl::Seconds(2));
  absl::Time start = absl::Now();
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// Issue 9, failure 2: a subscriber that never read made the server read
// and hold whole batches of up to 100 resources (7.5-15 MiB each). Now the
// log is read only as the client drains the stream: one response at most
// is in flight, however far behind the subscriber is.
TEST_F(EventFeedTest, ASubscriberThatDoesNotReadHoldsAtMostOneResponse) {
  constexpr int kEvents = 200;
  constexpr size_t kReasonBytes = 80 * 1024;
  for (int i = 0; i < kEvents; ++i) {
    Commit("referral.accepted", {kTeamA, kTeamB}, kReasonBytes);
  }
  const int64_t before = log_->bytes_read();
  // A client whose transport takes in no more than 64 KiB it was not asked
  // for (gRPC's window would otherwise grow and buffer megabytes on the
  // client's side): what a subscriber that never reads looks like to the
  // server.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  auto stub = testing::v1::FeedTestingService::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                grpc::InsecureChannelCredentials(), args));
  auto context = server_->ContextAs(Service());
  auto reader = stub->Subscribe(context.get(), SubscribeRequest());
  // Give the server every chance to read ahead.
  absl::SleepFor(absl::Milliseconds(500));
  const int64_t read_while_idle = log_->bytes_read() - before;
  EXPECT_GT(read_while_idle, 0);
  // The response in flight and the one after it, read once gRPC took the
  // first into its buffers: nothing like the 16 MB of the backlog.
  EXPECT_LE(read_while_idle, 4 * static_cast<int64_t>(kFeedResponseBudgetBytes))
      << "the feed read ahead of a subscriber that does not read";
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(log_->bytes_read() - before, read_while_idle)
      << "the feed kept reading while nothing was read";

  // Draining the stream gets everything, in order.
  SubscribeResponse response;
  std::vector<int64_t> sequences;
  while (sequences.size() < static_cast<size_t>(kEvents) &&
         reader->Read(&response)) {
    for (const Event& event : response.events()) {
      sequences.push_back(event.sequence());
    }
  }
  ASSERT_THAT(sequences, SizeIs(kEvents));
  EXPECT_EQ(sequences.front(), 1);
  EXPECT_EQ(sequences.back(), kEvents);
  context->TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace carebridge::testing
