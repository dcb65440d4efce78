// A team asked to take a person on reads their crisis plan before it
// answers (issue 16): while a referral or handover about the person awaits
// the team's answer, its staff read the crisis plan and the communication
// preferences (not the whole plan, no versions), as the person's sharing
// choices let that team see them, and each read is audited with the
// referral or handover that opened it. Once the team has answered, that
// stops. The whole system in one server: the care plan service asks the
// record which answers are awaited.

#include <string>

#include "absl/strings/match.h"
#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/sample_care_plan.h"

namespace carebridge::record::testing {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace hv = ::carebridge::handover::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class AwaitingAnswerTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    careplan_ = cp::CarePlanService::NewStub(server_.Channel());
    handover_ = hv::HandoverService::NewStub(server_.Channel());
    audit_ = audit::v1::AuditService::NewStub(server_.Channel());
    cy_ = MakePerson("Cy");
    // The community team takes Cy on, leads, and writes the whole plan
    // (every section at its real size).
    Accept(ReferAs(val_, cy_, community_).name(), alice_);
    ASSERT_TRUE(Eventually(
        [&] { return Read(alice_).ok() && plan_.lead_team() == community_; }));
    cp::UpdateCarePlanRequest update;
    *update.mutable_care_plan() =
        carebridge::testing::SampleCarePlan({community_, crisis_, voluntary_});
    update.mutable_care_plan()->set_name(cy_ + "/carePlan");
    *update.mutable_update_mask() = carebridge::testing::SampleCarePlanMask();
    update.set_etag(plan_.etag());
    update.set_reason("Written with Cy after the admission");
    auto context = server_.ContextAs(alice_);
    grpc::Status status =
        careplan_->UpdateCarePlan(context.get(), update, &whole_);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_FALSE(whole_.crisis_plan().what_helps().empty());
    ASSERT_FALSE(whole_.communication_preferences().contact_times().empty());
    ASSERT_GT(whole_.goals_size(), 0);
  }

  // GetCarePlan as `as`; the plan read is in plan_.
  grpc::Status Read(const Principal& as) {
    cp::GetCarePlanRequest request;
    request.set_name(cy_ + "/carePlan");
    plan_.Clear();
    auto context = server_.ContextAs(as);
    return careplan_->GetCarePlan(context.get(), request, &plan_);
  }

  grpc::StatusCode ReadCode(const Principal& as) {
    return Read(as).error_code();
  }

  // The crisis plan and communication preferences as written, and nothing
  // else of the plan's content.
  void ExpectCrisisPlanAndPreferencesAlone() {
    EXPECT_EQ(plan_.crisis_plan().SerializeAsString(),
              whole_.crisis_plan().SerializeAsString());
    EXPECT_EQ(plan_.communication_preferences().SerializeAsString(),
              whole_.communication_preferences().SerializeAsString());
    EXPECT_EQ(plan_.goals_size(), 0);
    EXPECT_EQ(plan_.actions_size(), 0);
    EXPECT_THAT(plan_.withheld(), Contains(cp::SHARED_GOALS));
    EXPECT_THAT(plan_.withheld(), Not(Contains(cp::SHARED_CRISIS_PLAN)));
    EXPECT_THAT(plan_.withheld(),
                Not(Contains(cp::SHARED_COMMUNICATION_PREFERENCES)));
    EXPECT_EQ(plan_.lead_team(), community_);
  }

  // The newest access to Cy's record by `member`, as the lead team lists it.
  audit::v1::Access LastAccessBy(const std::string& member) {
    audit::v1::ListAccessesRequest request;
    request.set_person(cy_);
    request.set_page_size(500);
    audit::v1::ListAccessesResponse response;
    auto context = server_.ContextAs(alice_);
    grpc::Status status =
        audit_->ListAccesses(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const audit::v1::Access& access : response.accesses()) {
      if (access.actor() == member) return access;
    }
    return audit::v1::Access();
  }

  std::unique_ptr<cp::CarePlanService::Stub> careplan_;
  std::unique_ptr<hv::HandoverService::Stub> handover_;
  std::unique_ptr<audit::v1::AuditService::Stub> audit_;
  std::string cy_;
  cp::CarePlan whole_;
  cp::CarePlan plan_;
};

TEST_F(AwaitingAnswerTest, AReferralOpensTheCrisisPlanUntilItIsAnswered) {
  // Before anything is asked of it, the crisis team reads nothing.
  EXPECT_EQ(ReadCode(bob_), grpc::StatusCode::PERMISSION_DENIED);

  const std::string referral = Refer(cy_, crisis_).name();
  ASSERT_TRUE(Eventually([&] { return Read(bob_).ok(); }));
  ExpectCrisisPlanAndPreferencesAlone();

  // The read is audited with the referral that opened it.
  audit::v1::Access access;
  ASSERT_TRUE(Eventually([&] {
    access = LastAccessBy(bob_.subject);
    return !access.reason().empty();
  }));
  EXPECT_EQ(access.method(), "carebridge.careplan.v1.GetCarePlan");
  EXPECT_EQ(access.outcome(), "OK");
  EXPECT_THAT(access.reason(),
              HasSubstr("awaiting " + crisis_ + "'s answer: " + referral));

  // The crisis plan now, not the plan's history.
  cp::ListCarePlanVersionsRequest versions;
  versions.set_parent(cy_ + "/carePlan");
  cp::ListCarePlanVersionsResponse listed;
  auto context = server_.ContextAs(bob_);
  EXPECT_EQ(careplan_->ListCarePlanVersions(context.get(), versions, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nor is it another team's: the housing team, asked nothing, reads
  // nothing.
  EXPECT_EQ(ReadCode(otto_), grpc::StatusCode::PERMISSION_DENIED);

  // Declined: the question is answered, and the door closes.
  Decline(referral, bob_);
  ASSERT_TRUE(Eventually(
      [&] { return ReadCode(bob_) == grpc::StatusCode::PERMISSION_DENIED; }));
}

TEST_F(AwaitingAnswerTest, APendingHandoverOpensItToo) {
  hv::CreateHandoverRequest create;
  hv::Handover& h = *create.mutable_handover();
  h.set_person(cy_);
  h.set_receiving_team(crisis_);
  h.set_kind(hv::SHARED_CARE);
  h.set_urgency(ref::URGENT);
  h.set_situation("Cy has stopped answering the phone since Friday.");
  h.set_background("Known to the community team for two years.");
  h.set_assessment("Early warning signs present; no plan to act.");
  h.set_recommendation("Crisis team contact today.");
  h.set_illness_severity(hv::WATCHER);
  hv::Handover created;
  auto context = server_.ContextAs(alice_);
  grpc::Status status =
      handover_->CreateHandover(context.get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_TRUE(Eventually([&] { return Read(bob_).ok(); }));
  ExpectCrisisPlanAndPreferencesAlone();
  audit::v1::Access access;
  ASSERT_TRUE(Eventually([&] {
    access = LastAccessBy(bob_.subject);
    return !access.reason().empty();
  }));
  EXPECT_THAT(access.reason(), HasSubstr(created.name()));
}

TEST_F(AwaitingAnswerTest, ThePersonsChoicesStillDecide) {
  // A social care team sees what helps, not the whole crisis plan, unless
  // Cy says otherwise (its sector's default), and the communication
  // preferences.
  ReferAs(alice_, cy_, housing_);
  ASSERT_TRUE(Eventually([&] { return Read(otto_).ok(); }));
  EXPECT_EQ(plan_.crisis_plan().what_helps(),
            whole_.crisis_plan().what_helps());
  EXPECT_EQ(plan_.crisis_plan().early_warning_signs(), "");
  EXPECT_THAT(plan_.withheld(), Contains(cp::SHARED_CRISIS_PLAN));
  EXPECT_EQ(plan_.communication_preferences().SerializeAsString(),
            whole_.communication_preferences().SerializeAsString());
  EXPECT_EQ(plan_.goals_size(), 0);

  // Cy keeps both from the housing team: refused, saying why.
  ShareWithTeam(alice_, cy_, housing_, {cp::SHARED_GOALS});
  grpc::Status status;
  ASSERT_TRUE(Eventually([&] {
    status = Read(otto_);
    return status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
  }));
  EXPECT_THAT(status.error_message(),
              HasSubstr("sharing choices keep the crisis plan and "
                        "communication preferences from " +
                        housing_));
}

}  // namespace
}  // namespace carebridge::record::testing
