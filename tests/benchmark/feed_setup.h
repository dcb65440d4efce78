#ifndef CAREBRIDGE_TESTS_BENCHMARK_FEED_SETUP_H_
#define CAREBRIDGE_TESTS_BENCHMARK_FEED_SETUP_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/handover/v1/handover.pb.h"

namespace carebridge::bench {

// A large, realistic care plan (about 80 KB: the sample plan with every
// goal and action described at length, and a full crisis plan), actions
// owned by `owning_team`: what the feed benchmarks write.
careplan::v1::CarePlan LargeCarePlan(const std::string& owning_team);

// A large shared-care handover of `person` to `receiving_team` (about
// 120 KB: a full SBAR and 50 actions).
handover::v1::Handover LargeSharedCareHandover(
    const std::string& person, const std::string& receiving_team);

// Registers a person (`Given Family`) as `token`; returns `persons/{id}`.
absl::StatusOr<std::string> RegisterPerson(
    const std::shared_ptr<grpc::Channel>& directory, absl::string_view token,
    absl::string_view given_name);

// Writes `content` as the person's plan (every content section) as `token`.
absl::Status WritePlan(const std::shared_ptr<grpc::Channel>& careplan,
                       absl::string_view token, const std::string& person,
                       const careplan::v1::CarePlan& content);

// The resident set size of process `pid` in KiB (VmRSS), or an error.
absl::StatusOr<int64_t> ResidentKib(int pid);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_FEED_SETUP_H_
