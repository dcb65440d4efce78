// SqliteBreakGlassStore::Review tells the person's lead team when the review
// commits, read in the review's own transaction (on the engine the test
// runs on: SQLite, or PostgreSQL under CAREBRIDGE_TEST_DATABASE=postgresql),
// so a handover committing at the same time never leaves the event with
// the team that just handed over.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_events.h"
#include "services/careplan/sqlite_break_glass_store.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/common/time_util.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kLeadTestStart = absl::FromUnixSeconds(1767225600);

// Version `version` of persons/{person_id}'s plan with `lead` leading and
// `other` involved too (neither when `lead` is empty: nobody is involved).
v1::CarePlan PlanLedBy(absl::string_view person_id, int64_t version,
                       absl::string_view lead, absl::string_view other) {
  v1::CarePlan plan;
  plan.set_person(absl::StrCat("persons/", person_id));
  plan.set_version(version);
  if (!lead.empty()) {
    for (absl::string_view team : {lead, other}) {
      v1::CareTeamMember& member = *plan.add_care_team();
      member.set_team(std::string(team));
      member.set_role("care coordination");
      member.set_lead(team == lead);
      *member.mutable_start_time() = ToProtoTimestamp(kLeadTestStart);
    }
    plan.set_lead_team(std::string(lead));
  }
  plan.mutable_change()->set_kind(version == 1 ? v1::Change::CONTENT_UPDATED
                                               : v1::Change::LEAD_CHANGED);
  plan.mutable_change()->set_reason("care coordinator changes");
  *plan.mutable_create_time() = ToProtoTimestamp(kLeadTestStart);
  *plan.mutable_update_time() =
      ToProtoTimestamp(kLeadTestStart + absl::Minutes(version));
  return plan;
}

v1::BreakGlassAccess AccessUnderLead(absl::string_view member,
                                     absl::string_view lead) {
  v1::BreakGlassAccess access;
  access.set_member(std::string(member));
  access.set_reason("found in crisis");
  access.set_lead_team(std::string(lead));
  return access;
}

v1::BreakGlassReview JustifiedBy(absl::string_view reviewer) {
  v1::BreakGlassReview review;
  review.set_reviewer(std::string(reviewer));
  review.set_outcome(v1::BreakGlassReview::JUSTIFIED);
  review.set_reason("seen in crisis");
  return review;
}

class BreakGlassReviewLeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(
        store_, SqliteCarePlanStore::Open(database_->location("careplan")));
    accesses_.emplace(store_->db(), store_->event_log());
  }

  // Every event of the careplan feed, oldest first.
  std::vector<events::v1::Event> Feed() {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        store_->event_log()->ReadAfter(0, 10000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<events::v1::Event>());
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<TestDatabase> database_;
  std::unique_ptr<SqliteCarePlanStore> store_;
  std::optional<SqliteBreakGlassStore> accesses_;
};

// Opened under teams/was-lead, which then hands over: the review is told
// to teams/lead-now, the lead as it commits; the access keeps the lead it
// was opened under. Nobody is told when nobody leads or there is no plan.
TEST_F(BreakGlassReviewLeadTest, TheReviewIsToldToTheLeadTeamAtItsCommit) {
  ASSERT_THAT(store_->Append(
                  "p1", PlanLedBy("p1", 1, "teams/was-lead", "teams/lead-now"),
                  nullptr),
              IsOk());
  ASSERT_THAT(
      accesses_->Insert("p1", AccessUnderLead("members/a", "teams/was-lead")),
      IsOkAndHolds(1));
  ASSERT_THAT(store_->Append(
                  "p1", PlanLedBy("p1", 2, "teams/lead-now", "teams/was-lead"),
                  nullptr),
              IsOk());
  ASSERT_OK_AND_ASSIGN(v1::BreakGlassAccess reviewed,
                       accesses_->Review("p1", 1, JustifiedBy("members/r")));
  EXPECT_EQ(reviewed.lead_team(), "teams/was-lead");
  // Nobody leads p2's plan; p3 has none.
  ASSERT_THAT(store_->Append("p2", PlanLedBy("p2", 1, "", ""), nullptr),
              IsOk());
  ASSERT_THAT(accesses_->Insert("p2", AccessUnderLead("members/a", "")),
              IsOkAndHolds(2));
  ASSERT_THAT(accesses_->Review("p2", 2, JustifiedBy("members/r")), IsOk());
  ASSERT_THAT(accesses_->Insert("p3", AccessUnderLead("members/a", "")),
              IsOkAndHolds(3));
  ASSERT_THAT(accesses_->Review("p3", 3, JustifiedBy("members/r")), IsOk());

  std::vector<events::v1::Event> reviews;
  for (const events::v1::Event& event : Feed()) {
    if (event.type() == kBreakGlassReviewedEventType) reviews.push_back(event);
  }
  ASSERT_EQ(reviews.size(), 3u);
  EXPECT_THAT(reviews[0].teams(), ElementsAre("teams/lead-now"));
  v1::BreakGlassAccess carried;
  ASSERT_TRUE(reviews[0].payload().UnpackTo(&carried));
  EXPECT_EQ(carried.lead_team(), "teams/was-lead");
  EXPECT_THAT(reviews[1].teams(), IsEmpty());
  EXPECT_THAT(reviews[2].teams(), IsEmpty());
}

// Reviews and handovers committing at the same time: each review is told
// to the lead of the plan's newest version before it in the feed (the
// feed is in commit order), never a lead a handover committed before it
// replaced. On PostgreSQL a review whose read of the lead a handover
// overtakes fails with serialization_failure and runs again.
TEST_F(BreakGlassReviewLeadTest, ReviewsRacingHandoversTellTheLeadAtCommit) {
  constexpr int kRounds = 12;
  ASSERT_THAT(
      store_->Append("p1", PlanLedBy("p1", 1, "teams/a", "teams/b"), nullptr),
      IsOk());
  for (int i = 1; i <= kRounds; ++i) {
    ASSERT_THAT(accesses_->Insert("p1", AccessUnderLead("members/x", "")),
                IsOkAndHolds(i));
  }
  std::vector<absl::Status> reviewed(kRounds);
  std::vector<absl::Status> handed(kRounds);
  std::thread reviewer([&] {
    for (int i = 0; i < kRounds; ++i) {
      reviewed[i] =
          accesses_->Review("p1", i + 1, JustifiedBy("members/r")).status();
    }
  });
  std::thread handovers([&] {
    for (int i = 0; i < kRounds; ++i) {
      const bool to_b = i % 2 == 0;
      handed[i] =
          store_->Append("p1",
                         PlanLedBy("p1", i + 2, to_b ? "teams/b" : "teams/a",
                                   to_b ? "teams/a" : "teams/b"),
                         nullptr);
    }
  });
  reviewer.join();
  handovers.join();
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_THAT(reviewed[i], IsOk()) << "review " << i + 1;
    EXPECT_THAT(handed[i], IsOk()) << "handover " << i + 1;
  }

  std::string lead;
  int reviews = 0;
  for (const events::v1::Event& event : Feed()) {
    if (IsVersionEvent(event)) {
      v1::CarePlan version;
      ASSERT_TRUE(event.payload().UnpackTo(&version));
      lead = version.lead_team();
    } else if (event.type() == kBreakGlassReviewedEventType) {
      ++reviews;
      EXPECT_THAT(event.teams(), ElementsAre(lead)) << event.subject();
    }
  }
  EXPECT_EQ(reviews, kRounds);
}

}  // namespace
}  // namespace carebridge::careplan
