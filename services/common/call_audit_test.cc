// What a call's audit records say it returned (call_audit.h): each
// person's record keeps the sections noted for that person (a list's, of
// their own resources), and a call that failed returned none.

#include "services/common/call_audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "services/common/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

class CallAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(dir_.File("service.db"), {}, AuditedOptions(&key_));
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
    ASSERT_TRUE(log_->Write([](Connection&) { return absl::OkStatus(); }).ok());
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

}  // namespace
}  // namespace carebridge
