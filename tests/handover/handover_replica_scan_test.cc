// Two replicas of the handover service on one PostgreSQL database: one
// deadline scanner at a time (the lock `handover.deadline_scan`), and the
// other takes over when it stops. On SQLite one process owns the file, so
// there is no second replica to test.

#include <memory>

#include "tests/handover/handover_test_fixture.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::IsOkAndHolds;

class HandoverReplicaScanTest : public HandoverTest {
 protected:
  void SetUp() override {
    if (!testing::TestOnPostgresql()) {
      GTEST_SKIP() << "replicas share a database on PostgreSQL only";
    }
    HandoverTest::SetUp();
    auto in_process = [this] { return server_.host().InProcessChannel(); };
    // A second process's worth of the service: its own Database (sessions)
    // on the same schema.
    auto replica = HandoverModule::Open(
        server_.env(), database_->location("handover"), in_process, in_process);
    ASSERT_TRUE(replica.ok()) << replica.status();
    replica_ = *std::move(replica);
  }
  void TearDown() override {
    // Skipped on SQLite before anything was opened.
    if (handover_ == nullptr) return;
    if (replica_ != nullptr) replica_->StopBackgroundWork();
    HandoverTest::TearDown();
  }

  std::unique_ptr<HandoverModule> replica_;
};

TEST_F(HandoverReplicaScanTest,
       OneReplicaScansAndTheOtherTakesOverWhenItStops) {
  EXPECT_THAT(handover_->ScanDeadlines(), IsOkAndHolds(0));
  EXPECT_TRUE(handover_->deadline_scanner());
  v1::Handover handover = Create();  // due in 48 hours
  server_.clock().Advance(absl::Hours(49));
  // The lock is taken: the other replica escalates nothing, though the
  // handover is overdue.
  EXPECT_THAT(replica_->ScanDeadlines(), IsOkAndHolds(0));
  EXPECT_FALSE(replica_->deadline_scanner());
  v1::Handover read;
  ASSERT_GRPC_OK(Get(alice_, handover.name(), &read));
  EXPECT_FALSE(read.has_escalate_time());
  EXPECT_EQ(EscalationsCounted(*replica_), 0);

  // A stopping process gives the scan up at once.
  handover_->StopBackgroundWork();
  EXPECT_THAT(replica_->ScanDeadlines(), IsOkAndHolds(1));
  EXPECT_TRUE(replica_->deadline_scanner());
  ASSERT_GRPC_OK(Get(alice_, handover.name(), &read));
  EXPECT_TRUE(read.has_escalate_time());
  // Counted by the replica that escalated it, and only there: summed over
  // replicas, each escalation once.
  EXPECT_EQ(EscalationsCounted(*replica_), 1);
  EXPECT_EQ(EscalationsCounted(*handover_), 0);
}

}  // namespace
}  // namespace carebridge::handover
