// Two replicas of a consuming service, their ledgers on one database, each
// running the consumer of one feed: one follows at a time and the other
// stands by; when the follower stops (or, on PostgreSQL, loses its session)
// the other goes on from the shared cursor, nothing applied twice and
// nothing skipped. Runs on SQLite (both replicas in this process on one
// Database, whose locks are the process's) and, as
// common_event_consumer_replicas_test_postgresql, with a Database each on
// the test cluster.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/common/event_consumer_replicas_fixture.h"

namespace carebridge::testing {
namespace {

using ::testing::ElementsAreArray;

TEST_F(EventConsumerReplicasTest, OneReplicaFollowsAndTheOtherStandsBy) {
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  StartReplica(*second_);
  ASSERT_TRUE(Eventually([&] {
    return PhaseOf(*second_) == ConsumerState::Phase::kStandingBy;
  })) << "the second replica does not stand by";
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  ASSERT_TRUE(Eventually([&] { return Cursor() == 10; }));
  EXPECT_EQ(PhaseOf(*first_), ConsumerState::Phase::kFollowing);
  EXPECT_EQ(PhaseOf(*second_), ConsumerState::Phase::kStandingBy);
  EXPECT_EQ(first_->applied.load(), 10);
  EXPECT_EQ(second_->applied.load(), 0);
  EXPECT_EQ(second_->consumer->connections(), 0)
      << "a replica standing by followed the feed";
  EXPECT_THAT(Applied(), ElementsAreArray(OneTo(10)));
}

// Only the replica holding the consumer's lock resets: one that has not
// taken it (connecting, or retrying) would move the cursor under the
// follower's feet just as a standby would.
TEST_F(EventConsumerReplicasTest, AReplicaWithoutTheLockCannotReset) {
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  MakeConsumer(*second_);  // not started: connecting
  ASSERT_EQ(PhaseOf(*second_), ConsumerState::Phase::kConnecting);
  absl::Status refused = second_->consumer->Reset(2, "");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr("does not hold the lock "
                                   "consumer.careplan.referral"));
  EXPECT_EQ(Cursor(), 5);
  Commit("referral.accepted");
  ASSERT_TRUE(Eventually([&] { return Cursor() == 6; }));
  EXPECT_THAT(Applied(), ElementsAreArray(OneTo(6)));
}

// A replica that takes over says how far behind it is from the shared
// cursor and what its watch noted, before its subscription answers (here
// the feed is down) and while it applies.
TEST_F(EventConsumerReplicasTest, AReplicaTakingOverCountsItsLagFromTheCursor) {
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  StartReplica(*second_);
  ASSERT_TRUE(StandbySees(*second_, 5, 5, 0));
  first_->hold = true;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) clock_.Advance(absl::Seconds(30));
    CommitNow("referral.accepted");
  }
  ASSERT_TRUE(StandbySees(*second_, 5, 8, 3));
  StopProducer();
  ASSERT_TRUE(Eventually([&] { return !StateOf(*second_).live; }));
  // The follower goes after applying 6; 7 happened 60 s ago, 8 30 s ago.
  second_->hold = true;
  StopHeld(*first_);
  ASSERT_EQ(Cursor(), 6);
  clock_.Advance(absl::Seconds(30));
  ConsumerState state;
  ASSERT_TRUE(Eventually([&] {
    state = StateOf(*second_);
    return state.phase == ConsumerState::Phase::kRetrying;
  })) << "the replica standing by did not take over";
  EXPECT_EQ(state.cursor, 6);
  EXPECT_EQ(state.head_sequence, 8);
  EXPECT_EQ(state.lag_events, 2);
  EXPECT_EQ(state.lag, absl::Seconds(60));

  StartProducer();
  ASSERT_TRUE(Eventually([&] {
    state = StateOf(*second_);
    return state.phase == ConsumerState::Phase::kFollowing;
  }));
  EXPECT_EQ(state.lag_events, 2);
  EXPECT_EQ(state.lag, absl::Seconds(60));
  second_->hold = false;
  ASSERT_TRUE(Eventually([&] { return Cursor() == 8; }));
  EXPECT_EQ(StateOf(*second_).lag_events, 0);
  EXPECT_THAT(Applied(), ElementsAreArray(OneTo(8)));
}

TEST_F(EventConsumerReplicasTest,
       WhenTheFollowerStopsTheOtherGoesOnFromTheCursor) {
  StartReplica(*first_);
  StartReplica(*second_);
  for (int i = 0; i < 6; ++i) Commit("referral.accepted");
  ASSERT_TRUE(Eventually([&] { return Cursor() == 6; }));
  // Whichever took the lock first follows; the other stands by.
  Replica& follower = first_->applied.load() > 0 ? *first_ : *second_;
  Replica& standby = &follower == first_.get() ? *second_ : *first_;
  ASSERT_EQ(follower.applied.load(), 6);
  ASSERT_TRUE(StandbySees(standby, 6, 6, 0));

  follower.consumer->Stop();
  for (int i = 0; i < 6; ++i) Commit("referral.accepted");
  ASSERT_TRUE(Eventually([&] { return Cursor() == 12; }))
      << "the replica standing by did not take over";
  EXPECT_EQ(standby.applied.load(), 6);
  EXPECT_EQ(PhaseOf(standby), ConsumerState::Phase::kFollowing);
  EXPECT_THAT(Applied(), ElementsAreArray(OneTo(12)));
}

TEST_F(EventConsumerReplicasTest, AFollowerThatLosesItsSessionStandsBy) {
  if (!TestOnPostgresql()) {
    GTEST_SKIP() << "sessions are PostgreSQL's (SQLite's locks are the "
                    "process's)";
  }
  for (int i = 0; i < 3; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 3; }));
  StartReplica(*second_);
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*second_) == ConsumerState::Phase::kStandingBy; }));
  // The follower's lock session goes (its connection cut): the other
  // replica takes the lock, and the follower, waiting for events, notices
  // and stands by.
  ASSERT_TRUE(CutLockSessions().ok());
  ASSERT_TRUE(Eventually([&] {
    return PhaseOf(*second_) == ConsumerState::Phase::kFollowing;
  })) << "the replica standing by did not take over";
  ASSERT_TRUE(Eventually([&] {
    return PhaseOf(*first_) == ConsumerState::Phase::kStandingBy;
  })) << "the replica that lost the lock still says it follows";
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  ASSERT_TRUE(Eventually([&] { return Cursor() == 8; }));
  EXPECT_EQ(first_->applied.load(), 3);
  EXPECT_EQ(second_->applied.load(), 5);
  EXPECT_THAT(Applied(), ElementsAreArray(OneTo(8)));
}

// A replica that followed, then stood by while the other reset the cursor
// back, counts its lag from the shared cursor when it takes over, not from
// what it had applied when it followed.
TEST_F(EventConsumerReplicasTest,
       AReplicaTakingOverAfterAResetElsewhereCountsTheReplay) {
  if (!TestOnPostgresql()) {
    GTEST_SKIP() << "a follower loses the lock with its session "
                    "(PostgreSQL's; SQLite's locks are the process's)";
  }
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  StartReplica(*second_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  StartReplica(*first_);
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*first_) == ConsumerState::Phase::kStandingBy; }));
  ASSERT_TRUE(CutLockSessions().ok());
  ASSERT_TRUE(Eventually([&] {
    return PhaseOf(*first_) == ConsumerState::Phase::kFollowing &&
           PhaseOf(*second_) == ConsumerState::Phase::kStandingBy;
  })) << "the replicas did not swap";

  first_->hold = true;
  ASSERT_TRUE(first_->consumer->Reset(2, "").ok());
  ASSERT_TRUE(StandbySees(*second_, 2, 5, 3));
  // The follower goes after applying 3 again; the other replays 4 and 5.
  second_->hold = true;
  StopHeld(*first_);
  ConsumerState state;
  ASSERT_TRUE(Eventually([&] {
    state = StateOf(*second_);
    return state.phase == ConsumerState::Phase::kFollowing;
  })) << "the replica standing by did not take over";
  EXPECT_EQ(state.cursor, 3);
  EXPECT_EQ(state.head_sequence, 5);
  EXPECT_EQ(state.lag_events, 2)
      << "the replica replaying 4 and 5 says it is caught up";
  second_->hold = false;
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  EXPECT_EQ(StateOf(*second_).lag_events, 0);
  EXPECT_THAT(Applied(), ElementsAreArray({1, 2, 3, 4, 5, 3, 4, 5}));
}

}  // namespace
}  // namespace carebridge::testing
