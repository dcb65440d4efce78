#ifndef CAREBRIDGE_TESTS_COMMON_EVENT_CONSUMER_REPLICAS_FIXTURE_H_
#define CAREBRIDGE_TESTS_COMMON_EVENT_CONSUMER_REPLICAS_FIXTURE_H_

// Two replicas of a consuming service, their ledgers on one database
// (SQLite in this process, or the PostgreSQL test cluster), each running
// the consumer of one feed: the fixture of event_consumer_replicas_test.cc
// (who follows, takeovers, resets) and event_consumer_standby_test.cc (what
// a replica standing by says of the follower).

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

inline const std::vector<Migration> kSqliteLedger = {
    {1, kConsumerCursorSchemaSql},
    {2, kConsumerLedgerSchemaSql},
    {3, kParkedEventIdSchemaSql},
    {4,
     "CREATE TABLE applied (n INTEGER PRIMARY KEY AUTOINCREMENT, "
     "sequence INTEGER NOT NULL)"}};
inline const std::vector<Migration> kPgLedger = {
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

  // The first replica follows, holding its applies; the second stands by
  // noting at most four of the follower's events, and has noted four when
  // ten are committed (the far-behind pause).
  void HoldTheFollowerTenBehindAStandbyNotingFour() {
    StartReplica(*first_);
    ASSERT_TRUE(Eventually(
        [&] { return PhaseOf(*first_) == ConsumerState::Phase::kFollowing; }));
    StartReplica(*second_, {}, /*standby_max_noted=*/4);
    ASSERT_TRUE(StandbySees(*second_, 0, 0, 0));
    first_->hold = true;
    for (int i = 0; i < 4; ++i) Commit("referral.accepted");
    ASSERT_TRUE(StandbySees(*second_, 0, 4, 4)) << "four noted";
    for (int i = 0; i < 6; ++i) Commit("referral.accepted");
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
  std::vector<int64_t> Applied() { return AppliedSequences(*first_db_); }

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

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_COMMON_EVENT_CONSUMER_REPLICAS_FIXTURE_H_
