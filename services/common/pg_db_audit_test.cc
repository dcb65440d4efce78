// PgDb's audit log (PgDb::Options::audit_key) on the test cluster: the same
// behaviour as SqliteDb's, with several replicas appending to one chain.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/hmac.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/common/pg_db.h"
#include "services/common/sqlite_event_log.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::RunPostgresAdmin;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

const std::vector<Migration> kSchema = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY)"},
};

AuditRecord Record(int i, absl::string_view person) {
  AuditRecord record;
  record.time = kStart + absl::Seconds(i);
  record.actor = absl::StrCat("members/m", i % 7);
  record.team = "teams/t1";
  record.role = "clinician";
  record.method = "/carebridge.careplan.v1.CarePlanService/GetCarePlan";
  record.resource = absl::StrCat(person, "/carePlan");
  record.person = std::string(person);
  record.sections = "goals";
  record.outcome = "OK";
  return record;
}

class CountingMetrics : public MetricsRecorder {
 public:
  void ObserveCall(absl::string_view, absl::StatusCode,
                   absl::Duration) override {}
  void ObserveCommit(absl::string_view database, absl::Duration) override {
    absl::MutexLock lock(&mu_);
    if (database == "careplan") ++commits_;
  }
  int commits() {
    absl::MutexLock lock(&mu_);
    return commits_;
  }

 private:
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

class PgDbAuditTest : public testing::PostgresDatabaseTest {
 protected:
  PgDbAuditTest() : PostgresDatabaseTest("pg_audit") {}

  std::unique_ptr<PgDb> Open(int connections = 4, bool durable = true) {
    PgDb::Options options = testing::PgOptions(connections);
    options.audit_key = &key_;
    options.durable_commits = durable;
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, kSchema, options);
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }

  static absl::StatusOr<int64_t> Count(Database& db, const std::string& sql) {
    int64_t count = -1;
    RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement select, conn.Prepare(sql));
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (row) count = select.ColumnInt64(0);
      return absl::OkStatus();
    }));
    return count;
  }

  static CallAudit Call(absl::string_view person) {
    CallAudit audit;
    audit.record = Record(0, person);
    audit.record.method = "/carebridge.careplan.v1.CarePlanService/Update";
    return audit;
  }

  static absl::Status Insert(Connection& conn, absl::string_view key) {
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT INTO items (key) VALUES (?)"));
    insert.Bind(1, key);
    return insert.Run();
  }

  HmacSha256 key_{std::string(32, 'k')};
};

TEST_F(PgDbAuditTest, AppendedRecordsVerifyAndATamperedOneIsFound) {
  std::unique_ptr<PgDb> db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->audited());
  // Past two pages of the verifying walk and three checkpoints.
  constexpr int kRecords = 3005;
  std::vector<AuditRecord> batch;
  for (int i = 1; i <= kRecords; ++i) {
    batch.push_back(Record(i, absl::StrCat("persons/p", i % 13)));
    if (batch.size() == 500 || i == kRecords) {
      ASSERT_THAT(db->AppendAudit(batch), IsOk());
      batch.clear();
    }
  }
  absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->intact()) << verified->problems[0];
  EXPECT_EQ(verified->records, kRecords);
  EXPECT_EQ(verified->checkpoints, 3);
  EXPECT_EQ(verified->head_seq, kRecords);

  ASSERT_THAT(RunPostgresAdmin(url_,
                               "UPDATE audit_log SET actor = 'members/x' WHERE "
                               "seq = 2500"),
              IsOk());
  verified = db->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_FALSE(verified->intact());
  EXPECT_THAT(verified->problems,
              ElementsAre(HasSubstr("record 2500: its contents do not match")));
  ASSERT_THAT(RunPostgresAdmin(url_, "DELETE FROM audit_log WHERE seq > 3000"),
              IsOk());
  verified = db->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems, SizeIs(2));
}

TEST_F(PgDbAuditTest, ReplicasAppendingConcurrentlyKeepOneIntactChain) {
  std::unique_ptr<PgDb> first = Open();
  std::unique_ptr<PgDb> second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  constexpr int kThreadsPerReplica = 4;
  constexpr int kEach = 30;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerReplica; ++t) {
    PgDb* db = t % 2 == 0 ? first.get() : second.get();
    threads.emplace_back([db, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string person = absl::StrCat("persons/t", t);
        if (i % 3 == 0) {
          // A call's write carries its record.
          CallAudit audit = Call(person);
          ScopedCallAudit scope(&audit);
          EXPECT_THAT(db->Write([&](Connection& conn) {
            return Insert(conn, absl::StrCat("t", t, "-", i));
          }),
                      IsOk());
          EXPECT_TRUE(audit.written);
        } else if (i % 3 == 1) {
          EXPECT_THAT(db->AppendAudit({Record(i, person)}), IsOk());
        } else {
          absl::Notification done;
          db->AppendAuditAsync({Record(i, person)}, [&](absl::Status status) {
            EXPECT_THAT(status, IsOk());
            done.Notify();
          });
          done.WaitForNotification();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  constexpr int kTotal = 2 * kThreadsPerReplica * kEach;
  absl::StatusOr<AuditVerification> verified = first->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->records, kTotal);
  EXPECT_EQ(verified->head_seq, kTotal);
  for (int t = 0; t < 2 * kThreadsPerReplica; ++t) {
    EXPECT_THAT(
        first->ListAuditForPerson(absl::StrCat("persons/t", t), 0, 1000),
        IsOkAndHolds(SizeIs(kEach)));
  }
  // The head's lock queues appenders: none ran again after a conflict.
  EXPECT_EQ(first->write_retries() + second->write_retries(), 0);
}

TEST_F(PgDbAuditTest, AuditedAndUnauditedAppendersToOneFeedNeverDeadlock) {
  // Calls' writes take audit_head then feed_head; other writes (a
  // consumer's) only feed_head: one order, so replicas mixing both finish,
  // with one intact chain and a feed without gaps.
  const std::vector<Migration> schema = {
      {1, "CREATE TABLE items (key TEXT PRIMARY KEY)"},
      {2, kPgOutboxSchemaSql},
  };
  std::vector<std::unique_ptr<PgDb>> replicas;
  for (int r = 0; r < 2; ++r) {
    PgDb::Options options = testing::PgOptions(4);
    options.audit_key = &key_;
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, schema, options);
    ASSERT_THAT(db, IsOk());
    replicas.push_back(std::move(*db));
  }
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::atomic<int> audited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      PgDb& db = *replicas[t % 2];
      for (int i = 0; i < kEach; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        auto write = [&](Connection& conn) -> absl::Status {
          RETURN_IF_ERROR(Insert(conn, key));
          events::v1::Event event;
          event.set_type("test.item.created");
          event.set_subject(key);
          return SqliteEventLog::Append(conn, event).status();
        };
        if ((t + i) % 2 == 0) {
          CallAudit audit = Call(absl::StrCat("persons/", key));
          ScopedCallAudit scope(&audit);
          EXPECT_THAT(db.Write(write), IsOk());
          if (audit.written) ++audited;
        } else {
          EXPECT_THAT(db.Write(write), IsOk());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(audited, kThreads * kEach / 2);
  absl::StatusOr<AuditVerification> verified = replicas[0]->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->records, kThreads * kEach / 2);
  EXPECT_THAT(Count(*replicas[1], "SELECT count(*) FROM outbox_events"),
              IsOkAndHolds(kThreads * kEach));
  EXPECT_THAT(Count(*replicas[1], "SELECT max(sequence) FROM outbox_events"),
              IsOkAndHolds(kThreads * kEach));
}

TEST_F(PgDbAuditTest, AFailedWriteLeavesNoRecordAndASuccessfulOneCarriesIt) {
  std::unique_ptr<PgDb> db = Open();
  ASSERT_NE(db, nullptr);
  CountingMetrics metrics;
  db->SetMetrics(&metrics, "careplan");
  CallAudit audit = Call("persons/p1");
  {
    ScopedCallAudit scope(&audit);
    EXPECT_THAT(db->Write([&](Connection& conn) -> absl::Status {
      RETURN_IF_ERROR(Insert(conn, "a"));
      return absl::FailedPreconditionError("refused");
    }),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_FALSE(audit.written);
  EXPECT_EQ(audit.sink, db.get());
  EXPECT_THAT(Count(*db, "SELECT count(*) FROM audit_log"), IsOkAndHolds(0));
  EXPECT_THAT(Count(*db, "SELECT count(*) FROM items"), IsOkAndHolds(0));
  EXPECT_EQ(metrics.commits(), 0);
  {
    ScopedCallAudit scope(&audit);
    EXPECT_THAT(db->Write([&](Connection& conn) { return Insert(conn, "b"); }),
                IsOk());
  }
  EXPECT_TRUE(audit.written);
  EXPECT_EQ(metrics.commits(), 1);
  absl::StatusOr<std::vector<AuditRecord>> listed =
      db->ListAuditForPerson("persons/p1", 0, 10);
  ASSERT_THAT(listed, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*listed)[0].outcome, "OK");
  EXPECT_EQ((*listed)[0].method,
            "/carebridge.careplan.v1.CarePlanService/Update");
}

// After a database's own append the head is most likely what it wrote: the
// next append checks that in the statement that writes it, reading
// nothing. After another replica's append the check fails, writes nothing
// and returns the head, after which the append is checked again; the chain
// stays whole either way.
TEST_F(PgDbAuditTest, AnAppendAfterItsOwnReadsNothingAndAReplicasIsNoticed) {
  std::unique_ptr<PgDb> first = Open();
  std::unique_ptr<PgDb> second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_THAT(first->AppendAudit({Record(1, "persons/a")}), IsOk());
  int64_t before = first->round_trips();
  ASSERT_THAT(first->AppendAudit({Record(2, "persons/a")}), IsOk());
  // The record with the head's check (and the transaction's start), then
  // the commit; reading the head first made it four.
  EXPECT_EQ(first->round_trips() - before, 2);
  ASSERT_THAT(second->AppendAudit({Record(3, "persons/b")}), IsOk());
  before = first->round_trips();
  ASSERT_THAT(
      first->AppendAudit({Record(4, "persons/a"), Record(5, "persons/a")}),
      IsOk());
  // The failed check (which returns the head as it is), the checked
  // append with the first record, the second record, the commit. Reading
  // the head after a failed check made it six.
  EXPECT_EQ(first->round_trips() - before, 4);
  before = first->round_trips();
  ASSERT_THAT(
      first->AppendAudit({Record(6, "persons/a"), Record(7, "persons/a")}),
      IsOk());
  EXPECT_EQ(first->round_trips() - before, 3);
  absl::StatusOr<AuditVerification> verified = second->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->records, 7);
  EXPECT_EQ(verified->head_seq, 7);
  EXPECT_THAT(first->ListAuditForPerson("persons/a", 0, 10),
              IsOkAndHolds(SizeIs(6)));
}

// An append rolled back leaves its head unwritten; another replica then
// writes a head with the same seq and another hash. Appending after the
// seq alone would chain onto a record that does not exist.
TEST_F(PgDbAuditTest, AHeadRolledBackAndWrittenAgainByAnotherIsReadAgain) {
  std::unique_ptr<PgDb> db = Open();
  ASSERT_NE(db, nullptr);
  const AuditChain mine(&key_);
  const AuditChain other(&key_);
  auto append = [&](const AuditChain& chain, int i, bool commit) {
    return db->Write([&](Connection& conn) -> absl::Status {
      RETURN_IF_ERROR(chain.Append(conn, Record(i, "persons/a")).status());
      return commit ? absl::OkStatus()
                    : absl::FailedPreconditionError("rolled back");
    });
  };
  ASSERT_THAT(append(mine, 1, true), IsOk());
  EXPECT_THAT(append(mine, 2, false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(append(other, 3, true), IsOk());
  ASSERT_THAT(append(mine, 4, true), IsOk());
  absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->records, 3);
  EXPECT_EQ(verified->head_seq, 3);
}

TEST_F(PgDbAuditTest, ACallAboutSeveralPersonsIsListedUnderEach) {
  std::unique_ptr<PgDb> db = Open();
  ASSERT_NE(db, nullptr);
  CallAudit audit = Call("persons/a");
  audit.more_persons = {"persons/b", "persons/c"};
  {
    ScopedCallAudit scope(&audit);
    ASSERT_THAT(db->Write([&](Connection& conn) { return Insert(conn, "x"); }),
                IsOk());
  }
  for (const char* person : {"persons/a", "persons/b", "persons/c"}) {
    EXPECT_THAT(db->ListAuditForPerson(person, 0, 10), IsOkAndHolds(SizeIs(1)))
        << person;
  }
}

TEST_F(PgDbAuditTest, APersonsRecordsAreListedNewestFirstInPages) {
  std::unique_ptr<PgDb> db = Open();
  ASSERT_NE(db, nullptr);
  std::vector<AuditRecord> records;
  for (int i = 1; i <= 90; ++i) {
    // Persons that sort differently in byte order and in a locale's.
    records.push_back(Record(i, i % 3 == 0   ? "persons/a"
                                : i % 3 == 1 ? "persons/B"
                                             : "persons/b"));
  }
  ASSERT_THAT(db->AppendAudit(records), IsOk());
  std::vector<int64_t> seen;
  int64_t before = 0;
  for (;;) {
    absl::StatusOr<std::vector<AuditRecord>> page =
        db->ListAuditForPerson("persons/a", before, 7);
    ASSERT_THAT(page, IsOk());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 7u);
    for (const AuditRecord& record : *page) {
      EXPECT_EQ(record.person, "persons/a");
      if (!seen.empty()) {
        EXPECT_LT(record.seq, seen.back());
      }
      seen.push_back(record.seq);
    }
    before = page->back().seq;
  }
  ASSERT_THAT(seen, SizeIs(30));
  EXPECT_EQ(seen.front(), 90);
  EXPECT_EQ(seen.back(), 3);
  EXPECT_THAT(db->ListAuditForPerson("persons/B", 0, 100),
              IsOkAndHolds(SizeIs(30)));
  EXPECT_THAT(db->ListAuditForPerson("persons/nobody", 0, 100),
              IsOkAndHolds(IsEmpty()));
}

TEST_F(PgDbAuditTest, ALostConnectionBeforeCommitLosesBothChangeAndRecord) {
  std::unique_ptr<PgDb> db = Open(/*connections=*/1);
  ASSERT_NE(db, nullptr);
  CallAudit audit = Call("persons/p1");
  {
    ScopedCallAudit scope(&audit);
    // The change is made, then the server ends the connection before the
    // call's record (in the same transaction) and the commit.
    EXPECT_THAT(db->Write([&](Connection& conn) -> absl::Status {
      RETURN_IF_ERROR(Insert(conn, "lost"));
      EXPECT_THAT(
          RunPostgresAdmin(url_,
                           "SELECT pg_terminate_backend(pid) FROM "
                           "pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()"),
          IsOk());
      absl::SleepFor(absl::Milliseconds(200));
      return absl::OkStatus();
    }),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_FALSE(audit.written);
  EXPECT_THAT(Count(*db, "SELECT count(*) FROM items"), IsOkAndHolds(0));
  EXPECT_THAT(Count(*db, "SELECT count(*) FROM audit_log"), IsOkAndHolds(0));
  absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->intact());
}

TEST_F(PgDbAuditTest, QueuedRecordsFromManyThreadsEachHearOnce) {
  std::unique_ptr<PgDb> db = Open();
  ASSERT_NE(db, nullptr);
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  std::atomic<int> heard{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        db->AppendAuditAsync({Record(i, absl::StrCat("persons/q", t))},
                             [&](absl::Status status) {
                               EXPECT_THAT(status, IsOk());
                               ++heard;
                             });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // The last flusher may still be telling; the database waits for it.
  db.reset();
  EXPECT_EQ(heard, kThreads * kEach);
  db = Open();
  ASSERT_NE(db, nullptr);
  absl::StatusOr<AuditVerification> verified = db->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->intact());
  EXPECT_EQ(verified->records, kThreads * kEach);
}

TEST_F(PgDbAuditTest, ADatabaseWithoutAKeyKeepsNoLog) {
  absl::StatusOr<std::unique_ptr<PgDb>> db =
      PgDb::Open(url_, kSchema, testing::PgOptions(1));
  ASSERT_THAT(db, IsOk());
  EXPECT_FALSE((*db)->audited());
  EXPECT_THAT((*db)->AppendAudit({Record(1, "persons/p")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*db)->VerifyAudit(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::Status heard = absl::OkStatus();
  (*db)->AppendAuditAsync({Record(1, "persons/p")},
                          [&](absl::Status status) { heard = status; });
  EXPECT_THAT(heard, StatusIs(absl::StatusCode::kFailedPrecondition));
  // A call's writes go on without a record.
  CallAudit audit = Call("persons/p1");
  ScopedCallAudit scope(&audit);
  EXPECT_THAT((*db)->Write([&](Connection& conn) { return Insert(conn, "a"); }),
              IsOk());
  EXPECT_FALSE(audit.written);
  EXPECT_EQ(audit.sink, nullptr);
}

// A database rebuilt from elsewhere (the record) commits its own writes
// without waiting for the disk, but never a write that carries a call's
// audit record (that commit, and every one before it, reach the disk before
// the call is answered) or appends events (a subscriber may read them at
// once, so a crash must not take them back).
TEST_F(PgDbAuditTest, OnlyRebuiltDataWithoutAuditOrEventsSkipsTheDiskWait) {
  std::unique_ptr<PgDb> rebuilt = Open(4, /*durable=*/false);
  ASSERT_NE(rebuilt, nullptr);
  EXPECT_THAT(
      rebuilt->Write([](Connection& conn) { return Insert(conn, "a"); }),
      IsOk());
  EXPECT_EQ(rebuilt->commits(), 1);
  EXPECT_EQ(rebuilt->unsynced_commits(), 1);

  CallAudit audit = Call("persons/p1");
  {
    ScopedCallAudit scope(&audit);
    EXPECT_THAT(
        rebuilt->Write([](Connection& conn) { return Insert(conn, "b"); }),
        IsOk());
  }
  EXPECT_TRUE(audit.written);
  EXPECT_EQ(rebuilt->commits(), 2);
  EXPECT_EQ(rebuilt->unsynced_commits(), 1);

  EXPECT_THAT(rebuilt->Write([](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Announce("feed"));
    return Insert(conn, "c");
  }),
              IsOk());
  EXPECT_EQ(rebuilt->commits(), 3);
  EXPECT_EQ(rebuilt->unsynced_commits(), 1);

  std::unique_ptr<PgDb> durable = Open();
  ASSERT_NE(durable, nullptr);
  EXPECT_THAT(
      durable->Write([](Connection& conn) { return Insert(conn, "d"); }),
      IsOk());
  EXPECT_EQ(durable->commits(), 1);
  EXPECT_EQ(durable->unsynced_commits(), 0);
}

}  // namespace
}  // namespace carebridge
