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
#include "tests/common/event_consumer_fixture.h"
#include "tests/support/status_matchers.h"

namespace carebridge::testing {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::testing::ElementsAre;

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

TEST_F(EventConsumerTest, AStandbyRetryOfZeroIsTakenAsTenMilliseconds) {
  // Zero would have a replica standing by try for the lock without pause.
  EventConsumer::Options options = FastOptions();
  options.standby_retry = absl::ZeroDuration();
  StartConsumer(options);
  EXPECT_EQ(consumer_->options().standby_retry, absl::Milliseconds(10));
  options.standby_retry = absl::Milliseconds(250);
  StartConsumer(options);
  EXPECT_EQ(consumer_->options().standby_retry, absl::Milliseconds(250));
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
  // More failures than max_attempts: a transient error is never parked.
  int failures_left = 6;
  StartConsumer(
      FastOptions(),
      [&](const Event& event, const FeedPosition& position) -> absl::Status {
        {
          absl::MutexLock lock(&mu);
          attempts.push_back(event.sequence());
          if (event.sequence() == 2 && failures_left > 0) {
            --failures_left;
            return absl::UnavailableError("the store is busy");
          }
        }
        return store_.Apply(event, position);
      });
  ASSERT_TRUE(AppliedThrough(3));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3));
  EXPECT_THAT(store_.ledger()->CountParked("referral"), IsOkAndHolds(0));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(attempts, ElementsAre(1, 2, 2, 2, 2, 2, 2, 2, 3));
}

TEST_F(EventConsumerTest, EventsDeliveredTwiceAreAppliedOnce) {
  for (int i = 0; i < 3; ++i) Commit("referral.created");
  std::atomic<int> applies{0};
  // A cursor that lags two events behind (as after a crash between
  // applying and recording): every resubscription redelivers them.
  LaggingLedger lagging(store_.ledger(), 2);
  StartConsumer(
      FastOptions(),
      [&](const Event& event, const FeedPosition& position) {
        applies.fetch_add(1);
        return store_.Apply(event, position);
      },
      &lagging);
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
  StartConsumer(FastOptions(),
                [&](const Event& event, const FeedPosition& position) {
                  entered.Notify();
                  release.WaitForNotification();
                  absl::Status status = store_.Apply(event, position);
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

// An event that keeps failing with a lasting error is parked with its
// reason after max_attempts, and the events after it are applied: one
// event never holds up the feed, and none is skipped silently.
TEST_F(EventConsumerTest, AnEventThatCannotBeAppliedIsParkedAndTheFeedGoesOn) {
  for (int i = 0; i < 4; ++i) Commit("referral.accepted");
  std::atomic<int> attempts_at_2{0};
  StartConsumer(
      FastOptions(),
      [&](const Event& event, const FeedPosition& position) -> absl::Status {
        if (event.sequence() == 2 && !position.is_retry()) {
          attempts_at_2.fetch_add(1);
          return absl::InvalidArgumentError("care_plan.actions: too large");
        }
        return store_.Apply(event, position);
      });
  ASSERT_TRUE(AppliedThrough(4));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 3, 4));
  EXPECT_THAT(store_.Cursor(), IsOkAndHolds(4));
  EXPECT_EQ(attempts_at_2.load(), 3);

  ASSERT_OK_AND_ASSIGN(ParkedEvent parked,
                       store_.ledger()->GetParked("referral", 1));
  EXPECT_EQ(parked.id, 1);
  EXPECT_EQ(parked.epoch, ProducerEpoch());
  EXPECT_EQ(parked.state, ParkedState::kParked);
  EXPECT_EQ(parked.attempts, 3);
  EXPECT_EQ(parked.event.sequence(), 2);
  EXPECT_EQ(parked.event.type(), "referral.accepted");
  EXPECT_THAT(parked.reason,
              ::testing::HasSubstr("INVALID_ARGUMENT: care_plan.actions"));
  ASSERT_OK_AND_ASSIGN(ConsumerState state, consumer_->State());
  EXPECT_EQ(state.parked_count, 1);
  EXPECT_EQ(state.cursor, 4);

  // Parked survives a restart of the consumer: it is in its database.
  consumer_->Stop();
  StartConsumer(FastOptions());
  Commit("referral.accepted");
  ASSERT_TRUE(AppliedThrough(5));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 3, 4, 5));
  EXPECT_THAT(store_.ledger()->CountParked("referral"), IsOkAndHolds(1));
}

TEST_F(EventConsumerTest, LostRacesAreRetriedLongerBeforeParking) {
  Commit("referral.accepted");
  std::atomic<int> attempts{0};
  // max_attempts is 3: a lasting error would be parked by now.
  StartConsumer(
      FastOptions(),
      [&](const Event& event, const FeedPosition& position) -> absl::Status {
        if (attempts.fetch_add(1) < 8) {
          return absl::AbortedError("the plan changed meanwhile");
        }
        return store_.Apply(event, position);
      });
  ASSERT_TRUE(AppliedThrough(1));
  EXPECT_THAT(store_.Applied(), ElementsAre(1));
  EXPECT_THAT(store_.ledger()->CountParked("referral"), IsOkAndHolds(0));
}

TEST_F(EventConsumerTest, ARetriedParkedEventIsAppliedOnceAndMarked) {
  for (int i = 0; i < 3; ++i) Commit("referral.accepted");
  std::atomic<bool> mended{false};
  StartConsumer(
      FastOptions(),
      [&](const Event& event, const FeedPosition& position) -> absl::Status {
        if (event.sequence() == 2 && !mended.load()) {
          return absl::FailedPreconditionError("not yet");
        }
        return store_.Apply(event, position);
      });
  ASSERT_TRUE(AppliedThrough(3));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 3));

  // Still failing: it stays parked, with one more attempt.
  absl::Status again = consumer_->RetryParked(1, "members/admin");
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_THAT(again.message(), ::testing::HasSubstr("stays parked"));
  ASSERT_OK_AND_ASSIGN(ParkedEvent parked,
                       store_.ledger()->GetParked("referral", 1));
  EXPECT_EQ(parked.event.sequence(), 2);
  EXPECT_EQ(parked.state, ParkedState::kParked);
  EXPECT_EQ(parked.attempts, 4);

  mended.store(true);
  ASSERT_THAT(consumer_->RetryParked(1, "members/admin"), IsOk());
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 3, 2));
  ASSERT_OK_AND_ASSIGN(parked, store_.ledger()->GetParked("referral", 1));
  EXPECT_EQ(parked.state, ParkedState::kApplied);
  EXPECT_EQ(parked.resolved_by, "members/admin");
  EXPECT_THAT(store_.ledger()->CountParked("referral"), IsOkAndHolds(0));

  // A second retry changes nothing.
  EXPECT_EQ(consumer_->RetryParked(1, "members/admin").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(consumer_->RetryParked(2, "members/admin").code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 3, 2));
}

TEST_F(EventConsumerTest, ADismissedParkedEventKeepsWhoAndWhy) {
  Commit("referral.accepted");
  StartConsumer(FastOptions(), [&](const Event&, const FeedPosition&) {
    return absl::InvalidArgumentError("malformed");
  });
  ASSERT_TRUE(AppliedThrough(1));
  ASSERT_THAT(
      store_.ledger()->Dismiss("referral", 1, "members/admin",
                               "the team was added by hand", clock_.Now()),
      IsOk());
  ASSERT_OK_AND_ASSIGN(ParkedEvent parked,
                       store_.ledger()->GetParked("referral", 1));
  EXPECT_EQ(parked.state, ParkedState::kDismissed);
  EXPECT_EQ(parked.resolution, "the team was added by hand");
  EXPECT_EQ(store_.ledger()
                ->Dismiss("referral", 1, "members/admin", "again", clock_.Now())
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(consumer_->RetryParked(1, "members/admin").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(EventConsumerTest, StateShowsTheLagWhileBehindAndNoneOnceCaughtUp) {
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  absl::Notification entered;
  absl::Notification release;
  StartConsumer(FastOptions(),
                [&](const Event& event, const FeedPosition& position) {
                  if (event.sequence() == 3) {
                    entered.Notify();
                    release.WaitForNotification();
                  }
                  return store_.Apply(event, position);
                });
  entered.WaitForNotification();
  clock_.Advance(absl::Seconds(30));
  ASSERT_OK_AND_ASSIGN(ConsumerState behind, consumer_->State());
  EXPECT_EQ(behind.phase, ConsumerState::Phase::kFollowing);
  EXPECT_EQ(behind.cursor, 2);
  EXPECT_EQ(behind.head_sequence, 5);
  EXPECT_EQ(behind.lag_events, 3);
  EXPECT_GT(behind.lag, absl::ZeroDuration());
  EXPECT_FALSE(behind.epoch.empty());
  EXPECT_EQ(behind.epoch, ProducerEpoch());
  release.Notify();
  ASSERT_TRUE(AppliedThrough(5));
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<ConsumerState> state = consumer_->State();
    return state.ok() && state->lag_events == 0 &&
           state->lag == absl::ZeroDuration();
  }));
}

TEST_F(EventConsumerTest, ConsideredEventsOfOtherTypesAreNoLag) {
  Commit("referral.accepted");
  for (int i = 0; i < 4; ++i) Commit("referral.created");
  EventConsumer::Options options = FastOptions();
  options.type_prefixes = {"referral.accepted"};
  StartConsumer(options);
  ASSERT_TRUE(AppliedThrough(1));
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<ConsumerState> state = consumer_->State();
    return state.ok() && state->head_sequence == 5 && state->lag_events == 0;
  }));
}

TEST_F(EventConsumerTest, AProducerWithANewDatabaseIsReportedNotFollowed) {
  for (int i = 0; i < 3; ++i) Commit("referral.accepted");
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(3));
  const std::string old_epoch = ProducerEpoch();

  StopProducer();
  RemoveProducerDatabase();
  StartProducer();
  const std::string new_epoch = ProducerEpoch();
  ASSERT_NE(new_epoch, old_epoch);
  // Far enough for the sequences to pass the old cursor: without the
  // epoch, 4 and 5 would look new and 1..3 would be skipped.
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");

  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<ConsumerState> state = consumer_->State();
    return state.ok() && state->phase == ConsumerState::Phase::kProducerReset;
  }));
  ASSERT_OK_AND_ASSIGN(ConsumerState state, consumer_->State());
  EXPECT_THAT(state.last_error, ::testing::HasSubstr(new_epoch));
  EXPECT_EQ(state.epoch, old_epoch);
  EXPECT_EQ(state.producer_epoch, new_epoch);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3));

  // The administrator decides: the new database from its start.
  ASSERT_THAT(consumer_->Reset(0, new_epoch), IsOk());
  ASSERT_TRUE(Eventually([&] { return store_.Applied().size() == 8; }));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3, 1, 2, 3, 4, 5));
  ASSERT_OK_AND_ASSIGN(state, consumer_->State());
  EXPECT_EQ(state.phase, ConsumerState::Phase::kFollowing);
  EXPECT_EQ(state.epoch, new_epoch);
  EXPECT_EQ(state.last_error, "");
}

TEST_F(EventConsumerTest, AProducerRestoredBelowTheCursorIsReported) {
  for (int i = 0; i < 2; ++i) Commit("referral.accepted");
  StopProducer();
  BackUpProducer();
  StartProducer();
  for (int i = 0; i < 2; ++i) Commit("referral.accepted");
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(4));

  StopProducer();
  RestoreProducer();
  StartProducer();
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<ConsumerState> state = consumer_->State();
    return state.ok() && state->phase == ConsumerState::Phase::kProducerReset;
  }));
  ASSERT_OK_AND_ASSIGN(ConsumerState state, consumer_->State());
  EXPECT_THAT(state.last_error,
              ::testing::HasSubstr("below this consumer's cursor 4"));
  // New events reuse sequences 3 and 4: they are not taken for applied ones
  // silently, nor applied past the cursor.
  Commit("referral.accepted");
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_THAT(store_.Applied(), ElementsAre(1, 2, 3, 4));
}

// An administrator's reset waits for the event being applied, and nothing
// read before the reset is applied after it: reset backwards, every event
// after the new cursor is applied again, none skipped.
TEST_F(EventConsumerTest, AResetWaitsForTheApplyInProgressAndRestartsThere) {
  for (int i = 0; i < 4; ++i) Commit("referral.accepted");
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> held{false};
  StartConsumer(FastOptions(),
                [&](const Event& event, const FeedPosition& position) {
                  if (event.sequence() == 2 && !held.exchange(true)) {
                    entered.Notify();
                    release.WaitForNotification();
                  }
                  return store_.Apply(event, position);
                });
  entered.WaitForNotification();
  std::atomic<bool> reset_returned{false};
  absl::Status reset;
  std::thread resetter([&] {
    reset = consumer_->Reset(0, ProducerEpoch());
    reset_returned.store(true);
  });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(reset_returned.load()) << "Reset returned during an apply";
  release.Notify();
  resetter.join();
  ASSERT_THAT(reset, IsOk());
  ASSERT_TRUE(Eventually([&] {
    std::vector<int64_t> applied = store_.Applied();
    return applied.size() >= 6 && applied.back() == 4;
  }));
  absl::SleepFor(absl::Milliseconds(20));
  // Events after 2 may have been applied before the reset took the lock
  // (it waits for the apply in progress, not for the stream); after it,
  // everything from 1 again, in order.
  std::vector<int64_t> applied = store_.Applied();
  ASSERT_GE(applied.size(), 6u);
  ASSERT_LE(applied.size(), 8u);
  const size_t before = applied.size() - 4;
  for (size_t i = 0; i < before; ++i) {
    EXPECT_EQ(applied[i], static_cast<int64_t>(i + 1));
  }
  EXPECT_THAT(std::vector<int64_t>(applied.begin() + before, applied.end()),
              ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(store_.Cursor(), IsOkAndHolds(4));
}

// A consumer reset in the middle of a retry backoff starts again at once.
TEST_F(EventConsumerTest, AResetEndsARetryBackoffAtOnce) {
  Commit("referral.accepted");
  Commit("referral.accepted");
  EventConsumer::Options options = FastOptions();
  options.min_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(60);
  std::atomic<int> attempts_at_1{0};
  StartConsumer(options, [&](const Event& event, const FeedPosition& position) {
    if (event.sequence() == 1) {
      attempts_at_1.fetch_add(1);
      return absl::InvalidArgumentError("cannot");
    }
    return store_.Apply(event, position);
  });
  ASSERT_TRUE(Eventually([&] { return attempts_at_1.load() == 1; }));
  // Into the 30 s backoff before the second attempt; the administrator
  // skips event 1.
  ASSERT_THAT(consumer_->Reset(1, ProducerEpoch()), IsOk());
  ASSERT_TRUE(Eventually([&] { return store_.Applied().size() == 1; }));
  EXPECT_THAT(store_.Applied(), ElementsAre(2));
  EXPECT_EQ(attempts_at_1.load(), 1);
}

// Events parked from two producer databases (before and after a reset)
// share sequences but never overwrite each other.
TEST_F(EventConsumerTest, ParkedEventsOfTwoEpochsAreKeptApart) {
  ConsumerLedger* ledger = store_.ledger();
  ASSERT_THAT(ledger->RecordEpoch("referral", "aaaa"), IsOk());
  Event old_event;
  old_event.set_sequence(2);
  old_event.set_id("old");
  ASSERT_THAT(ledger->Park("referral", old_event, "first", 3, clock_.Now()),
              IsOk());
  ASSERT_THAT(ledger->Reset("referral", 0, "bbbb"), IsOk());
  Event new_event = old_event;
  new_event.set_id("new");
  ASSERT_THAT(ledger->Park("referral", new_event, "second", 3, clock_.Now()),
              IsOk());

  ASSERT_OK_AND_ASSIGN(ParkedEvent first, ledger->GetParked("referral", 1));
  EXPECT_EQ(first.event.id(), "old");
  EXPECT_EQ(first.epoch, "aaaa");
  EXPECT_EQ(first.reason, "first");
  ASSERT_OK_AND_ASSIGN(ParkedEvent second, ledger->GetParked("referral", 2));
  EXPECT_EQ(second.event.id(), "new");
  EXPECT_EQ(second.epoch, "bbbb");
  EXPECT_THAT(ledger->CountParked("referral"), IsOkAndHolds(2));
  // Recording an epoch again does not move a cursor to another database.
  ASSERT_THAT(ledger->RecordEpoch("referral", "cccc"), IsOk());
  ASSERT_OK_AND_ASSIGN(ConsumerPosition position, ledger->Position("referral"));
  EXPECT_EQ(position.epoch, "bbbb");
}

// A database whose events were parked before parked events had ids keeps
// them, each with its cursor's epoch.
TEST(ConsumerLedgerMigrationTest, ParkedEventsGetIdsAndTheirEpoch) {
  TempDir dir;
  const std::string path = dir.File("consumer.db");
  Event event;
  event.set_sequence(7);
  event.set_id("e7");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteDb> db,
                         SqliteDb::Open(path, {{1, kConsumerCursorSchemaSql},
                                               {2, kConsumerLedgerSchemaSql}}));
    ASSERT_THAT(db->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(
          Statement insert,
          conn.Prepare("INSERT INTO parked_events (feed, sequence, event, "
                       "reason, attempts, park_time_us, state) VALUES "
                       "('referral', 7, ?, 'why', 5, 0, 1)"));
      insert.BindBlob(1, event.SerializeAsString());
      RETURN_IF_ERROR(insert.Run());
      ASSIGN_OR_RETURN(Statement cursor,
                       conn.Prepare("INSERT INTO consumer_cursors (feed, "
                                    "sequence, epoch) VALUES ('referral', 9, "
                                    "'e1')"));
      return cursor.Run();
    }),
                IsOk());
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteDb> db,
                       SqliteDb::Open(path, {{1, kConsumerCursorSchemaSql},
                                             {2, kConsumerLedgerSchemaSql},
                                             {3, kParkedEventIdSchemaSql}}));
  SqliteConsumerLedger ledger(db.get());
  ASSERT_OK_AND_ASSIGN(ParkedEvent parked, ledger.GetParked("referral", 1));
  EXPECT_EQ(parked.event.id(), "e7");
  EXPECT_EQ(parked.epoch, "e1");
  EXPECT_EQ(parked.reason, "why");
  EXPECT_THAT(ledger.CountParked("referral"), IsOkAndHolds(1));
}

}  // namespace
}  // namespace carebridge::testing
