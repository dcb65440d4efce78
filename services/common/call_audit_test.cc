// What a call's audit records say it returned (call_audit.h): each
// person's record keeps the sections noted for that person (a list's, of
// their own resources), and a call that failed returned none. A write that
// changes data carries the records, marked OK; one that changed nothing (a
// retry answered, a request refused on what the transaction read) leaves
// them to the call's end, which knows how the call ended.

#include "services/common/call_audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "services/common/macros.h"
#include "services/common/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

class CallAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(dir_.File("service.db"),
                       {{1, "CREATE TABLE items (key TEXT PRIMARY KEY)"}},
                       AuditedOptions(&key_));
    ASSERT_TRUE(db.ok()) << db.status();
    log_ = *std::move(db);
  }

  static CallAudit ListCall() {
    CallAudit audit;
    audit.record.time = absl::FromUnixSeconds(1767225600);
    audit.record.actor = "members/m1";
    audit.record.method = "carebridge.referral.v1.ListReferrals";
    return audit;
  }

  // A create answering retries of its `request_id`, as the stores' are:
  // finds `key` stored (telling `found`) and changes nothing, else stores
  // it.
  static absl::Status CreateOnce(Connection& conn, const std::string& key,
                                 bool& found) {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT key FROM items WHERE key = ?1"));
    select.Bind(1, key);
    ASSIGN_OR_RETURN(found, select.Step());
    if (found) return absl::OkStatus();
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT INTO items (key) VALUES (?1)"));
    insert.Bind(1, key);
    return insert.Run();
  }

  static CallAudit CreateCall() {
    CallAudit audit;
    audit.record.time = absl::FromUnixSeconds(1767225600);
    audit.record.actor = "members/m1";
    audit.record.method = "carebridge.referral.v1.CreateReferral";
    audit.record.person = "persons/a";
    return audit;
  }

  // A call of CreateOnce(`key`) that notes the sections its answer would
  // show before the write, as a create does, and ends with `outcome` when
  // it found `key` stored (a retry: OK, after noting what the stored one
  // showed; content differing: ALREADY_EXISTS).
  absl::Status CreateCallOf(const std::string& key,
                            const absl::Status& outcome_if_found) {
    CallAudit audit = CreateCall();
    bool found = false;
    absl::Status status;
    {
      ScopedCallAudit scope(&audit);
      NoteAuditedSections("whole referral");
      status = log_->Write(
          [&](Connection& conn) { return CreateOnce(conn, key, found); });
      if (status.ok() && found) {
        EXPECT_FALSE(audit.written);
        status = outcome_if_found;
        if (status.ok()) NoteAuditedSections("all but risk_summary");
      }
    }
    return FinishCallAudit(audit, status, nullptr);
  }

  int64_t CountOf(const std::string& sql) {
    int64_t count = -1;
    EXPECT_TRUE(log_->Read([&](Connection& conn) -> absl::Status {
                      ASSIGN_OR_RETURN(Statement select, conn.Prepare(sql));
                      ASSIGN_OR_RETURN(bool row, select.Step());
                      if (row) count = select.ColumnInt64(0);
                      return absl::OkStatus();
                    })
                    .ok());
    return count;
  }

  // The records of `person` in the log, newest first.
  std::vector<AuditRecord> RecordsOf(const std::string& person) {
    absl::StatusOr<std::vector<AuditRecord>> records =
        log_->ListAuditForPerson(person, /*before_seq=*/0, /*limit=*/10);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.value_or(std::vector<AuditRecord>());
  }

  testing::TempDir dir_;
  HmacSha256 key_{std::string(32, 'a')};
  std::unique_ptr<SqliteDb> log_;
};

TEST_F(CallAuditTest, EachPersonsRecordKeepsTheSectionsNotedForThem) {
  CallAudit audit = ListCall();
  audit.sink = log_.get();
  {
    ScopedCallAudit scope(&audit);
    NoteAuditedSections("none");
    NoteAuditedSectionsOf("persons/a", "referrals/1: whole referral");
    NoteAuditedSectionsOf("persons/b", "referrals/2: all but risk_summary");
    // A later note for a person replaces theirs.
    NoteAuditedSectionsOf("persons/a",
                          "referrals/1: whole referral; "
                          "referrals/3: whole referral");
  }
  EXPECT_EQ(audit.record.person, "persons/a");
  ASSERT_TRUE(FinishCallAudit(audit, absl::OkStatus(), nullptr).ok());

  std::vector<AuditRecord> a = RecordsOf("persons/a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].sections,
            "referrals/1: whole referral; referrals/3: whole referral");
  std::vector<AuditRecord> b = RecordsOf("persons/b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].sections, "referrals/2: all but risk_summary");
}

// A write's transaction carries the records: notes after it change nothing.
TEST_F(CallAuditTest, NotesAfterAWriteCarriedTheRecordsChangeNothing) {
  CallAudit audit = ListCall();
  {
    ScopedCallAudit scope(&audit);
    NoteAuditedSectionsOf("persons/a", "referrals/1: whole referral");
    bool found = false;
    ASSERT_TRUE(log_->Write([&](Connection& conn) {
                      return CreateOnce(conn, "k1", found);
                    })
                    .ok());
    NoteAuditedSectionsOf("persons/a", "referrals/1: all but risk_summary");
    NoteAuditedSectionsOf("persons/b", "referrals/2: whole referral");
  }
  ASSERT_TRUE(audit.written);
  std::vector<AuditRecord> a = RecordsOf("persons/a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].sections, "referrals/1: whole referral");
  EXPECT_TRUE(RecordsOf("persons/b").empty());
}

// What a call noted on its way returned nothing when it failed after:
// its records say no sections, for the call and for each person.
TEST_F(CallAuditTest, AFailedCallRecordsNoSections) {
  CallAudit audit = ListCall();
  audit.sink = log_.get();
  {
    ScopedCallAudit scope(&audit);
    NoteAuditedSections("whole referral");
    NoteAuditedSectionsOf("persons/a", "referrals/1: whole referral");
    NoteAuditedPersons({"persons/b"});
  }
  absl::Status failed =
      FinishCallAudit(audit, absl::AbortedError("changed meanwhile"), nullptr);
  EXPECT_TRUE(absl::IsAborted(failed)) << failed;
  for (const char* person : {"persons/a", "persons/b"}) {
    std::vector<AuditRecord> records = RecordsOf(person);
    ASSERT_EQ(records.size(), 1u) << person;
    EXPECT_EQ(records[0].sections, "") << person;
    EXPECT_EQ(records[0].outcome, "ABORTED") << person;
  }
}

// A request_id reused for other content: the write found the first
// request's result and changed nothing, and the call was refused. Its one
// record says so, with no sections; the first call's record still says OK
// with what it showed, and an exact retry is recorded as answered with what
// the stored result showed.
TEST_F(CallAuditTest, AWriteThatChangedNothingLeavesTheRecordToTheCallsEnd) {
  const absl::Status reused =
      absl::AlreadyExistsError("request_id: \"r1\" was already used");
  ASSERT_TRUE(CreateCallOf("k1", reused).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(CreateCallOf("k1", reused)));
  ASSERT_TRUE(CreateCallOf("k1", absl::OkStatus()).ok());

  EXPECT_EQ(CountOf("SELECT COUNT(*) FROM items"), 1);
  std::vector<AuditRecord> records = RecordsOf("persons/a");
  ASSERT_EQ(records.size(), 3u);
  // Newest first: the retry, the refusal, the create.
  EXPECT_EQ(records[0].outcome, "OK");
  EXPECT_EQ(records[0].sections, "all but risk_summary");
  EXPECT_EQ(records[1].outcome, "ALREADY_EXISTS");
  EXPECT_EQ(records[1].sections, "");
  EXPECT_EQ(records[2].outcome, "OK");
  EXPECT_EQ(records[2].sections, "whole referral");
  for (const AuditRecord& record : records) {
    EXPECT_EQ(record.method, "carebridge.referral.v1.CreateReferral");
  }
}

// A refusal decided inside the transaction (a stale etag, a state that
// forbids the change) rolls back what the write did: the record, written
// at the call's end, names the refusal and no sections.
TEST_F(CallAuditTest, AWriteRefusedInsideItsTransactionIsRecordedRefused) {
  CallAudit audit = CreateCall();
  absl::Status status;
  {
    ScopedCallAudit scope(&audit);
    NoteAuditedSections("whole referral");
    status = log_->Write([&](Connection& conn) -> absl::Status {
      bool found = false;
      RETURN_IF_ERROR(CreateOnce(conn, "k2", found));
      return absl::AbortedError("referral.etag: does not match");
    });
  }
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_FALSE(audit.written);
  EXPECT_TRUE(absl::IsAborted(FinishCallAudit(audit, status, nullptr)));
  EXPECT_EQ(CountOf("SELECT COUNT(*) FROM items"), 0);
  std::vector<AuditRecord> records = RecordsOf("persons/a");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].outcome, "ABORTED");
  EXPECT_EQ(records[0].sections, "");
}

}  // namespace
}  // namespace carebridge
