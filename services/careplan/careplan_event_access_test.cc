// CarePlanEventAccess: need to know for the `careplan` feed is judged on the
// care team as it is now, also in the moment between a commit (which wakes
// the feeds) and the cache taking the new version in.

#include "services/careplan/careplan_event_access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/caching_careplan_store.h"
#include "services/careplan/careplan_events.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/common/time_util.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

// Version `version` of persons/p1's plan, led by teams/cmht; teams/vcs on
// the care team, its involvement ended at the version's time when
// `vcs_ended`.
v1::CarePlan Version(int64_t version, bool vcs_ended) {
  v1::CarePlan plan;
  plan.set_person("persons/p1");
  plan.set_version(version);
  plan.set_lead_team("teams/cmht");
  plan.add_goals()->set_description(absl::StrCat("goal at ", version));
  const absl::Time time = kStart + absl::Minutes(version);
  for (const char* team : {"teams/cmht", "teams/vcs"}) {
    v1::CareTeamMember& member = *plan.add_care_team();
    member.set_team(team);
    member.set_role("care coordination");
    member.set_lead(std::string(team) == "teams/cmht");
    *member.mutable_start_time() = ToProtoTimestamp(kStart);
    if (vcs_ended && std::string(team) == "teams/vcs") {
      *member.mutable_end_time() = ToProtoTimestamp(time);
    }
  }
  v1::Change& change = *plan.mutable_change();
  change.set_kind(vcs_ended ? v1::Change::CARE_TEAM_CHANGED
                            : v1::Change::CONTENT_UPDATED);
  if (vcs_ended) change.add_sections(v1::CARE_TEAM);
  change.set_actor("members/alice");
  change.set_actor_team("teams/cmht");
  *change.mutable_time() = ToProtoTimestamp(time);
  return plan;
}

class CarePlanEventAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteCarePlanStore> sqlite,
                         SqliteCarePlanStore::Open(dir_.File("careplan.db")));
    sqlite_ = sqlite.get();
    cache_ = std::make_unique<CachingCarePlanStore>(std::move(sqlite), 100);
  }

  events::v1::Event EventOfVersion(int64_t version) {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        sqlite_->event_log()->ReadAfter(version - 1, 1);
    EXPECT_THAT(events.status(), IsOk());
    EXPECT_EQ(events->size(), 1u);
    return events->empty() ? events::v1::Event() : events->front();
  }

  Principal Vcs() const {
    Principal vcs;
    vcs.subject = "members/bob";
    vcs.team = "teams/vcs";
    vcs.role = Role::kClinician;
    return vcs;
  }

  testing::TempDir dir_;
  SqliteCarePlanStore* sqlite_ = nullptr;
  std::unique_ptr<CachingCarePlanStore> cache_;
};

// The cache shows version 1; versions 2 (vcs still involved) and 3 (vcs's
// involvement ended) are committed but not yet taken in, as in the moment
// after a commit. Version 2 delivered now must be judged on version 3.
TEST_F(CarePlanEventAccessTest, AnEventNewerThanTheCacheIsJudgedOnTheStore) {
  ASSERT_THAT(cache_->Append("p1", Version(1, false), nullptr), IsOk());
  ASSERT_THAT(sqlite_->Append("p1", Version(2, false), nullptr), IsOk());
  ASSERT_THAT(sqlite_->Append("p1", Version(3, true), nullptr), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::CarePlan cached, cache_->GetCurrent("p1"));
  ASSERT_EQ(cached.version(), 1);
  const events::v1::Event second = EventOfVersion(2);
  const events::v1::Event third = EventOfVersion(3);

  CarePlanEventAccess access(cache_.get(), sqlite_);
  EXPECT_THAT(access.VisibilityNow(Vcs(), second),
              testing::IsOkAndHolds(policy::EventVisibility::kHidden));
  // The version that ended vcs's involvement: metadata only.
  EXPECT_THAT(access.VisibilityNow(Vcs(), third),
              testing::IsOkAndHolds(policy::EventVisibility::kMetadataOnly));

  // Without the durable store, the event's own version is all there is to
  // go on: version 2 still shows vcs involved (the gap this closes).
  CarePlanEventAccess cache_only(cache_.get());
  EXPECT_THAT(cache_only.VisibilityNow(Vcs(), second),
              testing::IsOkAndHolds(policy::EventVisibility::kFull));
}

TEST_F(CarePlanEventAccessTest, AnInvolvedTeamSeesTheEventInFull) {
  ASSERT_THAT(cache_->Append("p1", Version(1, false), nullptr), IsOk());
  CarePlanEventAccess access(cache_.get(), sqlite_);
  EXPECT_THAT(access.VisibilityNow(Vcs(), EventOfVersion(1)),
              testing::IsOkAndHolds(policy::EventVisibility::kFull));
}

v1::SharingChoices Choices() {
  v1::SharingChoices choices;
  choices.set_person("persons/p1");
  choices.set_version(1);
  choices.set_updated_by("persons/p1");
  *choices.mutable_update_time() = ToProtoTimestamp(kStart);
  choices.set_reason("I would rather the peer team saw only my goals");
  v1::SharingRule& rule = *choices.add_rules();
  rule.set_team("teams/vcs");
  rule.add_parts(v1::SHARED_GOALS);
  return choices;
}

// A change of sharing choices carries no version to tell how current the
// cache is: who is on the care team now comes from the durable store.
TEST_F(CarePlanEventAccessTest, AnEventWithoutAVersionIsJudgedOnTheStore) {
  ASSERT_THAT(cache_->Append("p1", Version(1, false), nullptr), IsOk());
  ASSERT_THAT(sqlite_->Append("p1", Version(2, true), nullptr), IsOk());
  const events::v1::Event changed =
      SharingChangedEvent("p1", Choices(), {"teams/cmht", "teams/vcs"});
  CarePlanEventAccess access(cache_.get(), sqlite_);
  EXPECT_THAT(access.VisibilityNow(Vcs(), changed),
              testing::IsOkAndHolds(policy::EventVisibility::kHidden));
  CarePlanEventAccess cache_only(cache_.get());
  EXPECT_THAT(cache_only.VisibilityNow(Vcs(), changed),
              testing::IsOkAndHolds(policy::EventVisibility::kFull));
}

// The rules and the reason are the person's words to their lead team: a
// team shown the whole plan but not leading it gets that the choices
// changed, by whom and when.
TEST_F(CarePlanEventAccessTest, OnlyTheLeadTeamGetsTheChoicesInFull) {
  ASSERT_THAT(cache_->Append("p1", Version(1, false), nullptr), IsOk());
  CarePlanEventAccess access(cache_.get(), sqlite_);
  events::v1::Event to_vcs =
      SharingChangedEvent("p1", Choices(), {"teams/cmht", "teams/vcs"});
  ASSERT_THAT(access.Present(Vcs(), to_vcs),
              testing::IsOkAndHolds(policy::EventVisibility::kFull));
  v1::SharingChoices outlined;
  ASSERT_TRUE(to_vcs.payload().UnpackTo(&outlined));
  EXPECT_EQ(outlined.version(), 1);
  EXPECT_EQ(outlined.updated_by(), "persons/p1");
  EXPECT_TRUE(outlined.has_update_time());
  EXPECT_EQ(outlined.reason(), "");
  EXPECT_EQ(outlined.rules_size(), 0);

  Principal lead = Vcs();
  lead.subject = "members/alice";
  lead.team = "teams/cmht";
  events::v1::Event to_lead =
      SharingChangedEvent("p1", Choices(), {"teams/cmht", "teams/vcs"});
  ASSERT_THAT(access.Present(lead, to_lead),
              testing::IsOkAndHolds(policy::EventVisibility::kFull));
  v1::SharingChoices full;
  ASSERT_TRUE(to_lead.payload().UnpackTo(&full));
  EXPECT_EQ(full.reason(), Choices().reason());
  EXPECT_EQ(full.rules_size(), 1);
}

}  // namespace
}  // namespace carebridge::careplan
