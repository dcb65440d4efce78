#include "services/careplan/careplan_grpc.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/slice.h>

#include <memory>
#include <string>
#include <utility>

#include "services/common/event_feed_grpc.h"
#include "services/common/grpc_handler.h"

namespace carebridge::careplan {

grpc::ServerUnaryReactor* CarePlanGrpcService::GetCarePlan(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  // Owned by the call below, so it outlives a hand-off to the executor.
  auto parsed = std::make_shared<v1::GetCarePlanRequest>();
  grpc::ByteBuffer bytes(*request);
  grpc::Status decoded =
      grpc::GenericDeserialize<grpc::ProtoBufferReader, v1::GetCarePlanRequest>(
          &bytes, parsed.get());
  if (!decoded.ok()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "request: not a GetCarePlanRequest"));
    return reactor;
  }
  const v1::GetCarePlanRequest* request_message = parsed.get();
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request_message, response,
      [this, parsed = std::move(parsed)](
          const Principal& caller, const v1::GetCarePlanRequest& r,
          RemoteCalls remote) -> absl::StatusOr<grpc::ByteBuffer> {
        absl::StatusOr<std::string> wire =
            domain_->GetCarePlanWire(caller, r, remote);
        if (!wire.ok()) return wire.status();
        grpc::Slice slice(*wire);
        return grpc::ByteBuffer(&slice, 1);
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

grpc::ServerUnaryReactor* CarePlanGrpcService::IssuePersonToken(
    grpc::CallbackServerContext* context,
    const v1::IssuePersonTokenRequest* request,
    v1::IssuePersonTokenResponse* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::IssuePersonTokenRequest& r) {
        return domain_->IssuePersonToken(caller, r);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::RevokePersonTokens(
    grpc::CallbackServerContext* context,
    const v1::RevokePersonTokensRequest* request,
    directory::v1::PersonTokenRevocation* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::RevokePersonTokensRequest& r) {
        return domain_->RevokePersonTokens(caller, r);
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

grpc::ServerUnaryReactor* CarePlanGrpcService::ReviewCareTeamJoin(
    grpc::CallbackServerContext* context,
    const v1::ReviewCareTeamJoinRequest* request, v1::CarePlan* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ReviewCareTeamJoinRequest& r) {
        return domain_->ReviewCareTeamJoin(caller, r);
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

grpc::ServerUnaryReactor* CarePlanGrpcService::GetSharingChoices(
    grpc::CallbackServerContext* context,
    const v1::GetSharingChoicesRequest* request, v1::SharingChoices* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetSharingChoicesRequest& r) {
        return domain_->GetSharingChoices(caller, r);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::UpdateSharingChoices(
    grpc::CallbackServerContext* context,
    const v1::UpdateSharingChoicesRequest* request,
    v1::SharingChoices* response) {
  return HandleBlocking(*authenticator_, *executor_, context, request, response,
                        [this](const Principal& caller,
                               const v1::UpdateSharingChoicesRequest& r) {
                          return domain_->UpdateSharingChoices(caller, r);
                        });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::ListSharingChoicesVersions(
    grpc::CallbackServerContext* context,
    const v1::ListSharingChoicesVersionsRequest* request,
    v1::ListSharingChoicesVersionsResponse* response) {
  return HandleBlocking(*authenticator_, *executor_, context, request, response,
                        [this](const Principal& caller,
                               const v1::ListSharingChoicesVersionsRequest& r) {
                          return domain_->ListSharingChoicesVersions(caller, r);
                        });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::BreakGlass(
    grpc::CallbackServerContext* context, const v1::BreakGlassRequest* request,
    v1::BreakGlassAccess* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::BreakGlassRequest& r) {
        return domain_->BreakGlass(caller, r);
      });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::ListBreakGlassAccesses(
    grpc::CallbackServerContext* context,
    const v1::ListBreakGlassAccessesRequest* request,
    v1::ListBreakGlassAccessesResponse* response) {
  return HandleBlocking(*authenticator_, *executor_, context, request, response,
                        [this](const Principal& caller,
                               const v1::ListBreakGlassAccessesRequest& r) {
                          return domain_->ListBreakGlassAccesses(caller, r);
                        });
}

grpc::ServerUnaryReactor* CarePlanGrpcService::ReviewBreakGlassAccess(
    grpc::CallbackServerContext* context,
    const v1::ReviewBreakGlassAccessRequest* request,
    v1::BreakGlassAccess* response) {
  return HandleBlocking(*authenticator_, *executor_, context, request, response,
                        [this](const Principal& caller,
                               const v1::ReviewBreakGlassAccessRequest& r) {
                          return domain_->ReviewBreakGlassAccess(caller, r);
                        });
}

grpc::ServerWriteReactor<events::v1::SubscribeResponse>*
CarePlanGrpcService::Subscribe(grpc::CallbackServerContext* context,
                               const events::v1::SubscribeRequest* request) {
  return ServeEventFeed(context, request, *authenticator_, event_log_,
                        executor_, event_access_);
}

}  // namespace carebridge::careplan
