#include "services/directory/directory_grpc.h"

#include "services/common/grpc_handler.h"

namespace carebridge::directory {

template <typename Request, typename Response>
grpc::ServerUnaryReactor* DirectoryGrpcService::Handle(
    bool blocking, grpc::CallbackServerContext* context, const Request* request,
    Response* response,
    absl::StatusOr<Response> (DirectoryDomain::*method)(const Principal&,
                                                        const Request&)) {
  auto call = [this, method](const Principal& caller, const Request& r) {
    return (domain_->*method)(caller, r);
  };
  if (blocking) {
    return HandleBlocking(*authenticator_, *executor_, context, request,
                          response, call);
  }
  return HandleInline(*authenticator_, context, request, response, call);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::CreateTeam(
    grpc::CallbackServerContext* context, const v1::CreateTeamRequest* request,
    v1::Team* response) {
  return Handle(/*blocking=*/true, context, request, response,
                &DirectoryDomain::CreateTeam);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::GetTeam(
    grpc::CallbackServerContext* context, const v1::GetTeamRequest* request,
    v1::Team* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::GetTeam);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::ListTeams(
    grpc::CallbackServerContext* context, const v1::ListTeamsRequest* request,
    v1::ListTeamsResponse* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::ListTeams);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::UpdateTeam(
    grpc::CallbackServerContext* context, const v1::UpdateTeamRequest* request,
    v1::Team* response) {
  return Handle(/*blocking=*/true, context, request, response,
                &DirectoryDomain::UpdateTeam);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::CreateMember(
    grpc::CallbackServerContext* context,
    const v1::CreateMemberRequest* request, v1::Member* response) {
  return Handle(/*blocking=*/true, context, request, response,
                &DirectoryDomain::CreateMember);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::GetMember(
    grpc::CallbackServerContext* context, const v1::GetMemberRequest* request,
    v1::Member* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::GetMember);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::ListMembers(
    grpc::CallbackServerContext* context, const v1::ListMembersRequest* request,
    v1::ListMembersResponse* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::ListMembers);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::IssueToken(
    grpc::CallbackServerContext* context, const v1::IssueTokenRequest* request,
    v1::IssueTokenResponse* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::IssueToken);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::CreatePerson(
    grpc::CallbackServerContext* context,
    const v1::CreatePersonRequest* request, v1::Person* response) {
  return Handle(/*blocking=*/true, context, request, response,
                &DirectoryDomain::CreatePerson);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::GetPerson(
    grpc::CallbackServerContext* context, const v1::GetPersonRequest* request,
    v1::Person* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::GetPerson);
}

grpc::ServerUnaryReactor* DirectoryGrpcService::FindPersons(
    grpc::CallbackServerContext* context, const v1::FindPersonsRequest* request,
    v1::FindPersonsResponse* response) {
  return Handle(/*blocking=*/false, context, request, response,
                &DirectoryDomain::FindPersons);
}

}  // namespace carebridge::directory
