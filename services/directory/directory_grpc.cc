#include "services/directory/directory_grpc.h"

#include "services/common/event_feed_grpc.h"
#include "services/common/grpc_handler.h"

namespace carebridge::directory {

grpc::ServerUnaryReactor* DirectoryGrpcService::CreateTeam(
    grpc::CallbackServerContext* context, const v1::CreateTeamRequest* request,
    v1::Team* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CreateTeamRequest& r) {
        return domain_->CreateTeam(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::GetTeam(
    grpc::CallbackServerContext* context, const v1::GetTeamRequest* request,
    v1::Team* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::GetTeamRequest& r) {
        return domain_->GetTeam(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::ListTeams(
    grpc::CallbackServerContext* context, const v1::ListTeamsRequest* request,
    v1::ListTeamsResponse* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::ListTeamsRequest& r) {
        return domain_->ListTeams(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::UpdateTeam(
    grpc::CallbackServerContext* context, const v1::UpdateTeamRequest* request,
    v1::Team* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::UpdateTeamRequest& r) {
        return domain_->UpdateTeam(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::CreateMember(
    grpc::CallbackServerContext* context,
    const v1::CreateMemberRequest* request, v1::Member* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CreateMemberRequest& r) {
        return domain_->CreateMember(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::GetMember(
    grpc::CallbackServerContext* context, const v1::GetMemberRequest* request,
    v1::Member* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::GetMemberRequest& r) {
        return domain_->GetMember(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::ListMembers(
    grpc::CallbackServerContext* context, const v1::ListMembersRequest* request,
    v1::ListMembersResponse* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::ListMembersRequest& r) {
        return domain_->ListMembers(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::UpdateMember(
    grpc::CallbackServerContext* context,
    const v1::UpdateMemberRequest* request, v1::Member* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::UpdateMemberRequest& r) {
        return domain_->UpdateMember(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::DeactivateMember(
    grpc::CallbackServerContext* context,
    const v1::DeactivateMemberRequest* request, v1::Member* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::DeactivateMemberRequest& r) {
        return domain_->DeactivateMember(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::ReactivateMember(
    grpc::CallbackServerContext* context,
    const v1::ReactivateMemberRequest* request, v1::Member* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::ReactivateMemberRequest& r) {
        return domain_->ReactivateMember(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::RevokeMemberTokens(
    grpc::CallbackServerContext* context,
    const v1::RevokeMemberTokensRequest* request, v1::Member* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::RevokeMemberTokensRequest& r) {
        return domain_->RevokeMemberTokens(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::RevokeToken(
    grpc::CallbackServerContext* context, const v1::RevokeTokenRequest* request,
    v1::TokenRevocation* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::RevokeTokenRequest& r) {
        return domain_->RevokeToken(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::IssueToken(
    grpc::CallbackServerContext* context, const v1::IssueTokenRequest* request,
    v1::IssueTokenResponse* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::IssueTokenRequest& r) {
        return domain_->IssueToken(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::RevokePersonTokens(
    grpc::CallbackServerContext* context,
    const v1::RevokePersonTokensRequest* request,
    v1::PersonTokenRevocation* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::RevokePersonTokensRequest& r) {
        return domain_->RevokePersonTokens(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::CreatePerson(
    grpc::CallbackServerContext* context,
    const v1::CreatePersonRequest* request, v1::Person* response) {
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::CreatePersonRequest& r) {
        return domain_->CreatePerson(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::UpdatePerson(
    grpc::CallbackServerContext* context,
    const v1::UpdatePersonRequest* request, v1::Person* response) {
  // Waits on the record service (the care relationship): blocking executor.
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::UpdatePersonRequest& r) {
        return domain_->UpdatePerson(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::MergePersons(
    grpc::CallbackServerContext* context,
    const v1::MergePersonsRequest* request, v1::Person* response) {
  // Waits on the record service (lead team, what is in flight): blocking
  // executor.
  return HandleBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::MergePersonsRequest& r) {
        return domain_->MergePersons(caller, r);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::GetPerson(
    grpc::CallbackServerContext* context, const v1::GetPersonRequest* request,
    v1::Person* response) {
  // Inline for services; clinical staff wait on the record service (the
  // care relationship) on the blocking executor.
  return HandleInlineOrBlocking(
      *authenticator_, *executor_, context, request, response,
      [this](const Principal& caller, const v1::GetPersonRequest& r,
             RemoteCalls remote) {
        return domain_->GetPerson(caller, r, remote);
      });
}

grpc::ServerUnaryReactor* DirectoryGrpcService::FindPersons(
    grpc::CallbackServerContext* context, const v1::FindPersonsRequest* request,
    v1::FindPersonsResponse* response) {
  return HandleInline(
      *authenticator_, context, request, response,
      [this](const Principal& caller, const v1::FindPersonsRequest& r) {
        return domain_->FindPersons(caller, r);
      });
}

grpc::ServerWriteReactor<events::v1::SubscribeResponse>*
DirectoryGrpcService::Subscribe(grpc::CallbackServerContext* context,
                                const events::v1::SubscribeRequest* request) {
  return ServeEventFeed(context, request, *authenticator_, event_log_,
                        executor_);
}

}  // namespace carebridge::directory
