#ifndef CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_AUDIT_FIXTURE_H_
#define CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_AUDIT_FIXTURE_H_

// CarePlanTest with the care plan database's audit log read back, on
// whichever engine it is kept.

#include <string>
#include <vector>

#include "services/common/audit_record.h"
#include "services/common/database.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {

class CarePlanAuditTest : public CarePlanTest {
 protected:
  // The whole audit log, oldest first, read from its table.
  std::vector<AuditRecord> AuditLog() {
    std::vector<AuditRecord> records;
    absl::Status read =
        careplan_->audit_log()->Read([&](Connection& conn) -> absl::Status {
          records.clear();
          absl::StatusOr<Statement> select = conn.Prepare(
              "SELECT seq, actor, team, role, method, resource, "
              "person, outcome, reason FROM audit_log ORDER BY seq");
          if (!select.ok()) return select.status();
          while (true) {
            absl::StatusOr<bool> row = select->Step();
            if (!row.ok()) return row.status();
            if (!*row) return absl::OkStatus();
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
        });
    EXPECT_TRUE(read.ok()) << read;
    return records;
  }

  // The log's chain recomputed, as AuditService verifies it.
  AuditVerification Verify() {
    absl::StatusOr<AuditVerification> result =
        careplan_->audit_log()->VerifyAudit();
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
