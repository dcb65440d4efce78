#ifndef CAREBRIDGE_TESTS_BENCHMARK_FEED_MEMORY_H_
#define CAREBRIDGE_TESTS_BENCHMARK_FEED_MEMORY_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/benchmark/fixture.h"

namespace carebridge::bench {

struct FeedMemoryOptions {
  // Large care plan versions written before subscribing (one per person).
  int versions = 300;
  // Subscribers that open the care plan feed from sequence 0 and never read.
  int subscribers = 200;
  // The server process, whose resident memory is measured.
  int server_pid = 0;
  // How long memory is left to settle before each measurement (the server
  // gives freed memory back every 5 s).
  absl::Duration settle = absl::Seconds(6);
};

struct FeedMemoryResult {
  int64_t plan_bytes = 0;
  int64_t baseline_kib = 0;
  int64_t subscribed_kib = 0;
  int64_t cancelled_kib = 0;
  // Events one subscriber received when it finally read the whole feed (a
  // check that the feed still works after the test).
  int64_t events_read = 0;
};

// What a subscriber that does not read costs the server: writes the
// versions as the fixture's sending team, measures the server's resident
// memory, opens the subscribers (as that team, so every event comes with its
// payload), measures, cancels them all, measures again.
absl::StatusOr<FeedMemoryResult> RunFeedMemory(
    const std::shared_ptr<grpc::Channel>& channel, const Fixture& fixture,
    const FeedMemoryOptions& options);

void PrintFeedMemory(const FeedMemoryResult& result,
                     const FeedMemoryOptions& options);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_FEED_MEMORY_H_
