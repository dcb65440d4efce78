// The care plan database at real sizes, on SQLite and (under
// CAREBRIDGE_TEST_DATABASE=postgresql) PostgreSQL: the largest plan the
// validators allow, whole, and thousands of rows listed through every page.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_size.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/sqlite_break_glass_store.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/careplan/sqlite_sharing_store.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::TestDatabase;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

// `chars` characters (not bytes) of text naming `what`: mostly ASCII, with
// two- and three-byte characters throughout, as people write.
std::string Text(absl::string_view what, size_t chars) {
  const std::string seed = absl::StrCat(what, ": café — naïve ");
  std::string text;
  size_t count = 0;
  while (count < chars) {
    for (size_t i = 0; i < seed.size() && count < chars;) {
      const unsigned char lead = static_cast<unsigned char>(seed[i]);
      const size_t width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : 3;
      text.append(seed, i, width);
      i += width;
      ++count;
    }
  }
  return text;
}

// The largest plan the validators allow, led by teams/cmht: every list
// full and every text at its longest.
v1::CarePlan LargestPlan(int64_t version) {
  v1::CarePlan plan;
  plan.set_person("persons/p1");
  plan.set_version(version);
  for (size_t i = 0; i < kMaxGoals; ++i) {
    v1::Goal& goal = *plan.add_goals();
    goal.set_id(absl::StrCat("goal-", i));
    goal.set_description(
        Text(absl::StrCat("goal ", i, " v", version), kMaxShortTextChars));
  }
  for (size_t i = 0; i < kMaxActions; ++i) {
    v1::Action& action = *plan.add_actions();
    action.set_id(absl::StrCat("action-", i));
    action.set_description(
        Text(absl::StrCat("action ", i), kMaxShortTextChars));
    action.set_owning_team("teams/cmht");
  }
  v1::CrisisPlan& crisis = *plan.mutable_crisis_plan();
  crisis.set_early_warning_signs(Text("signs", kMaxLongTextChars));
  crisis.set_triggers(Text("triggers", kMaxLongTextChars));
  crisis.set_what_helps(Text("helps", kMaxLongTextChars));
  crisis.set_what_to_avoid(Text("avoid", kMaxLongTextChars));
  crisis.set_preferred_response(Text("response", kMaxLongTextChars));
  crisis.set_advance_statements(Text("statements", kMaxLongTextChars));
  for (size_t i = 0; i < kMaxCrisisContacts; ++i) {
    v1::CrisisContact& contact = *crisis.add_contacts();
    contact.set_name(Text(absl::StrCat("contact ", i), kMaxNameChars));
    contact.set_relationship(Text("relationship", kMaxNameChars));
    contact.set_how_to_contact(Text("how", kMaxNameChars));
    contact.set_when_to_contact(Text("when", kMaxShortTextChars));
  }
  v1::CareTeamMember& lead = *plan.add_care_team();
  lead.set_team("teams/cmht");
  lead.set_role("care coordination");
  lead.set_lead(true);
  *lead.mutable_start_time() = ToProtoTimestamp(kStart);
  plan.set_lead_team("teams/cmht");
  plan.mutable_change()->set_kind(v1::Change::CONTENT_UPDATED);
  plan.mutable_change()->set_reason(Text("reason", kMaxReasonChars));
  *plan.mutable_create_time() = ToProtoTimestamp(kStart);
  *plan.mutable_update_time() =
      ToProtoTimestamp(kStart + absl::Minutes(version));
  return plan;
}

// A small version `version` of persons/{person_id}'s plan.
v1::CarePlan SmallPlan(int64_t version, absl::string_view person_id) {
  v1::CarePlan plan;
  plan.set_person(absl::StrCat("persons/", person_id));
  plan.set_version(version);
  plan.add_goals()->set_description(absl::StrCat("goal at ", version));
  v1::CareTeamMember& lead = *plan.add_care_team();
  lead.set_team("teams/cmht");
  lead.set_lead(true);
  plan.set_lead_team("teams/cmht");
  return plan;
}

class CarePlanStoreScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(
        store_, SqliteCarePlanStore::Open(database_->location("careplan")));
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<TestDatabase> database_;
  std::unique_ptr<SqliteCarePlanStore> store_;
};

TEST_F(CarePlanStoreScaleTest, LargestPlanRoundTripsWhole) {
  const v1::CarePlan first = LargestPlan(1);
  // Large, and within what one version may take.
  ASSERT_GT(first.ByteSizeLong(), 400u * 1024);
  ASSERT_THAT(CheckPlanSize(first), IsOk());

  ASSERT_THAT(store_->Append("p1", first, nullptr), IsOk());
  const v1::CarePlan second = LargestPlan(2);
  PlanRequestKey key{"teams/cmht", "r-largest", std::string(32, '\xab')};
  ASSERT_THAT(store_->Append("p1", second, &key), IsOk());

  EXPECT_THAT(store_->GetCurrent("p1"), IsOkAndHolds(EqualsProto(second)));
  EXPECT_THAT(store_->GetVersion("p1", 1), IsOkAndHolds(EqualsProto(first)));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::CarePlan> both,
                       store_->ListVersions("p1", 0, 10));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(both[1].SerializeAsString(), first.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(std::optional<PlanRequestRecord> record,
                       store_->FindRequest("p1", "teams/cmht", "r-largest"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->version, 2);
  EXPECT_EQ(record->fingerprint, key.fingerprint);
  // Each version's event is in the feed.
  ASSERT_OK_AND_ASSIGN(std::vector<events::v1::Event> events,
                       store_->event_log()->ReadAfter(0, 10));
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(CarePlanStoreScaleTest, LargestVersionsListThroughEveryPage) {
  constexpr int kVersions = 12;
  for (int v = 1; v <= kVersions; ++v) {
    ASSERT_THAT(store_->Append("p1", LargestPlan(v), nullptr), IsOk());
  }
  int64_t before = 0;
  int64_t expected = kVersions;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::CarePlan> page,
                         store_->ListVersions("p1", before, 5));
    if (page.empty()) break;
    for (const v1::CarePlan& plan : page) {
      ASSERT_EQ(plan.version(), expected);
      EXPECT_EQ(plan.SerializeAsString(),
                LargestPlan(expected).SerializeAsString());
      --expected;
    }
    before = page.back().version();
  }
  EXPECT_EQ(expected, 0);
}

TEST_F(CarePlanStoreScaleTest, ThousandsOfVersionsListNewestFirstPageByPage) {
  constexpr int kVersions = 2500;
  // Another person's versions interleave and never show.
  for (int v = 1; v <= kVersions; ++v) {
    ASSERT_THAT(store_->Append("p1", SmallPlan(v, "p1"), nullptr), IsOk());
    if (v % 10 == 0) {
      ASSERT_THAT(store_->Append("p2", SmallPlan(v / 10, "p2"), nullptr),
                  IsOk());
    }
  }
  std::vector<int64_t> listed;
  int64_t before = 0;
  int pages = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::CarePlan> page,
                         store_->ListVersions("p1", before, 97));
    if (page.empty()) break;
    ++pages;
    for (const v1::CarePlan& plan : page) {
      ASSERT_EQ(plan.person(), "persons/p1");
      listed.push_back(plan.version());
    }
    before = page.back().version();
  }
  std::vector<int64_t> expected;
  for (int v = kVersions; v >= 1; --v) expected.push_back(v);
  EXPECT_EQ(listed, expected);
  EXPECT_EQ(pages, (kVersions + 96) / 97);
  ASSERT_OK_AND_ASSIGN(int64_t head, store_->event_log()->Head());
  EXPECT_EQ(head, kVersions + kVersions / 10);
}

TEST_F(CarePlanStoreScaleTest, ThousandsOfBreakGlassAccessesPageNewestFirst) {
  SqliteBreakGlassStore accesses(store_->db(), store_->event_log());
  constexpr int kAccesses = 2000;
  // (number, reason) of each access to persons/p1, in the order made.
  std::vector<std::pair<int64_t, std::string>> inserted;
  for (int i = 0; i < kAccesses; ++i) {
    v1::BreakGlassAccess access;
    access.set_member(absl::StrCat("members/m", i % 7));
    access.set_reason(Text(absl::StrCat("access ", i), kMaxReasonChars));
    ASSERT_OK_AND_ASSIGN(int64_t seq, accesses.Insert("p1", access));
    inserted.emplace_back(seq, access.reason());
    if (i % 4 == 0) {
      ASSERT_THAT(accesses.Insert("p2", access).status(), IsOk());
    }
  }
  std::vector<std::pair<int64_t, std::string>> listed;
  int64_t before = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(
        auto page, accesses.List("p1", before, 128, /*unreviewed_only=*/false));
    if (page.empty()) break;
    for (const auto& [seq, access] : page) {
      listed.emplace_back(seq, access.reason());
    }
    before = page.back().first;
  }
  EXPECT_EQ(listed, decltype(listed)(inserted.rbegin(), inserted.rend()));
  ASSERT_OK_AND_ASSIGN(std::optional<v1::BreakGlassAccess> latest,
                       accesses.Latest("p1", "members/m3"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->reason(), Text("access 1998", kMaxReasonChars));
}

TEST_F(CarePlanStoreScaleTest, ThousandsOfSharingVersionsPageNewestFirst) {
  SqliteSharingStore sharing(store_->db(), store_->event_log());
  constexpr int kVersions = 1500;
  for (int v = 1; v <= kVersions; ++v) {
    v1::SharingChoices choices;
    choices.set_version(v);
    ASSERT_THAT(sharing.Append("p1", choices, {"teams/cmht"}), IsOk());
  }
  std::vector<int64_t> listed;
  int64_t before = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::SharingChoices> page,
                         sharing.ListVersions("p1", before, 100));
    if (page.empty()) break;
    for (const v1::SharingChoices& choices : page) {
      listed.push_back(choices.version());
    }
    before = page.back().version();
  }
  std::vector<int64_t> expected;
  for (int v = kVersions; v >= 1; --v) expected.push_back(v);
  EXPECT_EQ(listed, expected);
  ASSERT_OK_AND_ASSIGN(std::optional<v1::SharingChoices> current,
                       sharing.GetCurrent("p1"));
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->version(), kVersions);
}

}  // namespace
}  // namespace carebridge::careplan
