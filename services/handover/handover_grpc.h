#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_GRPC_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_GRPC_H_

#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/event_log.h"
#include "services/common/executor.h"
#include "services/handover/handover_domain.h"

namespace carebridge::handover {

// carebridge.handover.v1.HandoverService over gRPC's callback API: each
// method authenticates the caller, hands the request to the domain and
// converts the result. Reads run inline; changes (which wait for a durable
// commit, and ask the care plan service and the directory) run on the
// blocking executor. Subscribe serves the service's event feed. This class
// is thread-safe.
class HandoverGrpcService final : public v1::HandoverService::CallbackService {
 public:
  HandoverGrpcService(const Authenticator* authenticator,
                      BlockingExecutor* executor, HandoverDomain* domain,
                      EventLog* event_log)
      : authenticator_(authenticator),
        executor_(executor),
        domain_(domain),
        event_log_(event_log) {}

  grpc::ServerUnaryReactor* CreateHandover(
      grpc::CallbackServerContext* context,
      const v1::CreateHandoverRequest* request,
      v1::Handover* response) override;
  grpc::ServerUnaryReactor* GetHandover(grpc::CallbackServerContext* context,
                                        const v1::GetHandoverRequest* request,
                                        v1::Handover* response) override;
  grpc::ServerUnaryReactor* ListHandovers(
      grpc::CallbackServerContext* context,
      const v1::ListHandoversRequest* request,
      v1::ListHandoversResponse* response) override;
  grpc::ServerUnaryReactor* AcceptHandover(
      grpc::CallbackServerContext* context,
      const v1::AcceptHandoverRequest* request,
      v1::Handover* response) override;
  grpc::ServerUnaryReactor* DeclineHandover(
      grpc::CallbackServerContext* context,
      const v1::DeclineHandoverRequest* request,
      v1::Handover* response) override;
  grpc::ServerUnaryReactor* CancelHandover(
      grpc::CallbackServerContext* context,
      const v1::CancelHandoverRequest* request,
      v1::Handover* response) override;
  grpc::ServerWriteReactor<events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const events::v1::SubscribeRequest* request) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  HandoverDomain* const domain_;
  EventLog* const event_log_;
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_GRPC_H_
