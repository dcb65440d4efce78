// The care plan service's consumers over real gRPC: accepted referrals in
// the referral service change care teams, eventually and effectively once,
// also across a restart of the care plan service.

#include "tests/careplan/careplan_consumers_fixture.h"

namespace carebridge::careplan {
namespace {

using consumers_fixture::CarePlanConsumersTest;
using consumers_fixture::IsInvolved;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

TEST_F(CarePlanConsumersTest, AcceptedReferralMakesTheReceivingTeamLead) {
  const std::string referral = ReferAndAccept(crisis_, bob_);
  const v1::CarePlan plan = WaitForPlan(
      [&](const v1::CarePlan& p) { return p.lead_team() == crisis_; });
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_EQ(plan.change().actor(), "services/careplan");
  EXPECT_THAT(plan.change().reason(),
              HasSubstr(absl::StrCat("referral ", referral, " accepted")));
  // The version is in the care plan feed, for whoever follows it.
  auto events = careplan_->event_log()->ReadAfter(0, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_THAT(*events, SizeIs(1));
  EXPECT_EQ((*events)[0].type(), "careplan.care_team_changed");
}

TEST_F(CarePlanConsumersTest, SecondAcceptedReferralJoinsAlongside) {
  ReferAndAccept(crisis_, bob_);
  WaitForPlan([&](const v1::CarePlan& p) { return p.lead_team() == crisis_; });
  ReferAndAccept(voluntary_, val_);
  const v1::CarePlan plan = WaitForPlan(
      [&](const v1::CarePlan& p) { return IsInvolved(p, voluntary_); });
  EXPECT_EQ(plan.version(), 2);
  EXPECT_EQ(plan.lead_team(), crisis_);
}

TEST_F(CarePlanConsumersTest, ResumesAfterARestartWithoutApplyingTwice) {
  ReferAndAccept(crisis_, bob_);
  ReferAndAccept(voluntary_, val_);
  WaitForPlan([&](const v1::CarePlan& p) { return IsInvolved(p, voluntary_); });
  // The voluntary team's part ends. Were its referral applied again, it
  // would rejoin.
  v1::EndCareTeamInvolvementRequest end;
  end.set_name(absl::StrCat(person_, "/carePlan"));
  end.set_team(voluntary_);
  end.set_reason("Peer support finished.");
  v1::CarePlan ended;
  auto context = server_.ContextAs(val_);
  grpc::Status status =
      careplan_stub_->EndCareTeamInvolvement(context.get(), end, &ended);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The care plan service stops; referrals are accepted meanwhile.
  StopConsumers();
  const int64_t applied_before = careplan_->applied_through("referral");
  ReferAndAccept(housing_, otto_);
  ReferAndAccept(crisis_, bob_);  // already involved: no effect
  EXPECT_EQ(careplan_->applied_through("referral"), applied_before);

  // Restarted on the same database, it catches up from its cursor.
  std::unique_ptr<CarePlanModule> restarted = OpenCarePlan();
  ASSERT_NE(restarted, nullptr);
  restarted->StartConsumers(InProcess(), InProcess());
  WaitUntilCaughtUp(*restarted);
  restarted->StopBackgroundWork();

  std::vector<std::pair<int64_t, std::string>> history;
  for (const v1::CarePlan& version : Versions(*restarted)) {
    history.emplace_back(version.version(), version.change().actor());
  }
  EXPECT_THAT(
      history,
      ElementsAre(Pair(4, "services/careplan"), Pair(3, val_.subject),
                  Pair(2, "services/careplan"), Pair(1, "services/careplan")));
  const std::vector<v1::CarePlan> versions = Versions(*restarted);
  ASSERT_FALSE(versions.empty());
  EXPECT_TRUE(IsInvolved(versions[0], housing_));
  EXPECT_FALSE(IsInvolved(versions[0], voluntary_));
  EXPECT_EQ(versions[0].lead_team(), crisis_);
}

}  // namespace
}  // namespace carebridge::careplan
