#include "tests/benchmark/closed_loop.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/macros.h"
#include "services/common/status.h"

namespace carebridge::bench {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;
namespace ev = ::carebridge::events::v1;
namespace ho = ::carebridge::handover::v1;
namespace ref = ::carebridge::referral::v1;
namespace rv = ::carebridge::record::v1;

constexpr char kJoined[] = "careplan.care_team_changed";
constexpr char kLeadChanged[] = "careplan.lead_changed";
constexpr absl::Duration kCallTimeout = absl::Seconds(30);
constexpr absl::Duration kEffectTimeout = absl::Seconds(30);

constexpr char kRecordAnswered[] = "inbox.referral_answered";

using Opener =
    std::function<std::unique_ptr<grpc::ClientReader<ev::SubscribeResponse>>(
        grpc::ClientContext*, const ev::SubscribeRequest&)>;

// Follows one feed (one stream, as the admin: metadata is enough) and
// records when each person's events of the given types arrived, for the
// loops to wait on: the care plan feed's care team and lead changes, the
// record's inbox items. This class is thread-safe.
class FeedWatcher {
 public:
  FeedWatcher(Opener open, std::vector<std::string> types, std::string token)
      : open_(std::move(open)),
        types_(std::move(types)),
        token_(std::move(token)) {}
  ~FeedWatcher() { Stop(); }

  // Starts following; returns once the stream has answered (its first
  // response is sent at once), so nothing a loop does later is missed.
  absl::Status Start() {
    ev::SubscribeRequest request;
    for (const std::string& type : types_) request.add_type_prefixes(type);
    AddBearer(context_, token_);
    reader_ = open_(&context_, request);
    ev::SubscribeResponse first;
    if (!reader_->Read(&first)) {
      return FromGrpcStatus(reader_->Finish());
    }
    Record(first);
    thread_ = std::thread([this] {
      ev::SubscribeResponse response;
      while (reader_->Read(&response)) Record(response);
      absl::MutexLock lock(&mu_);
      ended_ = true;
    });
    return absl::OkStatus();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    context_.TryCancel();
    thread_.join();
    reader_->Finish().ok();
  }

  // When an event of `type` for `person` arrived; DEADLINE_EXCEEDED after
  // kEffectTimeout.
  absl::StatusOr<absl::Time> WaitFor(const std::string& person,
                                     absl::string_view type) {
    const std::string key = Key(person, type);
    absl::MutexLock lock(&mu_);
    auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return ended_ || arrivals_.contains(key);
    };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), kEffectTimeout);
    auto it = arrivals_.find(key);
    if (it != arrivals_.end()) return it->second;
    return absl::DeadlineExceededError(
        absl::StrCat("no ", type, " event for ", person, " within ",
                     absl::FormatDuration(kEffectTimeout),
                     ended_ ? " (the feed ended)" : ""));
  }

 private:
  static std::string Key(absl::string_view person, absl::string_view type) {
    return absl::StrCat(person, " ", type);
  }
  void Record(const ev::SubscribeResponse& response) {
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu_);
    for (const ev::Event& event : response.events()) {
      arrivals_.try_emplace(Key(event.person(), event.type()), now);
    }
  }

  const Opener open_;
  const std::vector<std::string> types_;
  // Whom the stream is opened as.
  const std::string token_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<ev::SubscribeResponse>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> arrivals_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

// One unary call as `token`; errors name the step.
template <typename Stub, typename Request, typename Response, typename Method>
absl::Status Call(Stub& stub, Method method, absl::string_view step,
                  const std::string& token, const Request& request,
                  Response& response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  AddBearer(context, token);
  const grpc::Status status = (stub.*method)(&context, request, &response);
  if (status.ok()) return absl::OkStatus();
  const absl::Status error = FromGrpcStatus(status);
  return absl::Status(error.code(), absl::StrCat(step, ": ", error.message()));
}

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : directory(dir::DirectoryService::NewStub(channel)),
        referral(ref::ReferralService::NewStub(channel)),
        handover(ho::HandoverService::NewStub(channel)) {}
  std::unique_ptr<dir::DirectoryService::Stub> directory;
  std::unique_ptr<ref::ReferralService::Stub> referral;
  std::unique_ptr<ho::HandoverService::Stub> handover;
};

absl::StatusOr<std::string> RegisterPerson(Stubs& stubs, const Fixture& fixture,
                                           absl::string_view run_id, int i) {
  dir::CreatePersonRequest request;
  request.mutable_person()->set_given_name(absl::StrCat("Loop", i));
  request.mutable_person()->set_family_name(absl::StrCat("Bench-", run_id));
  request.mutable_person()->set_birth_date("1988-06-15");
  dir::Person person;
  RETURN_IF_ERROR(Call(*stubs.directory,
                       &dir::DirectoryService::Stub::CreatePerson,
                       "CreatePerson", fixture.sender_token, request, person));
  return person.name();
}

// The delays one loop observed.
struct LoopDelays {
  absl::Duration referral_effect;
  absl::Duration handover_effect;
  // Unset when the server hosts no record service.
  std::optional<absl::Duration> record_reflects;
};

absl::StatusOr<LoopDelays> OneLoop(Stubs& stubs, FeedWatcher& watcher,
                                   FeedWatcher* record, const Fixture& fixture,
                                   const std::string& person) {
  LoopDelays delays;
  ref::CreateReferralRequest create;
  create.mutable_referral()->set_person(person);
  create.mutable_referral()->set_receiving_team(fixture.receiving_team);
  create.mutable_referral()->set_urgency(ref::URGENT);
  create.mutable_referral()->set_reason(
      "Rising distress; needs home treatment");
  ref::Referral referral;
  RETURN_IF_ERROR(
      Call(*stubs.referral, &ref::ReferralService::Stub::CreateReferral,
           "CreateReferral", fixture.sender_token, create, referral));
  ref::AcknowledgeReferralRequest ack;
  ack.set_name(referral.name());
  RETURN_IF_ERROR(
      Call(*stubs.referral, &ref::ReferralService::Stub::AcknowledgeReferral,
           "AcknowledgeReferral", fixture.receiver_token, ack, referral));
  ref::AcceptReferralRequest accept;
  accept.set_name(referral.name());
  RETURN_IF_ERROR(
      Call(*stubs.referral, &ref::ReferralService::Stub::AcceptReferral,
           "AcceptReferral", fixture.receiver_token, accept, referral));
  const absl::Time referral_accepted = absl::Now();
  ASSIGN_OR_RETURN(absl::Time joined, watcher.WaitFor(person, kJoined));
  delays.referral_effect =
      std::max(absl::ZeroDuration(), joined - referral_accepted);
  if (record != nullptr) {
    ASSIGN_OR_RETURN(absl::Time reflected,
                     record->WaitFor(person, kRecordAnswered));
    delays.record_reflects =
        std::max(absl::ZeroDuration(), reflected - referral_accepted);
  }

  // The receiving team leads the new plan; after the crisis it hands
  // responsibility back.
  ho::CreateHandoverRequest handover_request;
  ho::Handover* handover = handover_request.mutable_handover();
  handover->set_person(person);
  handover->set_receiving_team(fixture.sending_team);
  handover->set_kind(ho::TRANSFER_OF_RESPONSIBILITY);
  handover->set_urgency(ref::ROUTINE);
  handover->set_situation("The crisis has passed; sleeping again");
  handover->set_assessment("Settled; her sister helps");
  handover->set_recommendation("Back to care coordination");
  handover->set_illness_severity(ho::STABLE);
  ho::HandoverAction* action = handover->add_actions();
  action->set_description("Weekly call for four weeks");
  action->set_owning_team(fixture.sending_team);
  ho::Handover created;
  RETURN_IF_ERROR(Call(
      *stubs.handover, &ho::HandoverService::Stub::CreateHandover,
      "CreateHandover", fixture.receiver_token, handover_request, created));
  ho::AcceptHandoverRequest accept_handover;
  accept_handover.set_name(created.name());
  accept_handover.mutable_read_back()->set_summary(
      "Settled after the crisis; sister helps");
  accept_handover.mutable_read_back()->add_actions_taken_on(
      "Weekly call for four weeks");
  ho::Handover accepted;
  RETURN_IF_ERROR(
      Call(*stubs.handover, &ho::HandoverService::Stub::AcceptHandover,
           "AcceptHandover", fixture.sender_token, accept_handover, accepted));
  const absl::Time handover_accepted = absl::Now();
  ASSIGN_OR_RETURN(absl::Time lead_changed,
                   watcher.WaitFor(person, kLeadChanged));
  delays.handover_effect =
      std::max(absl::ZeroDuration(), lead_changed - handover_accepted);
  return delays;
}

double PercentileMs(std::vector<absl::Duration> delays, double p) {
  if (delays.empty()) return 0;
  std::sort(delays.begin(), delays.end());
  size_t index = static_cast<size_t>(p * (delays.size() - 1) + 0.5);
  return absl::ToDoubleMilliseconds(delays[std::min(index, delays.size() - 1)]);
}

}  // namespace

absl::StatusOr<ClosedLoopResult> RunClosedLoops(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const Fixture& fixture, absl::string_view admin_token,
    absl::string_view run_id, const ClosedLoopOptions& options) {
  const int concurrency = std::max(1, options.concurrency);
  std::vector<std::unique_ptr<Stubs>> stubs;
  for (int i = 0; i < concurrency; ++i) {
    stubs.push_back(std::make_unique<Stubs>(channels[i % channels.size()]));
  }

  // Persons first, outside the timed loops.
  std::vector<std::string> persons(std::max(1, options.persons));
  std::atomic<int> next{0};
  absl::Mutex error_mu;
  absl::Status setup_error;
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
      threads.emplace_back([&, t] {
        for (int i = next++; i < static_cast<int>(persons.size()); i = next++) {
          absl::StatusOr<std::string> person =
              RegisterPerson(*stubs[t], fixture, run_id, i);
          if (!person.ok()) {
            absl::MutexLock lock(&error_mu);
            setup_error.Update(person.status());
            return;
          }
          persons[i] = *std::move(person);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  RETURN_IF_ERROR(setup_error);

  auto careplan = std::shared_ptr<cp::CarePlanService::Stub>(
      cp::CarePlanService::NewStub(channels.front()));
  FeedWatcher watcher(
      [careplan](grpc::ClientContext* context,
                 const ev::SubscribeRequest& request) {
        return careplan->Subscribe(context, request);
      },
      {kJoined, kLeadChanged}, std::string(admin_token));
  RETURN_IF_ERROR(watcher.Start());
  // The record's view of each answer, when the server hosts the record:
  // the sending team's inbox, as its clinician sees it (admins receive no
  // inbox items).
  auto record_stub = std::shared_ptr<rv::RecordService::Stub>(
      rv::RecordService::NewStub(channels.front()));
  auto record = std::make_unique<FeedWatcher>(
      [record_stub](grpc::ClientContext* context,
                    const ev::SubscribeRequest& request) {
        return record_stub->Subscribe(context, request);
      },
      std::vector<std::string>{kRecordAnswered}, fixture.sender_token);
  if (!record->Start().ok()) record.reset();

  ClosedLoopResult result;
  absl::Mutex result_mu;
  next = 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + options.duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      while (absl::Now() < end) {
        const int i = next++;
        if (i >= static_cast<int>(persons.size())) return;
        absl::StatusOr<LoopDelays> delays =
            OneLoop(*stubs[t], watcher, record.get(), fixture, persons[i]);
        absl::MutexLock lock(&result_mu);
        if (!delays.ok()) {
          if (result.errors++ == 0) {
            result.first_error = delays.status().ToString();
          }
          continue;
        }
        ++result.loops;
        result.referral_effect_delays.push_back(delays->referral_effect);
        result.handover_effect_delays.push_back(delays->handover_effect);
        if (delays->record_reflects.has_value()) {
          result.record_delays.push_back(*delays->record_reflects);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  result.elapsed = absl::Now() - start;
  watcher.Stop();
  if (record != nullptr) record->Stop();
  return result;
}

void PrintClosedLoop(const ClosedLoopResult& result, int concurrency) {
  const double seconds = absl::ToDoubleSeconds(result.elapsed);
  absl::PrintF(
      "\nClosed loop (create referral -> acknowledge -> accept -> [care plan "
      "shows the team] -> transfer handover -> accept with read-back -> [care "
      "plan shows the new lead]), %d loops at once:\n"
      "  %d loops in %.1f s = %.1f loops/s, %d errors\n"
      "  care plan reflects the accepted referral: p50 %.1f ms, p99 %.1f ms\n"
      "  care plan reflects the accepted handover: p50 %.1f ms, p99 %.1f ms\n",
      concurrency, result.loops, seconds,
      seconds > 0 ? result.loops / seconds : 0.0, result.errors,
      PercentileMs(result.referral_effect_delays, 0.5),
      PercentileMs(result.referral_effect_delays, 0.99),
      PercentileMs(result.handover_effect_delays, 0.5),
      PercentileMs(result.handover_effect_delays, 0.99));
  if (!result.record_delays.empty()) {
    absl::PrintF(
        "  the record reflects the accepted referral: p50 %.1f ms, p99 %.1f "
        "ms\n",
        PercentileMs(result.record_delays, 0.5),
        PercentileMs(result.record_delays, 0.99));
  }
  if (result.errors > 0) {
    absl::PrintF("  first error: %s\n", result.first_error);
  }
}

}  // namespace carebridge::bench
