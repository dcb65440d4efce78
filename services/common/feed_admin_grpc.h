#ifndef CAREBRIDGE_SERVICES_COMMON_FEED_ADMIN_GRPC_H_
#define CAREBRIDGE_SERVICES_COMMON_FEED_ADMIN_GRPC_H_

#include "carebridge/events/v1/feed_admin.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/executor.h"
#include "services/common/feed_admin.h"

namespace carebridge {

// carebridge.events.v1.FeedAdminService over gRPC's callback API. Listing
// reads the consumers' ledgers and runs inline; retry, dismiss and reset
// write (and a retry applies an event, which may call other services), so
// they run on the blocking executor. This class is thread-safe.
class FeedAdminGrpcService final
    : public events::v1::FeedAdminService::CallbackService {
 public:
  static constexpr char kServiceName[] =
      "carebridge.events.v1.FeedAdminService";

  FeedAdminGrpcService(const Authenticator* authenticator,
                       BlockingExecutor* executor, FeedAdmin* admin)
      : authenticator_(authenticator), executor_(executor), admin_(admin) {}

  grpc::ServerUnaryReactor* ListConsumers(
      grpc::CallbackServerContext* context,
      const events::v1::ListConsumersRequest* request,
      events::v1::ListConsumersResponse* response) override;
  grpc::ServerUnaryReactor* ListParkedEvents(
      grpc::CallbackServerContext* context,
      const events::v1::ListParkedEventsRequest* request,
      events::v1::ListParkedEventsResponse* response) override;
  grpc::ServerUnaryReactor* RetryParkedEvent(
      grpc::CallbackServerContext* context,
      const events::v1::RetryParkedEventRequest* request,
      events::v1::ParkedEvent* response) override;
  grpc::ServerUnaryReactor* DismissParkedEvent(
      grpc::CallbackServerContext* context,
      const events::v1::DismissParkedEventRequest* request,
      events::v1::ParkedEvent* response) override;
  grpc::ServerUnaryReactor* ResetConsumer(
      grpc::CallbackServerContext* context,
      const events::v1::ResetConsumerRequest* request,
      events::v1::Consumer* response) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  FeedAdmin* const admin_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_FEED_ADMIN_GRPC_H_
