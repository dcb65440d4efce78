// EventConsumer with a batch apply: events pending together are applied in
// transactions of at most `max_batch`, in feed order, and a batch that fails
// is applied again one event at a time, so one bad event is parked alone
// and nothing is lost or applied twice.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/common/event_consumer.h"
#include "tests/common/event_consumer_fixture.h"
#include "tests/support/status_matchers.h"

namespace carebridge::testing {
namespace {

using ::carebridge::testing::IsOkAndHolds;
using ::testing::Each;
using ::testing::ElementsAreArray;
using ::testing::Le;

std::vector<int64_t> OneTo(int64_t n) {
  std::vector<int64_t> sequences(n);
  std::iota(sequences.begin(), sequences.end(), 1);
  return sequences;
}

class EventConsumerBatchTest : public EventConsumerTest {
 protected:
  // Starts a consumer whose batches go to store_.ApplyAll (refusing what
  // `refuse` says) and whose single events go to store_.Apply (failing
  // for what `refuse` says, so such an event is parked).
  void StartBatching(int max_batch,
                     std::function<bool(const Event&)> refuse = nullptr) {
    EventConsumer::Options options = FastOptions();
    options.max_batch = max_batch;
    StartConsumer(
        std::move(options),
        [this, refuse](const Event& event, const FeedPosition& position) {
          {
            absl::MutexLock lock(&mu_);
            ++single_applies_;
          }
          if (refuse && refuse(event)) {
            return absl::InvalidArgumentError("this event is refused");
          }
          return store_.Apply(event, position);
        },
        nullptr,
        [this, refuse](absl::Span<const Event* const> events,
                       const std::string& feed) {
          EXPECT_EQ(feed, "referral");
          absl::Status status = store_.ApplyAll(events, refuse);
          absl::MutexLock lock(&mu_);
          if (status.ok()) {
            batch_sizes_.push_back(static_cast<int>(events.size()));
          } else {
            ++failed_batches_;
          }
          return status;
        });
  }

  absl::Mutex mu_;
  std::vector<int> batch_sizes_ ABSL_GUARDED_BY(mu_);
  int failed_batches_ ABSL_GUARDED_BY(mu_) = 0;
  int single_applies_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(EventConsumerBatchTest, PendingEventsAreAppliedInBatchesOfAtMostMax) {
  constexpr int kEvents = 300;
  for (int i = 0; i < kEvents; ++i) Commit("referral.created");
  StartBatching(/*max_batch=*/16);
  ASSERT_TRUE(AppliedThrough(kEvents));

  EXPECT_THAT(store_.Applied(), ElementsAreArray(OneTo(kEvents)));
  EXPECT_THAT(store_.Cursor(), IsOkAndHolds(kEvents));
  absl::MutexLock lock(&mu_);
  EXPECT_THAT(batch_sizes_, Each(Le(16)));
  // Delivered together, they went in batches: far fewer transactions than
  // events, and every event through exactly one of them.
  const int batched =
      std::accumulate(batch_sizes_.begin(), batch_sizes_.end(), 0);
  EXPECT_EQ(batched + single_applies_, kEvents);
  EXPECT_GE(batched, kEvents / 2);
  EXPECT_LT(batch_sizes_.size(), static_cast<size_t>(kEvents / 4));
  EXPECT_EQ(failed_batches_, 0);
}

TEST_F(EventConsumerBatchTest,
       AFailedBatchIsAppliedOneByOneAndOnlyTheBadIsParked) {
  constexpr int kEvents = 40;
  for (int i = 1; i <= kEvents; ++i) {
    Commit(i == 13 ? "referral.refused" : "referral.created");
  }
  StartBatching(/*max_batch=*/8, [](const Event& event) {
    return event.type() == "referral.refused";
  });
  ASSERT_TRUE(AppliedThrough(kEvents));

  std::vector<int64_t> expected = OneTo(kEvents);
  expected.erase(expected.begin() + 12);  // sequence 13
  EXPECT_THAT(store_.Applied(), ElementsAreArray(expected));
  EXPECT_THAT(store_.Cursor(), IsOkAndHolds(kEvents));
  EXPECT_THAT(store_.ledger()->CountParked("referral"), IsOkAndHolds(1));
  absl::MutexLock lock(&mu_);
  // The batch holding 13 failed whole (nothing of it committed) and its
  // events went one by one; the other batches committed as batches.
  EXPECT_GE(failed_batches_, 1);
  EXPECT_FALSE(batch_sizes_.empty());
}

TEST_F(EventConsumerBatchTest, WithoutABatchApplyEveryEventGoesOneByOne) {
  constexpr int kEvents = 50;
  for (int i = 0; i < kEvents; ++i) Commit("referral.created");
  StartConsumer(FastOptions());
  ASSERT_TRUE(AppliedThrough(kEvents));
  EXPECT_THAT(store_.Applied(), ElementsAreArray(OneTo(kEvents)));
}

}  // namespace
}  // namespace carebridge::testing
