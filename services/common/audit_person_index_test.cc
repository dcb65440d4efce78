// The audit log's per-person index: a call about several persons is listed
// under each, on every path a record takes; the index is a file of its own,
// rebuilt from the log, checked by verify, and written behind the log's end
// while verify and lists hold.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_chain.h"
#include "services/common/audit_chain_test_fixture.h"
#include "services/common/call_audit.h"
#include "services/common/sqlite_db.h"

namespace carebridge {
namespace {

using audit_chain_testing::AuditChainTest;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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
