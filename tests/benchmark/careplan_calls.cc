#include "tests/benchmark/careplan_calls.h"

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/support/sample_care_plan.h"

namespace carebridge::bench {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace v1 = ::carebridge::careplan::v1;

using CreatePersonCall = UnaryCall<dir::CreatePersonRequest, dir::Person>;
using GetCall = UnaryCall<v1::GetCarePlanRequest, v1::CarePlan>;
using UpdateCall = UnaryCall<v1::UpdateCarePlanRequest, v1::CarePlan>;

constexpr auto kRereadTimeout = std::chrono::seconds(30);

// Set-up phases run each sequence number once, as fast as the driver goes.
PhaseOptions SetupOptions(PhaseOptions options, int count) {
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Minutes(10);
  options.max_calls = count;
  options.aborted_is_retry = false;
  return options;
}

std::unique_ptr<PendingCall> NewCreatePerson(const Load& load,
                                             uint64_t sequence,
                                             CreatePersonCall::Done done) {
  dir::CreatePersonRequest request;
  dir::Person* person = request.mutable_person();
  person->set_given_name("Alex");
  person->set_family_name(absl::StrCat("Bench-", load.run_id, "-", sequence));
  person->set_birth_date("1990-04-01");
  request.set_request_id(absl::StrCat(load.run_id, "-person-", sequence));
  dir::DirectoryService::Stub* stub = StubsFor(load, sequence).directory.get();
  auto call = std::make_unique<CreatePersonCall>(
      [stub](grpc::ClientContext* context,
             const dir::CreatePersonRequest& request,
             grpc::CompletionQueue* cq) {
        return stub->PrepareAsyncCreatePerson(context, request, cq);
      },
      std::move(request), std::move(done));
  // Persons are registered by clinical staff, not admins.
  AddBearer(call->context(), load.fixture.sender_token);
  return call;
}

std::unique_ptr<PendingCall> NewUpdateCall(const Load& load, uint64_t sequence,
                                           v1::UpdateCarePlanRequest request,
                                           UpdateCall::Done done) {
  v1::CarePlanService::Stub* stub = StubsFor(load, sequence).careplan.get();
  auto call = std::make_unique<UpdateCall>(
      [stub](grpc::ClientContext* context,
             const v1::UpdateCarePlanRequest& request,
             grpc::CompletionQueue* cq) {
        return stub->PrepareAsyncUpdateCarePlan(context, request, cq);
      },
      std::move(request), std::move(done));
  AddBearer(call->context(), load.fixture.sender_token);
  return call;
}

}  // namespace

absl::StatusOr<std::vector<v1::CarePlan>> CreateCarePlanPool(
    const Load& load, PhaseOptions options, int count) {
  options = SetupOptions(options, count);
  absl::Mutex mu;
  std::vector<std::string> persons;
  PhaseResult result =
      RunPhase(options, [&](uint64_t sequence, std::mt19937_64&) {
        return NewCreatePerson(
            load, sequence,
            [&](const grpc::Status& status, const dir::Person& person) {
              if (!status.ok()) return;
              absl::MutexLock lock(&mu);
              persons.push_back(person.name());
            });
      });
  if (result.errors > 0 || persons.size() != static_cast<size_t>(count)) {
    return absl::UnavailableError(
        absl::StrCat("registering persons for care plans: ", result.errors,
                     " errors, first: ", result.first_error));
  }

  const v1::CarePlan sample = testing::SampleCarePlan(
      {load.fixture.sending_team, load.fixture.receiving_team,
       load.fixture.voluntary_team});
  std::vector<v1::CarePlan> plans;
  result = RunPhase(options, [&](uint64_t sequence, std::mt19937_64&) {
    v1::UpdateCarePlanRequest request;
    *request.mutable_care_plan() = sample;
    request.mutable_care_plan()->set_name(
        absl::StrCat(persons[sequence], "/carePlan"));
    *request.mutable_update_mask() = testing::SampleCarePlanMask();
    request.set_reason(
        "First plan, written with the person at their assessment.");
    request.set_request_id(absl::StrCat(load.run_id, "-plan-", sequence));
    return NewUpdateCall(
        load, sequence, std::move(request),
        [&](const grpc::Status& status, const v1::CarePlan& plan) {
          if (!status.ok()) return;
          absl::MutexLock lock(&mu);
          plans.push_back(plan);
        });
  });
  if (result.errors > 0 || plans.size() != static_cast<size_t>(count)) {
    return absl::UnavailableError(
        absl::StrCat("writing first care plans: ", result.errors,
                     " errors, first: ", result.first_error));
  }
  return plans;
}

std::unique_ptr<PendingCall> NewGetCarePlan(const Load& load, uint64_t sequence,
                                            const std::string& name) {
  v1::GetCarePlanRequest request;
  request.set_name(name);
  v1::CarePlanService::Stub* stub = StubsFor(load, sequence).careplan.get();
  auto call = std::make_unique<GetCall>(
      [stub](grpc::ClientContext* context,
             const v1::GetCarePlanRequest& request, grpc::CompletionQueue* cq) {
        return stub->PrepareAsyncGetCarePlan(context, request, cq);
      },
      std::move(request));
  AddBearer(call->context(), load.fixture.sender_token);
  return call;
}

CarePlanUpdater::CarePlanUpdater(const Load& load,
                                 std::vector<v1::CarePlan> plans)
    : load_(load), plans_(std::move(plans)) {
  for (size_t slot = 0; slot < plans_.size(); ++slot) {
    free_slots_.push_back(slot);
  }
}

std::unique_ptr<PendingCall> CarePlanUpdater::NewUpdate(uint64_t sequence,
                                                        std::mt19937_64& rng) {
  size_t slot = 0;
  {
    absl::MutexLock lock(&mu_);
    // Never empty while there are at least as many plans as calls
    // outstanding: a call frees its slot before its successor is made.
    if (free_slots_.empty()) return nullptr;
    const size_t pick = rng() % free_slots_.size();
    slot = free_slots_[pick];
    free_slots_[pick] = free_slots_.back();
    free_slots_.pop_back();
  }
  const v1::CarePlan& current = plans_[slot];
  v1::UpdateCarePlanRequest request;
  v1::CarePlan* plan = request.mutable_care_plan();
  plan->set_name(current.name());
  *plan->mutable_actions() = current.actions();
  if (plan->actions_size() > 0) {
    v1::Action* action = plan->mutable_actions(
        static_cast<int>(sequence % plan->actions_size()));
    // The next status, never the current one, so the call makes a version.
    action->set_status(static_cast<v1::Action::Status>(
        action->status() % v1::Action::Status_MAX + 1));
  }
  request.mutable_update_mask()->add_paths("actions");
  request.set_etag(current.etag());
  request.set_reason(
      "Progress on an action recorded at the weekly review with the person.");
  request.set_request_id(absl::StrCat(load_.run_id, "-update-", sequence));
  return NewUpdateCall(
      load_, sequence, std::move(request),
      [this, slot](const grpc::Status& status, const v1::CarePlan& response) {
        Complete(slot, status, response);
      });
}

void CarePlanUpdater::Complete(size_t slot, const grpc::Status& status,
                               const v1::CarePlan& response) {
  bool reread_failed = false;
  if (status.ok()) {
    plans_[slot] = response;
  } else {
    v1::GetCarePlanRequest request;
    request.set_name(plans_[slot].name());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kRereadTimeout);
    AddBearer(context, load_.fixture.sender_token);
    v1::CarePlan fresh;
    const grpc::Status reread =
        StubsFor(load_, slot).careplan->GetCarePlan(&context, request, &fresh);
    if (reread.ok()) {
      plans_[slot] = std::move(fresh);
    } else {
      reread_failed = true;
    }
  }
  absl::MutexLock lock(&mu_);
  if (reread_failed) ++failed_rereads_;
  free_slots_.push_back(slot);
}

uint64_t CarePlanUpdater::failed_rereads() const {
  absl::MutexLock lock(&mu_);
  return failed_rereads_;
}

}  // namespace carebridge::bench
