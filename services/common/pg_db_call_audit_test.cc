// Which of a call's writes carry its audit records on PostgreSQL (as on
// SQLite, call_audit_test.cc): one that changed data carries them in its
// transaction, marked OK; one that changed nothing (a retry answered, a
// request_id reused for other content found and refused) leaves them to
// the call's end (FinishCallAudit), which records how the call ended.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/call_audit.h"
#include "services/common/hmac.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::SizeIs;

const std::vector<Migration> kItemsSchema = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY, n BIGINT DEFAULT 0)"},
};

using WriteFn = std::function<absl::Status(Connection&)>;

absl::Status RunSql(Connection& conn, const std::string& sql) {
  ASSIGN_OR_RETURN(Statement statement, conn.Prepare(sql));
  return statement.Run();
}

class PgDbCallAuditTest : public testing::PostgresDatabaseTest {
 protected:
  PgDbCallAuditTest() : PostgresDatabaseTest("pg_call_audit") {}

  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    PgDb::Options options = testing::PgOptions(4);
    options.audit_key = &key_;
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, kItemsSchema, options);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    ASSERT_THAT(db_->Write([](Connection& conn) {
      return RunSql(conn, "INSERT INTO items (key) VALUES ('stored')");
    }),
                IsOk());
  }

  static CallAudit Call(const std::string& person) {
    CallAudit audit;
    audit.record.time = absl::FromUnixSeconds(1767225600);
    audit.record.actor = "members/m1";
    audit.record.method = "carebridge.referral.v1.CreateReferral";
    audit.record.person = person;
    audit.record.sections = "whole referral";
    return audit;
  }

  // Runs `fn` as a write of a call about `person`: whether the write
  // carried the call's records.
  bool WriteCarried(const std::string& person, const WriteFn& fn) {
    CallAudit audit = Call(person);
    ScopedCallAudit scope(&audit);
    EXPECT_THAT(db_->Write(fn), IsOk()) << person;
    return audit.written;
  }

  std::vector<AuditRecord> RecordsOf(const std::string& person) {
    absl::StatusOr<std::vector<AuditRecord>> records =
        db_->ListAuditForPerson(person, /*before_seq=*/0, /*limit=*/10);
    EXPECT_THAT(records, IsOk());
    return records.value_or(std::vector<AuditRecord>());
  }

  HmacSha256 key_{std::string(32, 'c')};
  std::unique_ptr<PgDb> db_;
};

TEST_F(PgDbCallAuditTest, AWriteThatChangedNothingCarriesNoRecord) {
  const std::vector<std::pair<std::string, WriteFn>> unchanged = {
      {"a read of what is stored",
       [](Connection& conn) -> absl::Status {
         ASSIGN_OR_RETURN(Statement select,
                          conn.Prepare("SELECT key FROM items WHERE key = ?1 "
                                       "FOR UPDATE"));
         select.Bind(1, "stored");
         ASSIGN_OR_RETURN(bool row, select.Step());
         if (!row) return absl::InternalError("not stored");
         return absl::OkStatus();
       }},
      {"an update of no rows",
       [](Connection& conn) {
         return RunSql(conn, "UPDATE items SET n = 1 WHERE key = 'none'");
       }},
      {"a delete of no rows",
       [](Connection& conn) {
         return RunSql(conn, "DELETE FROM items WHERE key = 'none'");
       }},
      {"an insert that found its key",
       [](Connection& conn) {
         return RunSql(conn,
                       "INSERT INTO items (key) VALUES ('stored') "
                       "ON CONFLICT (key) DO NOTHING");
       }},
      {"reads fetched together",
       [](Connection& conn) -> absl::Status {
         ASSIGN_OR_RETURN(Statement first,
                          conn.Prepare("SELECT count(*) FROM items"));
         ASSIGN_OR_RETURN(Statement second,
                          conn.Prepare("SELECT max(key) FROM items"));
         Statement* both[] = {&first, &second};
         return conn.Fetch(both);
       }},
  };
  for (const auto& [what, fn] : unchanged) {
    EXPECT_FALSE(WriteCarried("persons/unchanged", fn)) << what;
  }
  EXPECT_THAT(RecordsOf("persons/unchanged"), SizeIs(0));

  // The call then refused (its request_id was used for other content):
  // its record, written at its end, says so and shows nothing.
  CallAudit refused = Call("persons/refused");
  absl::Status status;
  {
    ScopedCallAudit scope(&refused);
    status = db_->Write(unchanged[3].second);
  }
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(refused.written);
  EXPECT_THAT(
      FinishCallAudit(refused, absl::AlreadyExistsError("request_id: reused"),
                      nullptr),
      StatusIs(absl::StatusCode::kAlreadyExists));
  std::vector<AuditRecord> records = RecordsOf("persons/refused");
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0].outcome, "ALREADY_EXISTS");
  EXPECT_EQ(records[0].sections, "");
}

TEST_F(PgDbCallAuditTest, AWriteThatChangedDataCarriesTheRecordMarkedOk) {
  const std::vector<std::pair<std::string, WriteFn>> changed = {
      {"an insert",
       [](Connection& conn) {
         return RunSql(conn, "INSERT INTO items (key) VALUES ('a')");
       }},
      {"an update",
       [](Connection& conn) {
         return RunSql(conn, "UPDATE items SET n = n + 1 WHERE key = 'a'");
       }},
      {"an insert queued (RunLater)",
       [](Connection& conn) -> absl::Status {
         ASSIGN_OR_RETURN(Statement insert,
                          conn.Prepare("INSERT INTO items (key) VALUES ('b')"));
         return conn.RunLater(std::move(insert));
       }},
      {"a change inside a WITH",
       [](Connection& conn) -> absl::Status {
         ASSIGN_OR_RETURN(
             Statement with,
             conn.Prepare(
                 "WITH done AS (UPDATE items SET n = n + 1 WHERE "
                 "key = 'b' RETURNING key) SELECT count(*) FROM done"));
         ASSIGN_OR_RETURN(bool row, with.Step());
         if (!row || with.ColumnInt64(0) != 1) {
           return absl::InternalError("not updated");
         }
         return absl::OkStatus();
       }},
      {"statements run together",
       [](Connection& conn) {
         return conn.Exec("SELECT 1; DELETE FROM items WHERE key = 'a'");
       }},
  };
  for (const auto& [what, fn] : changed) {
    EXPECT_TRUE(WriteCarried("persons/changed", fn)) << what;
  }
  std::vector<AuditRecord> records = RecordsOf("persons/changed");
  ASSERT_THAT(records, SizeIs(changed.size()));
  for (const AuditRecord& record : records) {
    EXPECT_EQ(record.outcome, "OK");
    EXPECT_EQ(record.sections, "whole referral");
  }
}

// Writes made at once share a transaction (group commit), each in a
// savepoint: each carries its own call's records or not, by what it did.
TEST_F(PgDbCallAuditTest, WritesCommittedTogetherEachCarryByWhatTheyDid) {
  constexpr int kThreads = 6;
  constexpr int kEach = 12;
  std::atomic<int> mismatched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool change = (t + i) % 2 == 0;
        const std::string key = absl::StrCat("t", t, "-", i);
        const bool carried = WriteCarried(
            absl::StrCat("persons/", change ? "changed" : "same"),
            [&](Connection& conn) {
              return RunSql(conn, change
                                      ? absl::StrCat("INSERT INTO items (key) "
                                                     "VALUES ('",
                                                     key, "')")
                                      : "SELECT count(*) FROM items");
            });
        if (carried != change) ++mismatched;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatched, 0);
  absl::StatusOr<AuditVerification> verified = db_->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->intact());
  EXPECT_EQ(verified->records, kThreads * kEach / 2);
}

}  // namespace
}  // namespace carebridge
