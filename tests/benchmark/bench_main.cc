// carebridge-bench loads a running carebridge-server over gRPC and compares
// CreateReferral, GetReferral, GetCarePlan and UpdateCarePlan with
// grpc.health.v1.Health/Check on the same server, measured in the same run,
// so each figure is read as a ratio rather than as a machine-specific
// absolute; then runs the whole closed loop (referral to handover, through
// the care plan's event feed) and reports loops per second and how long the
// care plan lags each answer. Not a test: it reports, it does not assert.
//
// Usage (tests/benchmark/run.sh starts a server and does this):
//   carebridge-bench --server=127.0.0.1:50051
//                    --admin_token_file=DATA_DIR/bootstrap-admin.token
//                    [--rpcs=get_care_plan,update_care_plan]

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/benchmark/careplan_calls.h"
#include "tests/benchmark/closed_loop.h"
#include "tests/benchmark/consumer_lag.h"
#include "tests/benchmark/fixture.h"
#include "tests/benchmark/load.h"
#include "tests/benchmark/load_driver.h"
#include "tests/benchmark/referral_calls.h"
#include "tests/benchmark/report.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "host:port of the carebridge-server to load");
ABSL_FLAG(std::vector<std::string>, referral_servers, {},
          "host:port of referral service replicas, comma-separated: each "
          "connection's ReferralService calls go to one of them in turn "
          "(the rest to --server); empty: --server serves them too");
ABSL_FLAG(std::string, admin_token_file, "",
          "the server's DATA_DIR/bootstrap-admin.token; required");
ABSL_FLAG(std::vector<std::string>, rpcs,
          std::vector<std::string>({"health", "create_referral", "get_referral",
                                    "get_care_plan", "update_care_plan",
                                    "closed_loop"}),
          "RPCs to measure, comma-separated, in any order (they run in the "
          "default order); health, the baseline, always runs first");
ABSL_FLAG(int, concurrency, 32, "calls kept outstanding at all times");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time per RPC");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "unmeasured load before each measurement");
ABSL_FLAG(int, client_threads, 1,
          "client threads, each with its own completion queue; one keeps "
          "the client's share of the CPU smallest");
ABSL_FLAG(int, connections, 2,
          "connections to the server, calls spread round-robin over them "
          "as from several clients");
ABSL_FLAG(uint64_t, max_calls, 2'000'000,
          "at most this many calls per RPC (warm-up included)");
ABSL_FLAG(int, get_pool, 1000,
          "referrals created before the GetReferral load, read at random");
ABSL_FLAG(int, care_plan_pool, 200,
          "persons whose realistic care plan is written before the care plan "
          "load: GetCarePlan reads them at random, UpdateCarePlan gives each "
          "outstanding call its own (so at least --concurrency)");
ABSL_FLAG(bool, half_peak, true,
          "after GetReferral's and GetCarePlan's closed-loop phase, measure "
          "each again as an open loop offered half the throughput just "
          "measured: the latency at half of peak");
ABSL_FLAG(int, referred_persons, carebridge::bench::kReferredPersons,
          "persons the CreateReferral calls refer in turn (registered before "
          "the load; each person's record grows with their referrals)");
ABSL_FLAG(int, closed_loop_concurrency, 8,
          "closed loops run at once (each one call at a time, as a team "
          "works)");
ABSL_FLAG(int, closed_loop_persons, 5000,
          "persons registered before the closed loops, one per loop: the "
          "most loops one run can make");

namespace carebridge::bench {
namespace {

namespace health = ::grpc::health::v1;

constexpr const char* kKnownRpcs[] = {"health",           "create_referral",
                                      "get_referral",     "get_care_plan",
                                      "update_care_plan", "closed_loop"};

// The RPCs named by --rpcs, checked.
class RpcSelection {
 public:
  static absl::StatusOr<RpcSelection> FromFlag(
      const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      if (std::find(std::begin(kKnownRpcs), std::end(kKnownRpcs), name) ==
          std::end(kKnownRpcs)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--rpcs: unknown RPC \"", name,
                         "\"; known: ", absl::StrJoin(kKnownRpcs, ",")));
      }
    }
    return RpcSelection(names);
  }
  bool Runs(absl::string_view rpc) const {
    return std::find(names_.begin(), names_.end(), rpc) != names_.end();
  }

 private:
  explicit RpcSelection(std::vector<std::string> names)
      : names_(std::move(names)) {}
  std::vector<std::string> names_;
};

// A channel with a connection of its own: channels with identical arguments
// would otherwise share one.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& server,
                                          int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("carebridge.bench.channel_index", index);
  return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(),
                                   args);
}

// With --half_peak, measures `factory` again as an open loop at half the
// throughput of the row just measured, as a row of its own.
void MeasureAtHalfPeak(const PhaseOptions& options, const CallFactory& factory,
                       std::vector<ReportRow>& rows) {
  if (!absl::GetFlag(FLAGS_half_peak)) return;
  PhaseOptions half = options;
  half.rate = rows.back().result.ok_per_second() / 2;
  if (half.rate <= 0) return;
  const std::string name = absl::StrFormat("%s at half of peak (%.0f/s)",
                                           rows.back().rpc, half.rate);
  rows.push_back({name, RunPhase(half, factory), 0});
}

// Measures the referral RPCs selected; false if a set-up step failed.
bool MeasureReferrals(const Load& load, const PhaseOptions& options,
                      const RpcSelection& rpcs, ConsumerLag& lag,
                      std::vector<ReportRow>& rows) {
  if (rpcs.Runs("create_referral")) {
    rows.push_back({"CreateReferral",
                    RunPhase(options,
                             [&](uint64_t sequence, std::mt19937_64&) {
                               return NewCreateReferral(
                                   load, sequence,
                                   absl::StrCat(load.run_id, "-", sequence));
                             }),
                    0.25});
    lag.Note(rows.back().rpc);
  }
  if (!rpcs.Runs("get_referral")) return true;
  absl::StatusOr<std::vector<std::string>> pool = CreateReferralPool(
      load, options, std::max(1, absl::GetFlag(FLAGS_get_pool)));
  if (!pool.ok()) {
    std::cerr << "GetReferral not measured: " << pool.status() << "\n";
    return false;
  }
  absl::PrintF("referrals: %d created for GetReferral\n", pool->size());
  const CallFactory get = [&](uint64_t sequence, std::mt19937_64& rng) {
    return NewGetReferral(load, sequence, (*pool)[rng() % pool->size()]);
  };
  rows.push_back({"GetReferral", RunPhase(options, get), 0.5});
  MeasureAtHalfPeak(options, get, rows);
  return true;
}

// Measures the care plan RPCs selected over one pool of plans (reads first,
// as updates change them); false if a set-up step failed.
bool MeasureCarePlans(const Load& load, const PhaseOptions& options,
                      const RpcSelection& rpcs, ConsumerLag& lag,
                      std::vector<ReportRow>& rows) {
  if (!rpcs.Runs("get_care_plan") && !rpcs.Runs("update_care_plan")) {
    return true;
  }
  const int pool_size = std::max(1, absl::GetFlag(FLAGS_care_plan_pool));
  absl::StatusOr<std::vector<careplan::v1::CarePlan>> plans =
      CreateCarePlanPool(load, options, pool_size);
  if (!plans.ok()) {
    std::cerr << "care plan RPCs not measured: " << plans.status() << "\n";
    return false;
  }
  absl::PrintF(
      "care plans: %d persons, each plan %d bytes (%d goals, %d actions, "
      "%d crisis contacts)\n",
      plans->size(), plans->front().ByteSizeLong(), plans->front().goals_size(),
      plans->front().actions_size(),
      plans->front().crisis_plan().contacts_size());
  if (rpcs.Runs("get_care_plan")) {
    std::vector<std::string> names;
    for (const careplan::v1::CarePlan& plan : *plans) {
      names.push_back(plan.name());
    }
    const CallFactory get = [&](uint64_t sequence, std::mt19937_64& rng) {
      return NewGetCarePlan(load, sequence, names[rng() % names.size()]);
    };
    rows.push_back({"GetCarePlan", RunPhase(options, get), 0.5});
    MeasureAtHalfPeak(options, get, rows);
  }
  if (rpcs.Runs("update_care_plan")) {
    PhaseOptions update_options = options;
    update_options.aborted_is_retry = true;
    CarePlanUpdater updater(load, *std::move(plans));
    rows.push_back({"UpdateCarePlan",
                    RunPhase(update_options,
                             [&](uint64_t sequence, std::mt19937_64& rng) {
                               return updater.NewUpdate(sequence, rng);
                             }),
                    0, /*reports_aborted=*/true});
    lag.Note(rows.back().rpc);
    if (updater.failed_rereads() > 0) {
      absl::PrintF("UpdateCarePlan: %d re-reads after a failed update failed\n",
                   updater.failed_rereads());
    }
  }
  return true;
}

int Run() {
  absl::StatusOr<std::string> admin_token =
      ReadAdminToken(absl::GetFlag(FLAGS_admin_token_file));
  if (!admin_token.ok()) {
    std::cerr << admin_token.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<RpcSelection> rpcs =
      RpcSelection::FromFlag(absl::GetFlag(FLAGS_rpcs));
  if (!rpcs.ok()) {
    std::cerr << rpcs.status().message() << "\n";
    return 2;
  }
  const std::string server = absl::GetFlag(FLAGS_server);
  PhaseOptions options;
  options.concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  options.client_threads =
      std::clamp(absl::GetFlag(FLAGS_client_threads), 1, options.concurrency);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.max_calls = absl::GetFlag(FLAGS_max_calls);
  if (rpcs->Runs("update_care_plan") &&
      absl::GetFlag(FLAGS_care_plan_pool) < options.concurrency) {
    std::cerr << "--care_plan_pool: must be at least --concurrency ("
              << options.concurrency
              << ") for update_care_plan: each outstanding update has a plan "
                 "of its own\n";
    return 2;
  }

  Load load;
  load.run_id = absl::StrFormat("%x", absl::ToUnixMicros(absl::Now()));
  const int connections = std::max(1, absl::GetFlag(FLAGS_connections));
  const std::vector<std::string> referral_servers =
      absl::GetFlag(FLAGS_referral_servers);
  for (int c = 0; c < connections; ++c) {
    auto channel = NewChannel(server, c);
    // Replicas of the referral service share its load, as behind a load
    // balancer.
    auto referral_channel =
        referral_servers.empty()
            ? channel
            : NewChannel(referral_servers[c % referral_servers.size()], c);
    load.stubs.push_back(
        {health::Health::NewStub(channel),
         directory::v1::DirectoryService::NewStub(channel),
         referral::v1::ReferralService::NewStub(referral_channel),
         careplan::v1::CarePlanService::NewStub(channel)});
  }
  absl::StatusOr<Fixture> fixture =
      CreateFixture(NewChannel(server, -1), *admin_token, load.run_id,
                    absl::GetFlag(FLAGS_referred_persons));
  if (!fixture.ok()) {
    std::cerr << fixture.status() << "\n";
    return 1;
  }
  load.fixture = *std::move(fixture);

  if (!referral_servers.empty()) {
    absl::PrintF(
        "carebridge-bench: ReferralService calls spread over %d "
        "replica(s): %s\n",
        referral_servers.size(), absl::StrJoin(referral_servers, ", "));
  }
  absl::PrintF(
      "carebridge-bench: server %s, %d calls outstanding over %d "
      "connection(s) from %d client thread(s), %s warm-up + %s per RPC\n",
      server, options.concurrency, connections, options.client_threads,
      absl::FormatDuration(options.warmup),
      absl::FormatDuration(options.duration));
  std::vector<ReportRow> rows;
  rows.push_back({"Health/Check (baseline)",
                  RunPhase(options,
                           [&](uint64_t sequence, std::mt19937_64&) {
                             return NewHealthCheck(load, sequence);
                           }),
                  0});
  ConsumerLag lag(NewChannel(server, -1), *admin_token);
  const bool set_up = MeasureReferrals(load, options, *rpcs, lag, rows) &&
                      MeasureCarePlans(load, options, *rpcs, lag, rows);
  PrintReport(rows);
  lag.Print();
  if (!set_up) return 1;
  if (rpcs->Runs("closed_loop")) {
    ClosedLoopOptions loop_options;
    loop_options.concurrency =
        std::max(1, absl::GetFlag(FLAGS_closed_loop_concurrency));
    loop_options.duration = options.duration;
    loop_options.persons = absl::GetFlag(FLAGS_closed_loop_persons);
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int c = 0; c < connections; ++c) {
      channels.push_back(NewChannel(server, 100 + c));
    }
    absl::StatusOr<ClosedLoopResult> loops = RunClosedLoops(
        channels, load.fixture, *admin_token, load.run_id, loop_options);
    if (!loops.ok()) {
      std::cerr << "closed loop not measured: " << loops.status() << "\n";
      return 1;
    }
    PrintClosedLoop(*loops, loop_options.concurrency);
    if (loops->errors > 0) return 1;
  }
  for (const ReportRow& row : rows) {
    if (row.result.errors > 0 || row.result.warmup_errors > 0) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace carebridge::bench

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, so every absl::Mutex (gRPC's
  // included) would track lock order in one global graph, serialising the
  // client's threads; the load generator must not pay for that.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  return carebridge::bench::Run();
}
