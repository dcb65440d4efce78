#ifndef CAREBRIDGE_SERVICES_AUDIT_AUDIT_GRPC_H_
#define CAREBRIDGE_SERVICES_AUDIT_AUDIT_GRPC_H_

#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "services/audit/audit_domain.h"
#include "services/common/authenticator.h"
#include "services/common/executor.h"

namespace carebridge::audit {

// carebridge.audit.v1.AuditService over gRPC's callback API. Both methods
// run on the blocking executor: verifying walks whole logs, and listing
// accesses asks the care plan service who leads. This class is thread-safe.
class AuditGrpcService final : public v1::AuditService::CallbackService {
 public:
  AuditGrpcService(const Authenticator* authenticator,
                   BlockingExecutor* executor, AuditDomain* domain)
      : authenticator_(authenticator), executor_(executor), domain_(domain) {}

  grpc::ServerUnaryReactor* VerifyAuditLogs(
      grpc::CallbackServerContext* context,
      const v1::VerifyAuditLogsRequest* request,
      v1::VerifyAuditLogsResponse* response) override;
  grpc::ServerUnaryReactor* ListAccesses(
      grpc::CallbackServerContext* context,
      const v1::ListAccessesRequest* request,
      v1::ListAccessesResponse* response) override;

 private:
  const Authenticator* const authenticator_;
  BlockingExecutor* const executor_;
  AuditDomain* const domain_;
};

}  // namespace carebridge::audit

#endif  // CAREBRIDGE_SERVICES_AUDIT_AUDIT_GRPC_H_
