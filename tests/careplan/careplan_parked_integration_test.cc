// An effect the care plan service cannot apply is parked, not retried for
// ever: the consumer goes on with the next events, the parked event is
// visible to admins over FeedAdminService, and a retry after the cause is
// mended applies it once. Meanwhile the closed loop's invariants hold: the
// referral stays accepted and the lead team stays responsible.

#include <grpcpp/client_context.h>

#include <string>

#include "carebridge/events/v1/feed_admin.grpc.pb.h"
#include "services/careplan/careplan_size.h"
#include "tests/careplan/careplan_consumers_fixture.h"

namespace carebridge::careplan {
namespace {

using consumers_fixture::CarePlanConsumersTest;
using events::v1::Consumer;
using events::v1::FeedAdminService;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// 2,000 characters of U+1F33F: 8,000 bytes, within every text limit.
std::string LongText() {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "\xF0\x9F\x8C\xBF";
  return text;
}

class CarePlanParkedTest : public CarePlanConsumersTest {
 protected:
  void SetUp() override {
    CarePlanConsumersTest::SetUp();
    admin_stub_ = FeedAdminService::NewStub(server_.Channel());
  }

  grpc::Status UpdatePlan(const v1::CarePlan& content,
                          const std::vector<std::string>& paths,
                          v1::CarePlan* out) {
    v1::UpdateCarePlanRequest request;
    *request.mutable_care_plan() = content;
    request.mutable_care_plan()->set_name(absl::StrCat(person_, "/carePlan"));
    for (const std::string& path : paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    request.set_etag(Current().etag());
    request.set_reason("Written with Ada, in her words.");
    auto context = server_.ContextAs(alice_);
    return careplan_stub_->UpdateCarePlan(context.get(), request, out);
  }

  v1::CarePlan Current() {
    v1::GetCarePlanRequest request;
    request.set_name(absl::StrCat(person_, "/carePlan"));
    v1::CarePlan plan;
    auto context = server_.ContextAs(alice_);
    careplan_stub_->GetCarePlan(context.get(), request, &plan);
    return plan;
  }

  // Alice writes a plan within a few dozen bytes of the most one version may
  // hold: the next care team entry will not fit.
  void WritePlanAtTheSizeLimit() {
    v1::CarePlan goals;
    for (int i = 0; i < 50; ++i) goals.add_goals()->set_description(LongText());
    v1::CarePlan written;
    ASSERT_TRUE(UpdatePlan(goals, {"goals"}, &written).ok());
    v1::CarePlan actions;
    const size_t room = kMaxPlanBytes - written.ByteSizeLong() - 3000;
    const size_t count = room / 8100;
    for (size_t i = 0; i < count; ++i) {
      v1::Action* action = actions.add_actions();
      action->set_description(LongText());
      action->set_owning_team(community_);
    }
    grpc::Status status = UpdatePlan(actions, {"actions"}, &written);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // Fill what is left with plain text in the crisis plan (up to six
    // fields of 4,000 characters), as close to the limit as it goes.
    for (size_t margin : {24, 48, 96, 192, 384, 768}) {
      const size_t size = written.ByteSizeLong();
      if (size + margin >= kMaxPlanBytes) continue;
      size_t fill = kMaxPlanBytes - size - margin;
      v1::CarePlan crisis;
      v1::CrisisPlan* plan = crisis.mutable_crisis_plan();
      std::string* fields[] = {plan->mutable_early_warning_signs(),
                               plan->mutable_triggers(),
                               plan->mutable_what_helps(),
                               plan->mutable_what_to_avoid(),
                               plan->mutable_preferred_response(),
                               plan->mutable_advance_statements()};
      for (std::string* field : fields) {
        // Each field costs a few bytes of framing besides its text.
        const size_t take = std::min<size_t>(fill > 8 ? fill - 8 : 0, 4000);
        *field = std::string(take, 'w');
        fill -= std::min(fill, take + 8);
      }
      v1::CarePlan filled;
      if (UpdatePlan(crisis, {"crisis_plan"}, &filled).ok()) return;
    }
    FAIL() << "could not bring the plan to the size limit";
  }

  std::unique_ptr<FeedAdminService::Stub> admin_stub_;
};

TEST_F(CarePlanParkedTest,
       AnEffectTooLargeToApplyIsParkedAndRetriedOnceMended) {
  WritePlanAtTheSizeLimit();
  const std::string ada = person_;
  ASSERT_EQ(Current().lead_team(), community_);

  // The crisis team accepts Ada's referral; the care team cannot grow.
  const std::string referral = ReferAndAccept(crisis_, bob_);
  // A later referral for someone else still takes effect: nothing is stuck.
  person_ = MakePerson();
  ReferAndAccept(voluntary_, val_);
  WaitForPlan(
      [&](const v1::CarePlan& p) { return p.lead_team() == voluntary_; });
  person_ = ada;

  // Admins see the parked event, without clinical content.
  auto context = server_.ContextAs(testing::TestServer::Admin());
  events::v1::ListConsumersResponse consumers;
  ASSERT_TRUE(admin_stub_
                  ->ListConsumers(context.get(),
                                  events::v1::ListConsumersRequest(),
                                  &consumers)
                  .ok());
  ASSERT_THAT(consumers.consumers(), SizeIs(2));
  const Consumer& from_referral = consumers.consumers(1);
  EXPECT_EQ(from_referral.name(), "consumers/careplan.referral");
  EXPECT_EQ(from_referral.state(), Consumer::FOLLOWING);
  EXPECT_EQ(from_referral.parked_count(), 1);
  EXPECT_EQ(from_referral.lag_events(), 0);
  EXPECT_TRUE(from_referral.lag_current());
  EXPECT_EQ(from_referral.cursor(), from_referral.head_sequence());

  events::v1::ListParkedEventsRequest list;
  list.set_parent("consumers/-");
  events::v1::ListParkedEventsResponse parked;
  context = server_.ContextAs(testing::TestServer::Admin());
  ASSERT_TRUE(admin_stub_->ListParkedEvents(context.get(), list, &parked).ok());
  ASSERT_THAT(parked.parked_events(), SizeIs(1));
  const events::v1::ParkedEvent& event = parked.parked_events(0);
  EXPECT_EQ(event.name(), "consumers/careplan.referral/parkedEvents/1");
  EXPECT_EQ(event.epoch(), from_referral.epoch());
  EXPECT_GT(event.event().sequence(), 0);
  EXPECT_LT(event.event().sequence(), from_referral.cursor());
  EXPECT_EQ(event.event().type(), "referral.accepted");
  EXPECT_EQ(event.event().subject(), referral);
  EXPECT_FALSE(event.event().has_payload());
  EXPECT_EQ(event.state(), events::v1::ParkedEvent::PARKED);
  EXPECT_EQ(event.attempts(), 5);
  EXPECT_THAT(event.reason(), HasSubstr("INVALID_ARGUMENT: care_plan."));
  EXPECT_THAT(event.reason(), HasSubstr("would be"));

  // Clinical staff may not see or act on the feeds' administration.
  context = server_.ContextAs(alice_);
  EXPECT_EQ(
      admin_stub_->ListParkedEvents(context.get(), list, &parked).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // While parked: the referral stays accepted, the community team stays
  // the one lead (no gap in responsibility), the crisis team is not on the
  // care team.
  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.lead_team(), community_);
  EXPECT_FALSE(consumers_fixture::IsInvolved(plan, crisis_));

  // A retry before the cause is mended fails again and changes nothing.
  events::v1::RetryParkedEventRequest retry;
  retry.set_name(event.name());
  events::v1::ParkedEvent retried;
  context = server_.ContextAs(testing::TestServer::Admin());
  grpc::Status status =
      admin_stub_->RetryParkedEvent(context.get(), retry, &retried);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("stays parked"));

  // Alice shortens the plan; the retry applies the referral's effect once.
  v1::CarePlan shorter;
  shorter.add_actions()->set_description("Weekly call with Ada.");
  shorter.mutable_actions(0)->set_owning_team(community_);
  v1::CarePlan written;
  ASSERT_TRUE(UpdatePlan(shorter, {"actions"}, &written).ok());
  context = server_.ContextAs(testing::TestServer::Admin());
  status = admin_stub_->RetryParkedEvent(context.get(), retry, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.state(), events::v1::ParkedEvent::APPLIED);
  EXPECT_EQ(retried.resolved_by(), testing::TestServer::Admin().subject);
  plan = Current();
  EXPECT_TRUE(consumers_fixture::IsInvolved(plan, crisis_));
  EXPECT_EQ(plan.lead_team(), community_);
  const int64_t version = plan.version();

  context = server_.ContextAs(testing::TestServer::Admin());
  EXPECT_EQ(admin_stub_->RetryParkedEvent(context.get(), retry, &retried)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Current().version(), version);
}

TEST_F(CarePlanParkedTest, BadNamesAreInvalidOrNotFound) {
  auto context = server_.ContextAs(testing::TestServer::Admin());
  events::v1::RetryParkedEventRequest retry;
  retry.set_name("consumers/careplan.referral/parkedEvents/x");
  events::v1::ParkedEvent out;
  EXPECT_EQ(
      admin_stub_->RetryParkedEvent(context.get(), retry, &out).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  retry.set_name("consumers/careplan.nothing/parkedEvents/3");
  context = server_.ContextAs(testing::TestServer::Admin());
  EXPECT_EQ(
      admin_stub_->RetryParkedEvent(context.get(), retry, &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
  retry.set_name("consumers/careplan.referral/parkedEvents/3");
  context = server_.ContextAs(testing::TestServer::Admin());
  EXPECT_EQ(
      admin_stub_->RetryParkedEvent(context.get(), retry, &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
  events::v1::DismissParkedEventRequest dismiss;
  dismiss.set_name("consumers/careplan.referral/parkedEvents/3");
  context = server_.ContextAs(testing::TestServer::Admin());
  grpc::Status status =
      admin_stub_->DismissParkedEvent(context.get(), dismiss, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason"));
  events::v1::ResetConsumerRequest reset;
  reset.set_name("consumers/careplan.referral");
  reset.set_after_sequence(-1);
  reset.set_epoch("e");
  Consumer consumer;
  context = server_.ContextAs(testing::TestServer::Admin());
  status = admin_stub_->ResetConsumer(context.get(), reset, &consumer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("after_sequence"));
}

}  // namespace
}  // namespace carebridge::careplan
