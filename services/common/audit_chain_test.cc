// AuditChain over a real SQLite file, tampered with directly through
// SQLite as someone with the file (but not the key) could: every edited,
// deleted, inserted or reordered record, and a log cut short, is detected.

#include "services/common/audit_chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_chain_test_fixture.h"
#include "services/common/call_audit.h"
#include "services/common/sqlite_db.h"

namespace carebridge {
namespace {

using audit_chain_testing::AuditChainTest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST_F(AuditChainTest, AnUntouchedLogVerifies) {
  Write(250);
  AuditVerification result = Verify();
  EXPECT_THAT(result.problems, IsEmpty());
  EXPECT_EQ(result.records, 250);
  EXPECT_EQ(result.checkpoints, 2);
  EXPECT_EQ(result.head_seq, 250);
  EXPECT_EQ(result.head_hash_hex.size(), 64u);
}

TEST_F(AuditChainTest, AnEmptyLogVerifies) {
  Write(0);
  AuditVerification result = Verify();
  EXPECT_TRUE(result.intact());
  EXPECT_EQ(result.records, 0);
}

TEST_F(AuditChainTest, EveryKindOfTamperingIsDetected) {
  const std::string kinds[][2] = {
      {"edited: who",
       "UPDATE audit_log SET actor = 'members/x' WHERE seq = 40"},
      {"edited: outcome",
       "UPDATE audit_log SET outcome = 'PERMISSION_DENIED' WHERE seq = 7"},
      {"edited: time",
       "UPDATE audit_log SET time_us = time_us + 1 WHERE seq = 120"},
      {"deleted", "DELETE FROM audit_log WHERE seq = 55"},
      {"deleted: the first", "DELETE FROM audit_log WHERE seq = 1"},
      {"deleted: a run", "DELETE FROM audit_log WHERE seq BETWEEN 90 AND 110"},
      {"inserted",
       "INSERT INTO audit_log SELECT 1000, time_us, actor, team, role, "
       "on_behalf_of, method, resource, person, sections, reason, outcome, "
       "prev, hash FROM audit_log WHERE seq = 149"},
      {"reordered",
       "UPDATE audit_log SET seq = -1 WHERE seq = 60; UPDATE audit_log SET "
       "seq = 60 WHERE seq = 61; UPDATE audit_log SET seq = 61 WHERE seq = "
       "-1"},
      {"cut short", "DELETE FROM audit_log WHERE seq > 140"},
      {"cut short, checkpoints and head too",
       "DELETE FROM audit_log WHERE seq > 140; DELETE FROM audit_checkpoints "
       "WHERE seq > 140; UPDATE audit_head SET seq = 140, hash = (SELECT hash "
       "FROM audit_log WHERE seq = 140)"},
      {"head deleted", "DELETE FROM audit_head"},
      {"rehashed without the key",
       "UPDATE audit_log SET actor = 'members/x', hash = randomblob(32) WHERE "
       "seq = 150"},
  };
  for (const auto& kind : kinds) {
    SCOPED_TRACE(kind[0]);
    Fresh();
    Write(150);
    ASSERT_TRUE(Verify().intact());
    Tamper(kind[1]);
    AuditVerification result = Verify();
    EXPECT_THAT(result.problems, Not(IsEmpty()));
  }
}

TEST_F(AuditChainTest, AHundredRandomEditsAreAllDetected) {
  Write(300);
  const char* columns[] = {"actor",  "team",     "role",   "on_behalf_of",
                           "method", "resource", "person", "sections",
                           "reason", "outcome",  "prev",   "hash"};
  // The untouched log, put back after each edit.
  testing::TempDir golden;
  std::filesystem::copy(dir_->path(), golden.path());
  std::mt19937 random(20261204);
  int detected = 0;
  for (int i = 0; i < 100; ++i) {
    const int seq = 1 + static_cast<int>(random() % 300);
    const std::string column = columns[random() % std::size(columns)];
    Tamper(absl::StrCat("UPDATE audit_log SET ", column, " = ", column,
                        " || 'x' WHERE seq = ", seq));
    if (!Verify().intact()) ++detected;
    std::filesystem::remove_all(dir_->path());
    std::filesystem::copy(golden.path(), dir_->path());
  }
  EXPECT_EQ(detected, 100);
  EXPECT_TRUE(Verify().intact());
}

TEST_F(AuditChainTest, AnotherKeyVerifiesNothing) {
  Write(20);
  HmacSha256 other_key(std::string(32, 'b'));
  AuditChain other(&other_key, 100);
  AuditVerification result = Verify(other);
  EXPECT_FALSE(result.intact());
  EXPECT_THAT(result.problems.front(), HasSubstr("record 1"));
}

TEST_F(AuditChainTest, RecordsAppendedTogetherChainAsIfOneByOne) {
  std::unique_ptr<SqliteDb> db = Open();
  int next = 1;
  // Batches straddling the checkpoints at 100 and 200.
  for (int size : {1, 7, 92, 1, 142, 7}) {
    std::vector<AuditRecord> records;
    for (int i = 0; i < size; ++i) records.push_back(Record(next++));
    absl::Status written = db->Write([&](Connection& conn) -> absl::Status {
      absl::StatusOr<int64_t> seq = chain_.Append(conn, records);
      if (!seq.ok()) return seq.status();
      EXPECT_EQ(*seq, next - 1);
      return absl::OkStatus();
    });
    ASSERT_TRUE(written.ok()) << written;
  }
  db.reset();
  AuditVerification together = Verify();
  EXPECT_THAT(together.problems, IsEmpty());
  EXPECT_EQ(together.records, 250);
  EXPECT_EQ(together.checkpoints, 2);
  // The same records one by one give the same head.
  Fresh();
  Write(250);
  EXPECT_EQ(Verify().head_hash_hex, together.head_hash_hex);
}

// SqliteDb's audit writer (AppendAuditAsync): records queued from many
// threads at once all land, each `done` is told, and the chain verifies.
TEST_F(AuditChainTest, QueuedRecordsFromManyThreadsAllLandAndVerify) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
  ASSERT_TRUE(db.ok()) << db.status();
  constexpr int kThreads = 8;
  constexpr int kEach = 250;
  absl::Mutex mu;
  int ok = 0;
  int failed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        (*db)->AppendAuditAsync(Record(t * kEach + i), [&](absl::Status s) {
          absl::MutexLock lock(&mu);
          (s.ok() ? ok : failed)++;
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* done) { return *done == kThreads * kEach; }, &ok));
    EXPECT_EQ(failed, 0);
  }
  absl::StatusOr<AuditVerification> verified = (*db)->VerifyAudit();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->records, kThreads * kEach);
  EXPECT_EQ(verified->checkpoints, 2);
}

TEST_F(AuditChainTest, EachCallerHearsOnlyOnceItsRecordIsCommitted) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
  ASSERT_TRUE(db.ok()) << db.status();
  SqliteDb& log = **db;
  std::atomic<int> told{0};
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        AuditRecord record = Record(i);
        record.actor = absl::StrCat("members/t", t, "-", i);
        const std::string actor = record.actor;
        log.AppendAuditAsync(std::move(record), [&, actor](absl::Status s) {
          EXPECT_TRUE(s.ok()) << s;
          // Committed: another connection's snapshot sees it.
          absl::Status read = log.Read([&](Connection& conn) -> absl::Status {
            absl::StatusOr<Statement> count =
                conn.Prepare("SELECT count(*) FROM audit_log WHERE actor = ?");
            if (!count.ok()) return count.status();
            count->Bind(1, actor);
            absl::StatusOr<bool> row = count->Step();
            if (!row.ok()) return row.status();
            if (*row && count->ColumnInt64(0) == 1) ++found;
            return absl::OkStatus();
          });
          EXPECT_TRUE(read.ok()) << read;
          ++told;
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // Whoever committed a batch told its callers before returning.
  EXPECT_EQ(told.load(), 400);
  EXPECT_EQ(found.load(), 400);
  absl::StatusOr<AuditVerification> verified = log.VerifyAudit();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->intact());
  EXPECT_EQ(verified->records, 400);
}

TEST_F(AuditChainTest, QueueingOnADatabaseWithoutALogFailsAtOnce) {
  std::unique_ptr<SqliteDb> db = Open();
  absl::Status told = absl::OkStatus();
  db->AppendAuditAsync(Record(1), [&told](absl::Status s) { told = s; });
  EXPECT_EQ(told.code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace carebridge
