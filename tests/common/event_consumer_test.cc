// EventConsumer following a feed served over real gRPC: in-order apply with
// a durable cursor, reconnects, retries that never skip, duplicates applied
// once, and a prompt Stop.

#include "services/common/event_consumer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "services/common/clock.h"
#include "services/common/service_credentials.h"
#include "services/common/token.h"
#include "tests/common/feed_test_env.h"
#include "tests/support/status_matchers.h"

namespace carebridge::testing {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using events::v1::Event;
using ::testing::ElementsAre;

// A consumer's database the way a real consumer keeps it: each effect (a
// row in `applied`) commits with the cursor, and an event at or below the
// cursor changes nothing.
class ConsumerStore {
 public:
  explicit ConsumerStore(const std::string& path) {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path, {{1, kConsumerCursorSchemaSql},
                              {2,
                               "CREATE TABLE applied (n INTEGER PRIMARY KEY "
                               "AUTOINCREMENT, sequence INTEGER NOT NULL)"}});
    EXPECT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  absl::StatusOr<int64_t> Cursor() {
    int64_t cursor = 0;
    RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(cursor, ReadConsumerCursor(conn, "referral"));
      return absl::OkStatus();
    }));
    return cursor;
  }

  absl::Status Apply(const Event& event) {
    return db_->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(int64_t cursor, ReadConsumerCursor(conn, "referral"));
      if (event.sequence() <= cursor) return absl::OkStatus();
      ASSIGN_OR_RETURN(
          Statement insert,
          conn.Prepare("INSERT INTO applied (sequence) VALUES (?)"));
      insert.Bind(1, event.sequence());
      RETURN_IF_ERROR(insert.Run());
      return AdvanceConsumerCursor(conn, "referral", event.sequence());
    });
  }

  // The effects, in the order they were applied.
  std::vector<int64_t> Applied() {
    std::vector<int64_t> sequences;
    absl::Status status = db_->Read([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement select,
                       conn.Prepare("SELECT sequence FROM applied ORDER BY n"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, select.Step());
        if (!row) return absl::OkStatus();
        sequences.push_back(select.ColumnInt64(0));
      }
    });
    EXPECT_TRUE(status.ok()) << status;
    return sequences;
  }

 private:
  std::unique_ptr<SqliteDb> db_;
};

class EventConsumerTest : public FeedTestEnv {
 protected:
  void TearDown() override {
    if (consumer_ != nullptr) consumer_->Stop();
    FeedTestEnv::TearDown();
  }

  EventConsumer::Options FastOptions() {
    EventConsumer::Options options;
    options.name = "test<-referral";
    options.min_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(20);
    return options;
  }

  // Starts a consumer applying into store_; `apply` defaults to the store.
  void StartConsumer(EventConsumer::Options options,
                     EventConsumer::Apply apply = nullptr,
                     EventConsumer::CursorLoader load_cursor = nullptr) {
    if (apply == nullptr) {
      apply = [this](const Event& event) { return store_.Apply(event); };
    }
    if (load_cursor == nullptr) {
      load_cursor = [this] { return store_.Cursor(); };
    }
    consumer_ = std::make_unique<EventConsumer>(
        std::move(options), &credentials_,
        [this](grpc::ClientContext* context,
               const events::v1::SubscribeRequest& request) {
          opens_.fetch_add(1);
          return std::unique_ptr<
              grpc::ClientReaderInterface<events::v1::SubscribeResponse>>(
              Subscribe(context, request));
        },
        std::move(load_cursor), std::move(apply));
    consumer_->Start();
  }

  bool AppliedThrough(int64_t sequence) {
    return Eventually([&] { return consumer_->applied_through() >= sequence; });
  }

  // The tokens the feed checks are signed with the TestServer's key, on a
  // clock at the same fake time.
  FakeClock clock_;
  TokenSigner signer_{std::string(32, 'k')};
  ServiceCredentials credentials_{"services/careplan", &signer_, &clock_};
  ConsumerStore store_{dir_.File("consumer.db")};
  std::atomic<int> opens_{0};
  std::unique_ptr<EventConsumer> consumer_;
};

TEST_F(EventConsumerTest, AppliesEventsInOrderAndStoresTheCursor) {
  for (int i = 0; i < 5; ++i) Commit("referral.created");
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(5));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(store_.Cursor(), IsOkAndHolds(5));
  EXPECT_EQ(consumer_->connections(), 1);

  // New events arrive on the same stream as they commit.
  Commit("referral.accepted");
  Commit("referral.accepted");
  ASSERT_TRUE(AppliedThrough(7));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  EXPECT_EQ(consumer_->connections(), 1);
}

TEST_F(EventConsumerTest, DeliversOnlyTheTypesAskedFor) {
  Commit("referral.created");
  Commit("referral.accepted");
  Commit("referral.declined");
  Commit("referral.accepted");
  EventConsumer::Options options = FastOptions();
  options.type_prefixes = {"referral.accepted"};
  StartConsumer(options);
  ASSERT_TRUE(AppliedThrough(4));
  EXPECT_THAT(store_.Applied(), ElementsAre(2, 4));
}

TEST_F(EventConsumerTest, StartsFromTheStoredCursor) {
  for (int i = 0; i < 4; ++i) Commit("referral.created");
  Event third;
  third.set_sequence(3);
  ASSERT_THAT(store_.Apply(third), IsOk());
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(4));
  EXPECT_THAT(store_.Applied(), ElementsAre(3, 4));
}

TEST_F(EventConsumerTest, ResumesFromItsCursorWhenTheProducerRestarts) {
  for (int i = 0; i < 3; ++i) Commit("referral.created");
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(3));

  StopProducer();
  CommitWhileDown("referral.accepted", 2);
  StartProducer();
  Commit("referral.accepted");

  ASSERT_TRUE(AppliedThrough(6));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_GE(consumer_->connections(), 2);
}

TEST_F(EventConsumerTest, AFailedApplyIsRetriedAndNeverSkipped) {
  for (int i = 0; i < 3; ++i) Commit("referral.created");
  absl::Mutex mu;
  std::vector<int64_t> attempts;
  int failures_left = 3;
  StartConsumer(FastOptions(), [&](const Event& event) -> absl::Status {
    {
      absl::MutexLock lock(&mu);
      attempts.push_back(event.sequence());
      if (event.sequence() == 2 && failures_left > 0) {
        --failures_left;
        return absl::UnavailableError("the store is busy");
      }
    }
    return store_.Apply(event);
  });
  ASSERT_TRUE(AppliedThrough(3));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(attempts, ElementsAre(1, 2, 2, 2, 2, 3));
}

TEST_F(EventConsumerTest, EventsDeliveredTwiceAreAppliedOnce) {
  for (int i = 0; i < 3; ++i) Commit("referral.created");
  std::atomic<int> applies{0};
  // A cursor that lags two events behind (as after a crash between
  // applying and recording): every resubscription redelivers them.
  StartConsumer(
      FastOptions(),
      [&](const Event& event) {
        applies.fetch_add(1);
        return store_.Apply(event);
      },
      [&]() -> absl::StatusOr<int64_t> {
        ASSIGN_OR_RETURN(int64_t cursor, store_.Cursor());
        return std::max<int64_t>(0, cursor - 2);
      });
  ASSERT_TRUE(AppliedThrough(3));
  StopProducer();
  StartProducer();
  Commit("referral.accepted");
  ASSERT_TRUE(AppliedThrough(4));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3, 4));
  EXPECT_GE(applies.load(), 6) << "events 2 and 3 were not redelivered";
}

TEST_F(EventConsumerTest, StopIsPromptWhileTheProducerIsDown) {
  StopProducer();
  EventConsumer::Options options = FastOptions();
  options.min_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(60);
  StartConsumer(options);
  ASSERT_TRUE(Eventually([&] { return opens_.load() >= 1; }));
  absl::SleepFor(absl::Milliseconds(20));  // into the 30 s backoff
  absl::Time start = absl::Now();
  consumer_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(opens_.load(), 1);
  EXPECT_EQ(consumer_->connections(), 0);
}

TEST_F(EventConsumerTest, StopIsPromptWhileWaitingForEvents) {
  Commit("referral.created");
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(1));
  absl::Time start = absl::Now();
  consumer_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  consumer_->Stop();  // idempotent
}

TEST_F(EventConsumerTest, StopWaitsForTheApplyInProgress) {
  Commit("referral.created");
  Commit("referral.created");
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> apply_returned{false};
  StartConsumer(FastOptions(), [&](const Event& event) {
    entered.Notify();
    release.WaitForNotification();
    absl::Status status = store_.Apply(event);
    apply_returned.store(true);
    return status;
  });
  entered.WaitForNotification();
  std::atomic<bool> stopped{false};
  bool returned_when_stopped = false;
  std::thread stopper([&] {
    consumer_->Stop();
    returned_when_stopped = apply_returned.load();
    stopped.store(true);
  });
  absl::SleepFor(absl::Milliseconds(5));
  EXPECT_FALSE(stopped.load()) << "Stop returned during an apply";
  release.Notify();
  stopper.join();
  EXPECT_TRUE(returned_when_stopped);
  // The event in hand was applied; the next was not started.
  EXPECT_THAT(store_.Applied(), ElementsAre(1));
}

TEST_F(EventConsumerTest, AProducerThatStaysDownIsLoggedOnceNotPerRetry) {
  Commit("referral.created");
  ::testing::internal::CaptureStderr();
  EventConsumer::Options options = FastOptions();
  options.max_backoff = absl::Milliseconds(2);
  StartConsumer(options);
  ASSERT_TRUE(AppliedThrough(1));
  StopProducer();
  int opens_before = opens_.load();
  ASSERT_TRUE(Eventually([&] { return opens_.load() >= opens_before + 20; }));
  StartProducer();
  Commit("referral.created");
  ASSERT_TRUE(AppliedThrough(2));
  consumer_->Stop();
  std::string log = ::testing::internal::GetCapturedStderr();

  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "test<-referral")) ++lines;
  }
  // Connected; disconnected (the feed shutting down); at most one line per
  // distinct failure while the server goes away (a call cancelled by its
  // shutdown, connection refused); connected again. Not one per retry.
  EXPECT_LE(lines, 6) << log;
  EXPECT_THAT(log, ::testing::HasSubstr("shutting down"));
  EXPECT_THAT(log, ::testing::HasSubstr("following the feed after sequence 1"));
}

}  // namespace
}  // namespace carebridge::testing
