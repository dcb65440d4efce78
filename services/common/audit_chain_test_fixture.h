// The fixture of the audit chain's tests (audit_chain_test.cc,
// audit_person_index_test.cc): a log in a real SQLite file, written, read,
// verified and tampered with directly through SQLite as someone with the
// file (but not the key) could.

#ifndef CAREBRIDGE_SERVICES_COMMON_AUDIT_CHAIN_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_COMMON_AUDIT_CHAIN_TEST_FIXTURE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/hmac.h"
#include "services/common/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace carebridge::audit_chain_testing {

inline const absl::Time kStart = absl::FromUnixSeconds(1767225600);

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

}  // namespace carebridge::audit_chain_testing

#endif  // CAREBRIDGE_SERVICES_COMMON_AUDIT_CHAIN_TEST_FIXTURE_H_
