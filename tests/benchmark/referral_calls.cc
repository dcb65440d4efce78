#include "tests/benchmark/referral_calls.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace carebridge::bench {
namespace {

namespace health = ::grpc::health::v1;
namespace ref = ::carebridge::referral::v1;

using CheckCall =
    UnaryCall<health::HealthCheckRequest, health::HealthCheckResponse>;
using CreateCall = UnaryCall<ref::CreateReferralRequest, ref::Referral>;
using GetCall = UnaryCall<ref::GetReferralRequest, ref::Referral>;

}  // namespace

std::unique_ptr<PendingCall> NewHealthCheck(const Load& load,
                                            uint64_t sequence) {
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

std::unique_ptr<PendingCall> NewCreateReferral(const Load& load,
                                               uint64_t sequence,
                                               absl::string_view request_id,
                                               CreateCall::Done done) {
  ref::CreateReferralRequest request;
  ref::Referral* referral = request.mutable_referral();
  referral->set_person(
      load.fixture
          .referred_persons[sequence % load.fixture.referred_persons.size()]);
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

std::unique_ptr<PendingCall> NewGetReferral(const Load& load, uint64_t sequence,
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

absl::StatusOr<std::vector<std::string>> CreateReferralPool(
    const Load& load, PhaseOptions options, int count) {
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Minutes(10);
  options.max_calls = count;
  absl::Mutex mu;
  std::vector<std::string> names;
  PhaseResult result =
      RunPhase(options, [&](uint64_t sequence, std::mt19937_64&) {
        return NewCreateReferral(
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

}  // namespace carebridge::bench
