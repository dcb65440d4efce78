#include "tests/benchmark/feed_catch_up.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/events/v1/feed_admin.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "services/common/macros.h"
#include "services/common/status.h"
#include "services/server/carebridge_server.h"
#include "tests/benchmark/feed_setup.h"
#include "tests/benchmark/fixture.h"

namespace carebridge::bench {
namespace {

namespace hv = ::carebridge::handover::v1;
using server::CarebridgeServer;
using server::ServerConfig;

// A port nobody listens on now, for a server that must be named before it
// starts (the handover service needs the care plan service's address).
absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::InternalError("bind");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                             grpc::InsecureChannelCredentials());
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream contents;
  contents << file.rdbuf();
  return std::string(absl::StripAsciiWhitespace(contents.str()));
}

// Runs `work(i)` for i in [0, count) over `threads` threads; the first error.
absl::Status InParallel(int count, int threads,
                        const std::function<absl::Status(int)>& work) {
  std::atomic<int> next{0};
  absl::Mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        absl::Status status = work(i);
        if (status.ok()) continue;
        absl::MutexLock lock(&mu);
        if (first.ok()) first = status;
        return;
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  return first;
}

template <typename Response, typename Call>
absl::StatusOr<Response> CallAs(absl::string_view token, Call call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  AddBearer(context, token);
  Response response;
  grpc::Status status = call(&context, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

// The care plan server's handover consumer, as its FeedAdminService says.
absl::StatusOr<events::v1::Consumer> HandoverConsumer(
    const std::shared_ptr<grpc::Channel>& careplan, absl::string_view admin) {
  auto stub = events::v1::FeedAdminService::NewStub(careplan);
  ASSIGN_OR_RETURN(events::v1::ListConsumersResponse consumers,
                   (CallAs<events::v1::ListConsumersResponse>(
                       admin, [&](grpc::ClientContext* context,
                                  events::v1::ListConsumersResponse* out) {
                         return stub->ListConsumers(
                             context, events::v1::ListConsumersRequest(), out);
                       })));
  for (const events::v1::Consumer& consumer : consumers.consumers()) {
    if (consumer.name() == "consumers/careplan.handover") return consumer;
  }
  return absl::NotFoundError("no careplan.handover consumer");
}

}  // namespace

absl::StatusOr<CatchUpResult> RunFeedCatchUp(const CatchUpOptions& options) {
  std::string pattern =
      absl::StrCat(options.work_dir, "/carebridge-catchup.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot make ", pattern));
  }
  const std::string work = pattern;
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() { std::filesystem::remove_all(path); }
  } remove_on_exit{work};

  ASSIGN_OR_RETURN(int careplan_port, FreePort());
  ServerConfig a;
  a.listen = "127.0.0.1:0";
  a.data_dir = absl::StrCat(work, "/a");
  a.services = {"directory", "referral", "handover"};
  a.careplan_address = absl::StrCat("127.0.0.1:", careplan_port);
  a.token_keys_dir = absl::StrCat(work, "/token-keys");
  a.shutdown_grace = absl::Seconds(1);
  ASSIGN_OR_RETURN(std::unique_ptr<CarebridgeServer> server_a,
                   CarebridgeServer::Start(a));
  ServerConfig b = a;
  b.listen = a.careplan_address;
  b.data_dir = absl::StrCat(work, "/b");
  b.services = {"careplan"};
  b.careplan_address.clear();
  b.directory_address = absl::StrCat("127.0.0.1:", server_a->port());
  b.referral_address = b.directory_address;
  b.handover_address = b.directory_address;
  ASSIGN_OR_RETURN(std::unique_ptr<CarebridgeServer> server_b,
                   CarebridgeServer::Start(b));

  ASSIGN_OR_RETURN(std::string admin,
                   ReadFile(server_a->bootstrap_token_path()));
  std::shared_ptr<grpc::Channel> to_a = ChannelTo(server_a->port());
  std::shared_ptr<grpc::Channel> to_b = ChannelTo(careplan_port);
  ASSIGN_OR_RETURN(
      Fixture fixture,
      CreateFixture(to_a, admin, absl::StrCat("catchup", getpid())));
  const careplan::v1::CarePlan plan = LargeCarePlan(fixture.sending_team);
  CatchUpResult result;
  result.plan_bytes = plan.ByteSizeLong();
  result.handover_bytes =
      LargeSharedCareHandover("persons/p", fixture.receiving_team)
          .ByteSizeLong();

  auto handovers = hv::HandoverService::NewStub(to_a);
  std::vector<std::string> names(options.handovers);
  RETURN_IF_ERROR(InParallel(options.handovers, options.threads, [&](int i) {
    ASSIGN_OR_RETURN(
        std::string person,
        RegisterPerson(to_a, fixture.sender_token, absl::StrCat("Catch", i)));
    RETURN_IF_ERROR(WritePlan(to_b, fixture.sender_token, person, plan));
    hv::CreateHandoverRequest request;
    *request.mutable_handover() =
        LargeSharedCareHandover(person, fixture.receiving_team);
    ASSIGN_OR_RETURN(hv::Handover created,
                     (CallAs<hv::Handover>(
                         fixture.sender_token,
                         [&](grpc::ClientContext* context, hv::Handover* out) {
                           return handovers->CreateHandover(context, request,
                                                            out);
                         })));
    names[i] = created.name();
    return absl::OkStatus();
  }));

  // The outage: the care plan service stops; every handover is accepted.
  server_b->Shutdown();
  server_b.reset();
  const absl::Time accept_start = absl::Now();
  RETURN_IF_ERROR(InParallel(options.handovers, options.threads, [&](int i) {
    hv::AcceptHandoverRequest request;
    request.set_name(names[i]);
    return CallAs<hv::Handover>(
               fixture.receiver_token,
               [&](grpc::ClientContext* context, hv::Handover* out) {
                 return handovers->AcceptHandover(context, request, out);
               })
        .status();
  }));
  result.accept_time = absl::Now() - accept_start;

  // Back again: how long until every accepted handover is applied.
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(server_b, CarebridgeServer::Start(b));
  while (true) {
    absl::StatusOr<events::v1::Consumer> consumer =
        HandoverConsumer(to_b, admin);
    if (consumer.ok() && consumer->state() == events::v1::Consumer::FOLLOWING &&
        consumer->head_sequence() > 0 && consumer->lag_events() == 0) {
      if (consumer->parked_count() > 0) {
        return absl::InternalError(
            absl::StrCat(consumer->parked_count(), " events were parked"));
      }
      break;
    }
    if (absl::Now() - start > absl::Minutes(10)) {
      return absl::DeadlineExceededError("no catch-up within 10 minutes");
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  result.catch_up_time = absl::Now() - start;

  // Each handover applied once: one care team change per person.
  auto careplan = careplan::v1::CarePlanService::NewStub(to_b);
  events::v1::SubscribeRequest request;
  request.set_stop_when_caught_up(true);
  request.add_type_prefixes("careplan.care_team_changed");
  grpc::ClientContext context;
  AddBearer(context, admin);
  auto reader = careplan->Subscribe(&context, request);
  events::v1::SubscribeResponse response;
  std::map<std::string, int> changes;
  while (reader->Read(&response)) {
    for (const events::v1::Event& event : response.events()) {
      ++changes[event.person()];
      ++result.care_team_changes;
    }
  }
  RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
  for (const auto& [person, count] : changes) {
    if (count > 1) ++result.persons_changed_twice;
  }
  server_b->Shutdown();
  server_a->Shutdown();
  return result;
}

void PrintFeedCatchUp(const CatchUpResult& result,
                      const CatchUpOptions& options) {
  absl::PrintF(
      "feed catch-up: %d shared-care handovers of %d KiB (plans of %d KiB) "
      "accepted in %s while the care plan service was down\n",
      options.handovers, result.handover_bytes / 1024, result.plan_bytes / 1024,
      absl::FormatDuration(result.accept_time));
  absl::PrintF(
      "  caught up in %s after it started again: %.0f handovers/s; %d care "
      "team changes, %d persons changed twice\n",
      absl::FormatDuration(result.catch_up_time),
      options.handovers / absl::ToDoubleSeconds(result.catch_up_time),
      result.care_team_changes, result.persons_changed_twice);
}

}  // namespace carebridge::bench
