// An unreviewed break-glass access is on the lead team's work list (issues
// 10 and 11): a clinician outside the care team opens the person's crisis
// plan, and until the lead team reviews the access a
// BREAK_GLASS_NOT_REVIEWED gap is on the list of the team leading now (not
// the team that opened it, nor anyone else's), saying who opened it, for
// which team and when, never why; the review closes it and the gap stays
// as history; a new lead takes it over. A deployment may give the lead
// team time to review first.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "services/common/time_util.h"
#include "services/record/record_module.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/recording_metric_sink.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record::testing {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::carebridge::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kReason[] = "Cy rang the housing line in crisis at 2am";

class RecordBreakGlassGapTest : public RecordTest {
 protected:
  RecordBreakGlassGapTest() = default;
  explicit RecordBreakGlassGapTest(const CareGapThresholds& care_gaps)
      : RecordTest(care_gaps) {}

  void SetUp() override {
    RecordTest::SetUp();
    careplan_ = cp::CarePlanService::NewStub(server_.Channel());
    cy_ = MakePerson("Cy");
    // The crisis team takes Cy on (the first team: it leads).
    Accept(Refer(cy_, crisis_).name(), bob_);
    ASSERT_TRUE(Eventually([&] {
      v1::CareSummary summary;
      return Summary(bob_, cy_, &summary).ok() &&
             summary.lead_team() == crisis_;
    }));
  }

  // The housing team, not on Cy's care team, breaks glass.
  cp::BreakGlassAccess BreakGlass() {
    cp::BreakGlassRequest request;
    request.set_name(cy_ + "/carePlan");
    request.set_reason(kReason);
    cp::BreakGlassAccess access;
    auto context = server_.ContextAs(otto_);
    grpc::Status status =
        careplan_->BreakGlass(context.get(), request, &access);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return access;
  }

  void Review(const Principal& as, const std::string& access) {
    cp::ReviewBreakGlassAccessRequest review;
    review.set_name(access);
    review.set_outcome(cp::BreakGlassReview::JUSTIFIED);
    review.set_reason("Cy was in crisis; the line needed the plan");
    cp::BreakGlassAccess reviewed;
    auto context = server_.ContextAs(as);
    grpc::Status status =
        careplan_->ReviewBreakGlassAccess(context.get(), review, &reviewed);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  // The break-glass gaps on `team`'s list, as `as` (of that team) sees
  // them; with `closed`, also those closed.
  std::vector<v1::CareGap> BreakGlassGaps(const Principal& as,
                                          const std::string& team,
                                          bool closed = false) {
    v1::ListCareGapsResponse response;
    grpc::Status status = Gaps(as, team, &response, closed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<v1::CareGap> found;
    for (const v1::CareGap& gap : response.gaps()) {
      if (gap.kind() == v1::BREAK_GLASS_NOT_REVIEWED) found.push_back(gap);
    }
    return found;
  }

  // The inbox items of `type` about `gap` that `as`'s team received.
  int InboxItems(const Principal& as, const std::string& type,
                 const std::string& gap) {
    int found = 0;
    for (const events::v1::Event& item : Inbox(as)) {
      if (item.type() == type && item.subject() == gap) ++found;
    }
    return found;
  }

  // What a metrics scrape says is open of the kind.
  std::optional<double> OpenCounted() {
    ::carebridge::testing::RecordingMetricSink scraped;
    modules_.As<RecordModule>("record")->CollectMetrics(scraped);
    return scraped.Value("carebridge_care_gaps_open",
                         {{"kind", "BREAK_GLASS_NOT_REVIEWED"}});
  }

  std::unique_ptr<cp::CarePlanService::Stub> careplan_;
  std::string cy_;
};

TEST_F(RecordBreakGlassGapTest, AnAccessIsOnTheLeadTeamsListUntilReviewed) {
  const cp::BreakGlassAccess access = BreakGlass();
  std::vector<v1::CareGap> gaps;
  ASSERT_TRUE(Eventually([&] {
    gaps = BreakGlassGaps(bob_, crisis_);
    return !gaps.empty();
  }));
  ASSERT_THAT(gaps, SizeIs(1));
  const v1::CareGap gap = gaps[0];
  EXPECT_EQ(gap.person(), cy_);
  EXPECT_EQ(gap.subject(), access.name());
  EXPECT_THAT(gap.teams(), ElementsAre(crisis_));
  EXPECT_EQ(FromProtoTimestamp(gap.open_time()),
            FromProtoTimestamp(access.start_time()))
      << "at once";
  EXPECT_THAT(gap.detail(),
              HasSubstr("Crisis plan opened by break-glass by members/otto "
                        "of " +
                        housing_ + " on "));
  EXPECT_THAT(gap.detail(),
              HasSubstr("review it with `carectl careplan break-glass "
                        "review`"));
  // Need to know: the list says what to do, not why the plan was opened.
  EXPECT_THAT(gap.detail(), Not(HasSubstr("housing line")));
  EXPECT_THAT(gap.detail(), Not(HasSubstr("crisis at 2am")));
  // On no other team's list: not the team that opened it, nor any other.
  EXPECT_THAT(BreakGlassGaps(otto_, housing_), IsEmpty());
  EXPECT_THAT(BreakGlassGaps(alice_, community_), IsEmpty());
  EXPECT_THAT(BreakGlassGaps(val_, voluntary_), IsEmpty());
  // Said in the lead team's inbox, counted, and on Cy's summary for it.
  ASSERT_TRUE(Eventually(
      [&] { return InboxItems(bob_, "inbox.gap_opened", gap.name()) == 1; }));
  EXPECT_EQ(InboxItems(otto_, "inbox.gap_opened", gap.name()), 0);
  EXPECT_EQ(OpenCounted(), 1);
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(bob_, cy_, &summary).ok());
  bool on_summary = false;
  for (const v1::CareGap& shown : summary.gaps()) {
    on_summary = on_summary || shown.name() == gap.name();
  }
  EXPECT_TRUE(on_summary);

  // Reviewed: it closes, and stays as history with what it said.
  Review(bob_, access.name());
  ASSERT_TRUE(
      Eventually([&] { return BreakGlassGaps(bob_, crisis_).empty(); }));
  const std::vector<v1::CareGap> history =
      BreakGlassGaps(bob_, crisis_, /*closed=*/true);
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].name(), gap.name());
  EXPECT_EQ(history[0].detail(), gap.detail());
  EXPECT_TRUE(history[0].has_close_time());
  EXPECT_EQ(history[0].close_reason(), "the access was reviewed");
  ASSERT_TRUE(Eventually(
      [&] { return InboxItems(bob_, "inbox.gap_closed", gap.name()) == 1; }));
  EXPECT_EQ(OpenCounted(), 0);
}

TEST_F(RecordBreakGlassGapTest, ANewLeadTakesTheGapOver) {
  const cp::BreakGlassAccess access = BreakGlass();
  ASSERT_TRUE(
      Eventually([&] { return BreakGlassGaps(bob_, crisis_).size() == 1; }));

  // The crisis team hands the lead to the voluntary team.
  cp::SetLeadTeamRequest lead;
  lead.set_name(cy_ + "/carePlan");
  lead.set_team(voluntary_);
  lead.set_reason("Crisis resolved; the voluntary team coordinates now");
  cp::CarePlan led;
  auto context = server_.ContextAs(bob_);
  grpc::Status status = careplan_->SetLeadTeam(context.get(), lead, &led);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(led.lead_team(), voluntary_);

  std::vector<v1::CareGap> gaps;
  ASSERT_TRUE(Eventually([&] {
    gaps = BreakGlassGaps(val_, voluntary_);
    return !gaps.empty();
  }));
  ASSERT_THAT(gaps, SizeIs(1));
  EXPECT_EQ(gaps[0].subject(), access.name());
  EXPECT_THAT(BreakGlassGaps(bob_, crisis_), IsEmpty()) << "moved, not shared";
  // The new lead is told; the gap stays one gap (not closed and opened).
  ASSERT_TRUE(Eventually([&] {
    return InboxItems(val_, "inbox.gap_opened", gaps[0].name()) == 1;
  }));
  EXPECT_EQ(InboxItems(bob_, "inbox.gap_closed", gaps[0].name()), 0);

  // The new lead reviews it: closed.
  Review(val_, access.name());
  ASSERT_TRUE(
      Eventually([&] { return BreakGlassGaps(val_, voluntary_).empty(); }));
  const std::vector<v1::CareGap> history =
      BreakGlassGaps(val_, voluntary_, /*closed=*/true);
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].name(), gaps[0].name());
  EXPECT_EQ(history[0].close_reason(), "the access was reviewed");
}

// A deployment that gives the lead team three days to review.
CareGapThresholds ThreeDaysToReview() {
  CareGapThresholds thresholds;
  thresholds.break_glass_review_grace = absl::Hours(72);
  return thresholds;
}

class RecordBreakGlassGraceTest : public RecordBreakGlassGapTest {
 protected:
  RecordBreakGlassGraceTest() : RecordBreakGlassGapTest(ThreeDaysToReview()) {}
};

TEST_F(RecordBreakGlassGraceTest, TheDeploymentsGraceDecidesWhenItIsAGap) {
  const cp::BreakGlassAccess access = BreakGlass();
  // The record has the access (on the lead team's timeline), and no gap yet.
  ASSERT_TRUE(Eventually([&] {
    for (const v1::TimelineEntry& entry : Timeline(bob_, cy_)) {
      if (entry.resource() == access.name()) return true;
    }
    return false;
  }));
  EXPECT_THAT(BreakGlassGaps(bob_, crisis_), IsEmpty());

  // Three days on, unreviewed: listed, and the sweep announces it.
  server_.clock().Advance(absl::Hours(73));
  const std::vector<v1::CareGap> gaps = BreakGlassGaps(bob_, crisis_);
  ASSERT_THAT(gaps, SizeIs(1));
  EXPECT_EQ(FromProtoTimestamp(gaps[0].open_time()),
            FromProtoTimestamp(access.start_time()) + absl::Hours(72));
  EXPECT_THAT(modules_.As<RecordModule>("record")->AnnounceDueGaps(),
              IsOkAndHolds(1));
  EXPECT_EQ(InboxItems(bob_, "inbox.gap_opened", gaps[0].name()), 1);
}

TEST_F(RecordBreakGlassGraceTest, AnAccessReviewedInTimeIsNoGap) {
  const cp::BreakGlassAccess access = BreakGlass();
  server_.clock().Advance(absl::Hours(24));
  Review(bob_, access.name());
  ASSERT_TRUE(Eventually([&] {
    int steps = 0;
    for (const v1::TimelineEntry& entry : Timeline(bob_, cy_)) {
      if (entry.resource() == access.name()) ++steps;
    }
    return steps == 2;
  }));
  server_.clock().Advance(absl::Hours(72));
  EXPECT_THAT(modules_.As<RecordModule>("record")->AnnounceDueGaps(),
              IsOkAndHolds(0));
  EXPECT_THAT(BreakGlassGaps(bob_, crisis_, /*closed=*/true), IsEmpty());
}

}  // namespace
}  // namespace carebridge::record::testing
