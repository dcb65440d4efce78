#ifndef CAREBRIDGE_SERVICES_COMMON_PG_DB_PIPELINE_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_DB_PIPELINE_TEST_FIXTURE_H_

// The fixture of PgDb's round-trip tests (pg_db_pipeline_test.cc, and
// pg_db_queue_test.cc for Connection::Fetch and RunLater): one database on
// the test cluster with items and blobs tables, a PgDb of one connection.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "services/common/pg_items_test_util.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge::pipeline_test {

using ::carebridge::testing::IsOk;

// No feed_head: a batch that takes its lock fails at the LOCK TABLE.
inline const std::vector<Migration> kItemsSchema = {
    {1,
     "CREATE TABLE items (key TEXT PRIMARY KEY, n BIGINT); CREATE TABLE "
     "blobs (key TEXT PRIMARY KEY, note TEXT, body BYTEA)"},
};

using ::carebridge::testing::Insert;
using ::carebridge::testing::Number;
using ::carebridge::testing::WriteFn;

inline absl::StatusOr<int64_t> BackendPid(Connection& conn) {
  ASSIGN_OR_RETURN(Statement pid, conn.Prepare("SELECT pg_backend_pid()"));
  ASSIGN_OR_RETURN(bool row, pid.Step());
  if (!row) return absl::InternalError("no pid");
  return pid.ColumnInt64(0);
}

inline absl::Status InsertLater(Connection& conn, absl::string_view key,
                                int64_t n = 0) {
  ASSIGN_OR_RETURN(Statement insert,
                   conn.Prepare("INSERT INTO items (key, n) VALUES (?, ?)"));
  insert.Bind(1, key).Bind(2, n);
  return conn.RunLater(std::move(insert));
}

// A body of the largest event size, every byte value.
inline std::string LargestBody(int step) {
  std::string body(kMaxEventBytes, '\0');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>(i * step);
  }
  return body;
}

// Steps `select` (key, note, body of blobs written as "blob-{i}" with
// "{i}:" + `body`) to the end, checking each row byte for byte; the rows.
inline absl::StatusOr<int> ExpectBlobs(Statement& select,
                                       const std::string& note,
                                       const std::string& body) {
  int rows = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return rows;
    ++rows;
    const std::string key = select.ColumnText(0);
    EXPECT_EQ(select.ColumnText(1), note) << key;
    EXPECT_TRUE(select.ColumnBlob(2) == absl::StrCat(key.substr(5), ":", body))
        << key;
  }
}

class PgDbPipelineTest : public testing::PostgresDatabaseTest {
 protected:
  PgDbPipelineTest() : PostgresDatabaseTest("pg_db_pipeline") {}

  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    // One connection, opened by the migration: each call's round trips are
    // its own, none of them connecting.
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, kItemsSchema, ::carebridge::testing::PgOptions(1));
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }
  void TearDown() override {
    db_.reset();
    PostgresDatabaseTest::TearDown();
  }

  // Round trips `call` made.
  int64_t RoundTripsOf(const std::function<void()>& call) {
    const int64_t before = db_->round_trips();
    call();
    return db_->round_trips() - before;
  }

  // Runs `writes` as one batch, in this order, behind a holder write that
  // runs no statement. Their results, in the same order.
  std::vector<absl::Status> RunAsOneBatch(std::vector<WriteFn> writes) {
    return ::carebridge::testing::RunAsOneBatch(*db_, std::move(writes));
  }

  absl::StatusOr<std::vector<std::string>> Keys() {
    return ::carebridge::testing::Keys(*db_);
  }

  std::unique_ptr<PgDb> db_;
};

}  // namespace carebridge::pipeline_test

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_DB_PIPELINE_TEST_FIXTURE_H_
