// carebridge-feed-bench measures the event feeds under the loads that once
// broke them (issue 9). Not a test: it reports, it does not assert.
//
//   --scenario=memory: against a running carebridge-server (run it with
//     tests/benchmark/run.sh SERVER build/tests/benchmark/carebridge-feed-bench
//     --scenario=memory, which passes --server, --admin_token_file and the
//     server's pid in CAREBRIDGE_SERVER_PID): 300 large care plan versions,
//     then 200 subscribers from sequence 0 that never read; the server's
//     resident memory before, with them, and after they cancel.
//   --scenario=catch_up: on its own (two servers in this process, a split
//     deployment): 1,000 large shared-care handovers accepted while the care
//     plan service is down, and how fast it catches up.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "tests/benchmark/feed_catch_up.h"
#include "tests/benchmark/feed_memory.h"
#include "tests/benchmark/fixture.h"

ABSL_FLAG(std::string, scenario, "", "memory or catch_up");
ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "memory: host:port of the carebridge-server to load");
ABSL_FLAG(std::string, admin_token_file, "",
          "memory: the server's DATA_DIR/bootstrap-admin.token");
ABSL_FLAG(int, versions, 300, "memory: large care plan versions written");
ABSL_FLAG(int, subscribers, 200, "memory: subscribers that never read");
ABSL_FLAG(int, handovers, 1000, "catch_up: handovers accepted in the outage");
ABSL_FLAG(std::string, work_dir, "/tmp",
          "catch_up: where the servers keep their data (on a real disk)");

namespace carebridge::bench {
namespace {

int RunMemory() {
  absl::StatusOr<std::string> admin =
      ReadAdminToken(absl::GetFlag(FLAGS_admin_token_file));
  if (!admin.ok()) {
    std::cerr << admin.status().message() << "\n";
    return 2;
  }
  FeedMemoryOptions options;
  const char* pid = std::getenv("CAREBRIDGE_SERVER_PID");
  if (pid == nullptr || !absl::SimpleAtoi(pid, &options.server_pid)) {
    std::cerr << "--scenario=memory: CAREBRIDGE_SERVER_PID must name the "
                 "server process (tests/benchmark/run.sh sets it)\n";
    return 2;
  }
  options.versions = absl::GetFlag(FLAGS_versions);
  options.subscribers = absl::GetFlag(FLAGS_subscribers);
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_server),
                                     grpc::InsecureChannelCredentials());
  absl::StatusOr<Fixture> fixture = CreateFixture(channel, *admin, "feedmem");
  if (!fixture.ok()) {
    std::cerr << fixture.status() << "\n";
    return 1;
  }
  absl::StatusOr<FeedMemoryResult> result =
      RunFeedMemory(channel, *fixture, options);
  if (!result.ok()) {
    std::cerr << "feed memory: " << result.status() << "\n";
    return 1;
  }
  PrintFeedMemory(*result, options);
  return 0;
}

int RunCatchUp() {
  CatchUpOptions options;
  options.handovers = absl::GetFlag(FLAGS_handovers);
  options.work_dir = absl::GetFlag(FLAGS_work_dir);
  absl::StatusOr<CatchUpResult> result = RunFeedCatchUp(options);
  if (!result.ok()) {
    std::cerr << "feed catch-up: " << result.status() << "\n";
    return 1;
  }
  PrintFeedCatchUp(*result, options);
  return result->care_team_changes == options.handovers &&
                 result->persons_changed_twice == 0
             ? 0
             : 1;
}

}  // namespace
}  // namespace carebridge::bench

int main(int argc, char** argv) {
  // As in carebridge-bench: no global lock-order graph in the load
  // generator.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  if (scenario == "memory") return carebridge::bench::RunMemory();
  if (scenario == "catch_up") return carebridge::bench::RunCatchUp();
  std::cerr << "--scenario: must be memory or catch_up\n";
  return 2;
}
