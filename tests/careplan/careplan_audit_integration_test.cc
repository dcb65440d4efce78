// Every care plan call leaves its audit record (issue 11): a write's record
// commits in the same transaction as the new version, a read's is written
// before the plan leaves, a refusal is recorded too, and the log verifies.

#include <string>
#include <vector>

#include "tests/careplan/careplan_audit_fixture.h"

namespace carebridge::careplan {
namespace {

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
