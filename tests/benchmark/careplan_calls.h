#ifndef CAREBRIDGE_TESTS_BENCHMARK_CAREPLAN_CALLS_H_
#define CAREBRIDGE_TESTS_BENCHMARK_CAREPLAN_CALLS_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "tests/benchmark/load.h"
#include "tests/benchmark/load_driver.h"

namespace carebridge::bench {

// Registers `count` persons and writes each one's first care plan, the
// realistic SampleCarePlan with actions owned by the fixture's three teams,
// as the sending team's clinician (so that team leads), with the same
// driver. Returns the plans as written, with their etags.
absl::StatusOr<std::vector<careplan::v1::CarePlan>> CreateCarePlanPool(
    const Load& load, PhaseOptions options, int count);

// The sending team reads the plan `name` (`persons/{id}/carePlan`).
std::unique_ptr<PendingCall> NewGetCarePlan(const Load& load, uint64_t sequence,
                                            const std::string& name);

// Makes UpdateCarePlan calls that all succeed under concurrency: each call
// checks out a plan no other outstanding call holds, sends the etag of that
// plan's last response, and returns the plan with the new version when it
// completes. Each update moves one action to its next status, as a team
// recording progress would, so every call makes a version. An ABORTED or
// failed call re-reads its plan (synchronously, on the driver's thread;
// rare by construction) before the plan is checked out again.
// This class is thread-safe.
class CarePlanUpdater {
 public:
  // `plans` as last read: at least as many as calls will be outstanding.
  CarePlanUpdater(const Load& load, std::vector<careplan::v1::CarePlan> plans);

  // A CallFactory.
  std::unique_ptr<PendingCall> NewUpdate(uint64_t sequence,
                                         std::mt19937_64& rng)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Re-reads after an ABORTED or failed update that themselves failed.
  uint64_t failed_rereads() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Takes the outcome of the update holding `slot` and frees the slot.
  void Complete(size_t slot, const grpc::Status& status,
                const careplan::v1::CarePlan& response)
      ABSL_LOCKS_EXCLUDED(mu_);

  const Load& load_;
  // plans_[i] is read and written only by whoever holds slot i; taking and
  // freeing a slot under mu_ orders those accesses.
  std::vector<careplan::v1::CarePlan> plans_;
  mutable absl::Mutex mu_;
  std::vector<size_t> free_slots_ ABSL_GUARDED_BY(mu_);
  uint64_t failed_rereads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_CAREPLAN_CALLS_H_
