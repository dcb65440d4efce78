#ifndef CAREBRIDGE_TESTS_BENCHMARK_FEED_CATCH_UP_H_
#define CAREBRIDGE_TESTS_BENCHMARK_FEED_CATCH_UP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carebridge::bench {

struct CatchUpOptions {
  // Large shared-care handovers accepted while the care plan service is down.
  int handovers = 1000;
  // Where the two servers keep their data (a fresh folder is made inside).
  std::string work_dir = "/tmp";
  int threads = 8;
};

struct CatchUpResult {
  int64_t handover_bytes = 0;
  int64_t plan_bytes = 0;
  absl::Duration accept_time;
  absl::Duration catch_up_time;
  // Care team changes the care plan feed holds after catching up: one per
  // accepted handover when each was applied once.
  int64_t care_team_changes = 0;
  // Persons whose care team changed more than once (applied twice).
  int64_t persons_changed_twice = 0;
};

// A care plan service outage and its catch-up, in a split deployment run in
// this process: server A hosts the directory, referral and handover
// services, server B the care plan service (each its own SQLite files, one
// token key, talking over TCP on 127.0.0.1). Every person gets a large plan
// and a large shared-care handover; B stops; every handover is accepted; B
// starts again, and the time until its handover consumer reports no lag
// (FeedAdminService) is the catch-up.
absl::StatusOr<CatchUpResult> RunFeedCatchUp(const CatchUpOptions& options);

void PrintFeedCatchUp(const CatchUpResult& result,
                      const CatchUpOptions& options);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_FEED_CATCH_UP_H_
