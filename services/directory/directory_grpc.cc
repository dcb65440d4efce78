#include "services/directory/directory_grpc.h"

#include <utility>

#include "services/common/status.h"

namespace carebridge::directory {

template <typename Request, typename Response>
grpc::Status DirectoryGrpcService::Handle(
    grpc::ServerContext* context, const Request& request, Response* response,
    absl::StatusOr<Response> (DirectoryDomain::*method)(const Principal&,
                                                        const Request&)) {
  absl::StatusOr<Principal> caller = authenticator_->Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<Response> result = (domain_->*method)(*caller, request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status DirectoryGrpcService::CreateTeam(
    grpc::ServerContext* context, const v1::CreateTeamRequest* request,
    v1::Team* response) {
  return Handle(context, *request, response, &DirectoryDomain::CreateTeam);
}

grpc::Status DirectoryGrpcService::GetTeam(grpc::ServerContext* context,
                                           const v1::GetTeamRequest* request,
                                           v1::Team* response) {
  return Handle(context, *request, response, &DirectoryDomain::GetTeam);
}

grpc::Status DirectoryGrpcService::ListTeams(
    grpc::ServerContext* context, const v1::ListTeamsRequest* request,
    v1::ListTeamsResponse* response) {
  return Handle(context, *request, response, &DirectoryDomain::ListTeams);
}

grpc::Status DirectoryGrpcService::UpdateTeam(
    grpc::ServerContext* context, const v1::UpdateTeamRequest* request,
    v1::Team* response) {
  return Handle(context, *request, response, &DirectoryDomain::UpdateTeam);
}

grpc::Status DirectoryGrpcService::CreateMember(
    grpc::ServerContext* context, const v1::CreateMemberRequest* request,
    v1::Member* response) {
  return Handle(context, *request, response, &DirectoryDomain::CreateMember);
}

grpc::Status DirectoryGrpcService::GetMember(
    grpc::ServerContext* context, const v1::GetMemberRequest* request,
    v1::Member* response) {
  return Handle(context, *request, response, &DirectoryDomain::GetMember);
}

grpc::Status DirectoryGrpcService::ListMembers(
    grpc::ServerContext* context, const v1::ListMembersRequest* request,
    v1::ListMembersResponse* response) {
  return Handle(context, *request, response, &DirectoryDomain::ListMembers);
}

grpc::Status DirectoryGrpcService::IssueToken(
    grpc::ServerContext* context, const v1::IssueTokenRequest* request,
    v1::IssueTokenResponse* response) {
  return Handle(context, *request, response, &DirectoryDomain::IssueToken);
}

grpc::Status DirectoryGrpcService::CreatePerson(
    grpc::ServerContext* context, const v1::CreatePersonRequest* request,
    v1::Person* response) {
  return Handle(context, *request, response, &DirectoryDomain::CreatePerson);
}

grpc::Status DirectoryGrpcService::GetPerson(
    grpc::ServerContext* context, const v1::GetPersonRequest* request,
    v1::Person* response) {
  return Handle(context, *request, response, &DirectoryDomain::GetPerson);
}

grpc::Status DirectoryGrpcService::FindPersons(
    grpc::ServerContext* context, const v1::FindPersonsRequest* request,
    v1::FindPersonsResponse* response) {
  return Handle(context, *request, response, &DirectoryDomain::FindPersons);
}

}  // namespace carebridge::directory
