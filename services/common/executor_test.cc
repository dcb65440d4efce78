#include "services/common/executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;

TEST(BlockingExecutorTest, RunsEveryPostedTask) {
  std::atomic<int> ran{0};
  {
    BlockingExecutor executor(/*threads=*/4);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_THAT(executor.Post([&ran] { ++ran; }), IsOk());
    }
  }  // Destruction runs what was queued, then joins.
  EXPECT_EQ(ran, 1000);
}

TEST(BlockingExecutorTest, TasksThatBlockDoNotStopOthers) {
  BlockingExecutor executor(/*threads=*/2);
  absl::Notification release;
  absl::Notification other_ran;
  ASSERT_THAT(executor.Post([&release] { release.WaitForNotification(); }),
              IsOk());
  ASSERT_THAT(executor.Post([&other_ran] { other_ran.Notify(); }), IsOk());
  EXPECT_TRUE(other_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release.Notify();
}

TEST(BlockingExecutorTest, ShedsLoadWhenTheQueueIsFull) {
  BlockingExecutor executor(/*threads=*/1, /*max_queued=*/2);
  absl::Notification started;
  absl::Notification release;
  ASSERT_THAT(executor.Post([&] {
    started.Notify();
    release.WaitForNotification();
  }),
              IsOk());
  started.WaitForNotification();  // The only thread is now busy.
  std::atomic<int> ran{0};
  ASSERT_THAT(executor.Post([&ran] { ++ran; }), IsOk());
  ASSERT_THAT(executor.Post([&ran] { ++ran; }), IsOk());
  EXPECT_THAT(executor.Post([&ran] { ran += 100; }),
              StatusIs(absl::StatusCode::kResourceExhausted));
  release.Notify();
  while (ran < 2) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_THAT(executor.Post([&ran] { ++ran; }), IsOk());
}

}  // namespace
}  // namespace carebridge
