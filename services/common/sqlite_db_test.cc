#include "services/common/sqlite_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/common/macros.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;
using ::carebridge::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

const std::vector<Migration> kItemsSchema = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY, value BLOB)"},
};

// Migrations whose effects show which ran, and in what order: step 2 reads
// the table step 1 made.
const std::vector<Migration> kSteps = {
    {1, "CREATE TABLE steps (n INTEGER); INSERT INTO steps VALUES (1);"},
    {2, "INSERT INTO steps SELECT max(n) + 1 FROM steps;"},
};

std::vector<Migration> StepsPlus(Migration extra) {
  std::vector<Migration> migrations = kSteps;
  migrations.push_back(std::move(extra));
  return migrations;
}

std::unique_ptr<SqliteDb> OpenOrDie(const std::string& path,
                                    const std::vector<Migration>& migrations,
                                    SqliteDb::Options options = {}) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path, migrations, options);
  EXPECT_THAT(db, IsOk());
  return db.ok() ? std::move(*db) : nullptr;
}

absl::StatusOr<std::vector<int64_t>> Column(SqliteDb& db,
                                            const std::string& sql) {
  std::vector<int64_t> values;
  RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return absl::OkStatus();
      values.push_back(stmt.ColumnInt64(0));
    }
  }));
  return values;
}

absl::StatusOr<std::vector<std::string>> Keys(SqliteDb& db) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     conn.Prepare("SELECT key FROM items ORDER BY key"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return absl::OkStatus();
      keys.push_back(stmt.ColumnText(0));
    }
  }));
  return keys;
}

absl::Status InsertItem(Connection& conn, absl::string_view key) {
  ASSIGN_OR_RETURN(Statement stmt,
                   conn.Prepare("INSERT INTO items (key) VALUES (?)"));
  return stmt.Bind(1, key).Run();
}

absl::Status Insert(SqliteDb& db, absl::string_view key) {
  return db.Write([&](Connection& conn) { return InsertItem(conn, key); });
}

class SqliteDbTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("test.db"); }
  TempDir dir_;
};

// --- Migrations ---

TEST_F(SqliteDbTest, MigrationsApplyInOrderOnceAndSetUserVersion) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kSteps);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY rowid"),
              IsOkAndHolds(ElementsAre(1, 2)));
  EXPECT_THAT(Column(*db, "PRAGMA user_version"), IsOkAndHolds(ElementsAre(2)));
}

TEST_F(SqliteDbTest, ReopeningDoesNotRerunMigrations) {
  OpenOrDie(Path(), kSteps);
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kSteps);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY rowid"),
              IsOkAndHolds(ElementsAre(1, 2)));
}

TEST_F(SqliteDbTest, ReopeningWithANewMigrationRunsOnlyThatOne) {
  OpenOrDie(Path(), kSteps);
  std::unique_ptr<SqliteDb> db = OpenOrDie(
      Path(), StepsPlus({3, "INSERT INTO steps SELECT max(n) + 1 FROM steps"}));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 3);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY rowid"),
              IsOkAndHolds(ElementsAre(1, 2, 3)));
}

TEST_F(SqliteDbTest, DatabaseFromANewerSchemaIsRefused) {
  OpenOrDie(Path(), StepsPlus({3, "SELECT 1"}));
  EXPECT_THAT(SqliteDb::Open(Path(), kSteps),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema version 3 is newer")));
}

TEST_F(SqliteDbTest, FailingMigrationLeavesVersionAndSchemaUnchanged) {
  OpenOrDie(Path(), kSteps);
  // Step 3 half succeeds (the table) before it fails (the insert).
  EXPECT_THAT(
      SqliteDb::Open(Path(),
                     StepsPlus({3,
                                "CREATE TABLE extra (a INTEGER); "
                                "INSERT INTO no_such_table VALUES (1);"})),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("migration 3 failed")));

  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kSteps);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_THAT(Column(*db, "PRAGMA user_version"), IsOkAndHolds(ElementsAre(2)));
  EXPECT_THAT(
      Column(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"),
      IsOkAndHolds(ElementsAre(0)));
}

TEST_F(SqliteDbTest, FixedMigrationAppliesAfterAFailedAttempt) {
  ASSERT_THAT(SqliteDb::Open(Path(), StepsPlus({3, "NOT SQL"})),
              ::testing::Not(IsOk()));
  std::unique_ptr<SqliteDb> db = OpenOrDie(
      Path(), StepsPlus({3, "INSERT INTO steps SELECT max(n) + 1 FROM steps"}));
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY rowid"),
              IsOkAndHolds(ElementsAre(1, 2, 3)));
}

TEST_F(SqliteDbTest, MigrationVersionsMustBeConsecutive) {
  EXPECT_THAT(
      SqliteDb::Open(Path(), {{1, "SELECT 1"}, {3, "SELECT 1"}}),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("must be consecutive")));
}

// --- Durability settings ---

TEST_F(SqliteDbTest, WalModeAndSynchronousFullOnEveryConnection) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  auto check = [](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement mode, conn.Prepare("PRAGMA journal_mode"));
    ASSIGN_OR_RETURN(bool row, mode.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(mode.ColumnText(0), "wal");
    ASSIGN_OR_RETURN(Statement sync, conn.Prepare("PRAGMA synchronous"));
    ASSIGN_OR_RETURN(row, sync.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(sync.ColumnInt64(0), 2) << "2 is FULL";
    return absl::OkStatus();
  };
  EXPECT_THAT(db->Write(check), IsOk());
  EXPECT_THAT(db->Read(check), IsOk());
}

TEST_F(SqliteDbTest, CommittedWritesSurviveReopening) {
  {
    std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
    ASSERT_NE(db, nullptr);
    ASSERT_THAT(Insert(*db, "kept"), IsOk());
  }
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("kept")));
}

// --- Writes ---

TEST_F(SqliteDbTest, ReadSeesCommittedWrites) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "a"), IsOk());
  ASSERT_THAT(Insert(*db, "b"), IsOk());
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("a", "b")));
}

TEST_F(SqliteDbTest, FailingWriteChangesNothingAndReturnsItsError) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  absl::Status status = db->Write([](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(InsertItem(conn, "first"));
    RETURN_IF_ERROR(InsertItem(conn, "second"));
    return absl::AbortedError("changed my mind");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted, "changed my mind"));
  EXPECT_THAT(Keys(*db), IsOkAndHolds(IsEmpty()));
}

TEST_F(SqliteDbTest, ConstraintViolationFailsOnlyThatWrite) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "a"), IsOk());
  EXPECT_THAT(Insert(*db, "a"), StatusIs(absl::StatusCode::kInternal,
                                         HasSubstr("UNIQUE constraint")));
  ASSERT_THAT(Insert(*db, "b"), IsOk());
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("a", "b")));
}

// Many writers at once are group-committed; a write that fails must take
// nothing with it and leave nothing behind, whichever batch it lands in.
TEST_F(SqliteDbTest, ConcurrentWritesCommitExactlyTheSuccessfulOnes) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "taken"), IsOk());

  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 200;
  std::vector<std::vector<std::string>> succeeded(kThreads);
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        std::string key = absl::StrCat("t", t, "-", i);
        const bool fail_in_fn = i % 7 == 3;
        const bool fail_in_sql = i % 11 == 5;
        absl::Status status = db->Write([&](Connection& conn) -> absl::Status {
          RETURN_IF_ERROR(InsertItem(conn, key));
          RETURN_IF_ERROR(InsertItem(conn, key + "/extra"));
          if (fail_in_sql) RETURN_IF_ERROR(InsertItem(conn, "taken"));
          if (fail_in_fn) return absl::FailedPreconditionError("on purpose");
          return absl::OkStatus();
        });
        if (status.ok()) {
          succeeded[t].push_back(key);
          succeeded[t].push_back(key + "/extra");
        } else if (!(fail_in_fn || fail_in_sql)) {
          ++unexpected;
          ADD_FAILURE() << key << ": " << status;
        } else if (fail_in_sql) {
          EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
        } else {
          EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                                       "on purpose"));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);

  std::vector<std::string> expected = {"taken"};
  for (const auto& keys : succeeded) {
    expected.insert(expected.end(), keys.begin(), keys.end());
  }
  // 200 writes per thread, of which those with i % 7 == 3 or i % 11 == 5
  // fail: 200 - 29 - 18 + 3 (both) = 156 succeed.
  EXPECT_EQ(expected.size(), 1u + kThreads * 156 * 2);
  absl::StatusOr<std::vector<std::string>> keys = Keys(*db);
  ASSERT_THAT(keys, IsOk());
  EXPECT_THAT(*keys, UnorderedElementsAreArray(expected));
}

// A write whose failure rolls back the whole transaction (here an OR
// ROLLBACK conflict) must not let the other writes of its batch report OK
// when they were rolled back, nor report failure when they committed.
TEST_F(SqliteDbTest, WriteOutcomeMatchesTheDataEvenWhenABatchIsRolledBack) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "taken"), IsOk());

  // Hold the writer so the following writes queue up and form one batch.
  absl::Notification blocker_running, release_blocker;
  std::thread blocker([&] {
    EXPECT_THAT(db->Write([&](Connection& conn) {
      blocker_running.Notify();
      release_blocker.WaitForNotificationWithTimeout(absl::Seconds(30));
      return InsertItem(conn, "blocker");
    }),
                IsOk());
  });
  blocker_running.WaitForNotification();

  constexpr int kWriters = 6;
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      results[i] = db->Write([&](Connection& conn) -> absl::Status {
        if (i == kWriters / 2) {
          ASSIGN_OR_RETURN(
              Statement stmt,
              conn.Prepare("INSERT OR ROLLBACK INTO items (key) VALUES (?)"));
          return stmt.Bind(1, "taken").Run();
        }
        return InsertItem(conn, absl::StrCat("w", i));
      });
    });
    absl::SleepFor(absl::Milliseconds(20));  // keep the queue in order
  }
  release_blocker.Notify();
  for (std::thread& writer : writers) writer.join();
  blocker.join();

  absl::StatusOr<std::vector<std::string>> keys = Keys(*db);
  ASSERT_THAT(keys, IsOk());
  absl::flat_hash_set<std::string> present(keys->begin(), keys->end());
  EXPECT_FALSE(results[kWriters / 2].ok());
  for (int i = 0; i < kWriters; ++i) {
    if (i == kWriters / 2) continue;
    std::string key = absl::StrCat("w", i);
    EXPECT_EQ(results[i].ok(), present.contains(key))
        << key << " returned " << results[i];
    if (!results[i].ok()) {
      EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kUnavailable));
    }
  }
}

TEST_F(SqliteDbTest, WriteWhileAnotherProcessHoldsTheLockIsUnavailable) {
  SqliteDb::Options options;
  options.busy_timeout_ms = 50;
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema, options);
  ASSERT_NE(db, nullptr);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(Path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_THAT(Insert(*db, "a"), StatusIs(absl::StatusCode::kUnavailable));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  // Once the lock is gone writing works again.
  EXPECT_THAT(Insert(*db, "a"), IsOk());
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("a")));
}

// --- Reads ---

TEST_F(SqliteDbTest, ReadsRunWhileAWriteIsInFlightAndSeeOnlyCommittedData) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "before"), IsOk());

  absl::Notification inserted, read_done;
  std::thread writer([&] {
    EXPECT_THAT(db->Write([&](Connection& conn) -> absl::Status {
      RETURN_IF_ERROR(InsertItem(conn, "during"));
      inserted.Notify();
      // Were reads blocked behind the write, this would time out.
      if (!read_done.WaitForNotificationWithTimeout(absl::Seconds(30))) {
        return absl::DeadlineExceededError("read never finished");
      }
      return absl::OkStatus();
    }),
                IsOk());
  });
  inserted.WaitForNotification();
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("before")));
  read_done.Notify();
  writer.join();
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("before", "during")));
}

TEST_F(SqliteDbTest, ReadIsOneSnapshot) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "a"), IsOk());
  EXPECT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    auto count = [&]() -> absl::StatusOr<int64_t> {
      ASSIGN_OR_RETURN(Statement stmt,
                       conn.Prepare("SELECT count(*) FROM items"));
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return absl::InternalError("no row");
      return stmt.ColumnInt64(0);
    };
    ASSIGN_OR_RETURN(int64_t first, count());
    // A write commits on another thread between the two queries.
    std::thread writer([&] { EXPECT_THAT(Insert(*db, "b"), IsOk()); });
    writer.join();
    ASSIGN_OR_RETURN(int64_t second, count());
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 1);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("a", "b")));
}

TEST_F(SqliteDbTest, ReadConnectionsAreReadOnly) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->Read([](Connection& conn) { return InsertItem(conn, "x"); }),
              ::testing::Not(IsOk()));
  EXPECT_THAT(Keys(*db), IsOkAndHolds(IsEmpty()));
}

TEST_F(SqliteDbTest, MoreConcurrentReadsThanConnectionsAllComplete) {
  SqliteDb::Options options;
  options.read_connections = 2;
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema, options);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Insert(*db, "a"), IsOk());
  std::atomic<int> ok_reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 12; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<std::vector<std::string>> keys = Keys(*db);
        if (keys.ok() && keys->size() == 1) ++ok_reads;
      }
    });
  }
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(ok_reads.load(), 12 * 50);
}

TEST_F(SqliteDbTest, FailingReadReturnsItsErrorAndFreesItsConnection) {
  SqliteDb::Options options;
  options.read_connections = 1;
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema, options);
  ASSERT_NE(db, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(
        db->Read([](Connection&) { return absl::NotFoundError("nope"); }),
        StatusIs(absl::StatusCode::kNotFound, "nope"));
  }
  ASSERT_THAT(Insert(*db, "a"), IsOk());
  // The one connection is back in the pool and not stuck in an old snapshot.
  EXPECT_THAT(Keys(*db), IsOkAndHolds(ElementsAre("a")));
}

// --- Statements ---

TEST_F(SqliteDbTest, StatementsBindAndReadEveryColumnType) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(
      Path(), {{1, "CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)"}});
  ASSERT_NE(db, nullptr);
  const std::string blob("\0\x01\xff\x1f payload", 12);
  const std::string text = "caf\xC3\xA9 \xF0\x9F\x99\x82";
  ASSERT_THAT(db->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     conn.Prepare("INSERT INTO t VALUES (?, ?, ?, ?)"));
    RETURN_IF_ERROR(stmt.Bind(1, int64_t{-9007199254740993})
                        .Bind(2, text)
                        .BindBlob(3, blob)
                        .BindNull(4)
                        .Run());
    EXPECT_EQ(conn.Changes(), 1);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("SELECT i, s, b, n FROM t"));
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(stmt.ColumnInt64(0), int64_t{-9007199254740993});
    EXPECT_EQ(stmt.ColumnText(1), text);
    EXPECT_EQ(stmt.ColumnBlob(2), blob);
    EXPECT_TRUE(stmt.ColumnIsNull(3));
    EXPECT_FALSE(stmt.ColumnIsNull(0));
    ASSIGN_OR_RETURN(row, stmt.Step());
    EXPECT_FALSE(row);
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_F(SqliteDbTest, ReusedStatementStartsWithFreshBindings) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Write([](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          Statement stmt,
          conn.Prepare("INSERT INTO items (key, value) VALUES (?, ?)"));
      RETURN_IF_ERROR(stmt.Bind(1, "a").BindBlob(2, "first").Run());
    }
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("INSERT INTO items (key, value) VALUES (?, ?)"));
    return stmt.Bind(1, "b").Run();  // value left unbound: NULL
  }),
              IsOk());
  EXPECT_THAT(Column(*db, "SELECT value IS NULL FROM items ORDER BY key"),
              IsOkAndHolds(ElementsAre(0, 1)));
}

TEST_F(SqliteDbTest, BadSqlIsAnErrorNotACrash) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(Path(), kItemsSchema);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->Read([](Connection& conn) {
    return conn.Prepare("SELEKT nonsense").status();
  }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("prepare")));
}

}  // namespace
}  // namespace carebridge
