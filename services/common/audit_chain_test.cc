// AuditChain over a real SQLite file, tampered with directly through
// SQLite as someone with the file (but not the key) could: every edited,
// deleted, inserted or reordered record, and a log cut short, is detected.

#include "services/common/audit_chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/call_audit.h"
#include "services/common/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

class AuditChainTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_->File("service.db"); }
  // Starts again in an empty directory.
  void Fresh() { dir_ = std::make_unique<testing::TempDir>(); }

  std::unique_ptr<SqliteDb> Open() {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(
        Path(), {{1, absl::StrCat(kAuditLogSchemaSql, kAuditIndexSchemaSql)}});
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  static AuditRecord Record(int i) {
    AuditRecord record;
    record.time = kStart + absl::Seconds(i);
    record.actor = absl::StrCat("members/m", i % 7);
    record.team = absl::StrCat("teams/t", i % 3);
    record.role = "clinician";
    record.method = i % 4 == 0 ? "/carebridge.careplan.v1.CarePlanService/"
                                 "UpdateCarePlan"
                               : "/carebridge.careplan.v1.CarePlanService/"
                                 "GetCarePlan";
    record.resource = absl::StrCat("persons/p", i % 50, "/carePlan");
    record.person = absl::StrCat("persons/p", i % 50);
    record.sections = "goals,crisis_plan";
    record.outcome = "OK";
    return record;
  }

  // Writes `count` records, then closes the database.
  void Write(int count) {
    std::unique_ptr<SqliteDb> db = Open();
    ASSERT_NE(db, nullptr);
    for (int i = 1; i <= count; ++i) {
      absl::Status written = db->Write([&](Connection& conn) -> absl::Status {
        absl::StatusOr<int64_t> seq = chain_.Append(conn, Record(i));
        if (!seq.ok()) return seq.status();
        EXPECT_EQ(*seq, i);
        return absl::OkStatus();
      });
      ASSERT_TRUE(written.ok()) << written;
    }
  }

  AuditVerification Verify(const AuditChain& chain) {
    std::unique_ptr<SqliteDb> db = Open();
    AuditVerification result;
    absl::Status read = db->Read([&](Connection& conn) -> absl::Status {
      absl::StatusOr<AuditVerification> verified = chain.Verify(conn);
      if (!verified.ok()) return verified.status();
      result = *std::move(verified);
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return result;
  }
  AuditVerification Verify() { return Verify(chain_); }

  // Runs `sql` on the file directly, as a person with the file could.
  void Tamper(const std::string& sql) { Tamper(Path(), sql); }
  void Tamper(const std::string& file, const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in " << sql;
    sqlite3_free(error);
    sqlite3_close(raw);
  }

  std::unique_ptr<testing::TempDir> dir_ = std::make_unique<testing::TempDir>();
  HmacSha256 key_{std::string(32, 'a')};
  AuditChain chain_{&key_, /*checkpoint_every=*/100};
};

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

// A call about several persons (a lookup that found them) makes one record
// per person, on each path a record takes: written after a read, queued,
// and in the transaction of a write.
TEST_F(AuditChainTest, ACallAboutSeveralPersonsIsListedUnderEach) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
  ASSERT_TRUE(db.ok()) << db.status();
  SqliteDb& log = **db;
  const std::vector<std::string> found = {"persons/a", "persons/b", "persons/a",
                                          "persons/c"};
  auto call = [&](int i) {
    CallAudit audit;
    audit.record = Record(i);
    audit.record.person.clear();
    audit.record.resource = "any person";
    ScopedCallAudit scope(&audit);
    NoteAuditedPersons(found);
    EXPECT_EQ(audit.record.person, "persons/a");
    EXPECT_THAT(audit.more_persons,
                ::testing::ElementsAre("persons/b", "persons/c"));
    return audit;
  };
  // Written once the read is done.
  CallAudit read = call(1);
  read.sink = &log;
  EXPECT_TRUE(FinishCallAudit(read, absl::OkStatus(), nullptr).ok());
  // Queued.
  CallAudit queued = call(2);
  queued.sink = &log;
  absl::Status told = absl::UnknownError("not told");
  FinishCallAuditAsync(queued, absl::OkStatus(), nullptr,
                       [&told](absl::Status s) { told = s; });
  EXPECT_TRUE(told.ok()) << told;
  // In a write's transaction.
  CallAudit written = call(3);
  {
    ScopedCallAudit scope(&written);
    ASSERT_TRUE(log.Write([](Connection& conn) {
                     // A change: a write that changed nothing leaves the
                     // records to FinishCallAudit.
                     return conn.Exec(
                         "CREATE TABLE items (key TEXT); "
                         "INSERT INTO items VALUES ('x')");
                   })
                    .ok());
  }
  EXPECT_TRUE(written.written);

  for (const char* person : {"persons/a", "persons/b", "persons/c"}) {
    std::vector<AuditRecord> listed;
    ASSERT_TRUE(log.Read([&](Connection& conn) -> absl::Status {
                     absl::StatusOr<std::vector<AuditRecord>> records =
                         AuditChain::ListForPerson(conn, person, 0, 10);
                     if (!records.ok()) return records.status();
                     listed = *std::move(records);
                     return absl::OkStatus();
                   })
                    .ok());
    ASSERT_EQ(listed.size(), 3u) << person;
    for (const AuditRecord& record : listed) {
      EXPECT_EQ(record.person, person);
      EXPECT_EQ(record.resource, "any person");
      EXPECT_EQ(record.outcome, "OK");
    }
  }
  absl::StatusOr<AuditVerification> verified = log.VerifyAudit();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->intact());
  EXPECT_EQ(verified->records, 9);
}

// Indexes up to `limit` records of the log in `db` behind its end.
int IndexSome(SqliteDb& db, int limit) {
  int indexed = -1;
  EXPECT_TRUE(db.Write([&](Connection& conn) -> absl::Status {
                  absl::StatusOr<int> done =
                      AuditChain::IndexPersons(conn, limit);
                  if (!done.ok()) return done.status();
                  indexed = *done;
                  return absl::OkStatus();
                }).ok());
  return indexed;
}

std::vector<int64_t> Listed(SqliteDb& db, const std::string& person,
                            int64_t before, int limit) {
  std::vector<int64_t> seqs;
  EXPECT_TRUE(db.Read([&](Connection& conn) -> absl::Status {
                  absl::StatusOr<std::vector<AuditRecord>> records =
                      AuditChain::ListForPerson(conn, person, before, limit);
                  if (!records.ok()) return records.status();
                  for (const AuditRecord& record : *records) {
                    EXPECT_EQ(record.person, person);
                    seqs.push_back(record.seq);
                  }
                  return absl::OkStatus();
                }).ok());
  return seqs;
}

// The last record the per-person index of `db` lists.
int64_t IndexedThrough(SqliteDb& db) {
  int64_t seq = -1;
  EXPECT_TRUE(db.Read([&](Connection& conn) -> absl::Status {
                  absl::StatusOr<Statement> select =
                      conn.Prepare("SELECT seq FROM audit_indexed");
                  if (!select.ok()) return select.status();
                  absl::StatusOr<bool> row = select->Step();
                  if (!row.ok()) return row.status();
                  seq = *row ? select->ColumnInt64(0) : 0;
                  return absl::OkStatus();
                }).ok());
  return seq;
}

// The per-person index is written behind the log: a person's records are
// listed newest first, page by page, whether they are past the index's
// end or in it.
TEST_F(AuditChainTest, APersonsRecordsAreListedAcrossTheIndexsEnd) {
  Write(250);
  std::unique_ptr<SqliteDb> db = Open();
  using Seqs = std::vector<int64_t>;
  // Nothing indexed yet, then the first 120 records, then all.
  for (int indexed : {0, 120, 130}) {
    if (indexed > 0) {
      EXPECT_EQ(IndexSome(*db, indexed), indexed);
    }
    EXPECT_EQ(Listed(*db, "persons/p7", 0, 10), (Seqs{207, 157, 107, 57, 7}));
    EXPECT_EQ(Listed(*db, "persons/p7", 0, 2), (Seqs{207, 157}));
    EXPECT_EQ(Listed(*db, "persons/p7", 157, 2), (Seqs{107, 57}));
    EXPECT_EQ(Listed(*db, "persons/p7", 57, 2), (Seqs{7}));
    EXPECT_EQ(Listed(*db, "persons/p7", 7, 2), (Seqs{}));
    EXPECT_EQ(Listed(*db, "persons/nobody", 0, 10), (Seqs{}));
  }
  EXPECT_EQ(IndexSome(*db, 100), 0);
  db.reset();
  EXPECT_TRUE(Verify().intact());
}

// Someone with the file could hide a read from "who accessed" by editing
// the index alone (the log itself intact): verify says so.
TEST_F(AuditChainTest, EditingThePerPersonIndexIsDetected) {
  const std::string kinds[][2] = {
      {"lacks 1 records, the first record 57",
       "DELETE FROM audit_persons WHERE seq = 57"},
      {"lists 1 entries that are not the log's, the first at record 57",
       "INSERT INTO audit_persons VALUES ('persons/p9', 57)"},
      {"lacks 1 records, the first record 57",
       "UPDATE audit_persons SET person = 'persons/p9' WHERE seq = 57"},
      {"lacks 249 records", "DELETE FROM audit_persons WHERE seq != 1"},
  };
  for (const auto& kind : kinds) {
    Fresh();
    Write(250);
    {
      std::unique_ptr<SqliteDb> db = Open();
      EXPECT_EQ(IndexSome(*db, 1000), 250);
    }
    ASSERT_TRUE(Verify().intact());
    Tamper(kind[1]);
    AuditVerification result = Verify();
    EXPECT_THAT(result.problems, Contains(HasSubstr(kind[0]))) << kind[1];
  }
}

// An audited database indexes what its callers append once enough waits
// (on the caller's thread, after the records are durable), and at open
// whatever the last run left.
TEST_F(AuditChainTest, CallersIndexTheLogBehindItsEnd) {
  constexpr int kRecords = 5000;
  auto indexed_through = IndexedThrough;
  {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 1; i <= kRecords; ++i) {
      absl::Status told = absl::UnknownError("not told");
      (*db)->AppendAuditAsync(Record(i), [&](absl::Status s) { told = s; });
      ASSERT_TRUE(told.ok()) << told;
    }
    const int64_t through = indexed_through(**db);
    EXPECT_GE(through, kRecords - 2048);
    EXPECT_LT(through, kRecords);
    // Listed in full all the same.
    EXPECT_EQ(Listed(**db, "persons/p7", 0, 1000).size(), 100u);
  }
  absl::StatusOr<std::unique_ptr<SqliteDb>> reopened =
      SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(indexed_through(**reopened), kRecords);
  EXPECT_EQ(Listed(**reopened, "persons/p7", 0, 1000).size(), 100u);
  absl::StatusOr<AuditVerification> verified = (*reopened)->VerifyAudit();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->records, kRecords);
}

// An audited database keeps the per-person index in a file of its own
// (written without holding the database's writer). Editing that file is
// detected like editing the log; an index that is missing, damaged, or
// past the log's end (the database put back from an older copy) is rebuilt
// from the log at open, and the log itself is never touched.
TEST_F(AuditChainTest, ThePerPersonIndexIsAFileOfItsOwnRebuiltFromTheLog) {
  constexpr int kRecords = 3000;
  const std::string index = SqliteDb::AuditIndexPath(Path());
  auto open = [&]() {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  };
  auto verify = [&]() {
    std::unique_ptr<SqliteDb> db = open();
    absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
    EXPECT_TRUE(verified.ok()) << verified.status();
    return verified.ok() ? *verified : AuditVerification();
  };
  auto expect_whole = [&]() {
    std::unique_ptr<SqliteDb> db = open();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(IndexedThrough(*db), kRecords);
    EXPECT_EQ(Listed(*db, "persons/p7", 0, 1000).size(),
              static_cast<size_t>(kRecords / 50));
    absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_THAT(verified->problems, IsEmpty());
    EXPECT_EQ(verified->records, kRecords);
  };
  const std::string older = dir_->File("older.db");
  auto append = [&](int from, int to) {
    std::unique_ptr<SqliteDb> db = open();
    ASSERT_NE(db, nullptr);
    std::vector<AuditRecord> records;
    for (int i = from; i <= to; ++i) records.push_back(Record(i));
    ASSERT_TRUE(db->AppendAudit(records).ok());
    ASSERT_TRUE(db->CatchUpAuditIndex().ok());
    // The database itself holds no index.
    EXPECT_FALSE(db->Read([&](Connection& conn) {
                     return conn.Exec("SELECT 1 FROM main.audit_persons");
                   }).ok());
  };
  append(1, 1000);
  // A copy of the database as it was (closed, so its WAL is folded in).
  std::filesystem::copy_file(Path(), older);
  append(1001, kRecords);
  EXPECT_TRUE(std::filesystem::exists(index));
  expect_whole();

  // Edited in its own file: detected.
  Tamper(index, "DELETE FROM audit_persons WHERE seq = 57");
  EXPECT_THAT(verify().problems,
              Contains(HasSubstr("lacks 1 records, the first record 57")));
  Tamper(index, "INSERT INTO audit_persons VALUES ('persons/p9', 58)");
  EXPECT_THAT(verify().problems,
              Contains(HasSubstr("lists 1 entries that are not the log's")));

  // Deleted: rebuilt whole.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(index + suffix);
  }
  expect_whole();

  // Damaged (not a database at all): rebuilt whole.
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::remove(index + suffix);
  }
  {
    std::ofstream out(index, std::ios::trunc | std::ios::binary);
    out << std::string(8192, 'x');
  }
  expect_whole();

  // The database put back from the older copy, the index left as it was:
  // the index lists records the log no longer has, so it starts again.
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::remove(Path() + suffix);
  }
  std::filesystem::copy_file(older, Path(),
                             std::filesystem::copy_options::overwrite_existing);
  {
    std::unique_ptr<SqliteDb> db = open();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(IndexedThrough(*db), 1000);
    EXPECT_EQ(Listed(*db, "persons/p7", 0, 1000).size(), 1000u / 50);
    absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_THAT(verified->problems, IsEmpty());
    EXPECT_EQ(verified->records, 1000);
  }
}

// Verify and "who accessed" while records are appended and indexed
// (several index catch-ups, in their own file): the index is read first,
// so a reader never sees it list a record its snapshot of the log lacks,
// and a person's list is complete at every moment.
TEST_F(AuditChainTest, VerifyAndListsHoldWhileTheIndexIsWritten) {
  constexpr int kRecords = 12000;
  absl::StatusOr<std::unique_ptr<SqliteDb>> opened =
      SqliteDb::Open(Path(), {}, AuditedOptions(&key_));
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteDb& db = **opened;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int from = 1; from <= kRecords; from += 200) {
      std::vector<AuditRecord> batch;
      for (int i = from; i < from + 200; ++i) batch.push_back(Record(i));
      EXPECT_TRUE(db.AppendAudit(batch).ok());
    }
    done = true;
  });
  int verified = 0;
  while (!done.load()) {
    absl::StatusOr<AuditVerification> result = db.VerifyAudit();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_THAT(result->problems, IsEmpty()) << "after " << result->records;
    // persons/p7 has every 50th record: as many as the log held then.
    const std::vector<int64_t> listed = Listed(db, "persons/p7", 0, 1000);
    EXPECT_GE(listed.size(), static_cast<size_t>(result->records / 50));
    ++verified;
  }
  writer.join();
  EXPECT_GT(verified, 0);
  EXPECT_GT(IndexedThrough(db), kRecords - 2048);
  EXPECT_EQ(Listed(db, "persons/p7", 0, 1000).size(),
            static_cast<size_t>(kRecords / 50));
}

}  // namespace
}  // namespace carebridge
