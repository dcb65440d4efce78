#include "services/audit/audit_grpc.h"

#include "services/common/grpc_handler.h"

namespace carebridge::audit {

grpc::ServerUnaryReactor* AuditGrpcService::VerifyAuditLogs(
    grpc::CallbackServerContext* context,
    const v1::VerifyAuditLogsRequest* request,
    v1::VerifyAuditLogsResponse* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::VerifyAuditLogsRequest&) {
        return domain_->VerifyAuditLogs(caller);
      });
}

grpc::ServerUnaryReactor* AuditGrpcService::ListAccesses(
    grpc::CallbackServerContext* context,
    const v1::ListAccessesRequest* request,
    v1::ListAccessesResponse* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ListAccessesRequest& r) {
        return domain_->ListAccesses(caller, r);
      });
}

}  // namespace carebridge::audit
