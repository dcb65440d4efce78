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

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "services/common/database_opener.h"
#include "services/common/event_consumer.h"
#include "tests/common/event_consumer_fixture.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace carebridge::testing {
namespace {

using ::testing::ElementsAreArray;

const std::vector<Migration> kSqliteLedger = {
    {1, kConsumerCursorSchemaSql},
    {2, kConsumerLedgerSchemaSql},
    {3, kParkedEventIdSchemaSql},
    {4,
     "CREATE TABLE applied (n INTEGER PRIMARY KEY AUTOINCREMENT, "
     "sequence INTEGER NOT NULL)"}};
const std::vector<Migration> kPgLedger = {
    {1, kPgConsumerCursorSchemaSql},
    {2, kPgConsumerLedgerSchemaSql},
    {3,
     "CREATE TABLE applied (n BIGSERIAL PRIMARY KEY, "
     "sequence BIGINT NOT NULL)"}};

// One replica of the consuming service: its Database on the shared
// location, its ledger there, and what it applied, counted.
struct Replica {
  explicit Replica(Database* db) : db(db), ledger(db) {}

  absl::Status Apply(const Event& event, const FeedPosition& position) {
    // A follower held up (a slow or stuck apply): it keeps the lock.
    while (hold.load()) absl::SleepFor(absl::Milliseconds(1));
    return db->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(bool pending, IsPending(conn, position));
      if (!pending) return absl::OkStatus();
      ASSIGN_OR_RETURN(
          Statement insert,
          conn.Prepare("INSERT INTO applied (sequence) VALUES (?)"));
      insert.Bind(1, event.sequence());
      RETURN_IF_ERROR(insert.Run());
      RETURN_IF_ERROR(MarkApplied(conn, position));
      applied.fetch_add(1);
      return absl::OkStatus();
    });
  }

  Database* const db;
  SqliteConsumerLedger ledger;
  // Events this replica applied (committed).
  std::atomic<int> applied{0};
  // While true, an apply waits before it starts.
  std::atomic<bool> hold{false};
  // Streams of the feed this replica opened (following or watching).
  std::atomic<int> opens{0};
  std::unique_ptr<EventConsumer> consumer;
};

class EventConsumerReplicasTest : public EventConsumerTest {
 protected:
  void SetUp() override {
    EventConsumerTest::SetUp();
    absl::StatusOr<TestDatabase> database = TestDatabase::Create(dir_.path());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::make_unique<TestDatabase>(*std::move(database));
    first_db_ = Open();
    ASSERT_NE(first_db_, nullptr);
    // Two processes on PostgreSQL; one process (one Database) on SQLite.
    if (TestOnPostgresql()) {
      second_db_ = Open();
      ASSERT_NE(second_db_, nullptr);
    }
    first_ = std::make_unique<Replica>(first_db_.get());
    second_ = std::make_unique<Replica>(
        second_db_ != nullptr ? second_db_.get() : first_db_.get());
  }

  void TearDown() override {
    for (Replica* replica : {first_.get(), second_.get()}) {
      if (replica != nullptr && replica->consumer != nullptr) {
        replica->hold = false;
        replica->consumer->Stop();
      }
    }
    EventConsumerTest::TearDown();
  }

  std::unique_ptr<Database> Open() {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(
        database_->location("careplan"),
        SchemaMigrations{&kSqliteLedger, &kPgLedger}, DatabaseOptions());
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  // `type_prefixes`: the event types the consumer follows (every type when
  // empty).
  void MakeConsumer(Replica& replica,
                    std::vector<std::string> type_prefixes = {},
                    size_t standby_max_noted = 4096,
                    absl::Duration standby_retry = absl::Milliseconds(20)) {
    EventConsumer::Options options = FastOptions();
    options.consumer = "careplan";
    options.type_prefixes = std::move(type_prefixes);
    options.standby_max_noted = standby_max_noted;
    options.coordination = replica.db;
    options.standby_retry = standby_retry;
    replica.consumer = std::make_unique<EventConsumer>(
        std::move(options), &credentials_, &clock_, &replica.ledger,
        [this, &replica](grpc::ClientContext* context,
                         const events::v1::SubscribeRequest& request) {
          replica.opens.fetch_add(1);
          return std::unique_ptr<
              grpc::ClientReaderInterface<events::v1::SubscribeResponse>>(
              Subscribe(context, request));
        },
        [&replica](const Event& event, const FeedPosition& position) {
          return replica.Apply(event, position);
        });
  }
  void StartReplica(Replica& replica,
                    std::vector<std::string> type_prefixes = {},
                    size_t standby_max_noted = 4096,
                    absl::Duration standby_retry = absl::Milliseconds(20)) {
    MakeConsumer(replica, std::move(type_prefixes), standby_max_noted,
                 standby_retry);
    replica.consumer->Start();
  }

  // Stops the follower `replica`, held up in an apply: it finishes that
  // apply and applies nothing after it.
  static void StopHeld(Replica& replica) {
    std::thread stopping([&replica] { replica.consumer->Stop(); });
    EXPECT_TRUE(Eventually(
        [&] { return PhaseOf(replica) == ConsumerState::Phase::kStopped; }));
    replica.hold = false;
    stopping.join();
  }

  // Commits one event of `type` that happened now (the test clock's time;
  // Commit's events all happened at its start).
  void CommitNow(absl::string_view type) {
    referral::v1::Referral referral;
    referral.set_name(absl::StrCat("referrals/r", ++commits_));
    referral.set_person("persons/p1");
    const Event event =
        MakeEvent(type, referral.name(), referral.person(), {kTeamA, kTeamB},
                  "members/m1", clock_.Now(), referral);
    absl::Status status = db_->Write([&](Connection& conn) -> absl::Status {
      return SqliteEventLog::Append(conn, event).status();
    });
    ASSERT_TRUE(status.ok()) << status;
    log_->NotifyCommitted();
  }

  static ConsumerState::Phase PhaseOf(Replica& replica) {
    absl::StatusOr<ConsumerState> state = replica.consumer->State();
    return state.ok() ? state->phase : ConsumerState::Phase::kConnecting;
  }

  static ConsumerState StateOf(Replica& replica) {
    absl::StatusOr<ConsumerState> state = replica.consumer->State();
    EXPECT_TRUE(state.ok()) << state.status();
    return state.value_or(ConsumerState());
  }

  // Waits until `replica`, standing by, sees the feed at `head` with the
  // shared cursor at `cursor` and `lag_events` events not yet applied by
  // the follower. False (with the state it saw) after the usual wait.
  bool StandbySees(Replica& replica, int64_t cursor, int64_t head,
                   int64_t lag_events) {
    ConsumerState state;
    bool seen = Eventually([&] {
      state = StateOf(replica);
      return state.phase == ConsumerState::Phase::kStandingBy && state.live &&
             state.cursor == cursor && state.head_sequence == head &&
             state.lag_events == lag_events;
    });
    EXPECT_TRUE(seen) << "standing by: live " << state.live << ", cursor "
                      << state.cursor << ", head " << state.head_sequence
                      << ", lag_events " << state.lag_events << ", error "
                      << state.last_error;
    return seen;
  }

  // The shared cursor.
  // Ends the database sessions holding advisory locks (PostgreSQL): the
  // follower's lock goes with its session, as when its node vanishes.
  absl::Status CutLockSessions() {
    return RunPostgresAdmin(
        database_->url(),
        "SELECT pg_terminate_backend(pid) FROM pg_locks "
        "WHERE locktype = 'advisory' AND granted AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())");
  }

  int64_t Cursor() {
    absl::StatusOr<ConsumerPosition> position =
        first_->ledger.Position("referral");
    return position.ok() ? position->sequence : -1;
  }

  // Every effect, in the order applied (by either replica).
  std::vector<int64_t> Applied() {
    std::vector<int64_t> sequences;
    absl::Status status =
        first_db_->Read([&](Connection& conn) -> absl::Status {
          ASSIGN_OR_RETURN(
              Statement select,
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

  static std::vector<int64_t> OneTo(int64_t n) {
    std::vector<int64_t> sequences;
    for (int64_t i = 1; i <= n; ++i) sequences.push_back(i);
    return sequences;
  }

  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Database> first_db_;
  std::unique_ptr<Database> second_db_;
  std::unique_ptr<Replica> first_;
  std::unique_ptr<Replica> second_;
};

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
  StartReplica(*first_);
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*first_) == ConsumerState::Phase::kFollowing; }));
  StartReplica(*second_, {}, /*standby_max_noted=*/4);
  ASSERT_TRUE(StandbySees(*second_, 0, 0, 0));
  first_->hold = true;
  for (int i = 0; i < 4; ++i) Commit("referral.accepted");
  ASSERT_TRUE(StandbySees(*second_, 0, 4, 4)) << "four noted";
  for (int i = 0; i < 6; ++i) Commit("referral.accepted");
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
  StartReplica(*first_);
  ASSERT_TRUE(Eventually(
      [&] { return PhaseOf(*first_) == ConsumerState::Phase::kFollowing; }));
  StartReplica(*second_, {}, /*standby_max_noted=*/4);
  ASSERT_TRUE(StandbySees(*second_, 0, 0, 0));
  first_->hold = true;
  for (int i = 0; i < 4; ++i) Commit("referral.accepted");
  ASSERT_TRUE(StandbySees(*second_, 0, 4, 4));
  for (int i = 0; i < 6; ++i) Commit("referral.accepted");
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
