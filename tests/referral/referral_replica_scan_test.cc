// Two replicas of the referral service on one PostgreSQL database: one
// deadline scanner at a time (the lock `referral.deadline_scan`), and the
// other takes over when it goes. On SQLite one process owns the file, so
// there is no second replica to test.

#include <memory>

#include "tests/referral/referral_test_fixture.h"

namespace carebridge::referral {
namespace {

class ReferralReplicaScanTest : public ReferralTest {
 protected:
  void SetUp() override {
    if (!testing::TestOnPostgresql()) {
      GTEST_SKIP() << "replicas share a database on PostgreSQL only";
    }
    ReferralTest::SetUp();
    // A second process's worth of the service: its own Database (sessions)
    // on the same schema.
    auto replica =
        ReferralModule::Open(server_.env(), database_->location("referral"),
                             directory_client::DirectoryChannelProvider([this] {
                               return server_.host().InProcessChannel();
                             }));
    ASSERT_TRUE(replica.ok()) << replica.status();
    replica_ = *std::move(replica);
  }

  std::unique_ptr<ReferralModule> replica_;
};

TEST_F(ReferralReplicaScanTest, OnlyTheReplicaHoldingTheLockScans) {
  ASSERT_OK_AND_ASSIGN(int first, referral_->ScanDeadlines());
  EXPECT_EQ(first, 0);
  EXPECT_TRUE(referral_->deadline_scanner());

  v1::Referral late = Send(crisis_.name(), v1::URGENT);  // Due in 24 h.
  server_.clock().Advance(absl::Hours(25));
  // The other replica finds the lock taken: it escalates nothing, though
  // the referral is overdue.
  ASSERT_OK_AND_ASSIGN(int by_replica, replica_->ScanDeadlines());
  EXPECT_EQ(by_replica, 0);
  EXPECT_FALSE(replica_->deadline_scanner());
  EXPECT_FALSE(Get(bob_, late.name()).has_escalate_time());
  ASSERT_OK_AND_ASSIGN(int by_scanner, referral_->ScanDeadlines());
  EXPECT_EQ(by_scanner, 1);
  EXPECT_TRUE(Get(bob_, late.name()).has_escalate_time());
}

TEST_F(ReferralReplicaScanTest, WhenTheScannerStopsTheOtherReplicaTakesOver) {
  ASSERT_OK_AND_ASSIGN(int first, referral_->ScanDeadlines());
  EXPECT_EQ(first, 0);
  v1::Referral late = Send(crisis_.name(), v1::URGENT);
  server_.clock().Advance(absl::Hours(25));
  ASSERT_OK_AND_ASSIGN(int standing_by, replica_->ScanDeadlines());
  EXPECT_EQ(standing_by, 0);

  // A stopping process gives the scan up at once.
  referral_->StopBackgroundWork();
  EXPECT_FALSE(referral_->deadline_scanner());
  ASSERT_OK_AND_ASSIGN(int taken_over, replica_->ScanDeadlines());
  EXPECT_EQ(taken_over, 1);
  EXPECT_TRUE(replica_->deadline_scanner());
  EXPECT_TRUE(Get(bob_, late.name()).has_escalate_time());
}

}  // namespace
}  // namespace carebridge::referral
