// What sections a read returned (issue 11): each call that returns a care
// plan records the parts the person's sharing choices showed the caller's
// team, so "who saw my crisis plan" has an answer; what is recorded is what
// the caller got (the plan's `withheld` names the rest).

#include <string>
#include <vector>

#include "tests/audit/audit_detail_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SectionsTest : public AuditDetailTest {
 protected:
  // The voluntary team joins Ada's care team (bob refers, val accepts).
  void VoluntaryJoins() {
    Accept(ReferAs(bob_, ada_, voluntary_).name(), val_);
    ASSERT_TRUE(Eventually([&] {
      cp::CarePlan plan;
      return GetPlan(val_, &plan).ok();
    }));
  }

  // The sections of the newest access to Ada by `as` calling `method`.
  std::string LastSections(const Principal& as, const std::string& method) {
    std::vector<au::Access> found = By(AccessesTo(ada_), as.subject, method);
    EXPECT_FALSE(found.empty()) << method;
    return found.empty() ? "" : found[0].sections();
  }

  static constexpr char kGet[] = "carebridge.careplan.v1.GetCarePlan";
};

TEST_F(SectionsTest, TheLeadTeamIsRecordedReadingTheWholePlan) {
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  EXPECT_THAT(plan.withheld(), IsEmpty());
  EXPECT_EQ(LastSections(bob_, kGet), "whole plan");
}

// The voluntary sector's default: goals, its own actions, what helps,
// communication preferences, review date, care team and agreement.
TEST_F(SectionsTest, ATeamShownPartOfThePlanIsRecordedReadingThatPart) {
  VoluntaryJoins();
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(val_, &plan).ok());
  EXPECT_THAT(plan.withheld(),
              ElementsAre(cp::SHARED_ALL_ACTIONS, cp::SHARED_CRISIS_PLAN));
  EXPECT_EQ(LastSections(val_, kGet),
            "goals,own_actions,what_helps,communication_preferences,"
            "review_date,care_team,agreement");

  // The person shares their goals alone with the team: that is what its
  // next read returns, and what is recorded.
  ShareWithTeam(bob_, ada_, voluntary_, {cp::SHARED_GOALS});
  ASSERT_TRUE(GetPlan(val_, &plan).ok());
  EXPECT_THAT(
      plan.withheld(),
      ElementsAre(cp::SHARED_ALL_ACTIONS, cp::SHARED_OWN_ACTIONS,
                  cp::SHARED_CRISIS_PLAN, cp::SHARED_WHAT_HELPS,
                  cp::SHARED_COMMUNICATION_PREFERENCES, cp::SHARED_REVIEW_DATE,
                  cp::SHARED_CARE_TEAM, cp::SHARED_AGREEMENT));
  EXPECT_EQ(LastSections(val_, kGet), "goals");

  // Every read that returns the plan says so, versions too.
  cp::ListCarePlanVersionsRequest versions;
  versions.set_parent(ada_ + "/carePlan");
  cp::ListCarePlanVersionsResponse listed;
  auto context = server_.ContextAs(val_);
  ASSERT_TRUE(
      careplan_->ListCarePlanVersions(context.get(), versions, &listed).ok());
  EXPECT_EQ(LastSections(val_, "carebridge.careplan.v1.ListCarePlanVersions"),
            "goals");

  // Nothing shared at all: the plan's existence, lead and history only.
  ShareWithTeam(bob_, ada_, voluntary_, {});
  ASSERT_TRUE(GetPlan(val_, &plan).ok());
  EXPECT_EQ(LastSections(val_, kGet), "none");
}

// A write returns the plan too; its record, committed with the new
// version, names what the answer showed.
TEST_F(SectionsTest, AWriteRecordsWhatItsAnswerShowed) {
  VoluntaryJoins();
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(val_, &plan).ok());
  cp::UpdateCarePlanRequest update;
  *update.mutable_care_plan() = plan;
  update.mutable_care_plan()->add_goals()->set_description(
      "Keep going to the cafe on Thursdays");
  update.mutable_update_mask()->add_paths("goals");
  update.set_etag(plan.etag());
  update.set_reason("Ada's words at the cafe");
  cp::CarePlan updated;
  auto context = server_.ContextAs(val_);
  grpc::Status status =
      careplan_->UpdateCarePlan(context.get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(LastSections(val_, "carebridge.careplan.v1.UpdateCarePlan"),
            "goals,own_actions,what_helps,communication_preferences,"
            "review_date,care_team,agreement");
}

// Breaking glass returns the crisis plan as far as the person shares it
// with the team: the housing team (social care) sees what helps alone.
TEST_F(SectionsTest, BreakingGlassRecordsThePartOfTheCrisisPlanShown) {
  cp::BreakGlassRequest request;
  request.set_name(ada_ + "/carePlan");
  request.set_reason("Found in distress at the housing office");
  cp::BreakGlassAccess access;
  auto context = server_.ContextAs(otto_);
  grpc::Status status = careplan_->BreakGlass(context.get(), request, &access);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(access.withheld(), ElementsAre(cp::SHARED_CRISIS_PLAN));
  std::vector<au::Access> found =
      By(AccessesTo(ada_), otto_.subject, "carebridge.careplan.v1.BreakGlass");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sections(), "what_helps");
  EXPECT_EQ(found[0].reason(),
            "break-glass: Found in distress at the housing office");
}

}  // namespace
}  // namespace carebridge::record::testing
