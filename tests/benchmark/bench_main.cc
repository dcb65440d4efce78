// carebridge-bench loads a running carebridge-server over gRPC and compares
// CreateReferral and GetReferral with grpc.health.v1.Health/Check on the same
// server, measured in the same run, so each figure is read as a ratio rather
// than as a machine-specific absolute. Not a test: it reports, it does not
// assert.
//
// Usage (tests/benchmark/run.sh starts a server and does this):
//   carebridge-bench --server=127.0.0.1:50051
//                    --admin_token_file=DATA_DIR/bootstrap-admin.token

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/benchmark/fixture.h"
#include "tests/benchmark/load_driver.h"
#include "tests/benchmark/report.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "host:port of the carebridge-server to load");
ABSL_FLAG(std::string, admin_token_file, "",
          "the server's DATA_DIR/bootstrap-admin.token; required");
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

namespace carebridge::bench {
namespace {

namespace health = ::grpc::health::v1;
namespace ref = ::carebridge::referral::v1;

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("--admin_token_file: must be set");
  }
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("--admin_token_file: cannot read ", path));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin_token_file: ", path, " is empty"));
  }
  return token;
}

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

// The stubs of one connection.
struct ConnectionStubs {
  std::unique_ptr<health::Health::Stub> health;
  std::unique_ptr<ref::ReferralService::Stub> referral;
};

// Everything the call factories read; immutable while phases run.
struct Load {
  std::vector<ConnectionStubs> stubs;
  Fixture fixture;
  std::string run_id;
};

using CheckCall =
    UnaryCall<health::HealthCheckRequest, health::HealthCheckResponse>;
using CreateCall = UnaryCall<ref::CreateReferralRequest, ref::Referral>;
using GetCall = UnaryCall<ref::GetReferralRequest, ref::Referral>;

// Spreads calls over the connections.
const ConnectionStubs& StubsFor(const Load& load, uint64_t sequence) {
  return load.stubs[sequence % load.stubs.size()];
}

std::unique_ptr<PendingCall> NewCheck(const Load& load, uint64_t sequence) {
  health::Health::Stub* stub = StubsFor(load, sequence).health.get();
  auto call = std::make_unique<CheckCall>(
      [stub](grpc::ClientContext* context,
             const health::HealthCheckRequest& request,
             grpc::CompletionQueue* cq) {
        return stub->PrepareAsyncCheck(context, request, cq);
      },
      health::HealthCheckRequest());
  // Health needs no token; it carries the same one as the measured calls so
  // the ratio isolates the service's own work, not header handling.
  AddBearer(call->context(), load.fixture.sender_token);
  return call;
}

std::unique_ptr<PendingCall> NewCreate(const Load& load, uint64_t sequence,
                                       absl::string_view request_id,
                                       CreateCall::Done done = nullptr) {
  ref::CreateReferralRequest request;
  ref::Referral* referral = request.mutable_referral();
  referral->set_person(load.fixture.person);
  referral->set_receiving_team(load.fixture.receiving_team);
  referral->set_urgency(ref::URGENT);
  referral->set_reason(
      "Increasing distress over the past fortnight; would benefit from "
      "crisis team contact while community support is arranged.");
  referral->set_person_wishes(
      "I want someone to talk to at night when it gets bad.");
  referral->set_risk_summary(
      "Self-harm risk when alone at night; phoning a friend and the crisis "
      "line helps. Contingency: crisis line, out-of-hours team.");
  request.set_request_id(std::string(request_id));
  ref::ReferralService::Stub* stub = StubsFor(load, sequence).referral.get();
  auto call = std::make_unique<CreateCall>(
      [stub](grpc::ClientContext* context,
             const ref::CreateReferralRequest& request,
             grpc::CompletionQueue* cq) {
        return stub->PrepareAsyncCreateReferral(context, request, cq);
      },
      std::move(request), std::move(done));
  AddBearer(call->context(), load.fixture.sender_token);
  return call;
}

std::unique_ptr<PendingCall> NewGet(const Load& load, uint64_t sequence,
                                    const std::string& name) {
  ref::GetReferralRequest request;
  request.set_name(name);
  ref::ReferralService::Stub* stub = StubsFor(load, sequence).referral.get();
  auto call = std::make_unique<GetCall>(
      [stub](grpc::ClientContext* context,
             const ref::GetReferralRequest& request,
             grpc::CompletionQueue* cq) {
        return stub->PrepareAsyncGetReferral(context, request, cq);
      },
      std::move(request));
  // The receiving team reads its inbox, the common case.
  AddBearer(call->context(), load.fixture.receiver_token);
  return call;
}

// Creates `count` referrals for GetReferral to read, with the same driver.
absl::StatusOr<std::vector<std::string>> CreatePool(const Load& load,
                                                    PhaseOptions options,
                                                    int count) {
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Minutes(10);
  options.max_calls = count;
  absl::Mutex mu;
  std::vector<std::string> names;
  PhaseResult result =
      RunPhase(options, [&](uint64_t sequence, std::mt19937_64&) {
        return NewCreate(
            load, sequence, absl::StrCat(load.run_id, "-pool-", sequence),
            [&](const grpc::Status& status, const ref::Referral& referral) {
              if (!status.ok()) return;
              absl::MutexLock lock(&mu);
              names.push_back(referral.name());
            });
      });
  if (result.errors > 0 || names.empty()) {
    return absl::UnavailableError(
        absl::StrCat("creating referrals to read: ", result.errors,
                     " errors, first: ", result.first_error));
  }
  return names;
}

int Run() {
  absl::StatusOr<std::string> admin_token =
      ReadToken(absl::GetFlag(FLAGS_admin_token_file));
  if (!admin_token.ok()) {
    std::cerr << admin_token.status().message() << "\n";
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

  Load load;
  load.run_id = absl::StrFormat("%x", absl::ToUnixMicros(absl::Now()));
  const int connections = std::max(1, absl::GetFlag(FLAGS_connections));
  for (int c = 0; c < connections; ++c) {
    auto channel = NewChannel(server, c);
    load.stubs.push_back({health::Health::NewStub(channel),
                          ref::ReferralService::NewStub(channel)});
  }
  absl::StatusOr<Fixture> fixture =
      CreateFixture(NewChannel(server, -1), *admin_token, load.run_id);
  if (!fixture.ok()) {
    std::cerr << fixture.status() << "\n";
    return 1;
  }
  load.fixture = *std::move(fixture);

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
                             return NewCheck(load, sequence);
                           }),
                  0});
  rows.push_back({"CreateReferral",
                  RunPhase(options,
                           [&](uint64_t sequence, std::mt19937_64&) {
                             return NewCreate(
                                 load, sequence,
                                 absl::StrCat(load.run_id, "-", sequence));
                           }),
                  0.25});
  absl::StatusOr<std::vector<std::string>> pool =
      CreatePool(load, options, std::max(1, absl::GetFlag(FLAGS_get_pool)));
  if (!pool.ok()) {
    PrintReport(rows);
    std::cerr << "GetReferral not measured: " << pool.status() << "\n";
    return 1;
  }
  rows.push_back({"GetReferral",
                  RunPhase(options,
                           [&](uint64_t sequence, std::mt19937_64& rng) {
                             return NewGet(load, sequence,
                                           (*pool)[rng() % pool->size()]);
                           }),
                  0.5});
  PrintReport(rows);
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
