// What a replica standing by says of the follower (State(): the shared
// cursor, the head, events and time not yet applied, `live`): caught up,
// behind, reading on past its cap, cut off from the feed, after a reset.
// Fixture: event_consumer_replicas_fixture.h. SQLite, and PostgreSQL as
// common_event_consumer_replicas_test_postgresql.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/common/event_consumer_replicas_fixture.h"

namespace carebridge::testing {
namespace {

using ::testing::ElementsAreArray;

// A replica standing by says how far behind the follower is, as the
// follower itself would: the shared cursor, the feed's head, how many
// events and how long. A replica serving reads of what the consumer builds
// (the record) tells its readers so.
TEST_F(EventConsumerReplicasTest,
       AReplicaStandingBySaysHowFarBehindTheFollowerIs) {
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  StartReplica(*second_);
  ASSERT_TRUE(StandbySees(*second_, 5, 5, 0)) << "caught up";
  EXPECT_EQ(StateOf(*second_).lag, absl::ZeroDuration());

  // The follower is held up: three events, 30 s apart, wait for it.
  first_->hold = true;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) clock_.Advance(absl::Seconds(30));
    CommitNow("referral.accepted");
  }
  ASSERT_TRUE(StandbySees(*second_, 5, 8, 3)) << "three behind";
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(StateOf(*second_).lag, absl::Seconds(90))
      << "the oldest event the follower has not applied happened 90 s ago "
         "(the newest 30 s ago)";
  EXPECT_EQ(PhaseOf(*first_), ConsumerState::Phase::kFollowing);

  first_->hold = false;
  ASSERT_TRUE(StandbySees(*second_, 8, 8, 0)) << "caught up again";
  EXPECT_EQ(StateOf(*second_).lag, absl::ZeroDuration());
  EXPECT_EQ(second_->applied.load(), 0);
  EXPECT_EQ(second_->consumer->connections(), 0);
}

// Events of types the consumer does not follow never move the cursor: a
// replica standing by counts them as the follower does (considered, not
// pending), so a feed ending in them is still caught up.
TEST_F(EventConsumerReplicasTest,
       AStandbyCountsEventsOfOtherTypesAsTheFollowerDoes) {
  StartReplica(*first_, {"referral.accepted"});
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*first_) == ConsumerState::Phase::kFollowing; }));
  StartReplica(*second_, {"referral.accepted"});
  for (int i = 0; i < 3; ++i) Commit("referral.accepted");
  ASSERT_TRUE(Eventually([&] { return Cursor() == 3; }));
  for (int i = 0; i < 4; ++i) Commit("referral.declined");
  ASSERT_TRUE(StandbySees(*second_, 3, 7, 0))
      << "four events of another type after the last applied";

  first_->hold = true;
  Commit("referral.declined");
  Commit("referral.accepted");
  Commit("referral.declined");
  // 4..8 are of another type (considered); the follower waits on 9, and 9
  // and 10 are still to consider.
  ASSERT_TRUE(StandbySees(*second_, 3, 10, 2));
  first_->hold = false;
  ASSERT_TRUE(StandbySees(*second_, 9, 10, 0));
}

// A replica standing by notes at most standby_max_noted events the follower
// has still to apply; past that it reads no further (and still says the
// follower is behind by as many) until the follower has applied some, then
// goes on reading the same watch.
TEST_F(EventConsumerReplicasTest,
       AStandbyFarBehindReadsOnOnceTheFollowerApplies) {
  ASSERT_NO_FATAL_FAILURE(HoldTheFollowerTenBehindAStandbyNotingFour());
  // Four noted and none applied: it reads no further, for ten of its
  // pauses.
  absl::SleepFor(absl::Milliseconds(200));
  ConsumerState state = StateOf(*second_);
  EXPECT_TRUE(state.live);
  EXPECT_EQ(state.head_sequence, 4) << "the standby read on past four noted";
  EXPECT_EQ(state.lag_events, 4);
  first_->hold = false;
  ASSERT_TRUE(StandbySees(*second_, 10, 10, 0));
  first_->hold = true;
  for (int i = 0; i < 3; ++i) Commit("referral.accepted");
  ASSERT_TRUE(StandbySees(*second_, 10, 13, 3))
      << "the watch read on after its pause";
  first_->hold = false;
  ASSERT_TRUE(StandbySees(*second_, 13, 13, 0));
  EXPECT_EQ(second_->opens.load(), 1) << "the standby watched in one stream";
}

// A paused standby (the follower far behind) takes over when the follower
// goes, from the shared cursor, nothing applied twice.
TEST_F(EventConsumerReplicasTest,
       AStandbyFarBehindTakesOverWhenTheFollowerGoes) {
  ASSERT_NO_FATAL_FAILURE(HoldTheFollowerTenBehindAStandbyNotingFour());
  StopHeld(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 10; }))
      << "the paused standby did not take over";
  EXPECT_EQ(PhaseOf(*second_), ConsumerState::Phase::kFollowing);
  EXPECT_EQ(first_->applied.load() + second_->applied.load(), 10);
  EXPECT_THAT(Applied(), ElementsAreArray(OneTo(10)));
}

// standby_max_noted 0 would have a standby stop reading at once, for ever:
// it is taken as 1.
TEST_F(EventConsumerReplicasTest, AStandbyNotingAtMostNoneNotesOne) {
  StartReplica(*first_);
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*first_) == ConsumerState::Phase::kFollowing; }));
  StartReplica(*second_, {}, /*standby_max_noted=*/0);
  ASSERT_TRUE(StandbySees(*second_, 0, 0, 0));
  first_->hold = true;
  Commit("referral.accepted");
  ASSERT_TRUE(StandbySees(*second_, 0, 1, 1));
  first_->hold = false;
  ASSERT_TRUE(StandbySees(*second_, 1, 1, 0));
}

// A replica standing by whose follower keeps up forgets what the follower
// applied as it goes: it never stops reading, however many events pass
// (were it to pause, it would for a minute).
TEST_F(EventConsumerReplicasTest, AStandbyOfAFollowerKeepingUpReadsOn) {
  StartReplica(*first_);
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*first_) == ConsumerState::Phase::kFollowing; }));
  StartReplica(*second_, {}, /*standby_max_noted=*/4,
               /*standby_retry=*/absl::Minutes(1));
  ASSERT_TRUE(StandbySees(*second_, 0, 0, 0));
  for (int i = 1; i <= 12; ++i) {
    Commit("referral.accepted");
    ASSERT_TRUE(StandbySees(*second_, i, i, 0)) << "event " << i;
  }
  EXPECT_EQ(second_->opens.load(), 1);
}

// With the feed down a replica standing by cannot tell how fresh the
// follower is, and says so; it can again once the feed is back.
TEST_F(EventConsumerReplicasTest, AStandbyCutOffFromTheFeedIsNotLive) {
  for (int i = 0; i < 2; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 2; }));
  StartReplica(*second_);
  ASSERT_TRUE(StandbySees(*second_, 2, 2, 0));

  StopProducer();
  ConsumerState state;
  ASSERT_TRUE(Eventually([&] {
    state = StateOf(*second_);
    return !state.live;
  })) << "a replica standing by still says it sees the feed";
  EXPECT_EQ(state.phase, ConsumerState::Phase::kStandingBy);
  EXPECT_THAT(state.last_error,
              ::testing::HasSubstr("cannot tell how far the replica that "
                                   "follows is"));

  StartProducer();
  Commit("referral.accepted");
  ASSERT_TRUE(StandbySees(*second_, 3, 3, 0));
  EXPECT_EQ(StateOf(*second_).last_error, "");
}

// A reset moves the shared cursor, but only the follower would notice: a
// replica standing by refuses it (naming where to send it) and changes
// nothing; the follower takes it, and the standby, which had watched from
// the old cursor, says the follower is behind by the events it applies
// again.
TEST_F(EventConsumerReplicasTest, AResetIsTheFollowersNotAStandbys) {
  for (int i = 0; i < 5; ++i) Commit("referral.accepted");
  StartReplica(*first_);
  ASSERT_TRUE(Eventually([&] { return Cursor() == 5; }));
  StartReplica(*second_);
  ASSERT_TRUE(StandbySees(*second_, 5, 5, 0));
  absl::Status refused = second_->consumer->Reset(2, "");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr("another replica follows"));
  EXPECT_EQ(Cursor(), 5);

  first_->hold = true;
  ASSERT_TRUE(first_->consumer->Reset(2, "").ok());
  ConsumerState state = StateOf(*second_);
  EXPECT_EQ(state.cursor, 2);
  EXPECT_EQ(state.lag_events, 3) << "the standby says the follower is caught "
                                    "up while it applies 3..5 again";
  ASSERT_TRUE(StandbySees(*second_, 2, 5, 3)) << "watching again from 2";
  EXPECT_TRUE(StateOf(*second_).last_error.empty());

  first_->hold = false;
  // Events 3..5 are applied again, by the follower (the count moves inside
  // each apply's transaction, the cursor at its commit).
  ASSERT_TRUE(
      Eventually([&] { return first_->applied.load() == 8 && Cursor() == 5; }));
  ASSERT_TRUE(StandbySees(*second_, 5, 5, 0));
  EXPECT_EQ(second_->applied.load(), 0);
}

}  // namespace
}  // namespace carebridge::testing
