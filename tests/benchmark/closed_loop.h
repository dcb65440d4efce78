#ifndef CAREBRIDGE_TESTS_BENCHMARK_CLOSED_LOOP_H_
#define CAREBRIDGE_TESTS_BENCHMARK_CLOSED_LOOP_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/benchmark/fixture.h"

namespace carebridge::bench {

struct ClosedLoopOptions {
  // Loops run at once, each on its own thread, one call at a time.
  int concurrency = 8;
  absl::Duration duration = absl::Seconds(5);
  // Persons registered before timing starts; each loop takes a new one.
  int persons = 2000;
};

struct ClosedLoopResult {
  int64_t loops = 0;
  int64_t errors = 0;
  std::string first_error;
  absl::Duration elapsed;
  // From AcceptReferral's answer to the care plan feed carrying the
  // receiving team's joining, and from AcceptHandover's answer to the feed
  // carrying the lead change: how long the care plan lags an answer.
  std::vector<absl::Duration> referral_effect_delays;
  std::vector<absl::Duration> handover_effect_delays;
  // From AcceptReferral's answer to the record's inbox item saying so (the
  // record service reflecting a change committed elsewhere); empty when the
  // server hosts no record service.
  std::vector<absl::Duration> record_delays;
};

// The whole closed loop, as teams would run it, for one new person per
// loop: the sending team refers the person to the receiving team, which
// acknowledges and accepts; once the care plan shows the receiving team on
// the care team (it leads the new plan), it hands responsibility back to
// the sending team with a transfer handover, which the sending team accepts
// with a read-back; the loop ends when the care plan shows the sending
// team as lead. Effects are observed on the care plan's event feed (one
// Subscribe stream as the admin), not by polling. `channels` reach one
// server hosting every service.
absl::StatusOr<ClosedLoopResult> RunClosedLoops(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const Fixture& fixture, absl::string_view admin_token,
    absl::string_view run_id, const ClosedLoopOptions& options);

// Prints loops per second and the effect delays' p50/p99.
void PrintClosedLoop(const ClosedLoopResult& result, int concurrency);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_CLOSED_LOOP_H_
