#include "services/careplan/caching_careplan_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;

v1::CarePlan PlanAt(int64_t version, const std::string& goal) {
  v1::CarePlan plan;
  plan.set_person("persons/p1");
  plan.set_version(version);
  plan.add_goals()->set_description(goal);
  return plan;
}

class CachingCarePlanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteCarePlanStore> sqlite,
                         SqliteCarePlanStore::Open(dir_.File("careplan.db")));
    sqlite_ = sqlite.get();
    store_ = std::make_unique<CachingCarePlanStore>(std::move(sqlite),
                                                    /*max_entries=*/2);
  }

  ::carebridge::testing::TempDir dir_;
  SqliteCarePlanStore* sqlite_ = nullptr;
  std::unique_ptr<CachingCarePlanStore> store_;
};

TEST_F(CachingCarePlanStoreTest, ReadsAfterTheFirstComeFromMemory) {
  ASSERT_OK(sqlite_->Append("p1", PlanAt(1, "Sleep"), nullptr));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const CurrentPlan> first,
                       store_->GetCurrentShared("p1"));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const CurrentPlan> second,
                       store_->GetCurrentShared("p1"));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_THAT(first->plan, EqualsProto(PlanAt(1, "Sleep")));
  EXPECT_EQ(first->wire, PlanAt(1, "Sleep").SerializeAsString());
  EXPECT_THAT(store_->GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(1, "Sleep"))));
}

TEST_F(CachingCarePlanStoreTest, AnAppendIsWhatTheNextReadSees) {
  ASSERT_OK(store_->Append("p1", PlanAt(1, "Sleep"), nullptr));
  ASSERT_OK(store_->GetCurrentShared("p1").status());
  ASSERT_OK(store_->Append("p1", PlanAt(2, "Walk the dog"), nullptr));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const CurrentPlan> current,
                       store_->GetCurrentShared("p1"));
  EXPECT_THAT(current->plan, EqualsProto(PlanAt(2, "Walk the dog")));
  EXPECT_EQ(current->wire, PlanAt(2, "Walk the dog").SerializeAsString());
}

TEST_F(CachingCarePlanStoreTest, AFailedAppendLeavesTheCachedPlan) {
  ASSERT_OK(store_->Append("p1", PlanAt(1, "Sleep"), nullptr));
  EXPECT_THAT(store_->Append("p1", PlanAt(3, "Skipped a version"), nullptr),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(1, "Sleep"))));
}

TEST_F(CachingCarePlanStoreTest, AnAppliedVersionIsWhatTheNextReadSees) {
  ASSERT_OK(store_->Append("p1", PlanAt(1, "Sleep"), nullptr));
  ASSERT_OK(store_->GetCurrentShared("p1").status());
  ASSERT_OK(
      store_->AppendApplied("p1", PlanAt(2, "Walk the dog"), {"referral", 4}));
  EXPECT_THAT(store_->GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(2, "Walk the dog"))));
  EXPECT_THAT(store_->AppliedThrough("referral"), IsOkAndHolds(4));
}

TEST_F(CachingCarePlanStoreTest, AnAlreadyAppliedEventLeavesTheCachedPlan) {
  ASSERT_OK(store_->AppendApplied("p1", PlanAt(1, "Sleep"), {"referral", 4}));
  EXPECT_THAT(
      store_->AppendApplied("p1", PlanAt(2, "Walk the dog"), {"referral", 4}),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(1, "Sleep"))));
}

TEST_F(CachingCarePlanStoreTest, CursorsAndEventsPassThrough) {
  ASSERT_OK(store_->RecordApplied({"handover", 6}));
  EXPECT_THAT(sqlite_->AppliedThrough("handover"), IsOkAndHolds(6));
  ASSERT_OK(store_->Append("p1", PlanAt(1, "Sleep"), nullptr));
  EXPECT_THAT(sqlite_->event_log()->Head(), IsOkAndHolds(1));
}

TEST_F(CachingCarePlanStoreTest, MissingPlansAreNotFoundAndNotCached) {
  EXPECT_THAT(store_->GetCurrentShared("p9"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->size(), 0u);
  ASSERT_OK(store_->Append("p9", PlanAt(1, "First"), nullptr));
  EXPECT_THAT(store_->GetCurrent("p9"),
              IsOkAndHolds(EqualsProto(PlanAt(1, "First"))));
}

TEST_F(CachingCarePlanStoreTest, HoldsAtMostMaxEntries) {
  for (const char* person : {"p1", "p2", "p3", "p4", "p5"}) {
    ASSERT_OK(store_->Append(person, PlanAt(1, person), nullptr));
    EXPECT_LE(store_->size(), 2u);
  }
  for (const char* person : {"p1", "p2", "p3", "p4", "p5"}) {
    EXPECT_THAT(store_->GetCurrent(person),
                IsOkAndHolds(EqualsProto(PlanAt(1, person))));
    EXPECT_LE(store_->size(), 2u);
  }
}

// An inner store whose GetCurrent waits until told, so a test can let a
// write finish while a read of the older version is still in flight.
class SlowReadStore : public CarePlanStore {
 public:
  absl::StatusOr<v1::CarePlan> GetCurrent(absl::string_view) override {
    v1::CarePlan loaded = current_;
    reading_.Notify();
    release_.WaitForNotification();
    return loaded;
  }
  absl::Status Append(absl::string_view, const v1::CarePlan& plan,
                      const PlanRequestKey*) override {
    current_ = plan;
    return absl::OkStatus();
  }
  absl::Status AppendApplied(absl::string_view, const v1::CarePlan& plan,
                             const FeedPosition&) override {
    current_ = plan;
    return absl::OkStatus();
  }
  absl::Status RecordApplied(const FeedPosition&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> AppliedThrough(absl::string_view) override {
    return 0;
  }
  absl::StatusOr<std::optional<PlanRequestRecord>> FindRequest(
      absl::string_view, absl::string_view, absl::string_view) override {
    return std::nullopt;
  }
  absl::StatusOr<v1::CarePlan> GetVersion(absl::string_view, int64_t) override {
    return current_;
  }
  absl::StatusOr<std::vector<v1::CarePlan>> ListVersions(absl::string_view,
                                                         int64_t,
                                                         int) override {
    return std::vector<v1::CarePlan>{current_};
  }

  v1::CarePlan current_ = PlanAt(1, "Sleep");
  absl::Notification reading_;
  absl::Notification release_;
};

TEST(CachingCarePlanStoreRaceTest, ASlowReadNeverHidesANewerWrite) {
  auto inner = std::make_unique<SlowReadStore>();
  SlowReadStore* slow = inner.get();
  CachingCarePlanStore store(std::move(inner));

  std::thread reader([&] { EXPECT_THAT(store.GetCurrent("p1"), IsOk()); });
  slow->reading_.WaitForNotification();  // it has loaded version 1
  ASSERT_OK(store.Append("p1", PlanAt(2, "Walk the dog"), nullptr));
  slow->release_.Notify();  // now it offers version 1 to the cache
  reader.join();

  EXPECT_THAT(store.GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(2, "Walk the dog"))));
}

}  // namespace
}  // namespace carebridge::careplan
