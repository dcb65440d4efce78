#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_GRPC_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_GRPC_H_

#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/referral/referral_domain.h"

namespace carebridge::referral {

// carebridge.referral.v1.ReferralService over gRPC: each method
// authenticates the caller, hands the request to the domain and converts the
// result. This class is thread-safe.
class ReferralGrpcService final : public v1::ReferralService::Service {
 public:
  ReferralGrpcService(const Authenticator* authenticator,
                      ReferralDomain* domain)
      : authenticator_(authenticator), domain_(domain) {}

  grpc::Status CreateReferral(grpc::ServerContext* context,
                              const v1::CreateReferralRequest* request,
                              v1::Referral* response) override;
  grpc::Status GetReferral(grpc::ServerContext* context,
                           const v1::GetReferralRequest* request,
                           v1::Referral* response) override;
  grpc::Status ListReferrals(grpc::ServerContext* context,
                             const v1::ListReferralsRequest* request,
                             v1::ListReferralsResponse* response) override;
  grpc::Status AcknowledgeReferral(
      grpc::ServerContext* context,
      const v1::AcknowledgeReferralRequest* request,
      v1::Referral* response) override;
  grpc::Status AcceptReferral(grpc::ServerContext* context,
                              const v1::AcceptReferralRequest* request,
                              v1::Referral* response) override;
  grpc::Status DeclineReferral(grpc::ServerContext* context,
                               const v1::DeclineReferralRequest* request,
                               v1::Referral* response) override;
  grpc::Status RedirectReferral(
      grpc::ServerContext* context, const v1::RedirectReferralRequest* request,
      v1::RedirectReferralResponse* response) override;
  grpc::Status WithdrawReferral(grpc::ServerContext* context,
                                const v1::WithdrawReferralRequest* request,
                                v1::Referral* response) override;
  grpc::Status CompleteReferral(grpc::ServerContext* context,
                                const v1::CompleteReferralRequest* request,
                                v1::Referral* response) override;

 private:
  const Authenticator* const authenticator_;
  ReferralDomain* const domain_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_GRPC_H_
