#ifndef CAREBRIDGE_TESTS_BENCHMARK_REFERRAL_CALLS_H_
#define CAREBRIDGE_TESTS_BENCHMARK_REFERRAL_CALLS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/benchmark/load.h"
#include "tests/benchmark/load_driver.h"

namespace carebridge::bench {

// grpc.health.v1.Health/Check, the baseline.
std::unique_ptr<PendingCall> NewHealthCheck(const Load& load,
                                            uint64_t sequence);

// An urgent referral from the sending team to the receiving team.
std::unique_ptr<PendingCall> NewCreateReferral(
    const Load& load, uint64_t sequence, absl::string_view request_id,
    UnaryCall<referral::v1::CreateReferralRequest, referral::v1::Referral>::Done
        done = nullptr);

// The receiving team reads `name`.
std::unique_ptr<PendingCall> NewGetReferral(const Load& load, uint64_t sequence,
                                            const std::string& name);

// Creates `count` referrals for GetReferral to read, with the same driver;
// returns their names.
absl::StatusOr<std::vector<std::string>> CreateReferralPool(
    const Load& load, PhaseOptions options, int count);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_REFERRAL_CALLS_H_
