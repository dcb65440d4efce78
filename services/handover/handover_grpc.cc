#include "services/handover/handover_grpc.h"

#include "services/common/event_feed_grpc.h"
#include "services/common/grpc_handler.h"

namespace carebridge::handover {

grpc::ServerUnaryReactor* HandoverGrpcService::CreateHandover(
    grpc::CallbackServerContext* context,
    const v1::CreateHandoverRequest* request, v1::Handover* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CreateHandoverRequest& r) {
        return domain_->CreateHandover(caller, r);
      });
}

grpc::ServerUnaryReactor* HandoverGrpcService::GetHandover(
    grpc::CallbackServerContext* context, const v1::GetHandoverRequest* request,
    v1::Handover* response) {
  // Inline unless the assessment needs the person's sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetHandoverRequest& r,
             RemoteCalls remote) {
        return domain_->GetHandover(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* HandoverGrpcService::ListHandovers(
    grpc::CallbackServerContext* context,
    const v1::ListHandoversRequest* request,
    v1::ListHandoversResponse* response) {
  // Inline unless the assessment needs the person's sharing choices.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ListHandoversRequest& r,
             RemoteCalls remote) {
        return domain_->ListHandovers(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* HandoverGrpcService::AcceptHandover(
    grpc::CallbackServerContext* context,
    const v1::AcceptHandoverRequest* request, v1::Handover* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::AcceptHandoverRequest& r) {
        return domain_->AcceptHandover(caller, r);
      });
}

grpc::ServerUnaryReactor* HandoverGrpcService::DeclineHandover(
    grpc::CallbackServerContext* context,
    const v1::DeclineHandoverRequest* request, v1::Handover* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::DeclineHandoverRequest& r) {
        return domain_->DeclineHandover(caller, r);
      });
}

grpc::ServerUnaryReactor* HandoverGrpcService::CancelHandover(
    grpc::CallbackServerContext* context,
    const v1::CancelHandoverRequest* request, v1::Handover* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CancelHandoverRequest& r) {
        return domain_->CancelHandover(caller, r);
      });
}

grpc::ServerWriteReactor<events::v1::SubscribeResponse>*
HandoverGrpcService::Subscribe(grpc::CallbackServerContext* context,
                               const events::v1::SubscribeRequest* request) {
  return ServeEventFeed(context, request, *authenticator_, event_log_,
                        executor_);
}

}  // namespace carebridge::handover
