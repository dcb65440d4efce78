// PgDb's round trips: a transaction's control commands (BEGIN, LOCK TABLE,
// SAVEPOINT, RELEASE SAVEPOINT, pg_notify, COMMIT) travel with its
// statements in pipelines instead of one round trip each, and fail as they
// did when each went alone.

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
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "services/common/pg_db_pipeline_test_fixture.h"
#include "services/common/pg_items_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::Insert;
using ::carebridge::testing::Number;
using ::carebridge::testing::WriteFn;
using pipeline_test::BackendPid;
using pipeline_test::ExpectBlobs;
using pipeline_test::kItemsSchema;
using pipeline_test::LargestBody;
using pipeline_test::PgDbPipelineTest;

using ::carebridge::testing::Eventually;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::RunPostgresAdmin;
using ::carebridge::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// BEGIN, the statement's prepare and the statement go in one round trip;
// COMMIT in another. Sent one by one they took four (three once prepared).
TEST_F(PgDbPipelineTest, AOneStatementReadTakesOneRoundTripAndItsCommit) {
  ASSERT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "a", 7); }),
              IsOk());
  for (int run = 0; run < 2; ++run) {
    absl::StatusOr<int64_t> n;
    EXPECT_EQ(RoundTripsOf([&] {
                EXPECT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
                  n = Number(conn, "a");
                  return n.status();
                }),
                            IsOk());
              }),
              2)
        << "run " << run;
    EXPECT_THAT(n, IsOkAndHolds(7));
  }
}

// Nothing reached the server, so there is nothing to end; the connection
// is as good as before.
TEST_F(PgDbPipelineTest, ACallRunningNoStatementSendsNothing) {
  absl::StatusOr<int64_t> pid;
  ASSERT_THAT(db_->Read([&](Connection& conn) {
    pid = BackendPid(conn);
    return pid.status();
  }),
              IsOk());
  const int64_t commits = db_->commits();
  EXPECT_EQ(
      RoundTripsOf([&] {
        EXPECT_THAT(db_->Read([](Connection&) { return absl::OkStatus(); }),
                    IsOk());
        EXPECT_THAT(db_->Read([](Connection&) {
          return absl::NotFoundError("nothing to read");
        }),
                    StatusIs(absl::StatusCode::kNotFound, "nothing to read"));
        EXPECT_THAT(db_->Write([](Connection&) { return absl::OkStatus(); }),
                    IsOk());
        EXPECT_THAT(
            db_->Write([](Connection&) {
              return absl::FailedPreconditionError("no change");
            }),
            StatusIs(absl::StatusCode::kFailedPrecondition, "no change"));
      }),
      0);
  EXPECT_EQ(db_->commits() - commits, 1);
  // The same session, and a read's BEGIN sent with its first statement
  // still makes it read only.
  EXPECT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
    EXPECT_THAT(BackendPid(conn), IsOkAndHolds(*pid));
    return Insert(conn, "read-only");
  }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("25006")));
  EXPECT_THAT(Keys(), IsOkAndHolds(IsEmpty()));
}

// Each write: its SAVEPOINT (and the RELEASE of the write before) with its
// statement; the last RELEASE, the announcements and COMMIT together. One
// by one: BEGIN, SAVEPOINT + INSERT + RELEASE each, a pg_notify, COMMIT.
TEST_F(PgDbPipelineTest, ABatchTakesARoundTripPerStatementAndOneToCommit) {
  constexpr int kWrites = 4;
  std::vector<WriteFn> writes;
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back([i](Connection& conn) -> absl::Status {
      RETURN_IF_ERROR(Insert(conn, absl::StrCat("w", i), i));
      return conn.Announce("items");
    });
  }
  const int64_t commits = db_->commits();
  std::vector<absl::Status> results;
  // The holder's write ran no statement: nothing of it is sent.
  EXPECT_EQ(RoundTripsOf([&] { results = RunAsOneBatch(writes); }),
            kWrites + 1);
  for (const absl::Status& result : results) EXPECT_THAT(result, IsOk());
  EXPECT_EQ(db_->commits() - commits, 2);
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("w0", "w1", "w2", "w3")));
}

// A write that fails rolls back to its savepoint with the next statement
// sent (or not at all when it ran none), and alone.
TEST_F(PgDbPipelineTest, FailingWritesRollBackAloneWithNoRoundTripOfTheirOwn) {
  std::vector<absl::Status> results;
  EXPECT_EQ(RoundTripsOf([&] {
              results = RunAsOneBatch({
                  [](Connection& conn) { return Insert(conn, "a"); },
                  [](Connection&) {
                    return absl::NotFoundError("before any statement");
                  },
                  [](Connection& conn) -> absl::Status {
                    RETURN_IF_ERROR(Insert(conn, "b"));
                    return absl::AbortedError("after a statement");
                  },
                  [](Connection& conn) { return Insert(conn, "c"); },
              });
            }),
            4);
  ASSERT_EQ(results.size(), 4);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(results[2], StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(results[3], IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("a", "c")));
}

// The first statement fails after the BEGIN sent with it succeeded: the
// statement's own error, as when BEGIN went alone, and the connection is
// fine for the next call.
TEST_F(PgDbPipelineTest, AFailingFirstStatementFailsAsWhenBeginWentAlone) {
  ASSERT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "a"); }),
              IsOk());
  EXPECT_THAT(
      db_->Read([](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(Statement bad,
                         conn.Prepare("SELECT missing_column FROM items"));
        return bad.Run();
      }),
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("postgresql statement"), HasSubstr("42703"))));
  EXPECT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "a"); }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("23505")));
  EXPECT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "b"); }),
              IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("a", "b")));
}

// A deferred command that fails (here LOCK TABLE feed_head, taken when an
// appender to the feed runs again after a conflict, on a database without
// that table) fails the batch with its own status, as when it went alone;
// and no statement runs after it, so nothing runs outside the transaction.
TEST_F(PgDbPipelineTest, AFailedDeferredCommandFailsTheBatchAndStopsTheRest) {
  ASSERT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "x"); }),
              IsOk());
  int attempts = 0;
  absl::Status first;
  absl::Status stray;
  EXPECT_THAT(db_->Write([&](Connection& conn) -> absl::Status {
    ++attempts;
    RETURN_IF_ERROR(conn.Announce("feed"));
    if (attempts == 2) {
      first = Number(conn, "x").status();
      stray = Insert(conn, "stray");
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(int64_t n, Number(conn, "x"));
    RETURN_IF_ERROR(
        RunPostgresAdmin(url_, "UPDATE items SET n = n + 1 WHERE key = 'x'"));
    ASSIGN_OR_RETURN(Statement update,
                     conn.Prepare("UPDATE items SET n = ? WHERE key = ?"));
    update.Bind(1, n + 1).Bind(2, "x");
    return update.Run();
  }),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("feed_head"), HasSubstr("42P01"))));
  // Sent alone, the LOCK failed before `fn` ran again; sent with its first
  // statement, `fn` runs and each of its statements fails as the LOCK did.
  EXPECT_LE(attempts, 2);
  if (attempts == 2) {
    EXPECT_THAT(first,
                StatusIs(absl::StatusCode::kInternal,
                         AllOf(HasSubstr("feed_head"), HasSubstr("42P01"))));
    EXPECT_EQ(stray, first);
  }
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("x")));
}

// Two writers each read what the other then writes (write skew): the
// second's serialization failure, at its INSERT or at the COMMIT sent with
// its RELEASE, still runs its batch again.
TEST_F(PgDbPipelineTest, AWriteSkewStillRunsTheLosingBatchAgain) {
  absl::StatusOr<std::unique_ptr<PgDb>> other =
      PgDb::Open(url_, kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_THAT(other, IsOk());
  auto count_skew = [](Connection& conn) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(Statement count,
                     conn.Prepare("SELECT count(*) FROM items WHERE "
                                  "starts_with(key, 'skew')"));
    ASSIGN_OR_RETURN(bool row, count.Step());
    if (!row) return absl::InternalError("no count");
    return count.ColumnInt64(0);
  };
  absl::Notification first_read;
  absl::Notification second_read;
  absl::Notification first_committed;
  std::atomic<int> first_attempts{0};
  std::atomic<int> second_attempts{0};
  const int64_t retries = (*other)->write_retries();
  std::thread first([&] {
    EXPECT_THAT(db_->Write([&](Connection& conn) -> absl::Status {
      ++first_attempts;
      RETURN_IF_ERROR(count_skew(conn).status());
      if (!first_read.HasBeenNotified()) first_read.Notify();
      second_read.WaitForNotification();
      return Insert(conn, "skew-1");
    }),
                IsOk());
    first_committed.Notify();
  });
  absl::StatusOr<int64_t> seen;
  EXPECT_THAT((*other)->Write([&](Connection& conn) -> absl::Status {
    const int attempt = ++second_attempts;
    if (attempt == 1) first_read.WaitForNotification();
    seen = count_skew(conn);
    RETURN_IF_ERROR(seen.status());
    if (attempt == 1) {
      second_read.Notify();
      first_committed.WaitForNotification();
    }
    return Insert(conn, absl::StrCat("skew-2 saw ", *seen));
  }),
              IsOk());
  first.join();
  EXPECT_EQ(first_attempts, 1);
  EXPECT_EQ(second_attempts, 2);
  EXPECT_EQ((*other)->write_retries() - retries, 1);
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("skew-1", "skew-2 saw 1")));
}

// Lost in the pipeline that carries the previous write's RELEASE and the
// next one's SAVEPOINT, or the one that commits: UNAVAILABLE, nothing
// committed, and the next call gets a new session.
TEST_F(PgDbPipelineTest, AConnectionLostMidPipelineIsUnavailableAndDropped) {
  absl::StatusOr<int64_t> pid;
  auto end_own_session = [&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(Insert(conn, absl::StrCat("before-", pid.ok())));
    pid = BackendPid(conn);
    RETURN_IF_ERROR(pid.status());
    RETURN_IF_ERROR(RunPostgresAdmin(
        url_, absl::StrCat("SELECT pg_terminate_backend(", *pid, ")")));
    absl::SleepFor(absl::Milliseconds(200));
    return absl::OkStatus();
  };
  std::vector<absl::Status> results = RunAsOneBatch({
      end_own_session,
      [](Connection& conn) { return Insert(conn, "next"); },
  });
  for (const absl::Status& result : results) {
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable));
  }
  // Lost in the commit's pipeline.
  EXPECT_THAT(db_->Write(end_own_session),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(pid, IsOk());
  // A read that loses its session between statements.
  EXPECT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(RunPostgresAdmin(
        url_,
        absl::StrCat("SELECT pg_terminate_backend(", *BackendPid(conn), ")")));
    absl::SleepFor(absl::Milliseconds(200));
    return Number(conn, "next").status();
  }),
              StatusIs(absl::StatusCode::kUnavailable));
  absl::StatusOr<int64_t> new_pid;
  EXPECT_THAT(db_->Write([&](Connection& conn) -> absl::Status {
    new_pid = BackendPid(conn);
    return Insert(conn, "after");
  }),
              IsOk());
  EXPECT_THAT(new_pid, IsOk());
  EXPECT_NE(*new_pid, *pid);
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("after")));
}

// A write that only announces still sends its notice, at its commit.
// At real sizes: a batch of the most writes group commit takes (32), each
// the largest event a feed carries (kMaxEventBytes, every byte value, NULs
// included) and a 4,000-character text, through pipelines, with one write
// failing in the middle; what committed reads back byte for byte.
TEST_F(PgDbPipelineTest, ABatchOfTheLargestWritesCommitsWhole) {
  constexpr int kWrites = 32;
  const std::string body = LargestBody(7);
  const std::string note(4000, 'n');
  std::vector<WriteFn> writes;
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back([&, i](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(
          Statement insert,
          conn.Prepare("INSERT INTO blobs (key, note, body) VALUES (?, ?, ?)"));
      // Write 16 takes write 15's key: it fails alone.
      insert.Bind(1, absl::StrCat("blob-", i == 16 ? 15 : i))
          .Bind(2, note)
          .BindBlob(3, absl::StrCat(i, ":", body));
      RETURN_IF_ERROR(insert.Run());
      return conn.Announce("feed");
    });
  }
  std::vector<absl::Status> results = RunAsOneBatch(std::move(writes));
  ASSERT_EQ(results.size(), static_cast<size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) {
    if (i == 16) {
      EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kInternal,
                                       HasSubstr("duplicate key")));
    } else {
      EXPECT_THAT(results[i], IsOk()) << "write " << i;
    }
  }
  int rows = 0;
  ASSERT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT key, note, body FROM blobs"));
    ASSIGN_OR_RETURN(rows, ExpectBlobs(select, note, body));
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(rows, kWrites - 1);
}

TEST_F(PgDbPipelineTest, AWriteThatOnlyAnnouncesStillNotifies) {
  absl::StatusOr<std::unique_ptr<PgDb>> other =
      PgDb::Open(url_, kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_THAT(other, IsOk());
  std::atomic<int> heard{0};
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      (*other)->Watch("items", [&] { ++heard; });
  ASSERT_THAT(watch, IsOk());
  // Its connection and LISTEN are up once a first notice gets through.
  ASSERT_TRUE(Eventually([&] {
    EXPECT_THAT(
        db_->Write([](Connection& conn) { return conn.Announce("items"); }),
        IsOk());
    return heard.load() > 0;
  }));
  const int before = heard.load();
  EXPECT_EQ(RoundTripsOf([&] {
              EXPECT_THAT(db_->Write([](Connection& conn) {
                return conn.Announce("items");
              }),
                          IsOk());
            }),
            1);
  EXPECT_TRUE(Eventually([&] { return heard.load() > before; }));
}

}  // namespace
}  // namespace carebridge
