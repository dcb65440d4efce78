// The record's views under the person's sharing choices (issue 11): a care
// team member's summary and timeline show no more of the care plan than the
// care plan service shows that team (the care team, the review date, the
// crisis-plan flag, when the person agreed; a plan change's summary and
// reason), judged at every read. The whole system in one server.

#include <set>

#include "absl/strings/match.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/sample_care_plan.h"

namespace carebridge::record::testing {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kWhy[] = "Written with Cy after the admission";

class RecordSharingTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    careplan_ = cp::CarePlanService::NewStub(server_.Channel());
    cy_ = MakePerson("Cy");
    // The crisis team takes Cy on and leads; it writes the whole plan and
    // brings the peer café and housing support onto the care team.
    Accept(Refer(cy_, crisis_).name(), bob_);
    ASSERT_TRUE(Eventually([&] { return Plan().lead_team() == crisis_; }));
    cp::UpdateCarePlanRequest update;
    *update.mutable_care_plan() =
        carebridge::testing::SampleCarePlan({crisis_, crisis_, voluntary_});
    update.mutable_care_plan()->set_name(cy_ + "/carePlan");
    *update.mutable_update_mask() = carebridge::testing::SampleCarePlanMask();
    update.set_etag(Plan().etag());
    update.set_reason(kWhy);
    cp::CarePlan written;
    auto context = server_.ContextAs(bob_);
    grpc::Status status =
        careplan_->UpdateCarePlan(context.get(), update, &written);
    ASSERT_TRUE(status.ok()) << status.error_message();
    Accept(ReferAs(bob_, cy_, voluntary_).name(), val_);
    Accept(ReferAs(bob_, cy_, housing_).name(), otto_);
    ASSERT_TRUE(Eventually([&] {
      v1::CareSummary summary;
      return Summary(bob_, cy_, &summary).ok() &&
             summary.care_team_size() == 3 && summary.has_crisis_plan();
    }));
    ASSERT_TRUE(modules_.CarePlanChangesDelivered());
  }

  cp::CarePlan Plan() {
    cp::GetCarePlanRequest request;
    request.set_name(cy_ + "/carePlan");
    cp::CarePlan plan;
    auto context = server_.ContextAs(bob_);
    (void)careplan_->GetCarePlan(context.get(), request, &plan);
    return plan;
  }

  v1::CareSummary SummaryOf(const Principal& as) {
    v1::CareSummary summary;
    grpc::Status status = Summary(as, cy_, &summary);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return summary;
  }

  // The lead team records Cy's choice: the peer café sees `parts` alone.
  void ShareWithVoluntaryTeam(std::initializer_list<cp::SharedPart> parts) {
    ShareWithTeam(bob_, cy_, voluntary_, parts);
  }

  static std::set<std::string> Teams(const v1::CareSummary& summary) {
    std::set<std::string> teams;
    for (const v1::CareTeamMember& member : summary.care_team()) {
      teams.insert(member.team());
    }
    return teams;
  }

  std::unique_ptr<cp::CarePlanService::Stub> careplan_;
  std::string cy_;
};

TEST_F(RecordSharingTest, TheSummaryShowsEachTeamWhatTheChoicesShare) {
  const v1::CareSummary lead = SummaryOf(bob_);
  EXPECT_THAT(lead.withheld(), IsEmpty());
  EXPECT_EQ(lead.care_team_size(), 3);
  EXPECT_TRUE(lead.has_crisis_plan());
  EXPECT_TRUE(lead.has_review_time());
  EXPECT_THAT(SummaryOf(Service()).withheld(), IsEmpty());

  // Sector defaults: the peer café is not shown all actions or the whole
  // crisis plan, housing not the whole crisis plan; what the summary holds
  // of the plan (who is on the care team, the review date, that there is a
  // crisis plan: what helps is shared) both see.
  const v1::CareSummary peer = SummaryOf(val_);
  EXPECT_THAT(peer.withheld(), UnorderedElementsAre(cp::SHARED_ALL_ACTIONS,
                                                    cp::SHARED_CRISIS_PLAN));
  EXPECT_EQ(peer.care_team_size(), 3);
  EXPECT_TRUE(peer.has_crisis_plan());
  EXPECT_TRUE(peer.has_review_time());
  EXPECT_THAT(SummaryOf(otto_).withheld(),
              UnorderedElementsAre(cp::SHARED_CRISIS_PLAN));

  // Cy shares only her goals with the peer café: from that commit on, its
  // summary shows the lead and itself on the care team, and no review
  // date, crisis-plan flag or time of agreement; nor a care plan step by
  // another team among the last contacts.
  ShareWithVoluntaryTeam({cp::SHARED_GOALS});
  const v1::CareSummary goals_only = SummaryOf(val_);
  EXPECT_EQ(Teams(goals_only), (std::set<std::string>{crisis_, voluntary_}));
  EXPECT_FALSE(goals_only.has_review_time());
  EXPECT_FALSE(goals_only.has_crisis_plan());
  EXPECT_FALSE(goals_only.has_agree_time());
  EXPECT_EQ(goals_only.lead_team(), crisis_);
  EXPECT_EQ(goals_only.care_plan_version(), lead.care_plan_version());
  EXPECT_EQ(goals_only.withheld_size(), cp::SharedPart_MAX - 2);
  for (const v1::LastContact& contact : goals_only.last_contacts()) {
    if (absl::StartsWith(contact.type(), "careplan.")) {
      EXPECT_TRUE(contact.team() == crisis_ || contact.team() == voluntary_)
          << contact.team();
    }
  }
  // Housing, the lead and services are not narrowed by the peer café's rule.
  EXPECT_EQ(SummaryOf(otto_).care_team_size(), 3);
  EXPECT_EQ(SummaryOf(bob_).care_team_size(), 3);

  // Cy shares everything with it again.
  ShareWithVoluntaryTeam(
      {cp::SHARED_GOALS, cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN,
       cp::SHARED_COMMUNICATION_PREFERENCES, cp::SHARED_REVIEW_DATE,
       cp::SHARED_CARE_TEAM, cp::SHARED_AGREEMENT});
  const v1::CareSummary whole = SummaryOf(val_);
  EXPECT_THAT(whole.withheld(), IsEmpty());
  EXPECT_EQ(whole.care_team_size(), 3);
  EXPECT_TRUE(whole.has_crisis_plan());
}

TEST_F(RecordSharingTest, TheTimelineShowsPlanChangesWithoutWhatIsWithheld) {
  auto plan_changes = [&](const Principal& as) {
    std::vector<v1::TimelineEntry> changes;
    for (const v1::TimelineEntry& entry : Timeline(as, cy_)) {
      if (entry.kind() == v1::CARE_PLAN) changes.push_back(entry);
    }
    return changes;
  };
  // The lead team reads why the plan changed.
  bool reason_seen = false;
  for (const v1::TimelineEntry& entry : plan_changes(bob_)) {
    EXPECT_TRUE(entry.detailed());
    reason_seen = reason_seen || entry.reason() == kWhy;
  }
  EXPECT_TRUE(reason_seen);

  // A team not shown the whole plan reads that the plan changed and when,
  // not what or why (the reason may tell what changed).
  ShareWithVoluntaryTeam({cp::SHARED_GOALS});
  std::vector<v1::TimelineEntry> peer = plan_changes(val_);
  ASSERT_FALSE(peer.empty());
  for (const v1::TimelineEntry& entry : peer) {
    EXPECT_FALSE(entry.detailed());
    EXPECT_EQ(entry.reason(), "");
    EXPECT_EQ(entry.summary(), "Care plan changed");
  }
  // Not shown the care team: no care team step by another team but a
  // change of lead, and no team but itself and the lead named anywhere.
  for (const v1::TimelineEntry& entry : Timeline(val_, cy_)) {
    if (entry.kind() == v1::CARE_TEAM) {
      EXPECT_TRUE(entry.actor_team() == voluntary_ ||
                  entry.type() == "careplan.lead_changed")
          << entry.name();
    }
    if (entry.kind() == v1::CARE_TEAM || entry.kind() == v1::CARE_PLAN) {
      for (const std::string& team : entry.teams()) {
        EXPECT_TRUE(team == voluntary_ || team == crisis_) << entry.name();
      }
      EXPECT_NE(entry.actor_team(), housing_);
    }
  }
  // The whole plan shared with it again: the plan's changes in full.
  ShareWithVoluntaryTeam(
      {cp::SHARED_GOALS, cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN,
       cp::SHARED_COMMUNICATION_PREFERENCES, cp::SHARED_REVIEW_DATE,
       cp::SHARED_CARE_TEAM, cp::SHARED_AGREEMENT});
  reason_seen = false;
  for (const v1::TimelineEntry& entry : plan_changes(val_)) {
    EXPECT_TRUE(entry.detailed());
    reason_seen = reason_seen || entry.reason() == kWhy;
  }
  EXPECT_TRUE(reason_seen);
}

}  // namespace
}  // namespace carebridge::record::testing
