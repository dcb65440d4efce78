#include "services/common/feed_admin_grpc.h"

#include "services/common/grpc_handler.h"

namespace carebridge {

using events::v1::Consumer;
using events::v1::DismissParkedEventRequest;
using events::v1::ListConsumersRequest;
using events::v1::ListConsumersResponse;
using events::v1::ListParkedEventsRequest;
using events::v1::ListParkedEventsResponse;

using events::v1::ResetConsumerRequest;
using events::v1::RetryParkedEventRequest;

grpc::ServerUnaryReactor* FeedAdminGrpcService::ListConsumers(
    grpc::CallbackServerContext* context, const ListConsumersRequest* request,
    ListConsumersResponse* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const ListConsumersRequest&) {
        return admin_->ListConsumers(caller);
      });
}

grpc::ServerUnaryReactor* FeedAdminGrpcService::ListParkedEvents(
    grpc::CallbackServerContext* context,
    const ListParkedEventsRequest* request,
    ListParkedEventsResponse* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const ListParkedEventsRequest& request) {
        return admin_->ListParkedEvents(caller, request);
      });
}

grpc::ServerUnaryReactor* FeedAdminGrpcService::RetryParkedEvent(
    grpc::CallbackServerContext* context,
    const RetryParkedEventRequest* request, events::v1::ParkedEvent* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const RetryParkedEventRequest& request) {
        return admin_->RetryParkedEvent(caller, request);
      });
}

grpc::ServerUnaryReactor* FeedAdminGrpcService::DismissParkedEvent(
    grpc::CallbackServerContext* context,
    const DismissParkedEventRequest* request,
    events::v1::ParkedEvent* response) {
  return HandleBlocking(*authenticator_, *executor_, context, request, response,
                        [this](const Principal& caller,
                               const DismissParkedEventRequest& request) {
                          return admin_->DismissParkedEvent(caller, request);
                        });
}

grpc::ServerUnaryReactor* FeedAdminGrpcService::ResetConsumer(
    grpc::CallbackServerContext* context, const ResetConsumerRequest* request,
    Consumer* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const ResetConsumerRequest& request) {
        return admin_->ResetConsumer(caller, request);
      });
}

}  // namespace carebridge
