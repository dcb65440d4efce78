#include "services/referral/referral_grpc.h"

#include <utility>

#include "services/common/status.h"

namespace carebridge::referral {
namespace {

// Authenticate, call the domain, convert: the whole of every handler.
template <typename Request, typename Response, typename DomainCall>
grpc::Status Handle(const Authenticator& authenticator,
                    const grpc::ServerContext& context, const Request& request,
                    Response* response, DomainCall call) {
  absl::StatusOr<Principal> caller = authenticator.Authenticate(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto result = call(*caller, request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ReferralGrpcService::CreateReferral(
    grpc::ServerContext* context, const v1::CreateReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::CreateReferralRequest& r) {
        return domain_->CreateReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::GetReferral(
    grpc::ServerContext* context, const v1::GetReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::GetReferralRequest& r) {
        return domain_->GetReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::ListReferrals(
    grpc::ServerContext* context, const v1::ListReferralsRequest* request,
    v1::ListReferralsResponse* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::ListReferralsRequest& r) {
        return domain_->ListReferrals(caller, r);
      });
}

grpc::Status ReferralGrpcService::AcknowledgeReferral(
    grpc::ServerContext* context, const v1::AcknowledgeReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::AcknowledgeReferralRequest& r) {
        return domain_->AcknowledgeReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::AcceptReferral(
    grpc::ServerContext* context, const v1::AcceptReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::AcceptReferralRequest& r) {
        return domain_->AcceptReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::DeclineReferral(
    grpc::ServerContext* context, const v1::DeclineReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::DeclineReferralRequest& r) {
        return domain_->DeclineReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::RedirectReferral(
    grpc::ServerContext* context, const v1::RedirectReferralRequest* request,
    v1::RedirectReferralResponse* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::RedirectReferralRequest& r) {
        return domain_->RedirectReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::WithdrawReferral(
    grpc::ServerContext* context, const v1::WithdrawReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::WithdrawReferralRequest& r) {
        return domain_->WithdrawReferral(caller, r);
      });
}

grpc::Status ReferralGrpcService::CompleteReferral(
    grpc::ServerContext* context, const v1::CompleteReferralRequest* request,
    v1::Referral* response) {
  return Handle(
      *authenticator_, *context, *request, response,
      [this](const Principal& caller, const v1::CompleteReferralRequest& r) {
        return domain_->CompleteReferral(caller, r);
      });
}

}  // namespace carebridge::referral
