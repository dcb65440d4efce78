#include "services/careplan/careplan_grpc.h"

#include "services/common/grpc_handler.h"

namespace carebridge::careplan {

grpc::ServerUnaryReactor* CarePlanGrpcService::GetCarePlan(
    grpc::CallbackServerContext* context, const v1::GetCarePlanRequest* request,
    v1::CarePlan* response) {
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetCarePlanRequest& r,
             RemoteCalls remote) {
        return domain_->GetCarePlan(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::UpdateCarePlan(
    grpc::CallbackServerContext* context,
    const v1::UpdateCarePlanRequest* request, v1::CarePlan* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::UpdateCarePlanRequest& r) {
        return domain_->UpdateCarePlan(caller, r);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::ListCarePlanVersions(
    grpc::CallbackServerContext* context,
    const v1::ListCarePlanVersionsRequest* request,
    v1::ListCarePlanVersionsResponse* response) {
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ListCarePlanVersionsRequest& r,
             RemoteCalls remote) {
        return domain_->ListCarePlanVersions(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::GetCarePlanVersion(
    grpc::CallbackServerContext* context,
    const v1::GetCarePlanVersionRequest* request, v1::CarePlan* response) {
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetCarePlanVersionRequest& r,
             RemoteCalls remote) {
        return domain_->GetCarePlanVersion(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::DiffCarePlanVersions(
    grpc::CallbackServerContext* context,
    const v1::DiffCarePlanVersionsRequest* request,
    v1::CarePlanDiff* response) {
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::DiffCarePlanVersionsRequest& r,
             RemoteCalls remote) {
        return domain_->DiffCarePlanVersions(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::RecordAgreement(
    grpc::CallbackServerContext* context,
    const v1::RecordAgreementRequest* request, v1::CarePlan* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::RecordAgreementRequest& r) {
        return domain_->RecordAgreement(caller, r);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::AddCareTeamMember(
    grpc::CallbackServerContext* context,
    const v1::AddCareTeamMemberRequest* request, v1::CarePlan* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::AddCareTeamMemberRequest& r) {
        return domain_->AddCareTeamMember(caller, r);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::EndCareTeamInvolvement(
    grpc::CallbackServerContext* context,
    const v1::EndCareTeamInvolvementRequest* request, v1::CarePlan* response) {
  return HandleBlocking(*authenticator_, *executor_, context, request, response,
                        [this](const Principal& caller,
                               const v1::EndCareTeamInvolvementRequest& r) {
                          return domain_->EndCareTeamInvolvement(caller, r);
                        });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::SetLeadTeam(
    grpc::CallbackServerContext* context, const v1::SetLeadTeamRequest* request,
    v1::CarePlan* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::SetLeadTeamRequest& r) {
        return domain_->SetLeadTeam(caller, r);
      });
}

}  // namespace carebridge::careplan
