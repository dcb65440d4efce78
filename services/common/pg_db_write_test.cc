// PgDb's group commit: writes made at once share a transaction, each in a
// savepoint of its own.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "services/common/pg_items_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::Eventually;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::RunPostgresAdmin;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<Migration> kItemsSchema = {
    {1,
     "CREATE TABLE items (key TEXT PRIMARY KEY, n BIGINT); CREATE TABLE "
     "feed_head (sequence BIGINT NOT NULL); INSERT INTO feed_head VALUES (0)"},
};

using ::carebridge::testing::Insert;
using ::carebridge::testing::Number;
using ::carebridge::testing::WriteFn;

class PgDbWriteTest : public testing::PostgresDatabaseTest {
 protected:
  PgDbWriteTest() : PostgresDatabaseTest("pg_db_write") {}

  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, kItemsSchema, ::carebridge::testing::PgOptions(3));
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }
  void TearDown() override {
    db_.reset();
    PostgresDatabaseTest::TearDown();
  }

  // Runs `writes` as one batch, in this order: a write holds the leader's
  // place while they queue one by one. Their results, in the same order.
  std::vector<absl::Status> RunAsOneBatch(std::vector<WriteFn> writes) {
    const int64_t commits = db_->commits();
    std::vector<absl::Status> results =
        ::carebridge::testing::RunAsOneBatch(*db_, std::move(writes));
    // The holder's transaction and the batch's, at most.
    EXPECT_LE(db_->commits() - commits, 2);
    return results;
  }

  absl::StatusOr<std::vector<std::string>> Keys() {
    return ::carebridge::testing::Keys(*db_);
  }

  std::unique_ptr<PgDb> db_;
};

TEST_F(PgDbWriteTest, ConcurrentWritesCommitInFewerTransactions) {
  constexpr int kThreads = 8;
  constexpr int kEach = 20;
  const int64_t commits = db_->commits();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_THAT(db_->Write([&](Connection& conn) {
          return Insert(conn, absl::StrCat("t", t, "-", i));
        }),
                    IsOk());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::StatusOr<std::vector<std::string>> keys = Keys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->size(), kThreads * kEach);
  EXPECT_LT(db_->commits() - commits, kThreads * kEach);
}

TEST_F(PgDbWriteTest, AFailingWriteFailsAloneInItsBatch) {
  std::vector<absl::Status> results = RunAsOneBatch({
      [](Connection& conn) { return Insert(conn, "a"); },
      [](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(Insert(conn, "b"));
        return absl::NotFoundError("changed my mind");
      },
      // A statement that fails (the key is the first write's).
      [](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(Insert(conn, "c"));
        return Insert(conn, "a");
      },
      // A failed statement `fn` carries on from still voids its write.
      [](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(Insert(conn, "d"));
        Insert(conn, "a").IgnoreError();
        return absl::OkStatus();
      },
      [](Connection& conn) { return Insert(conn, "e"); },
  });
  ASSERT_EQ(results.size(), 5);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(results[2],
              StatusIs(absl::StatusCode::kInternal, HasSubstr("23505")));
  EXPECT_THAT(results[3],
              StatusIs(absl::StatusCode::kInternal, HasSubstr("rolled back")));
  EXPECT_THAT(results[4], IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("a", "e")));
}

TEST_F(PgDbWriteTest, BatchThatLosesAConflictRunsAgainEachWriteOnce) {
  ASSERT_THAT(db_->Write([](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(Insert(conn, "counter", 0));
    return Insert(conn, "contended", 0);
  }),
              IsOk());
  constexpr int kWrites = 4;
  std::atomic<int> attempts[kWrites] = {};
  std::vector<WriteFn> writes;
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back([&, i](Connection& conn) -> absl::Status {
      const int attempt = ++attempts[i];
      RETURN_IF_ERROR(Insert(conn, absl::StrCat("w", i)));
      ASSIGN_OR_RETURN(int64_t n, Number(conn, "counter"));
      ASSIGN_OR_RETURN(Statement update,
                       conn.Prepare("UPDATE items SET n = ? WHERE key = ?"));
      update.Bind(1, n + 1).Bind(2, "counter");
      RETURN_IF_ERROR(update.Run());
      if (i != 1) return absl::OkStatus();
      // The second write reads a row another writer then changes: its own
      // change to it cannot serialise, and it hides the error.
      ASSIGN_OR_RETURN(int64_t contended, Number(conn, "contended"));
      if (attempt == 1) {
        EXPECT_THAT(
            RunPostgresAdmin(
                url_, "UPDATE items SET n = n + 100 WHERE key = 'contended'"),
            IsOk());
      }
      ASSIGN_OR_RETURN(Statement change,
                       conn.Prepare("UPDATE items SET n = ? WHERE key = ?"));
      change.Bind(1, contended + 1).Bind(2, "contended");
      change.Run().IgnoreError();
      return absl::OkStatus();
    });
  }
  const int64_t retries = db_->write_retries();
  std::vector<absl::Status> results = RunAsOneBatch(writes);
  for (const absl::Status& result : results) EXPECT_THAT(result, IsOk());
  // The writes before the conflict ran again; those after it had not run.
  EXPECT_EQ(attempts[0], 2);
  EXPECT_EQ(attempts[1], 2);
  EXPECT_EQ(attempts[2], 1);
  EXPECT_EQ(attempts[3], 1);
  EXPECT_EQ(db_->write_retries() - retries, kWrites);
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("contended", "counter", "w0",
                                               "w1", "w2", "w3")));
  EXPECT_THAT(db_->Read([](Connection& conn) -> absl::Status {
    EXPECT_THAT(Number(conn, "counter"), IsOkAndHolds(kWrites));
    EXPECT_THAT(Number(conn, "contended"), IsOkAndHolds(101));
    return absl::OkStatus();
  }),
              IsOk());
}

// Every write of it: also one that had failed on its own before the
// connection went, since it may have failed on what a batch-mate wrote and
// never committed (here: "a" already there); told UNAVAILABLE, its caller
// retries and finds out.
TEST_F(PgDbWriteTest, ConnectionLostDuringABatchFailsEveryWriteOfIt) {
  std::vector<absl::Status> results = RunAsOneBatch({
      [](Connection& conn) { return Insert(conn, "a"); },
      [](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t n, Number(conn, "a"));
        return absl::AlreadyExistsError(absl::StrCat("a is there: ", n));
      },
      [&](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(Insert(conn, "b"));
        ASSIGN_OR_RETURN(Statement pid,
                         conn.Prepare("SELECT pg_backend_pid()"));
        ASSIGN_OR_RETURN(bool row, pid.Step());
        EXPECT_TRUE(row);
        EXPECT_THAT(
            RunPostgresAdmin(url_, absl::StrCat("SELECT pg_terminate_backend(",
                                                pid.ColumnInt64(0), ")")),
            IsOk());
        absl::SleepFor(absl::Milliseconds(200));
        return Insert(conn, "after");
      },
      [](Connection& conn) { return Insert(conn, "c"); },
  });
  for (const absl::Status& result : results) {
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_THAT(Keys(), IsOkAndHolds(::testing::IsEmpty()));
  // The next write gets a new connection.
  EXPECT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "z"); }),
              IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("z")));
}

// A write that announced "feed" (as an appender to the feed does) and lost
// a conflict runs again holding feed_head's lock, so appenders queue; what
// its SQL mentions does not matter.
TEST_F(PgDbWriteTest, OnlyAFeedAppendersConflictQueuesOnFeedHeadsLock) {
  ASSERT_THAT(
      db_->Write([](Connection& conn) { return Insert(conn, "contended", 0); }),
      IsOk());
  auto run = [&](bool announce) -> absl::StatusOr<bool> {
    int attempts = 0;
    bool locked_on_retry = false;
    RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
      ++attempts;
      if (announce) RETURN_IF_ERROR(conn.Announce("feed"));
      RETURN_IF_ERROR(conn.Exec("SELECT count(*) FROM feed_head"));
      ASSIGN_OR_RETURN(Statement locks,
                       conn.Prepare("SELECT count(*) FROM pg_locks WHERE pid "
                                    "= pg_backend_pid() AND relation = "
                                    "'feed_head'::regclass AND mode = "
                                    "'ExclusiveLock'"));
      ASSIGN_OR_RETURN(bool row, locks.Step());
      if (attempts == 2) locked_on_retry = row && locks.ColumnInt64(0) == 1;
      ASSIGN_OR_RETURN(int64_t n, Number(conn, "contended"));
      if (attempts == 1) {
        RETURN_IF_ERROR(RunPostgresAdmin(
            url_, "UPDATE items SET n = n + 1 WHERE key = 'contended'"));
      }
      ASSIGN_OR_RETURN(Statement update,
                       conn.Prepare("UPDATE items SET n = ? WHERE key = ?"));
      update.Bind(1, n + 1).Bind(2, "contended");
      return update.Run();
    }));
    EXPECT_EQ(attempts, 2);
    return locked_on_retry;
  };
  // First the write that only reads feed_head: the feed is not busy after.
  EXPECT_THAT(run(/*announce=*/false), IsOkAndHolds(false));
  EXPECT_THAT(run(/*announce=*/true), IsOkAndHolds(true));
}

// How many statements this connection has prepared whose SQL starts with
// `prefix`.
absl::StatusOr<int64_t> PreparedCount(Connection& conn,
                                      absl::string_view prefix) {
  ASSIGN_OR_RETURN(Statement count,
                   conn.Prepare("SELECT count(*) FROM pg_prepared_statements "
                                "WHERE starts_with(statement, ?)"));
  count.Bind(1, prefix);
  ASSIGN_OR_RETURN(bool row, count.Step());
  if (!row) return absl::InternalError("no count");
  return count.ColumnInt64(0);
}

// A statement run again on a connection is prepared there once, not parsed
// and planned each time.
TEST_F(PgDbWriteTest, AStatementRunAgainIsPreparedOnceOnItsConnection) {
  absl::StatusOr<int64_t> prepared;
  ASSERT_THAT(db_->Write([&](Connection& conn) -> absl::Status {
    for (int i = 0; i < 5; ++i) {
      RETURN_IF_ERROR(Insert(conn, absl::StrCat("once-", i), i));
    }
    prepared = PreparedCount(conn, "INSERT INTO items");
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(prepared, IsOkAndHolds(1));
  EXPECT_THAT(db_->Read([](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t n, Number(conn, "once-4"));
    return n == 4 ? absl::OkStatus() : absl::InternalError("wrong row");
  }),
              IsOk());
}

// One SQL bound once with a NULL (no type) and once with a value (typed):
// each runs as prepared for its own parameter types.
TEST_F(PgDbWriteTest, OneStatementBoundWithNullAndWithAValueBothRun) {
  ASSERT_THAT(db_->Write([](Connection& conn) -> absl::Status {
    for (int i = 0; i < 4; ++i) {
      ASSIGN_OR_RETURN(Statement insert,
                       conn.Prepare("INSERT INTO items "
                                    "(key, n) VALUES (?, ?)"));
      insert.Bind(1, absl::StrCat("mixed-", i));
      if (i % 2 == 0) {
        insert.BindNull(2);
      } else {
        insert.Bind(2, int64_t{i});
      }
      RETURN_IF_ERROR(insert.Run());
    }
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(db_->Read([](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement count,
                     conn.Prepare("SELECT count(n), count(*) FROM items WHERE "
                                  "starts_with(key, 'mixed-')"));
    ASSIGN_OR_RETURN(bool row, count.Step());
    if (!row || count.ColumnInt64(0) != 2 || count.ColumnInt64(1) != 4) {
      return absl::InternalError("expected 2 values and 2 NULLs in 4 rows");
    }
    return absl::OkStatus();
  }),
              IsOk());
}

// Prepared statements are not transactional: one prepared in a write that
// rolled back is still there, and the next write on that connection uses
// it. A statement that cannot be parsed fails as it always did.
TEST_F(PgDbWriteTest, PreparedStatementsOutliveRollbacksAndBadSql) {
  absl::StatusOr<std::unique_ptr<PgDb>> db =
      PgDb::Open(url_, kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_THAT(db, IsOk());
  EXPECT_THAT((*db)->Write([](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(Insert(conn, "rolled-back"));
    return absl::AbortedError("the caller changed its mind");
  }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT((*db)->Write([](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement bad, conn.Prepare("SELEC n FROM items"));
    return bad.Run();
  }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("syntax error")));
  absl::StatusOr<int64_t> prepared;
  ASSERT_THAT((*db)->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(Insert(conn, "kept"));
    prepared = PreparedCount(conn, "INSERT INTO items");
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(prepared, IsOkAndHolds(1));
  EXPECT_THAT((*db)->Read([](Connection& conn) {
    return Number(conn, "rolled-back").status();
  }),
              StatusIs(absl::StatusCode::kNotFound));
}

// A table that changed a column's type under a connection's prepared
// statement (a newer replica's migration): the call fails UNAVAILABLE, the
// connection is dropped, and the call succeeds again at once on a fresh one.
TEST_F(PgDbWriteTest, AStatementPreparedBeforeItsTableChangedIsRetriable) {
  absl::StatusOr<std::unique_ptr<PgDb>> db =
      PgDb::Open(url_, kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT(
      (*db)->Write([](Connection& conn) { return Insert(conn, "typed", 5); }),
      IsOk());
  auto read = [&]() -> absl::StatusOr<int64_t> {
    int64_t n = 0;
    RETURN_IF_ERROR((*db)->Read([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(n, Number(conn, "typed"));
      return absl::OkStatus();
    }));
    return n;
  };
  ASSERT_THAT(read(), IsOkAndHolds(5));
  ASSERT_THAT(
      RunPostgresAdmin(url_, "ALTER TABLE items ALTER COLUMN n TYPE TEXT"),
      IsOk());
  EXPECT_THAT(read(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("retry")));
  EXPECT_THAT(read(), IsOkAndHolds(5));

  // In a batch, only the write that met the stale statement fails; its
  // batch-mate commits on the same connection, which is dropped after.
  ASSERT_THAT(read(), IsOkAndHolds(5));  // prepared on the fresh connection
  ASSERT_THAT(
      RunPostgresAdmin(url_,
                       "ALTER TABLE items ALTER COLUMN n TYPE BIGINT USING "
                       "n::BIGINT"),
      IsOk());
  std::vector<absl::Status> results = ::carebridge::testing::RunAsOneBatch(
      **db, {[](Connection& conn) { return Number(conn, "typed").status(); },
             [](Connection& conn) { return Insert(conn, "after", 6); }});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_THAT(results[0],
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("retry")));
  EXPECT_THAT(results[1], IsOk());
  EXPECT_THAT(read(), IsOkAndHolds(5));
  EXPECT_THAT((*db)->Read([](Connection& conn) {
    return Number(conn, "after").status();
  }),
              IsOk());
}

// Past the most a connection prepares, statements still run (unnamed).
TEST_F(PgDbWriteTest, StatementsPastTheMostPreparedStillRun) {
  const int distinct = static_cast<int>(PgDb::kMaxPreparedStatements) + 20;
  absl::StatusOr<int64_t> prepared;
  ASSERT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
    for (int i = 0; i < distinct; ++i) {
      ASSIGN_OR_RETURN(Statement select,
                       conn.Prepare(absl::StrCat("SELECT ? + ", i)));
      select.Bind(1, int64_t{1000});
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row || select.ColumnInt64(0) != 1000 + i) {
        return absl::InternalError(absl::StrCat("statement ", i));
      }
    }
    prepared = PreparedCount(conn, "SELECT $1 + ");
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_THAT(prepared, IsOk());
  EXPECT_LE(*prepared, static_cast<int64_t>(PgDb::kMaxPreparedStatements));
  EXPECT_GE(*prepared, static_cast<int64_t>(PgDb::kMaxPreparedStatements) - 5);
}

}  // namespace
}  // namespace carebridge
