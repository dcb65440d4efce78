// Replicas of one service sharing a database (two Database instances on
// one location, as two processes have): a feed served by one wakes for
// events the other commits, and a role (ExclusiveRole) is held by one at a
// time, handed over when its holder lets go or loses its session. Runs on
// SQLite (one process owns the file: nothing to watch, locks within the
// process) and, as common_replica_coordination_test_postgresql, on the
// test cluster.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/database.h"
#include "services/common/database_opener.h"
#include "services/common/event_log.h"
#include "services/common/exclusive_role.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"
#include "tests/support/eventually.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge {
namespace {

using ::carebridge::testing::Eventually;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::TestOnPostgresql;
using ::testing::SizeIs;

const std::vector<Migration> kSqliteOutbox = {{1, kOutboxSchemaSql},
                                              {2, kOutboxEpochSchemaSql}};
const std::vector<Migration> kPgOutbox = {{1, kPgOutboxSchemaSql}};

events::v1::Event TeamEvent(absl::string_view team) {
  directory::v1::Team payload;
  payload.set_name(std::string(team));
  return MakeEvent("directory.team.created", team, /*person=*/"",
                   {std::string(team)}, "members/m1",
                   absl::FromUnixSeconds(1767225600), payload);
}

class ReplicaCoordinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TestDatabase> database =
        testing::TestDatabase::Create(dir_.path());
    ASSERT_THAT(database, IsOk());
    database_ = std::make_unique<testing::TestDatabase>(*std::move(database));
  }

  // One replica's database: a Database of its own on the shared location
  // (on PostgreSQL, sessions of its own).
  std::unique_ptr<Database> OpenReplica() {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(
        database_->location("directory"),
        SchemaMigrations{&kSqliteOutbox, &kPgOutbox}, DatabaseOptions());
    EXPECT_THAT(db, IsOk());
    return db.ok() ? *std::move(db) : nullptr;
  }

  // Commits one event through `db`, as a store of that replica does (its
  // own log would be notified; the other replica's is not).
  static absl::StatusOr<int64_t> Commit(Database& db, absl::string_view team) {
    int64_t sequence = 0;
    RETURN_IF_ERROR(db.Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(sequence, SqliteEventLog::Append(conn, TeamEvent(team)));
      return absl::OkStatus();
    }));
    return sequence;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestDatabase> database_;
};

TEST_F(ReplicaCoordinationTest, FeedWakesForEventsAnotherReplicaCommits) {
  std::unique_ptr<Database> first = OpenReplica();
  std::unique_ptr<Database> second = OpenReplica();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  SqliteEventLog serving("directory", first.get());
  std::atomic<int> wakes{0};
  const EventLog::ListenerId listener =
      serving.AddListener([&] { wakes.fetch_add(1); });

  ASSERT_THAT(Commit(*second, "teams/a"), IsOkAndHolds(1));
  if (TestOnPostgresql()) {
    EXPECT_TRUE(serving.watching_other_processes());
    EXPECT_TRUE(Eventually([&] { return wakes.load() >= 1; }))
        << "a commit of the other replica did not wake this one's feed";
    // And again for the next: the watch keeps going.
    const int woken = wakes.load();
    ASSERT_THAT(Commit(*second, "teams/b"), IsOkAndHolds(2));
    EXPECT_TRUE(Eventually([&] { return wakes.load() > woken; }));
  } else {
    // One process owns an SQLite file: nothing to watch, and its stores
    // wake their own logs.
    EXPECT_FALSE(serving.watching_other_processes());
    ASSERT_THAT(Commit(*second, "teams/b"), IsOkAndHolds(2));
    EXPECT_EQ(wakes.load(), 0);
  }
  absl::StatusOr<EventLog::Slice> slice = serving.ReadSlice(0, 10, 1 << 20);
  ASSERT_THAT(slice, IsOk());
  ASSERT_THAT(slice->events, SizeIs(2));
  EXPECT_EQ(slice->events[0].subject(), "teams/a");
  EXPECT_EQ(slice->events[1].subject(), "teams/b");
  serving.RemoveListener(listener);
}

TEST_F(ReplicaCoordinationTest, AFeedOfARolledBackWriteStaysAsItWas) {
  std::unique_ptr<Database> first = OpenReplica();
  std::unique_ptr<Database> second = OpenReplica();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  SqliteEventLog serving("directory", first.get());
  EXPECT_FALSE(second
                   ->Write([&](Connection& conn) -> absl::Status {
                     RETURN_IF_ERROR(
                         SqliteEventLog::Append(conn, TeamEvent("x")).status());
                     return absl::AbortedError("the change failed");
                   })
                   .ok());
  ASSERT_THAT(Commit(*second, "teams/a"), IsOkAndHolds(1));
  absl::StatusOr<FeedHead> head = serving.ReadHead();
  ASSERT_THAT(head, IsOk());
  EXPECT_EQ(head->sequence, 1);
}

// Two replicas' roles of one name: on PostgreSQL each replica on a
// Database of its own; on SQLite, where locks are the process's, on one.
TEST_F(ReplicaCoordinationTest, OneReplicaHoldsARoleAtATime) {
  std::unique_ptr<Database> first = OpenReplica();
  ASSERT_NE(first, nullptr);
  std::unique_ptr<Database> second_db;
  Database* second = first.get();
  if (TestOnPostgresql()) {
    second_db = OpenReplica();
    ASSERT_NE(second_db, nullptr);
    second = second_db.get();
  }
  ExclusiveRole a(first.get(), "referral.deadline_scan");
  ExclusiveRole b(second, "referral.deadline_scan");
  EXPECT_THAT(a.Claim(), IsOkAndHolds(true));
  EXPECT_THAT(b.Claim(), IsOkAndHolds(false));
  EXPECT_THAT(a.Claim(), IsOkAndHolds(true)) << "the holder keeps it";
  EXPECT_TRUE(a.Held());
  EXPECT_FALSE(b.Held());
  // Another name is another role.
  ExclusiveRole other(second, "handover.deadline_scan");
  EXPECT_THAT(other.Claim(), IsOkAndHolds(true));

  a.Release();
  EXPECT_FALSE(a.Held());
  EXPECT_THAT(b.Claim(), IsOkAndHolds(true)) << "not handed over";
  EXPECT_THAT(a.Claim(), IsOkAndHolds(false));
}

TEST_F(ReplicaCoordinationTest, ARoleWithoutADatabaseIsAlwaysThisProcesss) {
  ExclusiveRole alone(nullptr, "consumer.careplan.referral");
  EXPECT_THAT(alone.Claim(), IsOkAndHolds(true));
  EXPECT_TRUE(alone.Held());
}

TEST_F(ReplicaCoordinationTest, AHolderWhoseSessionIsLostLosesTheRole) {
  if (!TestOnPostgresql()) {
    GTEST_SKIP() << "sessions are PostgreSQL's (SQLite's locks are the "
                    "process's)";
  }
  std::unique_ptr<Database> first = OpenReplica();
  std::unique_ptr<Database> second = OpenReplica();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ExclusiveRole a(first.get(), "referral.deadline_scan");
  ExclusiveRole b(second.get(), "referral.deadline_scan");
  ASSERT_THAT(a.Claim(), IsOkAndHolds(true));
  ASSERT_THAT(b.Claim(), IsOkAndHolds(false));
  // The holder's session goes, as when its process is killed or its
  // connection cut: the lock goes with it.
  ASSERT_THAT(
      testing::RunPostgresAdmin(
          database_->url(),
          "SELECT pg_terminate_backend(pid) FROM pg_locks "
          "WHERE locktype = 'advisory' AND granted AND database = "
          "(SELECT oid FROM pg_database WHERE datname = current_database())"),
      IsOk());
  EXPECT_TRUE(Eventually([&] { return !a.Held(); }))
      << "the holder still says it holds the lock";
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<bool> taken = b.Claim();
    return taken.ok() && *taken;
  })) << "the other replica could not take over";
  EXPECT_THAT(a.Claim(), IsOkAndHolds(false));
}

}  // namespace
}  // namespace carebridge
