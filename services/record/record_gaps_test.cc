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

// A gap's name says its kind (what the inbox judges an item by).
TEST(RecordGapsTest, AGapsNameSaysItsKind) {
  for (v1::GapKind kind : {v1::BOUNCED, v1::REVIEW_OVERDUE, v1::PLAN_NOT_AGREED,
                           v1::NO_CRISIS_PLAN}) {
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
