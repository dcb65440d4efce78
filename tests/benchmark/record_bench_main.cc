// carebridge-record-bench measures the record service (issue 10): how fast
// it builds its projections from the feeds' events (what a rebuild from
// sequence 0 does), and the latency of the timeline, the care summary and
// a team's care gaps over gRPC, at a given scale. Not a test: it reports.
//
//   carebridge-record-bench --persons=1000 --events_per_person=10
//   carebridge-record-bench --persons=100000 --events_per_person=10
//
// One person (persons/p0) has about --big_person_events events: its
// timeline is read whole. The events are generated as the services would
// write them (tests/benchmark/record_generator.h) and applied through the
// record's own apply path (RecordDomain::ApplyEvent: projection, gaps and
// cursor in one durable transaction), one thread per feed as the consumers
// do; reads go over a real gRPC channel on 127.0.0.1.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/common/ids.h"
#include "services/common/server_host.h"
#include "services/common/token.h"
#include "services/record/record_domain.h"
#include "services/record/record_module.h"
#include "tests/benchmark/record_generator.h"

ABSL_FLAG(int, persons, 1000, "persons in the record");
ABSL_FLAG(int, events_per_person, 10, "events per person (at least 9)");
ABSL_FLAG(int, big_person_events, 1000,
          "events of persons/p0, whose whole timeline is read");
ABSL_FLAG(int, teams, 50, "teams the persons are referred between");
ABSL_FLAG(int, calls, 2000, "calls per measurement");
ABSL_FLAG(std::string, work_dir, "/tmp",
          "where record.db is made (on a real disk)");

namespace carebridge::bench {
namespace {

namespace rv = ::carebridge::record::v1;

struct Latency {
  absl::Duration p50, p99;
};

template <typename Call>
Latency Measure(int calls, Call call) {
  std::vector<absl::Duration> times;
  times.reserve(calls);
  for (int i = 0; i < calls; ++i) {
    const absl::Time start = absl::Now();
    call(i);
    times.push_back(absl::Now() - start);
  }
  std::sort(times.begin(), times.end());
  return {times[times.size() / 2],
          times[std::min(times.size() - 1, times.size() * 99 / 100)]};
}

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.2f ms", absl::ToDoubleMilliseconds(d));
}

int64_t FileBytes(const std::string& path) {
  std::error_code error;
  int64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = std::filesystem::file_size(path + suffix, error);
    if (!error) total += static_cast<int64_t>(size);
  }
  return total;
}

int Run() {
  const int persons = absl::GetFlag(FLAGS_persons);
  const int per_person = absl::GetFlag(FLAGS_events_per_person);
  const int teams = absl::GetFlag(FLAGS_teams);
  const int calls = absl::GetFlag(FLAGS_calls);
  const std::string dir = absl::StrCat(absl::GetFlag(FLAGS_work_dir),
                                       "/carebridge-record-bench-", getpid());
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/record.db";

  RealClock clock;
  IdGenerator ids;
  TokenSigner signer(std::string(32, 'b'));
  Authenticator authenticator(&signer, &clock);
  BlockingExecutor executor;
  Environment env{&clock, &ids, &signer, &authenticator, &executor};
  absl::StatusOr<std::unique_ptr<record::RecordModule>> module =
      record::RecordModule::Open(env, db);
  if (!module.ok()) {
    std::cerr << module.status() << "\n";
    return 1;
  }

  // The events: persons/p0 with many, the rest with a few each.
  const absl::Time start = absl::Now() - absl::Hours(24 * 365);
  GeneratedFeeds feeds =
      GenerateFeeds(0, 1, absl::GetFlag(FLAGS_big_person_events), teams, start);
  GeneratedFeeds rest = GenerateFeeds(1, persons - 1, per_person, 1, start);
  // One sequence per feed: the second batch follows the first.
  auto append = [](std::vector<events::v1::Event>& to,
                   std::vector<events::v1::Event>& from, bool skip_teams) {
    for (events::v1::Event& event : from) {
      if (skip_teams && event.type() == "team.created") continue;
      event.set_sequence(static_cast<int64_t>(to.size()) + 1);
      event.set_id(absl::StrCat(event.feed(), "/", event.sequence()));
      to.push_back(std::move(event));
    }
  };
  append(feeds.directory, rest.directory, true);
  append(feeds.referral, rest.referral, false);
  append(feeds.careplan, rest.careplan, false);
  append(feeds.handover, rest.handover, false);
  const int64_t total = feeds.total();
  std::cout << "record: " << persons << " persons, " << total
            << " events (persons/p0: about "
            << absl::GetFlag(FLAGS_big_person_events) << ")\n";

  // Build, as a rebuild from sequence 0 does: one thread per feed, each
  // applying what its feed delivers in batches of the consumer's size (one
  // transaction each, EventConsumer::ApplyBatch).
  record::RecordDomain* domain = (*module)->domain();
  std::atomic<bool> failed{false};
  const absl::Time build_start = absl::Now();
  std::vector<std::thread> threads;
  const size_t batch = static_cast<size_t>(EventConsumer::Options().max_batch);
  for (std::vector<events::v1::Event>* feed :
       {&feeds.directory, &feeds.referral, &feeds.careplan, &feeds.handover}) {
    threads.emplace_back([feed, domain, batch, &failed] {
      std::vector<const events::v1::Event*> events;
      for (size_t start = 0; start < feed->size(); start += batch) {
        events.clear();
        for (size_t i = start; i < std::min(feed->size(), start + batch); ++i) {
          events.push_back(&(*feed)[i]);
        }
        absl::Status applied =
            domain->ApplyEvents(events, (*feed)[start].feed());
        if (!applied.ok()) {
          std::cerr << (*feed)[start].id() << ": " << applied << "\n";
          failed = true;
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (failed) return 1;
  const absl::Duration build = absl::Now() - build_start;
  std::cout << absl::StrFormat(
      "build from sequence 0: %s for %d events (%.0f events/s); record.db "
      "%.1f MB\n",
      absl::FormatDuration(build), total,
      static_cast<double>(total) / absl::ToDoubleSeconds(build),
      static_cast<double>(FileBytes(db)) / 1e6);

  ServerHost host(&authenticator);
  host.AddService((*module)->service(), record::RecordModule::kServiceName);
  if (absl::Status started =
          host.Start("127.0.0.1:0", grpc::InsecureServerCredentials(),
                     /*log_calls=*/false);
      !started.ok()) {
    std::cerr << started << "\n";
    return 1;
  }
  auto stub = rv::RecordService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", host.port()),
                          grpc::InsecureChannelCredentials()));
  Principal service;
  service.subject = "services/bench";
  service.role = Role::kService;
  service.expire_time = absl::Now() + absl::Hours(1);
  const std::string token = absl::StrCat("Bearer ", signer.Sign(service));
  auto context = [&token] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", token);
    return c;
  };
  std::mt19937 random(42);
  std::uniform_int_distribution<int> anyone(0, persons - 1);

  int timeline_entries = 0;
  const Latency timeline = Measure(calls, [&](int) {
    rv::ListTimelineEntriesRequest request;
    request.set_parent("persons/p0");
    request.set_page_size(1000);
    rv::ListTimelineEntriesResponse response;
    grpc::Status status =
        stub->ListTimelineEntries(context().get(), request, &response);
    if (!status.ok()) std::cerr << status.error_message() << "\n";
    timeline_entries = response.entries_size();
  });
  const Latency summary = Measure(calls, [&](int) {
    rv::GetCareSummaryRequest request;
    request.set_name(absl::StrCat("persons/p", anyone(random), "/careSummary"));
    rv::CareSummary response;
    grpc::Status status =
        stub->GetCareSummary(context().get(), request, &response);
    if (!status.ok()) std::cerr << status.error_message() << "\n";
  });
  const Latency gaps = Measure(calls, [&](int i) {
    rv::ListCareGapsRequest request;
    request.set_parent(absl::StrCat("teams/t", i % teams));
    request.set_page_size(100);
    rv::ListCareGapsResponse response;
    grpc::Status status =
        stub->ListCareGaps(context().get(), request, &response);
    if (!status.ok()) std::cerr << status.error_message() << "\n";
  });
  std::cout << "timeline of persons/p0 (" << timeline_entries
            << " entries, one page): p50 " << Ms(timeline.p50) << ", p99 "
            << Ms(timeline.p99) << "\n";
  std::cout << "care summary (a random person): p50 " << Ms(summary.p50)
            << ", p99 " << Ms(summary.p99) << "\n";
  std::cout << "care gaps (a team's first 100): p50 " << Ms(gaps.p50)
            << ", p99 " << Ms(gaps.p99) << "\n";
  host.Shutdown(absl::Seconds(1));
  host.Wait();
  (*module)->StopBackgroundWork();
  module->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace carebridge::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return carebridge::bench::Run();
}
