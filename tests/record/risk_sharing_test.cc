// What the person's sharing choices decide of a referral or handover
// (issue 11): who besides the sending team reads the risk summary and the
// handover's assessment (SHARED_RISK; not the voluntary sector unless the
// person says so), judged at every read so a change holds from its commit,
// and never carried by a feed. The whole system in one server.

#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "tests/record/record_test_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace hv = ::carebridge::handover::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kRisk[] = "risk_summary";

class RiskSharingTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    careplan_ = cp::CarePlanService::NewStub(server_.Channel());
    handover_ = hv::HandoverService::NewStub(server_.Channel());
    cy_ = MakePerson("Cy");
    // The crisis team takes Cy on and leads: Cy has a plan, so choices.
    Accept(Refer(cy_, crisis_).name(), bob_);
    EXPECT_TRUE(Eventually([&] { return LeadTeam() == crisis_; }));
    EXPECT_TRUE(modules_.CarePlanChangesDelivered());
  }

  std::string LeadTeam() {
    cp::GetCarePlanRequest request;
    request.set_name(cy_ + "/carePlan");
    cp::CarePlan plan;
    auto context = server_.ContextAs(bob_);
    (void)careplan_->GetCarePlan(context.get(), request, &plan);
    return plan.lead_team();
  }

  // The lead team records Cy's choice: the peer café sees `parts` alone.
  void ShareWithVoluntaryTeam(std::initializer_list<cp::SharedPart> parts) {
    ShareWithTeam(bob_, cy_, voluntary_, parts);
  }

  // Every event of `service`'s feed `as` receives now.
  template <typename Stub>
  std::vector<events::v1::Event> Feed(Stub* stub, const Principal& as) {
    events::v1::SubscribeRequest request;
    request.set_stop_when_caught_up(true);
    auto context = server_.ContextAs(as);
    auto reader = stub->Subscribe(context.get(), request);
    std::vector<events::v1::Event> events;
    events::v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      for (const events::v1::Event& event : response.events()) {
        events.push_back(event);
      }
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return events;
  }

  std::unique_ptr<cp::CarePlanService::Stub> careplan_;
  std::unique_ptr<hv::HandoverService::Stub> handover_;
  std::string cy_;
};

TEST_F(RiskSharingTest, TheVoluntarySectorReadsRiskOnlyWhenThePersonSaysSo) {
  const std::string risk(4000, 'r');  // the longest risk summary
  const std::string name = ReferWithRisk(alice_, cy_, voluntary_, risk).name();

  // By default the peer café reads the referral without the risk summary,
  // and is told it is withheld; alice wrote it, reads it, and is told.
  ref::Referral to_val = GetReferral(val_, name);
  EXPECT_EQ(to_val.risk_summary(), "");
  EXPECT_THAT(to_val.withheld_from_receiving_team(), ElementsAre(kRisk));
  EXPECT_EQ(to_val.reason(), "Evening peer support.");
  ref::Referral to_alice = GetReferral(alice_, name);
  EXPECT_EQ(to_alice.risk_summary(), risk);
  EXPECT_THAT(to_alice.withheld_from_receiving_team(), ElementsAre(kRisk));
  // The inbox, and the answer to an acknowledgement, alike.
  ref::ListReferralsResponse inbox = ListReferralsAs(val_, ref::INBOX);
  ASSERT_EQ(inbox.referrals_size(), 1);
  EXPECT_EQ(inbox.referrals(0).risk_summary(), "");
  EXPECT_THAT(inbox.referrals(0).withheld_from_receiving_team(),
              ElementsAre(kRisk));
  ref::AcknowledgeReferralRequest ack;
  ack.set_name(name);
  ref::Referral acknowledged;
  auto context = server_.ContextAs(val_);
  ASSERT_TRUE(
      referral_->AcknowledgeReferral(context.get(), ack, &acknowledged).ok());
  EXPECT_EQ(acknowledged.risk_summary(), "");

  // Cy shares risk with the peer café: from that commit on, it reads it.
  ShareWithVoluntaryTeam({cp::SHARED_GOALS, cp::SHARED_RISK});
  to_val = GetReferral(val_, name);
  EXPECT_EQ(to_val.risk_summary(), risk);
  EXPECT_THAT(to_val.withheld_from_receiving_team(), IsEmpty());
  EXPECT_THAT(GetReferral(alice_, name).withheld_from_receiving_team(),
              IsEmpty());

  // And takes it back: withheld again at the next read.
  ShareWithVoluntaryTeam({cp::SHARED_GOALS});
  EXPECT_EQ(GetReferral(val_, name).risk_summary(), "");
  EXPECT_EQ(ListReferralsAs(val_, ref::INBOX).referrals(0).risk_summary(), "");
  EXPECT_EQ(GetReferral(alice_, name).risk_summary(), risk);
}

TEST_F(RiskSharingTest, TeamsSharedRiskByDefaultReadItUnlessThePersonSaysNot) {
  const std::string name =
      ReferWithRisk(alice_, cy_, housing_, "Calls a friend when it gets bad.")
          .name();
  EXPECT_EQ(GetReferral(otto_, name).risk_summary(),
            "Calls a friend when it gets bad.");
  EXPECT_THAT(GetReferral(otto_, name).withheld_from_receiving_team(),
              IsEmpty());

  cp::UpdateSharingChoicesRequest request;
  request.mutable_sharing_choices()->set_name(cy_ + "/sharingChoices");
  cp::SharingRule& rule = *request.mutable_sharing_choices()->add_rules();
  rule.set_sector(directory::v1::SOCIAL_CARE);
  rule.add_parts(cp::SHARED_GOALS);
  request.set_reason("Not my risk history with housing");
  cp::SharingChoices choices;
  auto context = server_.ContextAs(bob_);
  ASSERT_TRUE(
      careplan_->UpdateSharingChoices(context.get(), request, &choices).ok());
  ASSERT_TRUE(modules_.CarePlanChangesDelivered());
  EXPECT_EQ(GetReferral(otto_, name).risk_summary(), "");
  EXPECT_THAT(GetReferral(otto_, name).withheld_from_receiving_team(),
              ElementsAre(kRisk));
}

TEST_F(RiskSharingTest, TheLeadTeamReadsRiskWhateverItsSectorsRule) {
  // Cy keeps risk from the crisis sector; the crisis team leads Cy's care.
  cp::UpdateSharingChoicesRequest request;
  request.mutable_sharing_choices()->set_name(cy_ + "/sharingChoices");
  cp::SharingRule& rule = *request.mutable_sharing_choices()->add_rules();
  rule.set_sector(directory::v1::CRISIS);
  request.set_reason("Nothing more with crisis teams");
  cp::SharingChoices choices;
  auto context = server_.ContextAs(bob_);
  ASSERT_TRUE(
      careplan_->UpdateSharingChoices(context.get(), request, &choices).ok());
  ASSERT_TRUE(modules_.CarePlanChangesDelivered());
  const std::string name =
      ReferWithRisk(alice_, cy_, crisis_, "Risk is low.").name();
  EXPECT_EQ(GetReferral(bob_, name).risk_summary(), "Risk is low.");
}

TEST_F(RiskSharingTest, FeedsNeverCarryTheRiskSummary) {
  const std::string name =
      ReferWithRisk(alice_, cy_, crisis_, "Risk is low.").name();
  ASSERT_EQ(GetReferral(bob_, name).risk_summary(), "Risk is low.");
  for (const Principal& as : {alice_, bob_}) {
    std::vector<events::v1::Event> events = Feed(referral_.get(), as);
    ASSERT_FALSE(events.empty());
    for (const events::v1::Event& event : events) {
      ref::Referral payload;
      ASSERT_TRUE(event.payload().UnpackTo(&payload));
      EXPECT_EQ(payload.risk_summary(), "") << event.type();
    }
  }
}

TEST_F(RiskSharingTest, AHandoversAssessmentFollowsTheSameChoices) {
  hv::CreateHandoverRequest create;
  hv::Handover& h = *create.mutable_handover();
  h.set_person(cy_);
  h.set_receiving_team(voluntary_);
  h.set_kind(hv::SHARED_CARE);
  h.set_urgency(ref::ROUTINE);
  h.set_situation("Cy would like evening peer support.");
  h.set_assessment("Risk low; what helps: music, a walk.");
  h.set_recommendation("Weekly peer group.");
  h.set_illness_severity(hv::STABLE);
  hv::Handover created;
  auto context = server_.ContextAs(bob_);
  grpc::Status status =
      handover_->CreateHandover(context.get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.assessment(), h.assessment());
  EXPECT_THAT(created.withheld_from_receiving_team(),
              ElementsAre("assessment"));

  auto get = [&](const Principal& as) {
    hv::GetHandoverRequest request;
    request.set_name(created.name());
    hv::Handover handover;
    auto call = server_.ContextAs(as);
    grpc::Status got = handover_->GetHandover(call.get(), request, &handover);
    EXPECT_TRUE(got.ok()) << got.error_message();
    return handover;
  };
  EXPECT_EQ(get(val_).assessment(), "");
  EXPECT_EQ(get(val_).situation(), "Cy would like evening peer support.");
  hv::ListHandoversRequest list;
  list.set_mailbox(hv::INBOX);
  hv::ListHandoversResponse inbox;
  auto call = server_.ContextAs(val_);
  ASSERT_TRUE(handover_->ListHandovers(call.get(), list, &inbox).ok());
  ASSERT_EQ(inbox.handovers_size(), 1);
  EXPECT_EQ(inbox.handovers(0).assessment(), "");

  ShareWithVoluntaryTeam({cp::SHARED_RISK});
  EXPECT_EQ(get(val_).assessment(), h.assessment());
  for (const events::v1::Event& event : Feed(handover_.get(), val_)) {
    hv::Handover payload;
    ASSERT_TRUE(event.payload().UnpackTo(&payload));
    EXPECT_EQ(payload.assessment(), "") << event.type();
  }
}

}  // namespace
}  // namespace carebridge::record::testing
