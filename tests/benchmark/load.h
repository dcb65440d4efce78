#ifndef CAREBRIDGE_TESTS_BENCHMARK_LOAD_H_
#define CAREBRIDGE_TESTS_BENCHMARK_LOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/benchmark/fixture.h"

namespace carebridge::bench {

// The stubs of one connection.
struct ConnectionStubs {
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  std::unique_ptr<directory::v1::DirectoryService::Stub> directory;
  std::unique_ptr<referral::v1::ReferralService::Stub> referral;
  std::unique_ptr<careplan::v1::CarePlanService::Stub> careplan;
};

// Everything the call factories read; immutable while phases run.
struct Load {
  std::vector<ConnectionStubs> stubs;
  Fixture fixture;
  // Makes names and request ids unique to this run.
  std::string run_id;
};

// Spreads calls over the connections.
inline const ConnectionStubs& StubsFor(const Load& load, uint64_t sequence) {
  return load.stubs[sequence % load.stubs.size()];
}

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_LOAD_H_
