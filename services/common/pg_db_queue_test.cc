// PgDb's Connection::Fetch (independent reads in one round trip) and
// RunLater (writes whose results are not read ride with the next round
// trip), on the test cluster, at real sizes too.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "services/common/pg_db_pipeline_test_fixture.h"
#include "services/common/pg_items_test_util.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::Insert;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::Number;
using ::carebridge::testing::StatusIs;
using ::carebridge::testing::WriteFn;
using pipeline_test::ExpectBlobs;
using pipeline_test::InsertLater;
using pipeline_test::LargestBody;
using pipeline_test::PgDbPipelineTest;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The same at real sizes with every statement queued (RunLater): each of
// the 32 writes queues a 1 MB event and a 4,000-character text, whose bound
// values must outlive their write until the flush; one write's queued
// insert fails alone. Read back with two fetched reads, byte for byte.
TEST_F(PgDbPipelineTest, QueuedAndFetchedStatementsAtTheLargestSizes) {
  constexpr int kWrites = 32;
  const std::string body = LargestBody(13);
  const std::string note(4000, 'q');
  std::vector<WriteFn> writes;
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back([&, i](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(
          Statement insert,
          conn.Prepare("INSERT INTO blobs (key, note, body) VALUES (?, ?, ?)"));
      // Write 16 takes write 15's key: it fails alone, at its flush.
      insert.Bind(1, absl::StrCat("blob-", i == 16 ? 15 : i))
          .Bind(2, note)
          .BindBlob(3, absl::StrCat(i, ":", body));
      RETURN_IF_ERROR(conn.RunLater(std::move(insert)));
      return InsertLater(conn, absl::StrCat("item-", i), i);
    });
  }
  std::vector<absl::Status> results = RunAsOneBatch(std::move(writes));
  ASSERT_EQ(results.size(), static_cast<size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) {
    if (i == 16) {
      EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kInternal,
                                       AllOf(HasSubstr("queued statement"),
                                             HasSubstr("duplicate key"))));
    } else {
      EXPECT_THAT(results[i], IsOk()) << "write " << i;
    }
  }
  int rows = 0;
  int items = 0;
  ASSERT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement blobs,
                     conn.Prepare("SELECT key, note, body FROM blobs"));
    ASSIGN_OR_RETURN(Statement numbers,
                     conn.Prepare("SELECT count(*) FROM items"));
    RETURN_IF_ERROR(conn.Fetch({&blobs, &numbers}));
    ASSIGN_OR_RETURN(rows, ExpectBlobs(blobs, note, body));
    ASSIGN_OR_RETURN(bool row, numbers.Step());
    if (row) items = static_cast<int>(numbers.ColumnInt64(0));
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(rows, kWrites - 1);
  EXPECT_EQ(items, kWrites - 1);
}

// Connection::Fetch: reads that do not depend on each other go in one
// round trip (with the BEGIN), each then stepped as usual: several rows,
// none, bytes, the same statement twice (prepared once).
TEST_F(PgDbPipelineTest, FetchedStatementsGoInOneRoundTrip) {
  ASSERT_THAT(db_->Write([](Connection& conn) -> absl::Status {
    for (int i = 1; i <= 3; ++i) {
      RETURN_IF_ERROR(Insert(conn, absl::StrCat("k", i), i));
    }
    ASSIGN_OR_RETURN(Statement blob,
                     conn.Prepare("INSERT INTO blobs (key, note, body) "
                                  "VALUES ('b', 'n', ?)"));
    blob.BindBlob(1, std::string("\0\xff\x01", 3));
    return blob.Run();
  }),
              IsOk());
  for (int run = 0; run < 2; ++run) {
    std::vector<std::string> keys;
    std::vector<int64_t> picked;
    bool found_missing = true;
    std::string body;
    EXPECT_EQ(
        RoundTripsOf([&] {
          EXPECT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
            ASSIGN_OR_RETURN(
                Statement all,
                conn.Prepare("SELECT key FROM items ORDER BY key"));
            ASSIGN_OR_RETURN(Statement missing,
                             conn.Prepare("SELECT n FROM items WHERE key = ?"));
            missing.Bind(1, "nope");
            ASSIGN_OR_RETURN(
                Statement blob,
                conn.Prepare("SELECT body FROM blobs WHERE key = 'b'"));
            ASSIGN_OR_RETURN(Statement two,
                             conn.Prepare("SELECT n FROM items WHERE key = ?"));
            two.Bind(1, "k2");
            RETURN_IF_ERROR(conn.Fetch({&all, &missing, &blob, &two}));
            while (true) {
              ASSIGN_OR_RETURN(bool row, all.Step());
              if (!row) break;
              keys.push_back(all.ColumnText(0));
            }
            ASSIGN_OR_RETURN(found_missing, missing.Step());
            ASSIGN_OR_RETURN(bool row, blob.Step());
            if (row) body = blob.ColumnBlob(0);
            ASSIGN_OR_RETURN(row, two.Step());
            if (row) picked.push_back(two.ColumnInt64(0));
            ASSIGN_OR_RETURN(row, two.Step());
            EXPECT_FALSE(row);
            return absl::OkStatus();
          }),
                      IsOk());
        }),
        2)
        << "run " << run;
    EXPECT_THAT(keys, ElementsAre("k1", "k2", "k3"));
    EXPECT_FALSE(found_missing);
    EXPECT_EQ(body, std::string("\0\xff\x01", 3));
    EXPECT_THAT(picked, ElementsAre(2));
  }
}

// A fetched statement that fails fails the Fetch (those after it do not
// run) and its write, alone in its batch: the writes around it commit; the
// connection serves on.
TEST_F(PgDbPipelineTest, AFailingFetchedStatementFailsItsWriteAlone) {
  absl::Status fetched;
  std::vector<absl::Status> results = RunAsOneBatch({
      [](Connection& conn) { return Insert(conn, "a", 1); },
      [&](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(Insert(conn, "b", 2));
        ASSIGN_OR_RETURN(Statement fine,
                         conn.Prepare("SELECT count(*) FROM items"));
        ASSIGN_OR_RETURN(Statement bad,
                         conn.Prepare("SELECT 1 / (n - n) FROM items"));
        ASSIGN_OR_RETURN(Statement after,
                         conn.Prepare("INSERT INTO items (key, n) VALUES "
                                      "('after', 3)"));
        fetched = conn.Fetch({&fine, &bad, &after});
        return fetched;
      },
      [](Connection& conn) { return Insert(conn, "c", 4); },
  });
  ASSERT_EQ(results.size(), 3);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kInternal,
                                   HasSubstr("division by zero")));
  EXPECT_THAT(fetched, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(results[2], IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("a", "c")));
  ASSERT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "d"); }),
              IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("a", "c", "d")));
}

// Connection::RunLater: writes whose results are not wanted wait for the
// next statement and go in its round trip, in order, ahead of it (it sees
// them); what is left when the write's function returns goes in a round
// trip of its own, before the commit.
TEST_F(PgDbPipelineTest, StatementsRunLaterGoWithTheNextRoundTrip) {
  absl::StatusOr<int64_t> seen;
  EXPECT_EQ(RoundTripsOf([&] {
              EXPECT_THAT(db_->Write([&](Connection& conn) -> absl::Status {
                for (int i = 1; i <= 3; ++i) {
                  RETURN_IF_ERROR(InsertLater(conn, absl::StrCat("k", i), i));
                }
                seen = Number(conn, "k3");
                RETURN_IF_ERROR(seen.status());
                return InsertLater(conn, "k4", 4);
              }),
                          IsOk());
            }),
            // The three, the read (and BEGIN, SAVEPOINT); the fourth; the
            // commit. One by one it was six.
            3);
  EXPECT_THAT(seen, IsOkAndHolds(3));
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("k1", "k2", "k3", "k4")));
}

// A statement run later that fails fails the write that queued it, alone
// in its batch, even when nothing after it in that write was sent; a write
// that fails on its own sends what it queued not at all.
TEST_F(PgDbPipelineTest, AStatementRunLaterThatFailsFailsItsWriteAlone) {
  ASSERT_THAT(db_->Write([](Connection& conn) { return Insert(conn, "x"); }),
              IsOk());
  std::vector<absl::Status> results = RunAsOneBatch({
      [](Connection& conn) { return InsertLater(conn, "a"); },
      [](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(InsertLater(conn, "b"));
        return InsertLater(conn, "x");  // a key already taken
      },
      [](Connection& conn) -> absl::Status {
        RETURN_IF_ERROR(InsertLater(conn, "c"));
        return absl::FailedPreconditionError("refused");
      },
      [](Connection& conn) { return InsertLater(conn, "d"); },
  });
  ASSERT_EQ(results.size(), 4);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kInternal,
                                   AllOf(HasSubstr("queued statement"),
                                         HasSubstr("duplicate key"))));
  EXPECT_THAT(results[2], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(results[3], IsOk());
  EXPECT_THAT(Keys(), IsOkAndHolds(ElementsAre("a", "d", "x")));
}

}  // namespace
}  // namespace carebridge
