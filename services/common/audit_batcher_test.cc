#include "services/common/audit_batcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/support/eventually.h"

namespace carebridge {
namespace {

using ::carebridge::testing::Eventually;
using ::testing::ElementsAre;

std::vector<AuditRecord> Records(std::vector<std::string> methods) {
  std::vector<AuditRecord> records;
  for (std::string& method : methods) {
    AuditRecord record;
    record.method = std::move(method);
    records.push_back(std::move(record));
  }
  return records;
}

// Records the batches it commits; the first waits for `release`.
struct Committer {
  absl::Mutex mu;
  std::vector<std::vector<std::string>> batches;
  absl::Notification first_started;
  absl::Notification release;
  absl::Status result = absl::OkStatus();

  absl::Status Commit(std::vector<AuditRecord>& records) {
    if (!first_started.HasBeenNotified()) {
      first_started.Notify();
      release.WaitForNotification();
    }
    absl::MutexLock lock(&mu);
    std::vector<std::string> methods;
    for (const AuditRecord& record : records) methods.push_back(record.method);
    batches.push_back(std::move(methods));
    return result;
  }
};

TEST(AuditBatcherTest, RecordsQueuedDuringACommitGoInTheNextOne) {
  Committer committer;
  std::atomic<int> told{0};
  {
    AuditBatcher batcher([&](std::vector<AuditRecord>& records) {
      return committer.Commit(records);
    });
    std::thread first([&] {
      batcher.Append(Records({"a"}), [&](absl::Status status) {
        EXPECT_TRUE(status.ok());
        ++told;
      });
    });
    committer.first_started.WaitForNotification();
    // Queued while "a" commits: returns at once, committed later together.
    batcher.Append(Records({"b", "c"}), [&](absl::Status status) {
      EXPECT_TRUE(status.ok());
      ++told;
    });
    batcher.Append(Records({"d"}), [&](absl::Status status) {
      EXPECT_TRUE(status.ok());
      ++told;
    });
    EXPECT_EQ(told, 0);
    committer.release.Notify();
    first.join();
    EXPECT_TRUE(Eventually([&] { return told == 3; }));
  }
  absl::MutexLock lock(&committer.mu);
  EXPECT_THAT(committer.batches,
              ElementsAre(ElementsAre("a"), ElementsAre("b", "c", "d")));
}

TEST(AuditBatcherTest, EveryCallerOfAFailedCommitHearsItsStatus) {
  Committer committer;
  committer.result = absl::UnavailableError("database away");
  committer.first_started.Notify();  // No wait.
  AuditBatcher batcher([&](std::vector<AuditRecord>& records) {
    return committer.Commit(records);
  });
  std::vector<absl::Status> statuses;
  batcher.Append(Records({"a"}),
                 [&](absl::Status status) { statuses.push_back(status); });
  ASSERT_EQ(statuses.size(), 1);
  EXPECT_EQ(statuses[0].code(), absl::StatusCode::kUnavailable);
}

TEST(AuditBatcherTest, ManyThreadsEachHearOnceAndEveryRecordIsCommitted) {
  Committer committer;
  committer.first_started.Notify();
  std::atomic<int> told{0};
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  {
    AuditBatcher batcher([&](std::vector<AuditRecord>& records) {
      return committer.Commit(records);
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          batcher.Append(Records({std::to_string(t * kEach + i)}),
                         [&](absl::Status) { ++told; });
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  // The batcher is gone: every commit and every telling is over.
  EXPECT_EQ(told, kThreads * kEach);
  size_t committed = 0;
  for (const auto& batch : committer.batches) committed += batch.size();
  EXPECT_EQ(committed, static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace carebridge
