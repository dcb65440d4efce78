// CarePlanDomain: a team a referral or handover awaits reads the crisis plan
// and communication preferences before it answers; how the domain behaves
// when the record cannot tell, and on gRPC's own thread. The whole journey
// through real services is tests/record/awaiting_answer_test.cc.

#include <string>
#include <vector>

#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/careplan/record_incoming_transfers.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class FakeIncomingTransfers : public IncomingTransfers {
 public:
  absl::StatusOr<std::vector<std::string>> AwaitingAnswerFrom(
      absl::string_view person, absl::string_view team) override {
    ++calls;
    if (!fail.ok()) return fail;
    if (person == awaiting_person && team == awaiting_team) {
      return std::vector<std::string>{"referrals/r1"};
    }
    return std::vector<std::string>{};
  }
  std::string awaiting_person;
  std::string awaiting_team;
  absl::Status fail = absl::OkStatus();
  int calls = 0;
};

class CarePlanAwaitingAnswerTest : public CarePlanDomainTest {
 protected:
  void SetUp() override {
    CarePlanDomainTest::SetUp();
    domain_ = std::make_unique<CarePlanDomain>(
        &clock_, &directory_, store_.get(), /*signer=*/nullptr, sharing_.get(),
        /*break_glass=*/nullptr, &incoming_);
    WriteGoals(kAlice, {"Back to work"});
    WriteWhatHelps(kAlice, "A walk with the dog");
  }

  FakeIncomingTransfers incoming_;
};

TEST_F(CarePlanAwaitingAnswerTest, OpensTheCrisisPlanToTheTeamAwaited) {
  EXPECT_THAT(Get(kBob), StatusIs(absl::StatusCode::kPermissionDenied));
  incoming_.awaiting_person = "persons/p1";
  incoming_.awaiting_team = kCrisis;
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Get(kBob));
  EXPECT_EQ(plan.crisis_plan().what_helps(), "A walk with the dog");
  EXPECT_EQ(plan.goals_size(), 0);
  // Only the current plan: no versions.
  v1::ListCarePlanVersionsRequest versions;
  versions.set_parent(kPlan);
  EXPECT_THAT(domain_->ListCarePlanVersions(kBob, versions),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CarePlanAwaitingAnswerTest, TheCareTeamIsNeverAskedAbout) {
  const int before = incoming_.calls;
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Get(kAlice));
  EXPECT_EQ(plan.goals_size(), 1);
  EXPECT_EQ(incoming_.calls, before);
}

TEST_F(CarePlanAwaitingAnswerTest, ARecordThatCannotTellRefusesSayingWhy) {
  incoming_.fail = absl::UnavailableError("record: connection refused");
  EXPECT_THAT(
      Get(kBob),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("whether a referral or handover about persons/p1 "
                         "awaits teams/crisis's answer cannot be told now "
                         "(record: connection refused)")));
}

TEST_F(CarePlanAwaitingAnswerTest, NoRecordServiceConfiguredOpensNothing) {
  // A care plan process told of no record service: nothing is known to be
  // awaited, so the read is refused as before, not an outage.
  RecordIncomingTransfers none([] { return nullptr; }, /*signer=*/nullptr,
                               &clock_);
  domain_ = std::make_unique<CarePlanDomain>(&clock_, &directory_, store_.get(),
                                             /*signer=*/nullptr, sharing_.get(),
                                             /*break_glass=*/nullptr, &none);
  absl::StatusOr<v1::CarePlan> read = Get(kBob);
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(read.status().message(), Not(HasSubstr("cannot be told")));
}

TEST_F(CarePlanAwaitingAnswerTest, GrpcsThreadDefersTheRecordCall) {
  incoming_.awaiting_person = "persons/p1";
  incoming_.awaiting_team = kCrisis;
  v1::GetCarePlanRequest request;
  request.set_name(kPlan);
  absl::StatusOr<std::string> wire =
      domain_->GetCarePlanWire(kBob, request, RemoteCalls::kDeferred);
  EXPECT_TRUE(IsRemoteCallDeferred(wire.status())) << wire.status();
  EXPECT_EQ(incoming_.calls, 0);
  ASSERT_OK_AND_ASSIGN(std::string allowed,
                       domain_->GetCarePlanWire(kBob, request));
  v1::CarePlan plan;
  ASSERT_TRUE(plan.ParseFromString(allowed));
  EXPECT_EQ(plan.crisis_plan().what_helps(), "A walk with the dog");
}

}  // namespace
}  // namespace carebridge::careplan
