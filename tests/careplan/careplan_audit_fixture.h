#ifndef CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_AUDIT_FIXTURE_H_
#define CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_AUDIT_FIXTURE_H_

// CarePlanTest with careplan.db's audit log read straight from the file.

#include <sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_chain.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {

class CarePlanAuditTest : public CarePlanTest {
 protected:
  // careplan.db's audit log, read directly from the file.
  std::vector<AuditRecord> AuditLog() {
    std::vector<AuditRecord> records;
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(server_.DataPath("careplan.db").c_str(), &raw,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    SqliteConnection conn(raw);
    absl::StatusOr<Statement> select = conn.Prepare(
        "SELECT seq, actor, team, role, method, resource, "
        "person, outcome, reason FROM audit_log ORDER BY seq");
    EXPECT_TRUE(select.ok()) << select.status();
    if (!select.ok()) return records;
    while (true) {
      absl::StatusOr<bool> row = select->Step();
      EXPECT_TRUE(row.ok()) << row.status();
      if (!row.ok() || !*row) break;
      AuditRecord& record = records.emplace_back();
      record.seq = select->ColumnInt64(0);
      record.actor = select->ColumnText(1);
      record.team = select->ColumnText(2);
      record.role = select->ColumnText(3);
      record.method = select->ColumnText(4);
      record.resource = select->ColumnText(5);
      record.person = select->ColumnText(6);
      record.outcome = select->ColumnText(7);
      record.reason = select->ColumnText(8);
    }
    return records;
  }

  AuditVerification Verify() {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(server_.DataPath("careplan.db").c_str(), &raw,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    SqliteConnection conn(raw);
    // With its per-person index beside it, as the server reads it.
    EXPECT_TRUE(conn.Exec(absl::StrCat("ATTACH DATABASE '",
                                       SqliteDb::AuditIndexPath(
                                           server_.DataPath("careplan.db")),
                                       "' AS audit_index"))
                    .ok());
    // The TestServer's audit key.
    HmacSha256 key(std::string(32, 'a'));
    AuditChain chain(&key);
    absl::StatusOr<AuditVerification> result = chain.Verify(conn);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AuditVerification();
  }

  static std::vector<AuditRecord> Of(const std::vector<AuditRecord>& log,
                                     const std::string& method) {
    std::vector<AuditRecord> found;
    for (const AuditRecord& record : log) {
      if (record.method == method) found.push_back(record);
    }
    return found;
  }
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_AUDIT_FIXTURE_H_
