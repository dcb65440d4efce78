#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_GRPC_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_GRPC_H_

#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/event_log.h"
#include "services/common/executor.h"
#include "services/referral/referral_domain.h"

namespace carebridge::referral {

// carebridge.referral.v1.ReferralService over gRPC's callback API: each
// method authenticates the caller, hands the request to the domain and
// converts the result. Reads run inline; changes (which wait for a durable
// commit, and may ask the directory) run on the blocking executor.
// Subscribe serves the service's event log. This class is thread-safe.
class ReferralGrpcService final : public v1::ReferralService::CallbackService {
 public:
  ReferralGrpcService(const Authenticator* authenticator,
                      BlockingExecutor* executor, ReferralDomain* domain,
                      EventLog* event_log)
      : authenticator_(authenticator),
        executor_(executor),
        domain_(domain),
        event_log_(event_log) {}

  grpc::ServerUnaryReactor* CreateReferral(
      grpc::CallbackServerContext* context,
      const v1::CreateReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext* context,
                                        const v1::GetReferralRequest* request,
                                        v1::Referral* response) override;
  grpc::ServerUnaryReactor* ListReferrals(
      grpc::CallbackServerContext* context,
      const v1::ListReferralsRequest* request,
      v1::ListReferralsResponse* response) override;
  grpc::ServerUnaryReactor* AcknowledgeReferral(
      grpc::CallbackServerContext* context,
      const v1::AcknowledgeReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* AcceptReferral(
      grpc::CallbackServerContext* context,
      const v1::AcceptReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* DeclineReferral(
      grpc::CallbackServerContext* context,
      const v1::DeclineReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* RedirectReferral(
      grpc::CallbackServerContext* context,
      const v1::RedirectReferralRequest* request,
      v1::RedirectReferralResponse* response) override;
  grpc::ServerUnaryReactor* WithdrawReferral(
      grpc::CallbackServerContext* context,
      const v1::WithdrawReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* CompleteReferral(
      grpc::CallbackServerContext* context,
      const v1::CompleteReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerWriteReactor<events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const events::v1::SubscribeRequest* request) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  ReferralDomain* const domain_;
  EventLog* const event_log_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_GRPC_H_
