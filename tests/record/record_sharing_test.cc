// The record's views under the person's sharing choices (issue 11): a care
// team member's summary and timeline show no more of the care plan than the
// care plan service shows that team (the care team, the review date, the
// crisis-plan flag, when the person agreed; a plan change's summary and
// reason; the gaps that would tell them), judged at every read. The whole
// system in one server.

#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "services/record/record_gaps.h"
#include "services/record/record_module.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/sample_care_plan.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record::testing {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::carebridge::testing::IsOkAndHolds;
using ::testing::Contains;
using ::testing::Gt;
using ::testing::IsEmpty;
using ::testing::Not;
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
    cp::CarePlan whole =
        carebridge::testing::SampleCarePlan({crisis_, crisis_, voluntary_});
    whole.set_name(cy_ + "/carePlan");
    whole.set_etag(Plan().etag());
    ASSERT_TRUE(
        UpdatePlan(whole, carebridge::testing::SampleCarePlanMask(), kWhy)
            .has_value());
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

  // The lead team (bob) writes `plan`'s `mask` (at `plan`'s etag), saying
  // `reason`; the version written, none when refused.
  std::optional<cp::CarePlan> UpdatePlan(
      const cp::CarePlan& plan, const google::protobuf::FieldMask& mask,
      const std::string& reason) {
    cp::UpdateCarePlanRequest update;
    *update.mutable_care_plan() = plan;
    *update.mutable_update_mask() = mask;
    update.set_etag(plan.etag());
    update.set_reason(reason);
    cp::CarePlan written;
    auto context = server_.ContextAs(bob_);
    grpc::Status status =
        careplan_->UpdateCarePlan(context.get(), update, &written);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) return std::nullopt;
    return written;
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
  // not what or why (the reason may tell what changed), when the change
  // touched a section withheld from it: here every change did.
  ShareWithVoluntaryTeam({cp::SHARED_GOALS});
  std::vector<v1::TimelineEntry> peer = plan_changes(val_);
  ASSERT_FALSE(peer.empty());
  for (const v1::TimelineEntry& entry : peer) {
    EXPECT_FALSE(entry.detailed());
    EXPECT_EQ(entry.reason(), "");
    EXPECT_EQ(entry.summary(), "Care plan changed");
  }
  // A change to the goals alone touches nothing withheld from it: it reads
  // that one in full (what changed and why), as the care plan service
  // shows the version.
  constexpr char kGoalsWhy[] = "Cy put her second goal in her own words";
  cp::CarePlan plan = Plan();
  plan.mutable_goals(1)->set_description(
      "Sleep through most nights, in my own room");
  google::protobuf::FieldMask goals;
  goals.add_paths("goals");
  std::optional<cp::CarePlan> written = UpdatePlan(plan, goals, kGoalsWhy);
  ASSERT_TRUE(written.has_value());
  const std::string goals_change =
      absl::StrCat("Care plan version ", written->version(), ": goals");
  ASSERT_TRUE(Eventually([&] {
    for (const v1::TimelineEntry& entry : plan_changes(val_)) {
      if (entry.reason() == kGoalsWhy) return true;
    }
    return false;
  }));
  for (const v1::TimelineEntry& entry : plan_changes(val_)) {
    if (entry.reason() == kGoalsWhy) {
      EXPECT_TRUE(entry.detailed());
      EXPECT_EQ(entry.summary(), goals_change);
    } else {
      EXPECT_FALSE(entry.detailed()) << entry.summary();
      EXPECT_EQ(entry.reason(), "");
    }
  }
  // Housing, shown the goals too, reads it; so does the lead.
  for (const Principal& as : {otto_, bob_}) {
    bool read = false;
    for (const v1::TimelineEntry& entry : plan_changes(as)) {
      read = read || entry.reason() == kGoalsWhy;
    }
    EXPECT_TRUE(read) << as.subject;
  }
  // Not shown the goals either: that change too is told without why.
  ShareWithVoluntaryTeam({cp::SHARED_COMMUNICATION_PREFERENCES});
  for (const v1::TimelineEntry& entry : plan_changes(val_)) {
    EXPECT_FALSE(entry.detailed()) << entry.summary();
    EXPECT_EQ(entry.reason(), "");
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

// A gap on a team's work list tells what it is about: a review overdue that
// the review date passed, a plan unagreed for weeks when the person last
// agreed. A team the choices do not show those parts is not told of such
// gaps, in its list, its summary or its inbox, while the lead team is; once
// shared, it is told again (the same stored items, judged at every read).
TEST_F(RecordSharingTest, GapsTellATeamNoMoreThanTheChoicesShare) {
  server_.clock().Advance(absl::Hours(24 * 400));
  ASSERT_THAT(modules_.As<RecordModule>("record")->AnnounceDueGaps(),
              IsOkAndHolds(Gt(0)));
  auto listed = [&](const Principal& as) {
    std::vector<v1::GapKind> kinds;
    v1::ListCareGapsResponse gaps;
    grpc::Status status = Gaps(as, as.team, &gaps);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::CareGap& gap : gaps.gaps()) kinds.push_back(gap.kind());
    return kinds;
  };
  auto in_summary = [&](const Principal& as) {
    std::vector<v1::GapKind> kinds;
    const v1::CareSummary summary = SummaryOf(as);
    for (const v1::CareGap& gap : summary.gaps()) {
      kinds.push_back(gap.kind());
    }
    return kinds;
  };
  auto in_inbox = [&](const Principal& as) {
    std::vector<v1::GapKind> kinds;
    for (const events::v1::Event& item : Inbox(as)) {
      if (item.type() == "inbox.gap_opened") {
        kinds.push_back(GapKindOfName(item.subject()));
      }
    }
    return kinds;
  };
  // Sector defaults show the peer café the review date and the agreement.
  for (const auto& told : {listed(bob_), in_summary(bob_), in_inbox(bob_),
                           listed(val_), in_summary(val_), in_inbox(val_)}) {
    EXPECT_THAT(told, Contains(v1::REVIEW_OVERDUE));
    EXPECT_THAT(told, Contains(v1::PLAN_NOT_AGREED));
  }

  ShareWithVoluntaryTeam({cp::SHARED_GOALS});
  for (const auto& told : {listed(val_), in_summary(val_), in_inbox(val_)}) {
    EXPECT_THAT(told, Not(Contains(v1::REVIEW_OVERDUE)));
    EXPECT_THAT(told, Not(Contains(v1::PLAN_NOT_AGREED)));
  }
  // Page by page, a page may be short (even empty) where gaps were left
  // out, and the next page still starts after them: the walk ends, having
  // told none of them.
  v1::ListCareGapsRequest request;
  request.set_parent(voluntary_);
  request.set_page_size(1);
  int pages = 0;
  int short_pages = 0;
  std::vector<v1::GapKind> walked;
  do {
    v1::ListCareGapsResponse page;
    auto context = server_.ContextAs(val_);
    grpc::Status status = record_->ListCareGaps(context.get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::CareGap& gap : page.gaps()) walked.push_back(gap.kind());
    if (page.gaps_size() == 0 && !page.next_page_token().empty()) {
      ++short_pages;
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty() && ++pages < 20);
  EXPECT_LT(pages, 20);
  EXPECT_GT(short_pages, 0);
  EXPECT_THAT(walked, Not(Contains(v1::REVIEW_OVERDUE)));
  EXPECT_THAT(walked, Not(Contains(v1::PLAN_NOT_AGREED)));
  for (const auto& told : {listed(bob_), in_summary(bob_), in_inbox(bob_),
                           listed(otto_), in_inbox(otto_)}) {
    EXPECT_THAT(told, Contains(v1::REVIEW_OVERDUE));
  }

  ShareWithVoluntaryTeam({cp::SHARED_GOALS, cp::SHARED_REVIEW_DATE});
  for (const auto& told : {listed(val_), in_summary(val_), in_inbox(val_)}) {
    EXPECT_THAT(told, Contains(v1::REVIEW_OVERDUE));
    EXPECT_THAT(told, Not(Contains(v1::PLAN_NOT_AGREED)));
  }
}

}  // namespace
}  // namespace carebridge::record::testing
