#include "tests/benchmark/feed_memory.h"

#include <grpcpp/client_context.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "services/common/macros.h"
#include "services/common/status.h"
#include "tests/benchmark/feed_setup.h"

namespace carebridge::bench {
namespace {

using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

// Writes `count` large plans over a few threads (each write waits for its
// fsync, so one at a time would take long).
absl::Status WritePlans(const std::shared_ptr<grpc::Channel>& channel,
                        const Fixture& fixture, int count) {
  const careplan::v1::CarePlan plan = LargeCarePlan(fixture.sending_team);
  constexpr int kThreads = 8;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < count && results[t].ok(); i += kThreads) {
        absl::StatusOr<std::string> person = RegisterPerson(
            channel, fixture.sender_token, absl::StrCat("Mem", i));
        results[t] = person.ok() ? WritePlan(channel, fixture.sender_token,
                                             *person, plan)
                                 : person.status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : results) RETURN_IF_ERROR(status);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FeedMemoryResult> RunFeedMemory(
    const std::shared_ptr<grpc::Channel>& channel, const Fixture& fixture,
    const FeedMemoryOptions& options) {
  FeedMemoryResult result;
  result.plan_bytes = LargeCarePlan(fixture.sending_team).ByteSizeLong();
  RETURN_IF_ERROR(WritePlans(channel, fixture, options.versions));
  auto stub = careplan::v1::CarePlanService::NewStub(channel);

  absl::SleepFor(options.settle);
  ASSIGN_OR_RETURN(result.baseline_kib, ResidentKib(options.server_pid));

  struct Subscriber {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<SubscribeResponse>> reader;
  };
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  SubscribeRequest from_start;
  for (int i = 0; i < options.subscribers; ++i) {
    auto subscriber = std::make_unique<Subscriber>();
    AddBearer(subscriber->context, fixture.sender_token);
    subscriber->reader = stub->Subscribe(&subscriber->context, from_start);
    subscribers.push_back(std::move(subscriber));
  }
  absl::SleepFor(options.settle);
  ASSIGN_OR_RETURN(result.subscribed_kib, ResidentKib(options.server_pid));

  for (auto& subscriber : subscribers) subscriber->context.TryCancel();
  for (auto& subscriber : subscribers) {
    SubscribeResponse ignored;
    while (subscriber->reader->Read(&ignored)) {
    }
    subscriber->reader->Finish();
  }
  subscribers.clear();
  absl::SleepFor(options.settle);
  ASSIGN_OR_RETURN(result.cancelled_kib, ResidentKib(options.server_pid));

  // One reader drains the whole feed: it still works, within default limits.
  SubscribeRequest drain;
  drain.set_stop_when_caught_up(true);
  grpc::ClientContext context;
  AddBearer(context, fixture.sender_token);
  auto reader = stub->Subscribe(&context, drain);
  SubscribeResponse response;
  while (reader->Read(&response)) result.events_read += response.events_size();
  RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
  return result;
}

void PrintFeedMemory(const FeedMemoryResult& result,
                     const FeedMemoryOptions& options) {
  absl::PrintF(
      "feed memory: %d care plan versions of %d KiB; %d subscribers from "
      "sequence 0 that never read\n",
      options.versions, result.plan_bytes / 1024, options.subscribers);
  absl::PrintF("  server RSS before subscribing   %8d KiB\n",
               result.baseline_kib);
  absl::PrintF(
      "  with %d subscribers            %8d KiB  (growth %d KiB, %d KiB per "
      "subscriber)\n",
      options.subscribers, result.subscribed_kib,
      result.subscribed_kib - result.baseline_kib,
      (result.subscribed_kib - result.baseline_kib) /
          std::max(1, options.subscribers));
  absl::PrintF(
      "  after they cancelled            %8d KiB  (%+d KiB from "
      "before)\n",
      result.cancelled_kib, result.cancelled_kib - result.baseline_kib);
  absl::PrintF("  then one reader drained the feed: %d events\n",
               result.events_read);
}

}  // namespace carebridge::bench
