#include "services/careplan/caching_careplan_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
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
// Only the first read waits; `others` holds plans of persons other than
// p1.
class SlowReadStore : public CarePlanStore {
 public:
  absl::StatusOr<v1::CarePlan> GetCurrent(absl::string_view person) override {
    if (person != "p1") return others_[std::string(person)];
    v1::CarePlan loaded = current_;
    if (!reading_.HasBeenNotified()) {
      reading_.Notify();
      release_.WaitForNotification();
    }
    return loaded;
  }
  absl::Status Append(absl::string_view person, const v1::CarePlan& plan,
                      const PlanRequestKey*) override {
    if (person != "p1") {
      others_[std::string(person)] = plan;
      return absl::OkStatus();
    }
    current_ = plan;
    if (hold_append_ && !appending_.HasBeenNotified()) {
      appending_.Notify();
      finish_append_.WaitForNotification();
    }
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
  absl::StatusOr<bool> IsPending(const FeedPosition&) override { return true; }
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
  std::map<std::string, v1::CarePlan> others_;
  absl::Notification reading_;
  absl::Notification release_;
  // When set, the first append of p1 stores its plan, then waits until
  // told before returning (committed, not yet answered).
  bool hold_append_ = false;
  absl::Notification appending_;
  absl::Notification finish_append_;
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

// The cache is emptied to make room while a read of an older version is in
// flight: that read must not bring the older version back, or every later
// write (and every accepted referral or handover the consumers apply) would
// be built on it and lose its compare-and-swap for ever.
TEST(CachingCarePlanStoreRaceTest,
     ASlowReadNeverHidesANewerWriteAfterEmptying) {
  auto inner = std::make_unique<SlowReadStore>();
  SlowReadStore* slow = inner.get();
  CachingCarePlanStore store(std::move(inner), /*max_entries=*/1);

  std::thread reader([&] { EXPECT_THAT(store.GetCurrent("p1"), IsOk()); });
  slow->reading_.WaitForNotification();  // it has loaded version 1
  ASSERT_OK(store.Append("p1", PlanAt(2, "Walk the dog"), nullptr));
  // Another person's plan fills the cache, which is emptied for it.
  ASSERT_OK(store.Append("p2", PlanAt(1, "Cook"), nullptr));
  slow->release_.Notify();  // now it offers version 1 to the cache
  reader.join();

  EXPECT_THAT(store.GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(2, "Walk the dog"))));
}

// The same for a write that committed but had not yet told the cache when
// a newer write was held and then dropped to make room.
TEST(CachingCarePlanStoreRaceTest,
     ASlowWriteNeverHidesANewerWriteAfterEmptying) {
  auto inner = std::make_unique<SlowReadStore>();
  SlowReadStore* slow = inner.get();
  slow->reading_.Notify();  // reads do not wait here
  slow->hold_append_ = true;
  CachingCarePlanStore store(std::move(inner), /*max_entries=*/1);

  std::thread writer([&] {
    EXPECT_THAT(store.Append("p1", PlanAt(2, "Cook"), nullptr), IsOk());
  });
  slow->appending_.WaitForNotification();  // version 2 is committed
  ASSERT_OK(store.Append("p1", PlanAt(3, "Walk the dog"), nullptr));
  // Another person's plan fills the cache, which is emptied for it.
  ASSERT_OK(store.Append("p2", PlanAt(1, "Sleep"), nullptr));
  slow->finish_append_.Notify();  // now it offers version 2 to the cache
  writer.join();

  EXPECT_THAT(store.GetCurrent("p1"),
              IsOkAndHolds(EqualsProto(PlanAt(3, "Walk the dog"))));
}

}  // namespace
}  // namespace carebridge::careplan
