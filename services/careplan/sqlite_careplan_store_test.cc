#include "services/careplan/sqlite_careplan_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
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
using ::carebridge::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

// Version `version` of persons/{person_id}'s plan, led by teams/cmht, with
// a goal that tells versions apart.
v1::CarePlan Version(int64_t version, absl::string_view person_id = "p1",
                     absl::string_view goal = "") {
  v1::CarePlan plan;
  plan.set_person(absl::StrCat("persons/", person_id));
  plan.set_version(version);
  v1::Goal& g = *plan.add_goals();
  g.set_id("g1-1");
  g.set_description(goal.empty() ? absl::StrCat("goal at version ", version)
                                 : std::string(goal));
  v1::CareTeamMember& lead = *plan.add_care_team();
  lead.set_team("teams/cmht");
  lead.set_role("care coordination");
  lead.set_lead(true);
  *lead.mutable_start_time() = ToProtoTimestamp(kStart);
  plan.set_lead_team("teams/cmht");
  plan.mutable_change()->set_kind(v1::Change::CONTENT_UPDATED);
  plan.mutable_change()->set_reason("first meeting");
  *plan.mutable_create_time() = ToProtoTimestamp(kStart);
  *plan.mutable_update_time() =
      ToProtoTimestamp(kStart + absl::Minutes(version));
  return plan;
}

PlanRequestKey Key(absl::string_view request_id,
                   absl::string_view fingerprint = "fp",
                   absl::string_view team = "teams/cmht") {
  return PlanRequestKey{std::string(team), std::string(request_id),
                        std::string(fingerprint)};
}

std::vector<int64_t> VersionNumbers(const std::vector<v1::CarePlan>& plans) {
  std::vector<int64_t> numbers;
  for (const v1::CarePlan& plan : plans) numbers.push_back(plan.version());
  return numbers;
}

MATCHER_P2(IsRecord, version, fingerprint, "") {
  return arg.version == version && arg.fingerprint == fingerprint;
}

MATCHER(NoRecord, "") { return !arg.has_value(); }

// On SQLite, or on PostgreSQL under CAREBRIDGE_TEST_DATABASE=postgresql
// (sqlite_careplan_store_test_postgresql).
class SqliteCarePlanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(store_, SqliteCarePlanStore::Open(Location()));
  }
  DatabaseLocation Location() const { return database_->location("careplan"); }

  // Appends versions 1..n of persons/p1's plan.
  void AppendVersions(int n) {
    for (int v = 1; v <= n; ++v) {
      ASSERT_THAT(store_->Append("p1", Version(v), nullptr), IsOk());
    }
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<TestDatabase> database_;
  std::unique_ptr<SqliteCarePlanStore> store_;
};

// --- Versions and the compare-and-swap ---

TEST_F(SqliteCarePlanStoreTest, FirstVersionReadsBackAsTheCurrentPlan) {
  ASSERT_THAT(store_->Append("p1", Version(1), nullptr), IsOk());
  EXPECT_THAT(store_->GetCurrent("p1"), IsOkAndHolds(EqualsProto(Version(1))));
}

TEST_F(SqliteCarePlanStoreTest, NameAndEtagAreNeverStored) {
  v1::CarePlan plan = Version(1);
  plan.set_name("persons/p1/carePlan");
  plan.set_etag("1");
  ASSERT_THAT(store_->Append("p1", plan, nullptr), IsOk());
  EXPECT_THAT(store_->GetCurrent("p1"), IsOkAndHolds(EqualsProto(Version(1))));
}

TEST_F(SqliteCarePlanStoreTest, PersonWithoutPlanIsNotFound) {
  EXPECT_THAT(
      store_->GetCurrent("p1"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("persons/p1/carePlan")));
}

TEST_F(SqliteCarePlanStoreTest, CurrentIsTheNewestVersion) {
  AppendVersions(3);
  EXPECT_THAT(store_->GetCurrent("p1"), IsOkAndHolds(EqualsProto(Version(3))));
}

TEST_F(SqliteCarePlanStoreTest, OnlyTheNextVersionCanBeAppended) {
  struct Case {
    const char* name;
    int existing;
    int64_t appended;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"the same version again", 2, 2,
            "persons/p1/carePlan: cannot append version 2; the plan is now "
            "at version 2"},
           {"a stale version", 3, 2, "the plan is now at version 3"},
           {"a version skipped", 1, 3, "the plan is now at version 1"},
           {"not starting at 1", 0, 2,
            "persons/p1/carePlan: cannot append version 2; the plan has no "
            "versions yet (the first is version 1)"},
       }) {
    SCOPED_TRACE(c.name);
    ::carebridge::testing::TempDir dir;
    ASSERT_OK_AND_ASSIGN(TestDatabase database,
                         TestDatabase::Create(dir.path()));
    ASSERT_OK_AND_ASSIGN(
        auto store, SqliteCarePlanStore::Open(database.location("careplan")));
    for (int v = 1; v <= c.existing; ++v) {
      ASSERT_THAT(store->Append("p1", Version(v), nullptr), IsOk());
    }
    EXPECT_THAT(
        store->Append("p1", Version(c.appended, "p1", "lost update"), nullptr),
        StatusIs(absl::StatusCode::kAborted, HasSubstr(c.message)));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::CarePlan> all,
                         store->ListVersions("p1", 0, 100));
    EXPECT_EQ(all.size(), static_cast<size_t>(c.existing));
    for (const v1::CarePlan& plan : all) {
      EXPECT_NE(plan.goals(0).description(), "lost update");
    }
  }
}

TEST_F(SqliteCarePlanStoreTest, VersionBelowOneIsInvalid) {
  EXPECT_THAT(store_->Append("p1", Version(0), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SqliteCarePlanStoreTest, PlanThatBreaksTheLeadInvariantIsNotStored) {
  v1::CarePlan plan = Version(1);
  plan.clear_lead_team();
  EXPECT_THAT(store_->Append("p1", plan, nullptr),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("lead")));
  EXPECT_THAT(store_->GetCurrent("p1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SqliteCarePlanStoreTest, EachPersonHasTheirOwnVersionChain) {
  ASSERT_THAT(store_->Append("p1", Version(1, "p1"), nullptr), IsOk());
  ASSERT_THAT(store_->Append("p1", Version(2, "p1"), nullptr), IsOk());
  ASSERT_THAT(store_->Append("p2", Version(1, "p2"), nullptr), IsOk());
  EXPECT_THAT(store_->GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(Version(2, "p1"))));
  EXPECT_THAT(store_->GetCurrent("p2"),
              IsOkAndHolds(EqualsProto(Version(1, "p2"))));
}

TEST_F(SqliteCarePlanStoreTest,
       ConcurrentAppendsHaveExactlyOneWinnerPerVersion) {
  constexpr int kThreads = 8;
  constexpr int kVersions = 30;
  // outcome[t][v] is what thread t got appending version v + 1.
  std::vector<std::vector<absl::StatusCode>> outcome(
      kThreads, std::vector<absl::StatusCode>(kVersions));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int v = 1; v <= kVersions; ++v) {
        outcome[t][v - 1] =
            store_
                ->Append("p1", Version(v, "p1", absl::StrCat("by thread ", t)),
                         nullptr)
                .code();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (int v = 1; v <= kVersions; ++v) {
    SCOPED_TRACE(absl::StrCat("version ", v));
    int winner = -1;
    for (int t = 0; t < kThreads; ++t) {
      if (outcome[t][v - 1] == absl::StatusCode::kOk) {
        EXPECT_EQ(winner, -1) << "threads " << winner << " and " << t;
        winner = t;
      } else {
        EXPECT_EQ(outcome[t][v - 1], absl::StatusCode::kAborted);
      }
    }
    ASSERT_NE(winner, -1);
    ASSERT_OK_AND_ASSIGN(v1::CarePlan stored, store_->GetVersion("p1", v));
    EXPECT_EQ(stored.goals(0).description(),
              absl::StrCat("by thread ", winner));
  }
}

// --- Request keys ---

TEST_F(SqliteCarePlanStoreTest, RequestKeyIsRecordedWithItsVersion) {
  AppendVersions(1);
  PlanRequestKey key = Key("r1", "fingerprint-of-change");
  ASSERT_THAT(store_->Append("p1", Version(2), &key), IsOk());
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", "r1"),
              IsOkAndHolds(Optional(IsRecord(2, "fingerprint-of-change"))));
}

TEST_F(SqliteCarePlanStoreTest, FingerprintIsKeptByteForByte) {
  const std::string binary("\0\x01\xff sha", 8);
  PlanRequestKey key = Key("r1", binary);
  ASSERT_THAT(store_->Append("p1", Version(1), &key), IsOk());
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", "r1"),
              IsOkAndHolds(Optional(IsRecord(1, binary))));
}

TEST_F(SqliteCarePlanStoreTest, RequestKeysAreScopedToPersonAndTeam) {
  PlanRequestKey key = Key("r1");
  ASSERT_THAT(store_->Append("p1", Version(1), &key), IsOk());
  EXPECT_THAT(store_->FindRequest("p1", "teams/crisis", "r1"),
              IsOkAndHolds(NoRecord()));
  EXPECT_THAT(store_->FindRequest("p2", "teams/cmht", "r1"),
              IsOkAndHolds(NoRecord()));
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", "r2"),
              IsOkAndHolds(NoRecord()));

  // The same id is free for another team and on another person's plan.
  PlanRequestKey other_team = Key("r1", "fp", "teams/crisis");
  EXPECT_THAT(store_->Append("p1", Version(2), &other_team), IsOk());
  PlanRequestKey other_person = Key("r1");
  EXPECT_THAT(store_->Append("p2", Version(1, "p2"), &other_person), IsOk());
}

TEST_F(SqliteCarePlanStoreTest,
       ReusedRequestKeyIsAlreadyExistsAndStoresNothing) {
  PlanRequestKey first = Key("r1", "first change");
  ASSERT_THAT(store_->Append("p1", Version(1), &first), IsOk());
  PlanRequestKey again = Key("r1", "another change");
  EXPECT_THAT(store_->Append("p1", Version(2), &again),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "request_id: r1 was already used by teams/cmht on "
                       "persons/p1/carePlan (version 1)"));
  EXPECT_THAT(store_->GetCurrent("p1"), IsOkAndHolds(EqualsProto(Version(1))));
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", "r1"),
              IsOkAndHolds(Optional(IsRecord(1, "first change"))));
}

TEST_F(SqliteCarePlanStoreTest, AbortedAppendRecordsNoRequestKey) {
  AppendVersions(2);
  PlanRequestKey key = Key("r1");
  EXPECT_THAT(store_->Append("p1", Version(2), &key),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", "r1"),
              IsOkAndHolds(NoRecord()));
  // So the caller can retry at the current version with the same key.
  EXPECT_THAT(store_->Append("p1", Version(3), &key), IsOk());
}

TEST_F(SqliteCarePlanStoreTest, EmptyRequestIdRecordsNothing) {
  PlanRequestKey key = Key("");
  ASSERT_THAT(store_->Append("p1", Version(1), &key), IsOk());
  ASSERT_THAT(store_->Append("p1", Version(2), &key), IsOk());
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", ""),
              IsOkAndHolds(NoRecord()));
}

// --- Reading versions ---

TEST_F(SqliteCarePlanStoreTest, EveryVersionStaysReadable) {
  AppendVersions(3);
  for (int v = 1; v <= 3; ++v) {
    EXPECT_THAT(store_->GetVersion("p1", v),
                IsOkAndHolds(EqualsProto(Version(v))));
  }
}

TEST_F(SqliteCarePlanStoreTest, MissingVersionIsNotFoundNamingIt) {
  AppendVersions(2);
  EXPECT_THAT(store_->GetVersion("p1", 3),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("persons/p1/carePlan/versions/3")));
  EXPECT_THAT(store_->GetVersion("p1", 0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetVersion("p2", 1),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("persons/p2/carePlan/versions/1")));
}

TEST_F(SqliteCarePlanStoreTest, ListVersionsPagesNewestFirst) {
  AppendVersions(5);
  struct Case {
    int64_t before;
    int limit;
    std::vector<int64_t> expected;
  };
  for (const Case& c : std::vector<Case>{
           {0, 2, {5, 4}},
           {4, 2, {3, 2}},
           {2, 2, {1}},
           {1, 2, {}},
           {0, 100, {5, 4, 3, 2, 1}},
           {6, 1, {5}},
           {1000, 3, {5, 4, 3}},
           {3, 0, {}},
       }) {
    SCOPED_TRACE(absl::StrCat("before ", c.before, " limit ", c.limit));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::CarePlan> page,
                         store_->ListVersions("p1", c.before, c.limit));
    EXPECT_THAT(VersionNumbers(page), ElementsAreArray(c.expected));
  }
}

TEST_F(SqliteCarePlanStoreTest, ListVersionsReturnsWholeVersions) {
  AppendVersions(2);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::CarePlan> all,
                       store_->ListVersions("p1", 0, 10));
  EXPECT_THAT(all,
              ElementsAre(EqualsProto(Version(2)), EqualsProto(Version(1))));
}

TEST_F(SqliteCarePlanStoreTest, ListVersionsOfPersonWithoutPlanIsEmpty) {
  EXPECT_THAT(store_->ListVersions("p1", 0, 10), IsOkAndHolds(IsEmpty()));
}

TEST_F(SqliteCarePlanStoreTest, NegativeListArgumentsAreInvalid) {
  EXPECT_THAT(store_->ListVersions("p1", -1, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListVersions("p1", 0, -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- Durability and damage ---

TEST_F(SqliteCarePlanStoreTest, VersionsAndRequestKeysSurviveReopening) {
  AppendVersions(1);
  PlanRequestKey key = Key("r1");
  ASSERT_THAT(store_->Append("p1", Version(2), &key), IsOk());
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteCarePlanStore::Open(Location()));
  EXPECT_THAT(store_->GetCurrent("p1"), IsOkAndHolds(EqualsProto(Version(2))));
  EXPECT_THAT(store_->GetVersion("p1", 1),
              IsOkAndHolds(EqualsProto(Version(1))));
  EXPECT_THAT(store_->FindRequest("p1", "teams/cmht", "r1"),
              IsOkAndHolds(Optional(IsRecord(2, "fp"))));
  // The chain continues where it was.
  EXPECT_THAT(store_->Append("p1", Version(2), nullptr),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->Append("p1", Version(3), nullptr), IsOk());
}

TEST_F(SqliteCarePlanStoreTest, UndecodableRecordIsInternalNamingTheVersion) {
  AppendVersions(1);
  ASSERT_THAT(store_->db()->Write([](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement damage,
                     conn.Prepare("UPDATE care_plan_versions SET body = ?1"));
    damage.BindBlob(1, "\xff\xff");
    return damage.Run();
  }),
              IsOk());
  EXPECT_THAT(store_->GetCurrent("p1"),
              StatusIs(absl::StatusCode::kInternal,
                       "persons/p1/carePlan/versions/1: stored record cannot "
                       "be decoded"));
}

}  // namespace
}  // namespace carebridge::careplan
