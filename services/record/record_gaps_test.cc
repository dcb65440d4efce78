// WantedGaps: each kind of care gap from the record's projections, its
// threshold, and what makes it go.

#include "services/record/record_gaps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"

namespace carebridge::record {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1796083200);
const absl::Duration kDay = absl::Hours(24);

TimelineRow Step(const std::string& type, int day, const std::string& by,
                 const std::string& resource = "referrals/r1",
                 const std::string& from = "teams/cmht") {
  TimelineRow row;
  row.person_id = "p1";
  row.time = kStart + day * kDay;
  row.feed = "referral";
  row.kind = v1::REFERRAL;
  row.type = type;
  row.resource = resource;
  row.actor_team = by;
  row.teams = {from, by};
  return row;
}

GapInputs Inputs() {
  GapInputs in;
  in.person_id = "p1";
  return in;
}

std::vector<v1::GapKind> Kinds(const std::vector<WantedGap>& gaps) {
  std::vector<v1::GapKind> kinds;
  for (const WantedGap& gap : gaps) kinds.push_back(gap.kind);
  return kinds;
}

// Declines carry an onward route; these tests look at BOUNCED alone.
std::vector<WantedGap> Bounced(const GapInputs& in) {
  std::vector<WantedGap> bounced;
  for (const WantedGap& gap : WantedGaps(in, GapSettings())) {
    if (gap.kind == v1::BOUNCED) bounced.push_back(gap);
  }
  return bounced;
}

TEST(RecordGapsTest, ThreeTeamsRefusingWithinNinetyDaysIsABounce) {
  GapInputs in = Inputs();
  in.referral_steps = {
      Step("referral.declined", 0, "teams/a", "referrals/1"),
      Step("referral.redirected", 30, "teams/b", "referrals/2"),
      Step("referral.declined", 30, "teams/b", "referrals/3")};
  EXPECT_THAT(Bounced(in), IsEmpty()) << "two different teams only";
  in.referral_steps.push_back(
      Step("referral.declined", 60, "teams/c", "referrals/4"));
  std::vector<WantedGap> gaps = Bounced(in);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].subject, "persons/p1");
  EXPECT_EQ(gaps[0].open_time, kStart + 60 * kDay);
  EXPECT_THAT(gaps[0].detail, HasSubstr("by 3 teams"));
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/cmht"));
  // An acceptance since closes it.
  in.referral_steps.push_back(Step("referral.accepted", 70, "teams/d"));
  EXPECT_THAT(Bounced(in), IsEmpty());
}

TEST(RecordGapsTest, RefusalsFurtherApartThanTheWindowAreNoBounce) {
  GapInputs in = Inputs();
  in.referral_steps = {Step("referral.declined", 0, "teams/a"),
                       Step("referral.declined", 50, "teams/b"),
                       Step("referral.declined", 100, "teams/c")};
  EXPECT_THAT(Bounced(in), IsEmpty());
  GapSettings strict;
  strict.bounce_teams = 2;
  std::vector<WantedGap> gaps = WantedGaps(in, strict);
  EXPECT_THAT(Kinds(gaps), ::testing::Contains(v1::BOUNCED));
}

TEST(RecordGapsTest, ADeclineNobodyActedOnOpensAfterFourteenDays) {
  GapInputs in = Inputs();
  in.referral_steps = {Step("referral.created", 0, "teams/cmht"),
                       Step("referral.declined", 1, "teams/crisis")};
  std::vector<WantedGap> gaps = WantedGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].kind, v1::ONWARD_ROUTE_NOT_TAKEN);
  EXPECT_EQ(gaps[0].subject, "referrals/r1");
  EXPECT_EQ(gaps[0].open_time, kStart + 15 * kDay);
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/cmht"));
  in.referral_steps.push_back(
      Step("referral.created", 5, "teams/cmht", "referrals/r2"));
  EXPECT_THAT(WantedGaps(in, GapSettings()), IsEmpty());
}

TEST(RecordGapsTest, AnOpenLoopIsOverdueFromItsDeadline) {
  GapInputs in = Inputs();
  v1::OpenLoop& loop = in.open_loops.emplace_back();
  loop.set_resource("handovers/h1");
  loop.set_kind(v1::HANDOVER);
  loop.set_sending_team("teams/crisis");
  loop.set_receiving_team("teams/cmht");
  *loop.mutable_due_time() = ToProtoTimestamp(kStart + 3 * kDay);
  std::vector<WantedGap> gaps = WantedGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].kind, v1::ANSWER_OVERDUE);
  EXPECT_EQ(gaps[0].open_time, kStart + 3 * kDay);
  EXPECT_THAT(gaps[0].detail, HasSubstr("Handover to teams/cmht"));
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/crisis", "teams/cmht"));
}

TEST(RecordGapsTest, PlanGaps) {
  GapInputs in = Inputs();
  in.plan.emplace();
  in.plan->set_care_plan_version(3);
  in.plan->set_lead_team("teams/crisis");
  v1::CareTeamMember& member = *in.plan->add_care_team();
  member.set_team("teams/crisis");
  *member.mutable_since() = ToProtoTimestamp(kStart + kDay);
  *in.plan->mutable_review_time() = ToProtoTimestamp(kStart + 40 * kDay);
  in.unagreed_since = kStart;
  in.crisis_teams.insert("teams/crisis");
  std::vector<WantedGap> gaps = WantedGaps(in, GapSettings());
  EXPECT_THAT(Kinds(gaps), ElementsAre(v1::PLAN_NOT_AGREED, v1::REVIEW_OVERDUE,
                                       v1::NO_CRISIS_PLAN));
  EXPECT_EQ(gaps[0].open_time, kStart + 28 * kDay);
  EXPECT_EQ(gaps[1].open_time, kStart + 41 * kDay);
  EXPECT_EQ(gaps[2].open_time, kStart + kDay);
  for (const WantedGap& gap : gaps) {
    EXPECT_THAT(gap.teams, ElementsAre("teams/crisis"));
    EXPECT_EQ(gap.subject, "persons/p1/carePlan");
  }
  // Agreed, with a crisis plan and no review date: nothing.
  in.plan->set_agreed(true);
  in.unagreed_since.reset();
  in.plan->set_has_crisis_plan(true);
  in.plan->clear_review_time();
  EXPECT_THAT(WantedGaps(in, GapSettings()), IsEmpty());
}

TEST(RecordGapsTest, NobodyLeadingAfterTheLeadLeftIsAGap) {
  GapInputs in = Inputs();
  in.plan.emplace();
  in.plan->set_care_plan_version(5);
  in.no_lead_since = kStart + 2 * kDay;
  std::vector<WantedGap> gaps = WantedGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].kind, v1::NO_LEAD);
  EXPECT_EQ(gaps[0].open_time, kStart + 2 * kDay);
  EXPECT_THAT(gaps[0].detail, HasSubstr("without handing over"));
  in.plan->set_lead_team("teams/cmht");
  in.plan->add_care_team()->set_team("teams/cmht");
  in.plan->set_agreed(true);
  EXPECT_THAT(WantedGaps(in, GapSettings()), IsEmpty());
}

// Nobody leading is the work of the team that led (the lead leaves last,
// so it may be the only team that knew the person) and of any team still
// involved, which may take the lead.
TEST(RecordGapsTest, NobodyLeadingIsOnTheFormerLeadsListAndTheCareTeams) {
  GapInputs in = Inputs();
  in.plan.emplace();
  in.plan->set_care_plan_version(5);
  in.plan->set_agreed(true);
  in.plan->set_has_crisis_plan(true);
  in.no_lead_since = kStart + 2 * kDay;
  in.former_lead = "teams/cmht";
  std::vector<WantedGap> gaps = WantedGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/cmht"));
  in.plan->add_care_team()->set_team("teams/recovery");
  gaps = WantedGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/cmht", "teams/recovery"));
}

TEST(RecordGapsTest, AJoinFromOutsideTheCareTeamIsOnTheLeadsListUntilReviewed) {
  GapInputs in = Inputs();
  in.plan.emplace();
  in.plan->set_care_plan_version(4);
  in.plan->set_lead_team("teams/cmht");
  in.plan->set_agreed(true);
  in.plan->set_has_crisis_plan(true);
  in.plan->add_care_team()->set_team("teams/cmht");
  v1::CareTeamMember& joined = *in.plan->add_care_team();
  joined.set_team("teams/elsewhere");
  *joined.mutable_since() = ToProtoTimestamp(kStart + 3 * kDay);
  joined.set_joined_through("referrals/r9");
  joined.set_unreviewed(true);
  std::vector<WantedGap> gaps = WantedGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].kind, v1::JOIN_NOT_REVIEWED);
  EXPECT_EQ(gaps[0].subject, "referrals/r9");
  EXPECT_EQ(gaps[0].open_time, kStart + 3 * kDay);
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/cmht"));
  EXPECT_THAT(gaps[0].detail, HasSubstr("teams/elsewhere joined"));
  // Reviewed (the flag cleared; how it came stays): no gap.
  joined.set_unreviewed(false);
  EXPECT_THAT(WantedGaps(in, GapSettings()), IsEmpty());
}

// A break-glass step of p1's: an access opened (by members/otto of the
// housing team, for a reason) or reviewed, `hours` after kStart.
TimelineRow BreakGlassStep(const std::string& type, int hours,
                           const std::string& access) {
  TimelineRow row;
  row.person_id = "p1";
  row.time = kStart + absl::Hours(hours);
  row.feed = "careplan";
  row.kind = v1::BREAK_GLASS;
  row.type = type;
  row.resource = access;
  const bool opened = type == "careplan.break_glass";
  row.actor = opened ? "members/otto" : "members/bob";
  row.actor_team = opened ? "teams/housing" : "teams/cmht";
  row.reason = opened ? "Found in crisis at the hostel at 2am" : "Justified";
  row.teams = {"teams/cmht"};
  return row;
}

// A plan p1's care team (`lead` leading, when set) looks after.
GapInputs WithPlanLedBy(const std::string& lead) {
  GapInputs in = Inputs();
  in.plan.emplace();
  in.plan->set_care_plan_version(2);
  in.plan->set_lead_team(lead);
  in.plan->set_agreed(true);
  in.plan->set_has_crisis_plan(true);
  if (!lead.empty()) in.plan->add_care_team()->set_team(lead);
  return in;
}

std::vector<WantedGap> BreakGlassGaps(const GapInputs& in,
                                      const GapSettings& settings) {
  std::vector<WantedGap> found;
  for (const WantedGap& gap : WantedGaps(in, settings)) {
    if (gap.kind == v1::BREAK_GLASS_NOT_REVIEWED) found.push_back(gap);
  }
  return found;
}

TEST(RecordGapsTest, AnUnreviewedBreakGlassAccessIsOnTheLeadsListAtOnce) {
  GapInputs in = WithPlanLedBy("teams/cmht");
  const std::string access = "persons/p1/breakGlassAccesses/7";
  in.break_glass_steps = {BreakGlassStep("careplan.break_glass", 26, access)};
  std::vector<WantedGap> gaps = BreakGlassGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].subject, access);
  EXPECT_EQ(gaps[0].open_time, kStart + absl::Hours(26));
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/cmht"));
  // Who opened it, for which team and when; how to review it.
  EXPECT_EQ(gaps[0].detail,
            "Crisis plan opened by break-glass by members/otto of "
            "teams/housing on 2026-12-02 02:00 UTC, not yet reviewed: review "
            "it with `carectl careplan break-glass review`");
  EXPECT_THAT(gaps[0].detail, Not(HasSubstr("hostel"))) << "no reason";

  // Reviewed: no gap (the steps stay on the timeline).
  in.break_glass_steps.push_back(
      BreakGlassStep("careplan.break_glass_reviewed", 30, access));
  EXPECT_THAT(BreakGlassGaps(in, GapSettings()), IsEmpty());
  // Another access after it is a gap of its own.
  in.break_glass_steps.push_back(BreakGlassStep(
      "careplan.break_glass", 40, "persons/p1/breakGlassAccesses/9"));
  gaps = BreakGlassGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].subject, "persons/p1/breakGlassAccesses/9");
}

TEST(RecordGapsTest, ABreakGlassGapIsOnTheListOfWhoeverLeadsNow) {
  GapInputs in = WithPlanLedBy("teams/recovery");
  in.break_glass_steps = {BreakGlassStep("careplan.break_glass", 1,
                                         "persons/p1/breakGlassAccesses/1")};
  // Opened while the community team led (the step names it); the recovery
  // team leads now.
  std::vector<WantedGap> gaps = BreakGlassGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_THAT(gaps[0].teams, ElementsAre("teams/recovery"));
  // Nobody leads: still a gap, on no team's list until a team leads.
  in.plan->set_lead_team("");
  gaps = BreakGlassGaps(in, GapSettings());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_THAT(gaps[0].teams, IsEmpty());
  in.plan.reset();
  EXPECT_EQ(BreakGlassGaps(in, GapSettings()).size(), 1u);
}

TEST(RecordGapsTest, ADeploymentMayGiveTheLeadTeamTimeToReview) {
  GapInputs in = WithPlanLedBy("teams/cmht");
  in.break_glass_steps = {BreakGlassStep("careplan.break_glass", 5,
                                         "persons/p1/breakGlassAccesses/2")};
  GapSettings settings;
  settings.break_glass_review_grace = absl::Hours(72);
  std::vector<WantedGap> gaps = BreakGlassGaps(in, settings);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].open_time, kStart + absl::Hours(5 + 72));
  // The detail still says when it was opened.
  EXPECT_THAT(gaps[0].detail, HasSubstr("on 2026-12-01 05:00 UTC"));
}

// Break-glass gaps are judged again only when the scope says so; the other
// kinds as before.
TEST(RecordGapsTest, BreakGlassGapsAreJudgedOnlyWhenTheScopeSaysSo) {
  GapScope scope;
  scope.judged = true;
  EXPECT_FALSE(scope.Covers(v1::BREAK_GLASS_NOT_REVIEWED, "persons/p1/x/1"));
  EXPECT_TRUE(scope.Covers(v1::NO_LEAD, "persons/p1/carePlan"));
  scope.all_loops = true;
  EXPECT_FALSE(scope.Covers(v1::BREAK_GLASS_NOT_REVIEWED, "persons/p1/x/1"));
  scope.break_glass = GapScope::BreakGlass::kWhileUnreviewed;
  EXPECT_TRUE(scope.Covers(v1::BREAK_GLASS_NOT_REVIEWED, "persons/p1/x/1"));
  scope.break_glass = GapScope::BreakGlass::kYes;
  EXPECT_TRUE(scope.Covers(v1::BREAK_GLASS_NOT_REVIEWED, "persons/p1/x/1"));
  scope.judged = false;
  EXPECT_FALSE(scope.Covers(v1::BREAK_GLASS_NOT_REVIEWED, "persons/p1/x/1"));
}

// A gap's name says its kind (what the inbox judges an item by).
TEST(RecordGapsTest, AGapsNameSaysItsKind) {
  for (v1::GapKind kind : {v1::BOUNCED, v1::REVIEW_OVERDUE, v1::PLAN_NOT_AGREED,
                           v1::NO_CRISIS_PLAN, v1::BREAK_GLASS_NOT_REVIEWED}) {
    WantedGap gap;
    gap.kind = kind;
    gap.subject = "persons/p1/carePlan";
    gap.open_time = absl::FromUnixSeconds(1767225600);
    const std::string key = GapKey(gap);
    EXPECT_EQ(GapKindOfName(key), kind) << key;
    EXPECT_EQ(GapKindOfName(absl::StrCat("persons/p1/careGaps/", key)), kind);
    EXPECT_EQ(GapKindOfName(absl::StrCat("persons/p1/careGaps/", key, "-2")),
              kind);
  }
  EXPECT_EQ(GapKindOfName("persons/p1/careGaps/"), v1::GAP_KIND_UNSPECIFIED);
  EXPECT_EQ(GapKindOfName("persons/p1/careGaps/nothing-1-2"),
            v1::GAP_KIND_UNSPECIFIED);
  EXPECT_EQ(GapKindOfName(""), v1::GAP_KIND_UNSPECIFIED);
}

}  // namespace
}  // namespace carebridge::record
