// SqliteCarePlanStore as the care plan service's outbox (the `careplan`
// feed) and as the keeper of its consumers' cursors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/common/time_util.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

void AddMember(v1::CarePlan& plan, const std::string& team, bool lead,
               bool ended = false) {
  v1::CareTeamMember& member = *plan.add_care_team();
  member.set_team(team);
  member.set_role("care coordination");
  member.set_lead(lead);
  *member.mutable_start_time() = ToProtoTimestamp(kStart);
  if (ended) *member.mutable_end_time() = ToProtoTimestamp(kStart);
  if (lead) plan.set_lead_team(team);
}

// Version `version` of persons/p1's plan, led by teams/cmht with teams/vcs
// alongside, made by members/alice with a change of `kind`.
v1::CarePlan Version(int64_t version,
                     v1::Change::Kind kind = v1::Change::CONTENT_UPDATED) {
  v1::CarePlan plan;
  plan.set_person("persons/p1");
  plan.set_version(version);
  plan.add_goals()->set_description(absl::StrCat("goal at ", version));
  AddMember(plan, "teams/cmht", /*lead=*/true);
  AddMember(plan, "teams/vcs", /*lead=*/false);
  v1::Change& change = *plan.mutable_change();
  change.set_kind(kind);
  change.set_actor("members/alice");
  change.set_actor_team("teams/cmht");
  *change.mutable_time() = ToProtoTimestamp(kStart + absl::Minutes(version));
  return plan;
}

class SqliteCarePlanStoreEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        database_, ::carebridge::testing::TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(store_, SqliteCarePlanStore::Open(Location()));
  }
  DatabaseLocation Location() const { return database_->location("careplan"); }

  std::vector<events::v1::Event> Events() {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        store_->event_log()->ReadAfter(0, 100);
    EXPECT_THAT(events.status(), IsOk());
    return events.value_or(std::vector<events::v1::Event>());
  }

  int64_t Head() {
    absl::StatusOr<int64_t> head = store_->event_log()->Head();
    EXPECT_THAT(head.status(), IsOk());
    return head.value_or(-1);
  }

  int64_t StoredVersion() {
    absl::StatusOr<v1::CarePlan> plan = store_->GetCurrent("p1");
    return plan.ok() ? plan->version() : 0;
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteCarePlanStore> store_;
};

// --- The outbox -------------------------------------------------------------

TEST_F(SqliteCarePlanStoreEventsTest, EveryVersionAppendsItsEvent) {
  ASSERT_THAT(store_->Append("p1", Version(1), nullptr), IsOk());
  ASSERT_THAT(
      store_->Append("p1", Version(2, v1::Change::AGREEMENT_RECORDED), nullptr),
      IsOk());
  ASSERT_THAT(
      store_->Append("p1", Version(3, v1::Change::CARE_TEAM_CHANGED), nullptr),
      IsOk());
  ASSERT_THAT(
      store_->Append("p1", Version(4, v1::Change::LEAD_CHANGED), nullptr),
      IsOk());

  std::vector<std::string> types;
  for (const events::v1::Event& event : Events()) types.push_back(event.type());
  EXPECT_THAT(
      types,
      ElementsAre("careplan.content_updated", "careplan.agreement_recorded",
                  "careplan.care_team_changed", "careplan.lead_changed"));
}

TEST_F(SqliteCarePlanStoreEventsTest, EventDescribesTheVersion) {
  ASSERT_THAT(store_->Append("p1", Version(1), nullptr), IsOk());

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  const events::v1::Event& event = events[0];
  EXPECT_EQ(event.sequence(), 1);
  EXPECT_EQ(event.feed(), "careplan");
  EXPECT_EQ(event.id(), "careplan/1");
  EXPECT_EQ(event.subject(), "persons/p1/carePlan/versions/1");
  EXPECT_EQ(event.person(), "persons/p1");
  EXPECT_THAT(event.teams(), ElementsAre("teams/cmht", "teams/vcs"));
  EXPECT_EQ(event.actor(), "members/alice");
  EXPECT_EQ(FromProtoTimestamp(event.time()), kStart + absl::Minutes(1));
  // The payload is the plan as GetCarePlan presents it.
  v1::CarePlan presented = Version(1);
  presented.set_name("persons/p1/carePlan");
  presented.set_etag("1");
  v1::CarePlan payload;
  ASSERT_TRUE(event.payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(presented));
}

TEST_F(SqliteCarePlanStoreEventsTest, TeamsAreEveryTeamOnTheCareTeamOnce) {
  v1::CarePlan plan = Version(1);
  // Ended entries count (the team was concerned), and a team that left and
  // came back is named once.
  AddMember(plan, "teams/crisis", /*lead=*/false, /*ended=*/true);
  AddMember(plan, "teams/housing", /*lead=*/false, /*ended=*/true);
  AddMember(plan, "teams/housing", /*lead=*/false);
  ASSERT_THAT(store_->Append("p1", plan, nullptr), IsOk());

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].teams(), ElementsAre("teams/cmht", "teams/vcs",
                                             "teams/crisis", "teams/housing"));
}

TEST_F(SqliteCarePlanStoreEventsTest, FailedAppendAppendsNoEvent) {
  const PlanRequestKey key{"teams/cmht", "req-1", "fp"};
  ASSERT_THAT(store_->Append("p1", Version(1), &key), IsOk());

  // A stale version, a reused request id, a care team without a lead.
  EXPECT_THAT(store_->Append("p1", Version(1), nullptr),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->Append("p1", Version(2), &key),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::CarePlan leaderless = Version(2);
  leaderless.clear_lead_team();
  EXPECT_THAT(store_->Append("p1", leaderless, nullptr),
              StatusIs(absl::StatusCode::kInternal));

  EXPECT_EQ(Head(), 1);
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(SqliteCarePlanStoreEventsTest, CommitWakesTheFeedAfterwards) {
  std::atomic<int> wakes{0};
  std::atomic<int64_t> head_when_woken{-1};
  EventLog* log = store_->event_log();
  const EventLog::ListenerId id = log->AddListener([&] {
    ++wakes;
    // A quick read, for the test: the event is visible once woken.
    head_when_woken = log->Head().value_or(-1);
  });
  ASSERT_THAT(store_->Append("p1", Version(1), nullptr), IsOk());
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_EQ(head_when_woken.load(), 1);

  // A failed append wakes nobody.
  EXPECT_THAT(store_->Append("p1", Version(1), nullptr),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(wakes.load(), 1);
  log->RemoveListener(id);
}

TEST_F(SqliteCarePlanStoreEventsTest, EventsSurviveReopening) {
  ASSERT_THAT(store_->Append("p1", Version(1), nullptr), IsOk());
  ASSERT_THAT(store_->Append("p1", Version(2), nullptr), IsOk());
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteCarePlanStore::Open(Location()));
  EXPECT_EQ(Head(), 2);
  ASSERT_THAT(store_->Append("p1", Version(3), nullptr), IsOk());
  EXPECT_EQ(Events().back().sequence(), 3);
}

// --- Consumer cursors -------------------------------------------------------

TEST_F(SqliteCarePlanStoreEventsTest, NothingAppliedIsCursorZero) {
  EXPECT_THAT(store_->AppliedThrough("referral"), IsOkAndHolds(0));
}

TEST_F(SqliteCarePlanStoreEventsTest, AppliedVersionMovesTheCursorWithIt) {
  ASSERT_THAT(store_->AppendApplied("p1", Version(1), {"referral", 5}), IsOk());
  EXPECT_EQ(StoredVersion(), 1);
  EXPECT_EQ(Head(), 1);
  EXPECT_THAT(store_->AppliedThrough("referral"), IsOkAndHolds(5));
  EXPECT_THAT(store_->AppliedThrough("handover"), IsOkAndHolds(0));
}

TEST_F(SqliteCarePlanStoreEventsTest, AlreadyAppliedEventWritesNothing) {
  ASSERT_THAT(store_->AppendApplied("p1", Version(1), {"referral", 5}), IsOk());
  for (int64_t sequence : {5, 3}) {
    EXPECT_THAT(store_->AppendApplied("p1", Version(2), {"referral", sequence}),
                StatusIs(absl::StatusCode::kAlreadyExists,
                         HasSubstr(absl::StrCat("event referral/", sequence,
                                                " was applied already"))));
  }
  EXPECT_EQ(StoredVersion(), 1);
  EXPECT_EQ(Head(), 1);
  EXPECT_THAT(store_->AppliedThrough("referral"), IsOkAndHolds(5));
}

TEST_F(SqliteCarePlanStoreEventsTest, LostAppliedVersionLeavesTheCursor) {
  ASSERT_THAT(store_->Append("p1", Version(1), nullptr), IsOk());
  // Built on no plan, but version 1 got there first: all or nothing.
  EXPECT_THAT(store_->AppendApplied("p1", Version(1), {"handover", 9}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->AppliedThrough("handover"), IsOkAndHolds(0));
  EXPECT_EQ(Head(), 1);
}

TEST_F(SqliteCarePlanStoreEventsTest, EventWithoutEffectMovesTheCursorAlone) {
  ASSERT_THAT(store_->RecordApplied({"handover", 3}), IsOk());
  EXPECT_THAT(store_->AppliedThrough("handover"), IsOkAndHolds(3));
  EXPECT_EQ(Head(), 0);
  EXPECT_EQ(StoredVersion(), 0);
  // Redelivered or older: OK, the cursor stays.
  EXPECT_THAT(store_->RecordApplied({"handover", 3}), IsOk());
  EXPECT_THAT(store_->RecordApplied({"handover", 1}), IsOk());
  EXPECT_THAT(store_->AppliedThrough("handover"), IsOkAndHolds(3));
  ASSERT_THAT(store_->RecordApplied({"handover", 4}), IsOk());
  EXPECT_THAT(store_->AppliedThrough("handover"), IsOkAndHolds(4));
}

TEST_F(SqliteCarePlanStoreEventsTest, CursorsSurviveReopening) {
  ASSERT_THAT(store_->AppendApplied("p1", Version(1), {"referral", 8}), IsOk());
  ASSERT_THAT(store_->RecordApplied({"handover", 2}), IsOk());
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteCarePlanStore::Open(Location()));
  EXPECT_THAT(store_->AppliedThrough("referral"), IsOkAndHolds(8));
  EXPECT_THAT(store_->AppliedThrough("handover"), IsOkAndHolds(2));
}

TEST_F(SqliteCarePlanStoreEventsTest, PositionMustNameAnEvent) {
  EXPECT_THAT(store_->AppendApplied("p1", Version(1), {"", 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AppendApplied("p1", Version(1), {"referral", 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->RecordApplied({"referral", -1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Head(), 0);
}

}  // namespace
}  // namespace carebridge::careplan
