#include "services/referral/referral_grpc.h"

#include "services/common/event_feed_grpc.h"
#include "services/common/grpc_handler.h"

namespace carebridge::referral {

grpc::ServerUnaryReactor* ReferralGrpcService::CreateReferral(
    grpc::CallbackServerContext* context,
    const v1::CreateReferralRequest* request, v1::Referral* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CreateReferralRequest& r) {
        return domain_->CreateReferral(caller, r);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::GetReferral(
    grpc::CallbackServerContext* context, const v1::GetReferralRequest* request,
    v1::Referral* response) {
  // Inline unless a risk summary needs the person's sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetReferralRequest& r,
             RemoteCalls remote) {
        return domain_->GetReferral(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::ListReferrals(
    grpc::CallbackServerContext* context,
    const v1::ListReferralsRequest* request,
    v1::ListReferralsResponse* response) {
  // Inline unless a risk summary needs the person's sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ListReferralsRequest& r,
             RemoteCalls remote) {
        return domain_->ListReferrals(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::AcknowledgeReferral(
    grpc::CallbackServerContext* context,
    const v1::AcknowledgeReferralRequest* request, v1::Referral* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::AcknowledgeReferralRequest& r) {
        return domain_->AcknowledgeReferral(caller, r);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::AcceptReferral(
    grpc::CallbackServerContext* context,
    const v1::AcceptReferralRequest* request, v1::Referral* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::AcceptReferralRequest& r) {
        return domain_->AcceptReferral(caller, r);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::DeclineReferral(
    grpc::CallbackServerContext* context,
    const v1::DeclineReferralRequest* request, v1::Referral* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::DeclineReferralRequest& r) {
        return domain_->DeclineReferral(caller, r);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::RedirectReferral(
    grpc::CallbackServerContext* context,
    const v1::RedirectReferralRequest* request,
    v1::RedirectReferralResponse* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::RedirectReferralRequest& r) {
        return domain_->RedirectReferral(caller, r);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::WithdrawReferral(
    grpc::CallbackServerContext* context,
    const v1::WithdrawReferralRequest* request, v1::Referral* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::WithdrawReferralRequest& r) {
        return domain_->WithdrawReferral(caller, r);
      });
}

grpc::ServerUnaryReactor* ReferralGrpcService::CompleteReferral(
    grpc::CallbackServerContext* context,
    const v1::CompleteReferralRequest* request, v1::Referral* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CompleteReferralRequest& r) {
        return domain_->CompleteReferral(caller, r);
      });
}

grpc::ServerWriteReactor<events::v1::SubscribeResponse>*
ReferralGrpcService::Subscribe(grpc::CallbackServerContext* context,
                               const events::v1::SubscribeRequest* request) {
  return ServeEventFeed(context, request, *authenticator_, event_log_,
                        executor_);
}

}  // namespace carebridge::referral
