// carebridge-fhir-bench: what FHIR reads over HTTP cost next to the gRPC
// calls they are made of, in one run against one carebridge-server (in this
// process, with its HTTP listener, data under $TMPDIR): GET
// /fhir/CarePlan/{id} against GetCarePlan (a full co-produced plan), and
// the worklist GET /fhir/Task?owner=...&_count=20 against ListReferrals
// (20 of the team's inbox). Each is a closed loop of --threads callers,
// each with a connection of its own, for --duration. Prints calls per
// second and latency percentiles; not a test.
#include <grpcpp/create_channel.h>
#include <httplib.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/server/carebridge_server.h"
#include "tests/benchmark/fixture.h"
#include "tests/support/sample_care_plan.h"

ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "per measurement");
ABSL_FLAG(int, threads, 16, "callers at once (each its own connection)");
ABSL_FLAG(int, referrals, 200, "referrals in the receiving team's inbox");

namespace carebridge::bench {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace ref = ::carebridge::referral::v1;

struct Result {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
};

// Runs `call` (false: an error) in a closed loop on `threads` threads, each
// given its index, for `duration`.
Result ClosedLoop(int threads, absl::Duration duration,
                  const std::function<bool(int)>& call) {
  std::vector<std::vector<double>> latencies(threads);
  std::atomic<int64_t> errors{0};
  const absl::Time warm_until = absl::Now() + absl::Seconds(1);
  const absl::Time until = warm_until + duration;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (true) {
        absl::Time start = absl::Now();
        if (start >= until) break;
        bool ok = call(t);
        absl::Time end = absl::Now();
        if (start < warm_until) continue;
        if (!ok) ++errors;
        latencies[t].push_back(absl::ToDoubleMilliseconds(end - start));
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  std::vector<double> all;
  for (const auto& each : latencies)
    all.insert(all.end(), each.begin(), each.end());
  std::sort(all.begin(), all.end());
  Result result;
  result.errors = errors;
  if (all.empty()) return result;
  result.per_second = all.size() / absl::ToDoubleSeconds(duration);
  result.p50_ms = all[all.size() / 2];
  result.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return result;
}

void Print(const char* name, const Result& result, const Result* base) {
  std::printf("  %-44s %9.0f/s  p50 %6.2f ms  p99 %6.2f ms", name,
              result.per_second, result.p50_ms, result.p99_ms);
  if (base != nullptr && base->per_second > 0) {
    std::printf("  (%.0f%% of gRPC)",
                100 * result.per_second / base->per_second);
  }
  std::printf("%s\n", result.errors > 0
                          ? absl::StrCat("  ERRORS ", result.errors).c_str()
                          : "");
}

int Run() {
  std::string dir =
      (std::filesystem::temp_directory_path() / "cb-fhir-bench-XXXXXX")
          .string();
  if (mkdtemp(dir.data()) == nullptr) return 2;
  server::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.http_listen = "127.0.0.1:0";
  config.data_dir = dir + "/data";
  auto server = server::CarebridgeServer::Start(config);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string address = absl::StrCat("127.0.0.1:", (*server)->port());
  const int http_port = (*server)->http_port();
  absl::StatusOr<std::string> admin =
      ReadAdminToken((*server)->bootstrap_token_path());
  if (!admin.ok()) {
    std::fprintf(stderr, "the admin token: %s\n",
                 admin.status().ToString().c_str());
    return 1;
  }
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  absl::StatusOr<Fixture> fixture = CreateFixture(channel, *admin, "fhir");
  if (!fixture.ok()) {
    std::fprintf(stderr, "set-up failed: %s\n",
                 fixture.status().ToString().c_str());
    return 1;
  }
  // A full plan for the person, written by the sending team (so it leads).
  auto careplan = cp::CarePlanService::NewStub(channel);
  cp::UpdateCarePlanRequest update;
  *update.mutable_care_plan() =
      testing::SampleCarePlan({fixture->sending_team, fixture->receiving_team,
                               fixture->voluntary_team});
  const std::string plan_name = absl::StrCat(fixture->person, "/carePlan");
  update.mutable_care_plan()->set_name(plan_name);
  *update.mutable_update_mask() = testing::SampleCarePlanMask();
  update.set_reason("First plan, written with the person");
  cp::CarePlan plan;
  {
    grpc::ClientContext context;
    AddBearer(context, fixture->sender_token);
    grpc::Status status = careplan->UpdateCarePlan(&context, update, &plan);
    if (!status.ok()) {
      std::fprintf(stderr, "plan: %s\n", status.error_message().c_str());
      return 1;
    }
  }
  // The receiving team's inbox.
  auto referrals = ref::ReferralService::NewStub(channel);
  for (int i = 0; i < absl::GetFlag(FLAGS_referrals); ++i) {
    ref::CreateReferralRequest request;
    request.mutable_referral()->set_person(fixture->person);
    request.mutable_referral()->set_receiving_team(fixture->receiving_team);
    request.mutable_referral()->set_urgency(ref::URGENT);
    request.mutable_referral()->set_reason(
        "Escalating distress after an eviction notice; needs a crisis "
        "assessment this week");
    ref::Referral created;
    grpc::ClientContext context;
    AddBearer(context, fixture->sender_token);
    if (!referrals->CreateReferral(&context, request, &created).ok()) return 1;
  }

  const int threads = absl::GetFlag(FLAGS_threads);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  std::printf(
      "carebridge-fhir-bench: %d callers, %s each after 1s of warm-up; plan "
      "%zu bytes (gRPC), inbox of %d referrals\n",
      threads, absl::FormatDuration(duration).c_str(), plan.ByteSizeLong(),
      absl::GetFlag(FLAGS_referrals));

  // One connection per caller, for each protocol.
  std::vector<std::unique_ptr<cp::CarePlanService::Stub>> plan_stubs;
  std::vector<std::unique_ptr<ref::ReferralService::Stub>> referral_stubs;
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int t = 0; t < threads; ++t) {
    grpc::ChannelArguments args;
    args.SetInt("carebridge.fhir_bench.channel", t);
    auto own = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    plan_stubs.push_back(cp::CarePlanService::NewStub(own));
    referral_stubs.push_back(ref::ReferralService::NewStub(own));
    clients.push_back(
        std::make_unique<httplib::Client>("127.0.0.1", http_port));
    clients.back()->set_keep_alive(true);
    clients.back()->set_tcp_nodelay(true);
  }
  const httplib::Headers sender = {
      {"Authorization", absl::StrCat("Bearer ", fixture->sender_token)}};
  const httplib::Headers receiver = {
      {"Authorization", absl::StrCat("Bearer ", fixture->receiver_token)}};
  const std::string plan_path = absl::StrCat(
      "/fhir/CarePlan/", fixture->person.substr(fixture->person.find('/') + 1));
  const std::string task_path = absl::StrCat(
      "/fhir/Task?owner=HealthcareService/",
      fixture->receiving_team.substr(fixture->receiving_team.find('/') + 1),
      "&_count=20");

  Result grpc_plan = ClosedLoop(threads, duration, [&](int t) {
    grpc::ClientContext context;
    AddBearer(context, fixture->sender_token);
    cp::GetCarePlanRequest request;
    request.set_name(plan_name);
    cp::CarePlan got;
    return plan_stubs[t]->GetCarePlan(&context, request, &got).ok();
  });
  Result fhir_plan = ClosedLoop(threads, duration, [&](int t) {
    httplib::Result got = clients[t]->Get(plan_path.c_str(), sender);
    return got && got->status == 200;
  });
  Result grpc_inbox = ClosedLoop(threads, duration, [&](int t) {
    grpc::ClientContext context;
    AddBearer(context, fixture->receiver_token);
    ref::ListReferralsRequest request;
    request.set_mailbox(ref::INBOX);
    request.set_page_size(20);
    ref::ListReferralsResponse got;
    return referral_stubs[t]->ListReferrals(&context, request, &got).ok();
  });
  Result fhir_tasks = ClosedLoop(threads, duration, [&](int t) {
    httplib::Result got = clients[t]->Get(task_path.c_str(), receiver);
    return got && got->status == 200;
  });
  Print("gRPC GetCarePlan", grpc_plan, nullptr);
  Print("FHIR GET CarePlan/{id}", fhir_plan, &grpc_plan);
  Print("gRPC ListReferrals (inbox, 20)", grpc_inbox, nullptr);
  Print("FHIR GET Task?owner=...&_count=20", fhir_tasks, &grpc_inbox);
  server->reset();
  std::filesystem::remove_all(dir);
  return grpc_plan.errors + fhir_plan.errors + grpc_inbox.errors +
                     fhir_tasks.errors ==
                 0
             ? 0
             : 1;
}

}  // namespace
}  // namespace carebridge::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As carebridge-server's main does: Debian's Abseil keeps deadlock-cycle
  // bookkeeping on in every mutex, a cost a served call does not pay.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return carebridge::bench::Run();
}
