// Every care plan call leaves its audit record (issue 11): a write's record
// commits in the same transaction as the new version, a read's is written
// before the plan leaves, a refusal is recorded too, and the log verifies.

#include <sqlite3.h>

#include <string>
#include <vector>

#include "services/common/audit_chain.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

class CarePlanAuditTest : public CarePlanTest {
 protected:
  // careplan.db's audit log, read directly from the file.
  std::vector<AuditRecord> AuditLog() {
    std::vector<AuditRecord> records;
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(server_.DataPath("careplan.db").c_str(), &raw,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    Connection conn(raw);
    absl::StatusOr<Statement> select = conn.Prepare(
        "SELECT seq, actor, team, role, method, resource, "
        "person, outcome FROM audit_log ORDER BY seq");
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
    }
    return records;
  }

  AuditVerification Verify() {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(server_.DataPath("careplan.db").c_str(), &raw,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    Connection conn(raw);
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

TEST_F(CarePlanAuditTest, WritesReadsAndRefusalsAreEachRecordedOnce) {
  CreateRealisticPlanAs(alice_);
  std::vector<AuditRecord> log = AuditLog();
  std::vector<AuditRecord> writes =
      Of(log, "carebridge.careplan.v1.UpdateCarePlan");
  // One record for the one call, written with the version it made.
  ASSERT_THAT(writes, SizeIs(1));
  EXPECT_EQ(writes[0].actor, "members/alice");
  EXPECT_EQ(writes[0].team, community_.name());
  EXPECT_EQ(writes[0].role, "clinician");
  EXPECT_EQ(writes[0].resource, plan_);
  EXPECT_EQ(writes[0].person, person_);
  EXPECT_EQ(writes[0].outcome, "OK");

  // A read: recorded before the plan came back.
  GetAs(alice_);
  log = AuditLog();
  std::vector<AuditRecord> reads =
      Of(log, "carebridge.careplan.v1.GetCarePlan");
  ASSERT_THAT(reads, SizeIs(1));
  EXPECT_EQ(reads[0].actor, "members/alice");
  EXPECT_EQ(reads[0].person, person_);
  EXPECT_EQ(reads[0].outcome, "OK");

  // A team with no care relationship is refused, and that is recorded.
  v1::CarePlan plan;
  grpc::Status refused = TryGet(otto_, plan_, &plan);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  reads = Of(AuditLog(), "carebridge.careplan.v1.GetCarePlan");
  ASSERT_THAT(reads, SizeIs(2));
  EXPECT_EQ(reads[1].actor, "members/otto");
  EXPECT_EQ(reads[1].team, housing_.name());
  EXPECT_EQ(reads[1].person, person_);
  EXPECT_EQ(reads[1].outcome, "PERMISSION_DENIED");

  // The log is whole and chained.
  AuditVerification verified = Verify();
  EXPECT_TRUE(verified.intact());
  EXPECT_EQ(verified.records, static_cast<int64_t>(AuditLog().size()));
  EXPECT_EQ(verified.head_seq, verified.records);
}

TEST_F(CarePlanAuditTest, ManyReadsAtOnceEachLeaveOneRecord) {
  CreateRealisticPlanAs(alice_);
  const size_t before = AuditLog().size();
  constexpr int kReads = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kReads / 5; ++i) GetAs(alice_);
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<AuditRecord> log = AuditLog();
  EXPECT_EQ(log.size(), before + kReads);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].seq, static_cast<int64_t>(i + 1));
  }
  EXPECT_TRUE(Verify().intact());
}

}  // namespace
}  // namespace carebridge::careplan
