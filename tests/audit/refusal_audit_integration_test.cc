// What the audit says of a write that was refused (issue 11): a request_id
// reused for other content is refused ALREADY_EXISTS, and its record says
// ALREADY_EXISTS with no sections, though its transaction found the first
// request's result; the first call's record still says OK with what it
// showed, and an exact retry is recorded answered. Refusals decided inside
// the transaction (a transfer already pending) and a stale etag are
// recorded refused too. Over real gRPC, every service hosted; both engines.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "tests/audit/audit_detail_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
namespace hv = ::carebridge::handover::v1;
using ::testing::SizeIs;

constexpr char kCreateReferral[] = "carebridge.referral.v1.CreateReferral";
constexpr char kCreateHandover[] = "carebridge.handover.v1.CreateHandover";
constexpr char kUpdateCarePlan[] = "carebridge.careplan.v1.UpdateCarePlan";

class RefusalAuditTest : public AuditDetailTest {
 protected:
  void SetUp() override {
    AuditDetailTest::SetUp();
    handover_ = hv::HandoverService::NewStub(server_.Channel());
  }

  // The accesses to Ada by `as` calling `method` made since `before` of
  // them were listed, newest first.
  std::vector<au::Access> NewAccesses(const Principal& as,
                                      const std::string& method,
                                      size_t before) {
    std::vector<au::Access> all = By(AccessesTo(ada_), as.subject, method);
    EXPECT_GE(all.size(), before);
    all.resize(all.size() - std::min(before, all.size()));
    return all;
  }

  // Three calls' records, newest first: an exact retry (answered), the
  // request_id reused for other content (refused), the first call.
  static void ExpectRetryRefusedFirst(const std::vector<au::Access>& found) {
    ASSERT_THAT(found, SizeIs(3));
    const au::Access& retry = found[0];
    const au::Access& reused = found[1];
    const au::Access& first = found[2];
    EXPECT_EQ(first.outcome(), "OK");
    EXPECT_NE(first.sections(), "");
    EXPECT_EQ(reused.outcome(), "ALREADY_EXISTS");
    EXPECT_EQ(reused.sections(), "");
    EXPECT_EQ(retry.outcome(), "OK");
    EXPECT_EQ(retry.sections(), first.sections());
  }

  grpc::Status CreateReferral(const ref::CreateReferralRequest& request,
                              ref::Referral* created) {
    auto context = server_.ContextAs(alice_);
    return referral_->CreateReferral(context.get(), request, created);
  }

  static hv::CreateHandoverRequest HandoverOf(const std::string& person,
                                              const std::string& team,
                                              hv::Kind kind) {
    hv::CreateHandoverRequest create;
    hv::Handover& handover = *create.mutable_handover();
    handover.set_person(person);
    handover.set_receiving_team(team);
    handover.set_kind(kind);
    handover.set_urgency(ref::ROUTINE);
    handover.set_situation("Evenings are hard again since the anniversary.");
    handover.set_assessment("Sleeping badly; her sister helps.");
    handover.set_recommendation("Evening check-ins for two weeks.");
    handover.set_illness_severity(hv::WATCHER);
    return create;
  }

  grpc::Status CreateHandover(const hv::CreateHandoverRequest& request,
                              hv::Handover* created) {
    auto context = server_.ContextAs(bob_);
    return handover_->CreateHandover(context.get(), request, created);
  }

  grpc::Status UpdatePlan(const cp::UpdateCarePlanRequest& request,
                          cp::CarePlan* updated) {
    auto context = server_.ContextAs(bob_);
    return careplan_->UpdateCarePlan(context.get(), request, updated);
  }

  // Bob's change to Ada's goals, from `plan`.
  cp::UpdateCarePlanRequest GoalsUpdate(const cp::CarePlan& plan,
                                        const std::string& goal) {
    cp::UpdateCarePlanRequest update;
    *update.mutable_care_plan() = plan;
    update.mutable_care_plan()->clear_goals();
    update.mutable_care_plan()->add_goals()->set_description(goal);
    update.mutable_update_mask()->add_paths("goals");
    update.set_etag(plan.etag());
    update.set_reason("Ada's words at the review");
    return update;
  }

  std::unique_ptr<hv::HandoverService::Stub> handover_;
};

TEST_F(RefusalAuditTest, AReferralsRequestIdReusedIsRecordedRefused) {
  const size_t before =
      By(AccessesTo(ada_), alice_.subject, kCreateReferral).size();
  ref::CreateReferralRequest create;
  create.set_request_id("evening-support-1");
  create.mutable_referral()->set_person(ada_);
  create.mutable_referral()->set_receiving_team(voluntary_);
  create.mutable_referral()->set_urgency(ref::ROUTINE);
  create.mutable_referral()->set_reason("Evening peer support.");
  ref::Referral first;
  grpc::Status status = CreateReferral(create, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ref::CreateReferralRequest other = create;
  other.mutable_referral()->set_reason("Help with housing forms.");
  ref::Referral refused;
  status = CreateReferral(other, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();

  ref::Referral retried;
  status = CreateReferral(create, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.name(), first.name());

  ExpectRetryRefusedFirst(NewAccesses(alice_, kCreateReferral, before));
}

TEST_F(RefusalAuditTest, AHandoversRequestIdReusedIsRecordedRefused) {
  const size_t before =
      By(AccessesTo(ada_), bob_.subject, kCreateHandover).size();
  hv::CreateHandoverRequest create =
      HandoverOf(ada_, voluntary_, hv::SHARED_CARE);
  create.set_request_id("evening-checkins-1");
  hv::Handover first;
  grpc::Status status = CreateHandover(create, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();

  hv::CreateHandoverRequest other = create;
  other.mutable_handover()->set_recommendation("Daily calls for a week.");
  hv::Handover refused;
  status = CreateHandover(other, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();

  hv::Handover retried;
  status = CreateHandover(create, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.name(), first.name());

  ExpectRetryRefusedFirst(NewAccesses(bob_, kCreateHandover, before));
}

TEST_F(RefusalAuditTest, ACarePlanChangesRequestIdReusedIsRecordedRefused) {
  const size_t before =
      By(AccessesTo(ada_), bob_.subject, kUpdateCarePlan).size();
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  cp::UpdateCarePlanRequest update =
      GoalsUpdate(plan, "Keep going to the cafe on Thursdays");
  update.set_request_id("goals-1");
  cp::CarePlan first;
  grpc::Status status = UpdatePlan(update, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();

  cp::UpdateCarePlanRequest other = GoalsUpdate(plan, "Sleep better");
  other.set_request_id("goals-1");
  cp::CarePlan refused;
  status = UpdatePlan(other, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();

  cp::CarePlan retried;
  status = UpdatePlan(update, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.version(), first.version());

  ExpectRetryRefusedFirst(NewAccesses(bob_, kUpdateCarePlan, before));
}

// Refused inside the create's transaction: a transfer of Ada's care is
// already pending.
TEST_F(RefusalAuditTest, ATransferRefusedAsOneIsPendingIsRecordedRefused) {
  const size_t before =
      By(AccessesTo(ada_), bob_.subject, kCreateHandover).size();
  hv::Handover pending;
  grpc::Status status = CreateHandover(
      HandoverOf(ada_, voluntary_, hv::TRANSFER_OF_RESPONSIBILITY), &pending);
  ASSERT_TRUE(status.ok()) << status.error_message();
  hv::Handover refused;
  status = CreateHandover(
      HandoverOf(ada_, housing_, hv::TRANSFER_OF_RESPONSIBILITY), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << status.error_message();

  std::vector<au::Access> found = NewAccesses(bob_, kCreateHandover, before);
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(found[0].outcome(), "FAILED_PRECONDITION");
  EXPECT_EQ(found[0].sections(), "");
  EXPECT_EQ(found[1].outcome(), "OK");
  EXPECT_NE(found[1].sections(), "");
}

TEST_F(RefusalAuditTest, AChangeFromAStaleEtagIsRecordedRefused) {
  const size_t before =
      By(AccessesTo(ada_), bob_.subject, kUpdateCarePlan).size();
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  cp::CarePlan updated;
  grpc::Status status = UpdatePlan(GoalsUpdate(plan, "Sleep better"), &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = UpdatePlan(GoalsUpdate(plan, "Walk the dog"), &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();

  std::vector<au::Access> found = NewAccesses(bob_, kUpdateCarePlan, before);
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(found[0].outcome(), "ABORTED");
  EXPECT_EQ(found[0].sections(), "");
  EXPECT_EQ(found[1].outcome(), "OK");
  EXPECT_EQ(found[1].sections(), "whole plan");
}

}  // namespace
}  // namespace carebridge::record::testing
